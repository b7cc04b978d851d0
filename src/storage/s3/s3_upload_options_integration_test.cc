// storage.s3.payload_signing, sse and storage_class against the real versitygw (v1.8.0, posix
// backend) that scripts/test.sh starts, over plain HTTP and its HTTPS twin.
//
// What this server does with the headers (read from its source and checked here): it verifies the
// SigV4 signature over every header sent, so a wrongly signed header fails with 403; it accepts
// x-amz-content-sha256: UNSIGNED-PAYLOAD; it accepts x-amz-server-side-encryption (any value,
// KMS key id included) and x-amz-storage-class on PutObject and CreateMultipartUpload and IGNORES
// them: HeadObject always answers x-amz-storage-class: STANDARD and no
// x-amz-server-side-encryption. So what is checked here is that the headers are signed right and
// accepted, and what the server records; that AWS stores and enforces them cannot be checked here
// (docs/security.md says so).
#include <gtest/gtest.h>

#include <string>

#include "storage/s3/s3_client.h"
#include "storage/s3/s3_store.h"
#include "testing/s3_server.h"
#include "testing/test_env.h"

namespace kb::storage::s3 {
namespace {

using Signing = S3StoreConfig::PayloadSigning;

// Bytes that differ at every position, so a misplaced part shows.
std::string Data(size_t n, int seed) {
  std::string d(n, '\0');
  for (size_t i = 0; i < n; ++i) d[i] = static_cast<char>((i * 131 + seed) >> 3);
  return d;
}

// Puts a small object and a multipart one through `cfg` and reads both back.
void RoundTrip(const S3StoreConfig& cfg, const std::string& what) {
  auto store = S3Store::Make(cfg, {.multipart_threshold = 6 << 20, .part_size = 5 << 20});
  ASSERT_TRUE(store.ok()) << what << ": " << store.status().ToString();
  const std::string dir = testing::UniqueName("signing");
  const std::string small = Data(1000, 1);
  const std::string big = Data(11 << 20, 2);
  Status s = (*store)->Put(dir + "/small", small);
  ASSERT_TRUE(s.ok()) << what << ": " << s.ToString();
  std::string_view parts[] = {std::string_view(big).substr(0, 3 << 20),
                              std::string_view(big).substr(3 << 20)};
  s = (*store)->PutParts(dir + "/big", parts);
  ASSERT_TRUE(s.ok()) << what << ": " << s.ToString();
  EXPECT_EQ(*(*store)->Get(dir + "/small"), small) << what;
  auto got = (*store)->Get(dir + "/big");
  ASSERT_TRUE(got.ok()) << what << ": " << got.status().ToString();
  EXPECT_TRUE(*got == big) << what;
  EXPECT_TRUE((*store)->Delete({dir + "/small", dir + "/big"}).ok());
}

// libcurl signs the x-amz-content-sha256 value it is given: UNSIGNED-PAYLOAD uploads over HTTPS
// pass versitygw's signature check, as do signed ones.
TEST(S3UploadOptionsTest, EveryPayloadSigningModeOverHttps) {
  for (Signing mode : {Signing::kAuto, Signing::kAlways, Signing::kNever}) {
    S3StoreConfig cfg = testing::TestS3TlsServerConfig();
    cfg.payload_signing = mode;
    auto client = S3Client::Make(cfg);
    ASSERT_TRUE(client.ok()) << client.status().ToString();
    EXPECT_EQ((*client)->unsigned_payload(), mode != Signing::kAlways);
    RoundTrip(cfg, std::string("https, payload_signing ") + std::string(PayloadSigningName(mode)));
  }
}

TEST(S3UploadOptionsTest, AutoSignsThePayloadOverHttp) {
  S3StoreConfig cfg = testing::TestS3ServerConfig();
  ASSERT_TRUE(cfg.endpoint.starts_with("http://")) << cfg.endpoint;
  auto client = S3Client::Make(cfg);
  ASSERT_TRUE(client.ok());
  EXPECT_FALSE((*client)->unsigned_payload());
  RoundTrip(cfg, "http, payload_signing auto");
  cfg.payload_signing = Signing::kNever;
  auto refused = S3Store::Make(cfg);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().subject(), "storage.s3.payload_signing");
}

// The SSE and storage class headers are signed and accepted on PutObject and on
// CreateMultipartUpload (+ UploadPart without them); HeadObject shows what versitygw recorded.
TEST(S3UploadOptionsTest, EncryptionAndStorageClassAcceptedAndWhatTheServerRecords) {
  struct Case {
    std::string sse;
    std::string storage_class;
  };
  for (const Case& c : {Case{"AES256", "STANDARD_IA"}, Case{"aws:kms", "GLACIER_IR"},
                        Case{"aws:kms", ""}, Case{"", "ONEZONE_IA"}}) {
    const std::string what = "sse '" + c.sse + "', storage_class '" + c.storage_class + "'";
    S3StoreConfig cfg = testing::TestS3TlsServerConfig();
    cfg.sse = c.sse;
    cfg.storage_class = c.storage_class;
    const std::string dir = testing::UniqueName("sse");
    auto store = S3Store::Make(
        cfg, {.multipart_threshold = 6 << 20,
              .part_size = 5 << 20,
              .storage_class_applies = [](std::string_view key) { return key.ends_with("/seg"); }});
    ASSERT_TRUE(store.ok()) << what << ": " << store.status().ToString();
    auto client = S3Client::Make(cfg);
    ASSERT_TRUE(client.ok());
    const std::string big = Data(7 << 20, 3);
    for (const std::string& key : {dir + "/seg", dir + "/meta", dir + "/big/seg"}) {
      const std::string data = key.ends_with("big/seg") ? big : Data(100, 4);
      Status put = (*store)->Put(key, data);
      ASSERT_TRUE(put.ok()) << what << " " << key << ": " << put.ToString();
      EXPECT_TRUE(*(*store)->Get(key) == data) << what << " " << key;
      auto head = (*client)->HeadObjectHeaders(key);
      ASSERT_TRUE(head.ok()) << head.status().ToString();
      EXPECT_EQ(head->size, data.size());
      // versitygw v1.8.0 (posix) ignores both headers: every object is STANDARD, unencrypted.
      EXPECT_EQ(head->storage_class, "STANDARD") << what << " " << key;
      EXPECT_EQ(head->sse, "") << what << " " << key;
      EXPECT_EQ(head->sse_kms_key_id, "") << what << " " << key;
    }
    EXPECT_TRUE((*store)->Delete({dir + "/seg", dir + "/meta", dir + "/big/seg"}).ok());
  }
}

// A KMS key id: the PutObject and the multipart upload that carry it are signed by the client
// itself (storage/s3/sigv4.h; libcurl 7.88 would order the header wrongly), and versitygw, which
// checks every SigV4 signature, accepts them (it ignores the key id itself); reading back is
// signed by libcurl as usual.
TEST(S3UploadOptionsTest, KmsKeyId) {
  for (S3StoreConfig cfg : {testing::TestS3TlsServerConfig(), testing::TestS3ServerConfig()}) {
    const std::string what = "kms over " + cfg.endpoint;
    cfg.sse = "aws:kms";
    cfg.sse_kms_key_id =
        "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    RoundTrip(cfg, what);  // PutObject, and CreateMultipartUpload with its "uploads=" query
    auto store = S3Store::Make(cfg);
    ASSERT_TRUE(store.ok()) << what << ": " << store.status().ToString();
    const std::string key = testing::UniqueName("kms") + "/seg odd$key+name";
    Status put = (*store)->Put(key, "data");
    ASSERT_TRUE(put.ok()) << what << ": " << put.ToString();
    EXPECT_EQ(*(*store)->Get(key), "data") << what;
  }
}

}  // namespace
}  // namespace kb::storage::s3
