// Blob Batch deletes: how answers are read back per sub-request (pure), and what the store does
// with them against a local stand-in for the Blob service — one POST for many keys, transient
// and permission failures, and the fallback to one Delete Blob per key where the service refuses
// Blob Batch. Azurite checks the real thing (signatures of each sub-request included) in
// azure_store_integration_test.cc.
#include "storage/azure/azure_batch.h"

#include <gtest/gtest.h>

#include "crypto/key_ring.h"
#include "storage/azure/azure_store.h"
#include "testing/stand_in_http_server.h"

namespace kb::storage::azure {
namespace {

using testing::StandInAnswer;
using testing::StandInHttpServer;
using testing::StandInRequest;

http::BatchPartAnswer Part(std::string id, long status, http::HeaderList headers = {},
                           std::string body = "") {
  return {.content_id = std::move(id),
          .status = status,
          .reason = "Reason",
          .headers = std::move(headers),
          .body = std::move(body)};
}

TEST(ReadBatchAnswerTest, AnswersGoToTheirSubRequestsByContentId) {
  const std::vector<http::BatchPartAnswer> parts = {
      Part("2", 202), Part("0", 404, {{"x-ms-error-code", "BlobNotFound"}}),
      Part("1", 500, {},
           "<?xml version=\"1.0\"?><Error><Code>InternalError</Code><Message>oops</Message>"
           "</Error>")};
  auto a = ReadBatchAnswer("s", parts, 3);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  ASSERT_FALSE(a->whole);
  ASSERT_EQ(a->each.size(), 3u);
  EXPECT_EQ(a->each[0].status, 404);
  EXPECT_EQ(a->each[0].error_code, "BlobNotFound");
  EXPECT_EQ(a->each[0].message, "Reason");
  EXPECT_EQ(a->each[1].error_code, "InternalError");
  EXPECT_EQ(a->each[1].message, "oops");
  EXPECT_EQ(a->each[2].status, 202);
}

TEST(ReadBatchAnswerTest, OnePartWithoutContentIdIsTheWholeBatchRefused) {
  auto a = ReadBatchAnswer("s", {Part("", 400, {{"x-ms-error-code", "InvalidInput"}})}, 5);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  ASSERT_TRUE(a->whole);
  EXPECT_EQ(a->whole->error_code, "InvalidInput");
  EXPECT_TRUE(a->each.empty());
}

TEST(ReadBatchAnswerTest, ContentIdsThatAreNotTheSubRequestsArePermanent) {
  const std::vector<std::vector<http::BatchPartAnswer>> cases = {
      {Part("0", 202)},                   // sub-request 1 unanswered
      {Part("0", 202), Part("0", 202)},   // twice
      {Part("0", 202), Part("2", 202)},   // out of range
      {Part("0", 202), Part("x", 202)},   // not a number
      {Part("0", 202), Part("", 202)},    // missing among others
      {Part("0", 202), Part("-1", 202)},  // negative
  };
  for (const auto& parts : cases) {
    auto a = ReadBatchAnswer("azure://a/c (Blob Batch)", parts, 2);
    ASSERT_FALSE(a.ok());
    EXPECT_EQ(a.status().code(), Status::Code::kPermanent);
    EXPECT_EQ(a.status().subject(), "azure://a/c (Blob Batch)");
  }
}

// A stand-in Blob service: Blob Batch answers each sub-request with `sub_status(i)`; a plain
// DELETE is 202.
struct BlobService {
  std::function<StandInAnswer(const StandInRequest&)> batch;
  StandInHttpServer server{[this](const StandInRequest& r) {
    if (r.method == "POST") return batch(r);
    if (r.method == "DELETE") return StandInAnswer{.status = 202};
    return StandInAnswer{.status = 400};
  }};
};

StandInAnswer BatchAnswerFor(const StandInRequest& r, const std::function<long(size_t)>& status) {
  size_t n = 0;
  for (size_t at = r.body.find("Content-ID: "); at != std::string::npos;
       at = r.body.find("Content-ID: ", at + 1)) {
    ++n;
  }
  std::string body;
  for (size_t i = 0; i < n; ++i) {
    const long s = status(i);
    body += "--resp\r\nContent-Type: application/http\r\nContent-ID: " + std::to_string(i) +
            "\r\n\r\nHTTP/1.1 " + std::to_string(s) + " X\r\n";
    if (s == 404) body += "x-ms-error-code: BlobNotFound\r\n";
    if (s == 503) body += "x-ms-error-code: ServerBusy\r\n";
    body += "\r\n";
  }
  body += "--resp--\r\n";
  return StandInAnswer{
      .status = 202, .body = body, .headers = "Content-Type: multipart/mixed; boundary=resp\r\n"};
}

std::unique_ptr<AzureStore> StoreAt(const StandInHttpServer& server) {
  AzureStoreConfig cfg{.account = "acct",
                       .container = "c01",
                       .endpoint = server.Url() + "/acct",
                       .key = crypto::EncodeBase64("0123456789abcdef0123456789abcdef")};
  auto store = AzureStore::Make(cfg, {}, [](const std::string&) { return std::nullopt; });
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  return store.ok() ? std::move(store).value() : nullptr;
}

std::vector<std::string> Keys(size_t n) {
  std::vector<std::string> keys;
  for (size_t i = 0; i < n; ++i) keys.push_back("t/0/k " + std::to_string(i));
  return keys;
}

TEST(BlobBatchDeleteTest, ManyKeysGoIn256PerRequestEachSignedOnItsOwn) {
  BlobService svc;
  svc.batch = [](const StandInRequest& r) {
    return BatchAnswerFor(r, [](size_t i) { return i == 3 ? 404L : 202L; });
  };
  auto store = StoreAt(svc.server);
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->Delete(Keys(300)).ok());  // the missing blob counts as deleted
  EXPECT_TRUE(store->batch_delete());
  auto requests = svc.server.Requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].target, "/acct/c01?restype=container&comp=batch");
  EXPECT_TRUE(requests[0].headers.at("content-type").starts_with("multipart/mixed; boundary=kb_"));
  EXPECT_TRUE(requests[0].headers.at("authorization").starts_with("SharedKey acct:"));
  const std::string& body = requests[0].body;
  EXPECT_NE(body.find("Content-ID: 255\r\n"), std::string::npos);
  EXPECT_EQ(body.find("Content-ID: 256\r\n"), std::string::npos);
  EXPECT_NE(body.find("DELETE /acct/c01/t/0/k%200 HTTP/1.1\r\n"), std::string::npos) << body;
  EXPECT_NE(body.find("x-ms-delete-snapshots: include\r\n"), std::string::npos);
  // Every sub-request carries its own signature, and they differ (they sign different paths).
  const size_t first = body.find("Authorization: SharedKey acct:");
  const size_t second = body.find("Authorization: SharedKey acct:", first + 1);
  ASSERT_NE(second, std::string::npos);
  EXPECT_NE(body.substr(first, body.find("\r\n", first) - first),
            body.substr(second, body.find("\r\n", second) - second));
  EXPECT_NE(requests[1].body.find("DELETE /acct/c01/t/0/k%20299 HTTP/1.1"), std::string::npos);
  EXPECT_NE(requests[1].body.find("Content-ID: 43\r\n"), std::string::npos);
}

TEST(BlobBatchDeleteTest, ATransientSubRequestFailureFailsTheCallNamingTheKey) {
  BlobService svc;
  svc.batch = [](const StandInRequest& r) {
    return BatchAnswerFor(r, [](size_t i) { return i == 1 ? 503L : 202L; });
  };
  auto store = StoreAt(svc.server);
  ASSERT_TRUE(store);
  Status s = store->Delete(Keys(3));
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(s.IsRetryable()) << s.ToString();
  EXPECT_EQ(s.subject(), "t/0/k 1");
  EXPECT_TRUE(store->batch_delete());
}

TEST(BlobBatchDeleteTest, APermissionFailureIsNotTakenForAMissingFeature) {
  BlobService svc;
  svc.batch = [](const StandInRequest&) {
    return StandInAnswer{.status = 403,
                         .body =
                             "<?xml version=\"1.0\"?><Error><Code>AuthorizationFailure</Code>"
                             "<Message>no</Message></Error>"};
  };
  auto store = StoreAt(svc.server);
  ASSERT_TRUE(store);
  Status s = store->Delete(Keys(2));
  EXPECT_TRUE(s.IsPermissionDenied()) << s.ToString();
  EXPECT_TRUE(store->batch_delete());
  EXPECT_EQ(svc.server.Requests().size(), 1u);
}

TEST(BlobBatchDeleteTest, ARefusedBatchFallsBackToOneDeletePerKeyAndRemembers) {
  for (const bool inside : {false, true}) {
    BlobService svc;
    svc.batch = [inside](const StandInRequest&) {
      const std::string error =
          "<?xml version=\"1.0\"?><Error><Code>InvalidQueryParameterValue</Code>"
          "<Message>comp</Message></Error>";
      if (!inside) return StandInAnswer{.status = 400, .body = error};
      // Azurite's way: 202 outside, one answer without a Content-ID inside.
      return StandInAnswer{.status = 202,
                           .body =
                               "--r\r\nContent-Type: application/http\r\n\r\nHTTP/1.1 400 Bad\r\n"
                               "x-ms-error-code: InvalidInput\r\n\r\n--r--\r\n",
                           .headers = "Content-Type: multipart/mixed; boundary=r\r\n"};
    };
    auto store = StoreAt(svc.server);
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->Delete(Keys(3)).ok());
    EXPECT_FALSE(store->batch_delete());
    ASSERT_TRUE(store->Delete(Keys(2)).ok());
    auto requests = svc.server.Requests();
    ASSERT_EQ(requests.size(), 6u) << inside;  // one refused batch, then 3 + 2 deletes
    EXPECT_EQ(requests[0].method, "POST");
    for (size_t i = 1; i < requests.size(); ++i) EXPECT_EQ(requests[i].method, "DELETE");
    EXPECT_EQ(requests[1].target, "/acct/c01/t/0/k%200");
  }
}

}  // namespace
}  // namespace kb::storage::azure
