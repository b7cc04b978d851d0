// What S3Client puts on the wire for storage.s3.sse / storage_class, and what a server's refusal
// of them becomes, against a stand-in HTTP server (testing/stand_in_http_server.h): no real server
// that records or refuses these headers runs here (versitygw, the test server, accepts and ignores
// them; see s3_upload_options_integration_test.cc), so this checks the request side and the error
// path, not S3's behaviour.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "layout/keys.h"
#include "storage/factory/open_store.h"
#include "storage/s3/s3_util.h"
#include "testing/stand_in_http_server.h"

namespace kb::storage {
namespace {

using SeenRequest = kb::testing::StandInRequest;
using Answer = kb::testing::StandInAnswer;
using StandInServer = kb::testing::StandInHttpServer;

bool Has(const SeenRequest& r, const std::string& header_line) {
  return r.head.find("\r\n" + header_line + "\r\n") != std::string::npos ||
         r.head.ends_with("\r\n" + header_line);
}
bool HasName(const SeenRequest& r, const std::string& name) {
  return r.head.find("\r\n" + name + ":") != std::string::npos;
}

// An S3 server that stores objects (single-part and multipart) without keeping them.
Answer AcceptingS3(const SeenRequest& r) {
  if (r.method == "POST" && r.target.find("uploads=") != std::string::npos) {
    return {.body =
                "<InitiateMultipartUploadResult><UploadId>u-1</UploadId>"
                "</InitiateMultipartUploadResult>"};
  }
  if (r.method == "POST") return {.body = "<CompleteMultipartUploadResult/>"};
  return {.headers = "ETag: \"e\"\r\n"};
}

StorageConfig S3Config(const std::string& endpoint) {
  StorageConfig cfg;
  cfg.type = StorageConfig::Type::kS3;
  cfg.prefix = "prod";
  cfg.retry_timeout = std::chrono::milliseconds(60'000);
  cfg.s3.bucket = "bkt";
  cfg.s3.region = "us-east-1";
  cfg.s3.endpoint = endpoint;
  cfg.s3.path_style = true;
  cfg.s3.access_key_id = "a";
  cfg.s3.secret_access_key = "s";
  return cfg;
}

TEST(S3UploadHeadersTest, EncryptionOnEveryObjectStorageClassOnSegmentsOnly) {
  StandInServer server(AcceptingS3);
  StorageConfig cfg = S3Config(server.Url());
  cfg.s3.sse = "aws:kms";
  cfg.s3.storage_class = "STANDARD_IA";
  auto store = OpenStore(cfg);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  const layout::Keys keys(cfg.prefix);
  const std::string segment = keys.Segment("orders", 0, 0, 99);
  const std::string metadata = keys.TopicMetadata("orders");
  ASSERT_TRUE((*store)->Put(segment, "segment bytes").ok());
  ASSERT_TRUE((*store)->Put(metadata, "{}").ok());
  // 20 MiB: above the 16 MiB multipart threshold (3 parts of 8 MiB).
  const std::string big_segment = keys.Segment("orders", 0, 100, 199);
  ASSERT_TRUE((*store)->Put(big_segment, std::string(20 << 20, 'x')).ok());

  std::vector<SeenRequest> seen = server.Requests();
  ASSERT_EQ(seen.size(), 2u + 1 + 3 + 1) << "put, put, create + 3 parts + complete";
  // The small segment: PutObject with both headers, the body's SHA-256 over http.
  EXPECT_EQ(seen[0].method, "PUT");
  EXPECT_TRUE(Has(seen[0], "x-amz-server-side-encryption: aws:kms")) << seen[0].head;
  EXPECT_TRUE(Has(seen[0], "x-amz-storage-class: standard_ia")) << seen[0].head;
  EXPECT_FALSE(HasName(seen[0], "x-amz-server-side-encryption-aws-kms-key-id"));
  EXPECT_FALSE(Has(seen[0], "x-amz-content-sha256: unsigned-payload"));
  // topic.json: encrypted, in the bucket's default class.
  EXPECT_TRUE(Has(seen[1], "x-amz-server-side-encryption: aws:kms")) << seen[1].head;
  EXPECT_FALSE(HasName(seen[1], "x-amz-storage-class")) << seen[1].head;
  // Multipart: CreateMultipartUpload carries both; UploadPart and Complete neither.
  EXPECT_EQ(seen[2].method, "POST");
  EXPECT_TRUE(Has(seen[2], "x-amz-server-side-encryption: aws:kms")) << seen[2].head;
  EXPECT_TRUE(Has(seen[2], "x-amz-storage-class: standard_ia")) << seen[2].head;
  for (size_t i = 3; i < seen.size(); ++i) {
    EXPECT_FALSE(HasName(seen[i], "x-amz-server-side-encryption")) << i << seen[i].head;
    EXPECT_FALSE(HasName(seen[i], "x-amz-storage-class")) << i << seen[i].head;
  }
  EXPECT_EQ(seen[3].body.size(), size_t{8} << 20);
}

TEST(S3UploadHeadersTest, NoneSendsNoHeaders) {
  StandInServer server(AcceptingS3);
  StorageConfig cfg = S3Config(server.Url());
  auto store = OpenStore(cfg);
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->Put(layout::Keys(cfg.prefix).Segment("t", 0, 0, 1), "x").ok());
  std::vector<SeenRequest> seen = server.Requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_FALSE(HasName(seen[0], "x-amz-server-side-encryption"));
  EXPECT_FALSE(HasName(seen[0], "x-amz-storage-class"));
}

// MinIO without a KMS answers SSE-KMS uploads so (501, which is otherwise a retried server error):
// the command ends at once with a permanent error naming storage.s3.sse, after one request.
TEST(S3UploadHeadersTest, AServerWithoutKmsIsAPermanentErrorNamingTheKey) {
  StandInServer server([](const SeenRequest&) {
    return Answer{.status = 501,
                  .body =
                      "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>NotImplemented"
                      "</Code><Message>Server side encryption specified but KMS is not "
                      "configured</Message></Error>",
                  .headers = "Content-Type: application/xml\r\n"};
  });
  StorageConfig cfg = S3Config(server.Url());
  cfg.s3.sse = "aws:kms";
  auto store = OpenStore(cfg);  // under the retry layer, retry_timeout 60 s
  ASSERT_TRUE(store.ok());
  const std::string key = layout::Keys(cfg.prefix).TopicMetadata("orders");
  const auto start = std::chrono::steady_clock::now();
  Status put = (*store)->Put(key, "{}");
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(put.ok());
  EXPECT_FALSE(put.IsRetryable()) << put.ToString();
  EXPECT_EQ(put.subject(), "storage.s3.sse") << put.ToString();
  EXPECT_NE(put.message().find(key), std::string::npos) << put.ToString();
  EXPECT_NE(put.message().find("KMS is not configured"), std::string::npos) << put.ToString();
  EXPECT_LT(took, std::chrono::seconds(5));
  EXPECT_EQ(server.Requests().size(), 1u) << "not retried";

  // The same answer without SSE headers sent stays a retried server error (not blamed on SSE).
  StorageConfig plain = S3Config(server.Url());
  plain.retry_timeout = std::chrono::milliseconds(1000);
  auto plain_store = OpenStore(plain);
  ASSERT_TRUE(plain_store.ok());
  Status again = (*plain_store)->Put(key, "{}");
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.subject(), "storage.s3.sse") << again.ToString();
  EXPECT_TRUE(again.IsRetryable()) << again.ToString();
}

TEST(S3UploadHeadersTest, ARefusedStorageClassNamesTheKey) {
  StandInServer server([](const SeenRequest& r) {
    if (HasName(r, "x-amz-storage-class")) {
      return Answer{.status = 400,
                    .body =
                        "<Error><Code>InvalidStorageClass</Code><Message>The storage class "
                        "you specified is not valid</Message></Error>"};
    }
    return AcceptingS3(r);
  });
  StorageConfig cfg = S3Config(server.Url());
  cfg.s3.storage_class = "GLACIER_IR";
  auto store = OpenStore(cfg);
  ASSERT_TRUE(store.ok());
  const layout::Keys keys(cfg.prefix);
  EXPECT_TRUE((*store)->Put(keys.TopicMetadata("t"), "{}").ok());  // no class: accepted
  Status put = (*store)->Put(keys.Segment("t", 0, 0, 9), "x");
  ASSERT_FALSE(put.ok());
  EXPECT_EQ(put.subject(), "storage.s3.storage_class") << put.ToString();
  EXPECT_NE(put.message().find("GLACIER_IR"), std::string::npos) << put.ToString();
  EXPECT_EQ(server.Requests().size(), 2u);
}

std::string HeaderOf(const SeenRequest& r, const std::string& name) {
  auto it = r.headers.find(name);
  return it == r.headers.end() ? std::string() : it->second;
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// storage.s3.object_lock: segments (single and multipart) carry the mode, a retain-until date of
// upload time + retention and the Content-MD5 S3 requires; every other object none of them.
TEST(S3UploadHeadersTest, ObjectLockOnSegmentsOnlyWithContentMd5) {
  StandInServer server(AcceptingS3);
  StorageConfig cfg = S3Config(server.Url());
  cfg.s3.object_lock = {.mode = "COMPLIANCE", .retention = std::chrono::hours(24 * 30)};
  auto store = OpenStore(cfg);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  const layout::Keys keys(cfg.prefix);
  const int64_t before = NowMs();
  ASSERT_TRUE((*store)->Put(keys.Segment("orders", 0, 0, 99), "segment bytes").ok());
  ASSERT_TRUE((*store)->Put(keys.TopicMetadata("orders"), "{}").ok());
  ASSERT_TRUE((*store)->Put(keys.ConsumerOffsets("orders", 0), "{}").ok());
  std::string big(20 << 20, 'x');
  big[(8 << 20) + 1] = 'y';  // parts differ
  ASSERT_TRUE((*store)->Put(keys.Segment("orders", 0, 100, 199), big).ok());
  const int64_t after = NowMs();

  std::vector<SeenRequest> seen = server.Requests();
  ASSERT_EQ(seen.size(), 3u + 1 + 3 + 1) << "put x3, create + 3 parts + complete";
  auto expect_until = [&](const SeenRequest& r) {
    const std::string until = HeaderOf(r, "x-amz-object-lock-retain-until-date");
    std::optional<int64_t> ms = s3::ParseIso8601Ms(until);
    ASSERT_TRUE(ms) << "'" << until << "' " << r.head;
    const int64_t retention = cfg.s3.object_lock.retention.count();
    EXPECT_GE(*ms, before + retention) << until;  // never shorter than configured
    EXPECT_LE(*ms, after + retention + 1000) << until;
  };
  // The small segment.
  EXPECT_EQ(seen[0].method, "PUT");
  EXPECT_EQ(HeaderOf(seen[0], "x-amz-object-lock-mode"), "COMPLIANCE") << seen[0].head;
  expect_until(seen[0]);
  EXPECT_EQ(HeaderOf(seen[0], "content-md5"), s3::Md5Base64("segment bytes")) << seen[0].head;
  // topic.json and the offsets (overwritten in place): never locked.
  for (size_t i : {1u, 2u}) {
    EXPECT_FALSE(HasName(seen[i], "x-amz-object-lock-mode")) << seen[i].head;
    EXPECT_FALSE(HasName(seen[i], "x-amz-object-lock-retain-until-date")) << seen[i].head;
    EXPECT_FALSE(HasName(seen[i], "content-md5")) << seen[i].head;
  }
  // Multipart: the lock on CreateMultipartUpload, Content-MD5 of each part on UploadPart.
  EXPECT_EQ(seen[3].method, "POST");
  EXPECT_EQ(HeaderOf(seen[3], "x-amz-object-lock-mode"), "COMPLIANCE") << seen[3].head;
  expect_until(seen[3]);
  for (size_t i = 4; i < 7; ++i) {
    EXPECT_EQ(seen[i].method, "PUT");
    EXPECT_EQ(HeaderOf(seen[i], "content-md5"), s3::Md5Base64(seen[i].body)) << i;
    EXPECT_FALSE(HasName(seen[i], "x-amz-object-lock-mode")) << seen[i].head;
  }
  EXPECT_NE(s3::Md5Base64(seen[4].body), s3::Md5Base64(seen[5].body));
  EXPECT_FALSE(HasName(seen[7], "x-amz-object-lock-mode")) << seen[7].head;
}

TEST(S3UploadHeadersTest, ObjectLockOffSendsNoLockHeaders) {
  StandInServer server(AcceptingS3);
  StorageConfig cfg = S3Config(server.Url());
  auto store = OpenStore(cfg);
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->Put(layout::Keys(cfg.prefix).Segment("t", 0, 0, 1), "x").ok());
  std::vector<SeenRequest> seen = server.Requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_FALSE(HasName(seen[0], "x-amz-object-lock-mode"));
  EXPECT_FALSE(HasName(seen[0], "x-amz-object-lock-retain-until-date"));
  EXPECT_FALSE(HasName(seen[0], "content-md5"));
}

// S3's answer to a locked upload into a bucket without Object Lock: a permanent error naming
// storage.s3.object_lock and the bucket, after one request (not retried for retry_timeout).
TEST(S3UploadHeadersTest, ABucketWithoutObjectLockIsAPermanentErrorNamingTheKey) {
  StandInServer server([](const SeenRequest& r) {
    if (HasName(r, "x-amz-object-lock-mode")) {
      return Answer{.status = 400,
                    .body =
                        "<Error><Code>InvalidRequest</Code><Message>Bucket is missing Object Lock "
                        "Configuration</Message></Error>"};
    }
    return AcceptingS3(r);
  });
  StorageConfig cfg = S3Config(server.Url());
  cfg.s3.object_lock = {.mode = "GOVERNANCE", .retention = std::chrono::hours(1)};
  auto store = OpenStore(cfg);
  ASSERT_TRUE(store.ok());
  const layout::Keys keys(cfg.prefix);
  EXPECT_TRUE((*store)->Put(keys.TopicMetadata("t"), "{}").ok());
  const std::string segment = keys.Segment("t", 0, 0, 9);
  Status put = (*store)->Put(segment, "x");
  ASSERT_FALSE(put.ok());
  EXPECT_FALSE(put.IsRetryable()) << put.ToString();
  EXPECT_EQ(put.subject(), "storage.s3.object_lock") << put.ToString();
  EXPECT_NE(put.message().find(segment), std::string::npos) << put.ToString();
  EXPECT_NE(put.message().find("missing Object Lock"), std::string::npos) << put.ToString();
  EXPECT_NE(put.message().find("bkt"), std::string::npos) << put.ToString();
  EXPECT_EQ(server.Requests().size(), 2u) << "not retried";
}

// ObjectStore::Lock through the whole stack OpenStore builds: one HEAD, the lock as S3 reports it.
TEST(S3UploadHeadersTest, LockReadsTheHeadAnswer) {
  StandInServer server([](const SeenRequest& r) {
    Answer a{.headers = "Content-Length: 5\r\n"};
    if (r.target.ends_with("/locked")) {
      a.headers +=
          "x-amz-object-lock-mode: COMPLIANCE\r\n"
          "x-amz-object-lock-retain-until-date: 2026-12-04T22:00:00.000Z\r\n";
    } else if (r.target.ends_with("/held")) {
      a.headers += "x-amz-object-lock-legal-hold: ON\r\n";
    } else if (r.target.ends_with("/garbled")) {
      a.headers += "x-amz-object-lock-retain-until-date: next tuesday\r\n";
    } else if (r.target.ends_with("/missing")) {
      a.status = 404;
    }
    return a;
  });
  StorageConfig cfg = S3Config(server.Url());
  cfg.retry_timeout = std::chrono::milliseconds(1000);
  auto store = OpenStore(cfg);
  ASSERT_TRUE(store.ok());
  auto locked = (*store)->Lock("prod/locked");
  ASSERT_TRUE(locked.ok()) << locked.status().ToString();
  ASSERT_TRUE(locked->has_value());
  EXPECT_EQ((*locked)->mode, "COMPLIANCE");
  EXPECT_EQ((*locked)->retain_until_ms, int64_t{1796421600} * 1000);
  EXPECT_FALSE((*locked)->legal_hold);
  auto held = (*store)->Lock("prod/held");
  ASSERT_TRUE(held.ok() && held->has_value());
  EXPECT_TRUE((*held)->legal_hold);
  EXPECT_EQ((*held)->retain_until_ms, 0);
  auto plain = (*store)->Lock("prod/plain");
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(plain->has_value());
  // A date that cannot be read is an error, never "unlocked".
  auto garbled = (*store)->Lock("prod/garbled");
  ASSERT_FALSE(garbled.ok());
  EXPECT_EQ(garbled.status().subject(), "prod/garbled");
  EXPECT_NE(garbled.status().message().find("next tuesday"), std::string::npos);
  EXPECT_TRUE((*store)->Lock("prod/missing").status().IsNotFound());
  std::vector<SeenRequest> seen = server.Requests();
  ASSERT_GE(seen.size(), 5u);
  for (const SeenRequest& r : seen) EXPECT_EQ(r.method, "HEAD");
}

}  // namespace
}  // namespace kb::storage
