// libFuzzer target for the parsers of Azure answers (storage/azure/azure_response.h,
// ParseTokenAnswer of azure_auth.h) and the blob name mapping. The first input byte picks the
// parser (testing/fuzz_util.h), the rest is the response body:
//   0 ParseListBlobs     an EnumerationResults page
//   1 ParseAzureError    an <Error> body
//   2 ParseTokenAnswer   an Azure AD / instance metadata token answer (JSON)
//   3 KeyOfBlobName      a blob name: BlobNameOf(KeyOfBlobName(BlobNameOf(x))) == BlobNameOf(x)
//   4 Blob Batch answer  http::ParseHttpBatch (boundary "b") then ReadBatchAnswer for 3
//                        sub-requests: an answer for each, or the whole batch's, never both
// Whatever the bytes, a parser must return (no crash, no sanitizer report, no exception) with OK or
// Permanent naming the request's subject; every listed key must map to a blob name and back.
//
// Seed mode: with KB_FUZZ_WRITE_SEEDS=<dir> the binary writes typical answers and exits.
#include <cstdint>
#include <string>
#include <string_view>

#include "storage/azure/azure_auth.h"
#include "storage/azure/azure_batch.h"
#include "storage/azure/azure_response.h"
#include "testing/fuzz_util.h"

namespace {

using kb::Status;
namespace fuzz = kb::fuzz;
namespace azure = kb::storage::azure;

constexpr char kSubject[] = "fuzz/prefix/";
constexpr int kParsers = 5;

void CheckPermanent(const char* what, const Status& s) {
  fuzz::CheckError(what, s, {Status::Code::kPermanent});
  if (!s.ok() && s.subject() != kSubject) fuzz::Fail(what, "wrong subject: " + s.ToString());
}

void WriteSeeds(fuzz::SeedWriter& w) {
  w.Put(0,
        "\xef\xbb\xbf<?xml version=\"1.0\" encoding=\"utf-8\"?><EnumerationResults "
        "ServiceEndpoint=\"http://127.0.0.1:10000/devstoreaccount1\" ContainerName=\"kb-test\">"
        "<Prefix>p/</Prefix><MaxResults>2</MaxResults><Blobs><Blob><Name>p/orders/0/"
        "00000000000000000000-00000000000000000099</Name><Properties><Content-Length>1048576"
        "</Content-Length><BlobType>BlockBlob</BlobType></Properties></Blob><Blob><Name "
        "Encoded=\"true\">p/a%5Cb%25</Name><Properties><Content-Length>0</Content-Length>"
        "</Properties></Blob></Blobs><NextMarker>2!96!MDAwMDQ0IXAvb3JkZXJzLzEh</NextMarker>"
        "</EnumerationResults>");
  w.Put(0, "<EnumerationResults><Blobs/><NextMarker/></EnumerationResults>");
  w.Put(1,
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>BlobNotFound</Code><Message>The "
        "specified blob does not exist.\nRequestId:1\nTime:2026-12-05T04:11:14Z</Message></Error>");
  w.Put(2, R"({"token_type":"Bearer","expires_in":3599,"access_token":"eyJ0eXAi"})");
  w.Put(
      2,
      R"({"access_token":"eyJ0eXAi","expires_in":"86399","resource":"https://storage.azure.com/"})");
  w.Put(3, "p/a%5Cb%25c%41");
  w.Put(4,
        "--b\r\nContent-Type: application/http\r\nContent-ID: 1\r\n\r\nHTTP/1.1 202 Accepted\r\n"
        "x-ms-delete-type-permanent: true\r\n\r\n--b\r\nContent-Type: application/http\r\n"
        "Content-ID: 0\r\n\r\nHTTP/1.1 404 The specified blob does not exist.\r\n"
        "x-ms-error-code: BlobNotFound\r\nContent-Type: application/xml\r\n\r\n<?xml version="
        "\"1.0\"?><Error><Code>BlobNotFound</Code><Message>gone</Message></Error>\r\n--b\r\n"
        "Content-ID: 2\r\n\r\nHTTP/1.1 503 Busy\r\nx-ms-error-code: ServerBusy\r\n\r\n--b--\r\n");
  w.Put(4,
        "--b\r\nContent-Type: application/http\r\n\r\nHTTP/1.1 400 Bad\r\n"
        "x-ms-error-code: InvalidInput\r\n\r\n--b--");
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  fuzz::WriteSeedsIfAsked(WriteSeeds);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const fuzz::Selector in = fuzz::Select(data, size, kParsers);
  switch (in.index) {
    case 0: {
      kb::Result<kb::storage::ListPage> page = azure::ParseListBlobs(kSubject, in.rest);
      CheckPermanent("ParseListBlobs", page.status());
      if (!page.ok()) break;
      for (const kb::storage::ObjectInfo& o : page->objects) {
        if (azure::KeyOfBlobName(azure::BlobNameOf(o.key)) != o.key) fuzz::Fail("BlobName", o.key);
      }
      break;
    }
    case 1:
      (void)azure::ParseAzureError(in.rest);
      break;
    case 2: {
      auto token = azure::ParseTokenAnswer(kSubject, in.rest);
      CheckPermanent("ParseTokenAnswer", token.status());
      if (token.ok() && token->first.empty()) fuzz::Fail("ParseTokenAnswer", "empty token");
      break;
    }
    case 3: {
      const std::string name = azure::BlobNameOf(in.rest);
      if (azure::BlobNameOf(azure::KeyOfBlobName(name)) != name) fuzz::Fail("BlobName", name);
      if (azure::KeyOfBlobName(name) != in.rest) fuzz::Fail("BlobName", name);
      break;
    }
    case 4: {
      auto parts =
          kb::storage::http::ParseHttpBatch(kSubject, "multipart/mixed; boundary=b", in.rest);
      CheckPermanent("ParseHttpBatch", parts.status());
      if (!parts.ok()) break;
      auto answer = azure::ReadBatchAnswer(kSubject, *parts, 3);
      CheckPermanent("ReadBatchAnswer", answer.status());
      if (answer.ok() && (answer->whole ? !answer->each.empty() : answer->each.size() != 3)) {
        fuzz::Fail("ReadBatchAnswer", "neither one answer per sub-request nor the whole batch's");
      }
      break;
    }
    default:
      break;
  }
  return 0;
}
