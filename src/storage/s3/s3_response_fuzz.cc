// libFuzzer target for the parsers of S3 answers (storage/s3/s3_response.h, ParseS3Error of
// storage/s3/s3_util.h). The first input byte picks the parser (testing/fuzz_util.h), the rest is
// the response body (or header value):
//   0 ParseListObjectsV2   a ListBucketResult page (keys URL-decoded when EncodingType is url)
//   1 ParseS3Error         an <Error> body of a failed request or a CompleteMultipartUpload answer
//   2 ParseDeleteErrors    a DeleteResult
//   3 ParseUploadId        an InitiateMultipartUploadResult
//   4 ParseContentLength   a HEAD answer's Content-Length
// Whatever the bytes, a parser must return (no crash, no sanitizer report, no exception) with OK or
// Permanent naming the request's subject. Every listed key must survive UriEncode + UriDecode.
//
// Seed mode: with KB_FUZZ_WRITE_SEEDS=<dir> the binary writes typical answers and exits.
#include <cstdint>
#include <string>
#include <string_view>

#include "storage/s3/s3_response.h"
#include "storage/s3/s3_util.h"
#include "testing/fuzz_util.h"

namespace {

using kb::Status;
namespace fuzz = kb::fuzz;
namespace s3 = kb::storage::s3;

constexpr char kSubject[] = "fuzz/prefix/";
constexpr int kParsers = 5;

void CheckPermanent(const char* what, const Status& s) {
  fuzz::CheckError(what, s, {Status::Code::kPermanent});
  if (!s.ok() && s.subject() != kSubject) fuzz::Fail(what, "wrong subject: " + s.ToString());
}

void WriteSeeds(fuzz::SeedWriter& w) {
  constexpr char kXml[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  const std::string ns = " xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"";
  w.Put(0,
        std::string(kXml) + "<ListBucketResult" + ns +
            "><Name>bucket</Name><Prefix>p%2F</Prefix><KeyCount>2</KeyCount>"
            "<MaxKeys>1000</MaxKeys><EncodingType>url</EncodingType>"
            "<IsTruncated>true</IsTruncated><NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/"
            "wm36Hy4vbOwM=</NextContinuationToken><Contents><Key>p/orders/0/"
            "00000000000000000000-00000000000000000099</Key><LastModified>2023-11-14T22:13:20."
            "000Z</LastModified><ETag>&quot;d41d8cd98f00b204e9800998ecf8427e&quot;</ETag>"
            "<Size>1048576</Size><StorageClass>STANDARD</StorageClass></Contents><Contents>"
            "<Key>p/a%20b%2Bc/topic.json</Key><Size>0</Size></Contents></ListBucketResult>");
  w.Put(0, std::string(kXml) + "<ListBucketResult" + ns +
               "><Name>bucket</Name><KeyCount>0</KeyCount><IsTruncated>false</IsTruncated>"
               "</ListBucketResult>");
  w.Put(1, std::string(kXml) +
               "<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message>"
               "<Key>p/t/0/x</Key><RequestId>4442587FB7D0A2F9</RequestId></Error>");
  w.Put(1,
        "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>");
  w.Put(2, std::string(kXml) + "<DeleteResult" + ns +
               "><Deleted><Key>a</Key></Deleted><Error><Key>b</Key><Code>NoSuchKey</Code>"
               "<Message>gone</Message></Error><Error><Key>c</Key><Code>AccessDenied</Code>"
               "<Message>Access Denied</Message></Error></DeleteResult>");
  w.Put(3,
        std::string(kXml) + "<InitiateMultipartUploadResult" + ns +
            "><Bucket>bucket</Bucket><Key>p/t/0/x</Key><UploadId>VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS"
            "1tb3ZpZS5tMnRzIHVwbG9hZA</UploadId></InitiateMultipartUploadResult>");
  w.Put(4, "1048576");
  w.Put(4, "18446744073709551615");
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
      kb::Result<kb::storage::ListPage> page = s3::ParseListObjectsV2(kSubject, in.rest);
      CheckPermanent("ParseListObjectsV2", page.status());
      if (!page.ok()) break;
      for (const kb::storage::ObjectInfo& o : page->objects) {
        if (s3::UriDecode(s3::UriEncode(o.key, false)) != o.key) fuzz::Fail("UriEncode", o.key);
      }
      break;
    }
    case 1: {
      s3::S3Error e = s3::ParseS3Error(in.rest);
      (void)e;
      break;
    }
    case 2:
      (void)s3::ParseDeleteErrors(in.rest);
      break;
    case 3: {
      kb::Result<std::string> id = s3::ParseUploadId(kSubject, in.rest);
      CheckPermanent("ParseUploadId", id.status());
      if (id.ok() && id->empty()) fuzz::Fail("ParseUploadId", "empty id");
      break;
    }
    case 4: {
      kb::Result<uint64_t> n = s3::ParseContentLength(kSubject, in.rest);
      CheckPermanent("ParseContentLength", n.status());
      break;
    }
    default:
      break;
  }
  return 0;
}
