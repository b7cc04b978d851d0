// S3Store against the real S3-compatible server started by scripts/test.sh (versitygw, which
// verifies SigV4 signatures and payload hashes).
#include <gtest/gtest.h>

#include "storage/s3/s3_store.h"
#include "testing/s3_server.h"
#include "testing/test_env.h"

namespace kb::storage::s3 {
namespace {

S3StoreConfig ServerConfig() { return testing::TestS3ServerConfig(); }

TEST(S3SmokeTest, PutGetThroughLibcurlSigV4) {
  auto store = S3Store::Make(ServerConfig());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  const std::string key = testing::UniqueName("smoke") + "/hello world+=.txt";
  ASSERT_TRUE((*store)->Put(key, "hello, s3").ok());
  auto got = (*store)->Get(key);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, "hello, s3");
  EXPECT_EQ(*(*store)->Head(key), 9u);
  EXPECT_EQ(*(*store)->GetRange(key, 7, 100), "s3");
  ASSERT_TRUE((*store)->Delete({key}).ok());
  EXPECT_TRUE((*store)->Get(key).status().IsNotFound());
}

TEST(S3SmokeTest, WrongSecretIsAClearAuthenticationError) {
  S3StoreConfig cfg = ServerConfig();
  cfg.secret_access_key += "-wrong";
  auto store = S3Store::Make(cfg);
  ASSERT_TRUE(store.ok());
  const std::string key = testing::UniqueName("auth") + "/x";
  Status put = (*store)->Put(key, "data");
  ASSERT_FALSE(put.ok());
  EXPECT_TRUE(put.IsPermissionDenied()) << put.ToString();
  EXPECT_NE(put.message().find("SignatureDoesNotMatch"), std::string::npos) << put.ToString();
  EXPECT_NE(put.message().find("check the S3 access key and secret"), std::string::npos);
  EXPECT_EQ(put.subject(), key);
  auto list = (*store)->List("", "", 10);
  ASSERT_FALSE(list.ok());
  EXPECT_TRUE(list.status().IsPermissionDenied()) << list.status().ToString();
}

TEST(S3SmokeTest, MultipartUploadWithSmallThreshold) {
  auto store =
      S3Store::Make(ServerConfig(), {.multipart_threshold = 6 << 20, .part_size = 5 << 20});
  ASSERT_TRUE(store.ok());
  std::string data(13 << 20, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>((i * 131) >> 7);
  const std::string key = testing::UniqueName("multipart") + "/big";
  Status put = (*store)->Put(key, data);
  ASSERT_TRUE(put.ok()) << put.ToString();
  auto got = (*store)->Get(key);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->size(), data.size());
  EXPECT_TRUE(*got == data);
  // A range across the 5 MiB part boundary.
  auto range = (*store)->GetRange(key, (5 << 20) - 3, 6);
  ASSERT_TRUE(range.ok());
  EXPECT_EQ(*range, data.substr((5 << 20) - 3, 6));
  EXPECT_TRUE((*store)->Delete({key}).ok());
}

// Parts of odd sizes: the 5 MiB upload parts cut across them, and one part spans an upload part.
TEST(S3SmokeTest, MultipartUploadOfPartsCutsAcrossThem) {
  auto store =
      S3Store::Make(ServerConfig(), {.multipart_threshold = 6 << 20, .part_size = 5 << 20});
  ASSERT_TRUE(store.ok());
  std::string data(13 << 20, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>((i * 131) >> 7);
  const std::string_view all(data);
  const std::vector<std::string_view> parts = {all.substr(0, 1000), all.substr(1000, 7 << 20),
                                               all.substr(1000 + (7 << 20), 0),
                                               all.substr(1000 + (7 << 20))};
  const std::string key = testing::UniqueName("multipart") + "/parts";
  Status put = (*store)->PutParts(key, parts);
  ASSERT_TRUE(put.ok()) << put.ToString();
  auto got = (*store)->Get(key);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->size(), data.size());
  EXPECT_TRUE(*got == data);
  EXPECT_TRUE((*store)->Delete({key}).ok());
}

TEST(S3SmokeTest, MissingBucketIsNotFound) {
  S3StoreConfig cfg = ServerConfig();
  cfg.bucket = "kb-no-such-bucket";
  auto store = S3Store::Make(cfg);
  ASSERT_TRUE(store.ok());
  auto r = (*store)->Get("k");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsNotFound()) << r.status().ToString();
}

TEST(S3SmokeTest, AWrongRegionIsAClearPermanentError) {
  S3StoreConfig cfg = ServerConfig();
  cfg.region = "eu-west-3";
  auto store = S3Store::Make(cfg);
  ASSERT_TRUE(store.ok());
  auto list = (*store)->List("", "", 1);
  ASSERT_FALSE(list.ok());
  EXPECT_FALSE(list.status().IsRetryable()) << list.status().ToString();
  EXPECT_NE(list.status().message().find("region"), std::string::npos) << list.status().ToString();
}

// The HTTPS twin of the server (scripts/test.sh starts it with s3.sh --tls).
TEST(S3HttpsTest, TheStoreIsReachedThroughTheCaBundle) {
  auto store = S3Store::Make(testing::TestS3TlsServerConfig());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  const std::string key = testing::UniqueName("https") + "/x";
  ASSERT_TRUE((*store)->Put(key, "over tls").ok());
  auto got = (*store)->Get(key);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, "over tls");
  EXPECT_TRUE((*store)->Delete({key}).ok());
}

TEST(S3HttpsTest, AnUntrustedCertificateIsAPermanentErrorThatSaysWhatToSet) {
  S3StoreConfig cfg = testing::TestS3TlsServerConfig();
  cfg.ca_bundle.clear();  // the system trust store does not know the test CA
  auto store = S3Store::Make(cfg);
  ASSERT_TRUE(store.ok());
  Status put = (*store)->Put(testing::UniqueName("https") + "/x", "data");
  ASSERT_FALSE(put.ok());
  EXPECT_FALSE(put.IsRetryable()) << put.ToString();
  EXPECT_NE(put.message().find("not trusted"), std::string::npos) << put.ToString();
  EXPECT_NE(put.message().find("storage.s3.ca_bundle"), std::string::npos) << put.ToString();
}

TEST(S3HttpsTest, ACertificateOfAnotherCaIsRefused) {
  S3StoreConfig cfg = testing::TestS3TlsServerConfig();
  cfg.ca_bundle = testing::RequireEnv("KB_TEST_S3_TLS_OTHER_CA");
  auto store = S3Store::Make(cfg);
  ASSERT_TRUE(store.ok());
  auto list = (*store)->List("", "", 1);
  ASSERT_FALSE(list.ok());
  EXPECT_FALSE(list.status().IsRetryable()) << list.status().ToString();
  EXPECT_NE(
      list.status().message().find("not signed by a CA in storage.s3.ca_bundle " + cfg.ca_bundle),
      std::string::npos)
      << list.status().ToString();
}

TEST(S3HttpsTest, AnUnreadableCaBundleIsRefusedWhenTheStoreOpens) {
  S3StoreConfig cfg = testing::TestS3TlsServerConfig();
  cfg.ca_bundle = "/nonexistent/kb-ca.pem";
  auto store = S3Store::Make(cfg);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().subject(), "storage.s3.ca_bundle");
  EXPECT_NE(store.status().message().find("/nonexistent/kb-ca.pem"), std::string::npos)
      << store.status().ToString();
}

}  // namespace
}  // namespace kb::storage::s3

// The storage conformance suite, against the real server.
#include "storage/store_conformance.h"

KB_INSTANTIATE_STORE_CONFORMANCE(S3, kb::storage::StoreFactory{
                                         .name = "s3",
                                         .make =
                                             [] {
                                               auto s = kb::storage::s3::S3Store::Make(
                                                   kb::storage::s3::ServerConfig());
                                               EXPECT_TRUE(s.ok()) << s.status().ToString();
                                               return std::unique_ptr<kb::storage::ObjectStore>(
                                                   std::move(s).value());
                                             },
                                         .large_object_bytes = 100 << 20,
                                         .byte_order_across_slash = false});

// ... and against its HTTPS twin.
KB_INSTANTIATE_STORE_CONFORMANCE(
    S3Https, kb::storage::StoreFactory{
                 .name = "s3_https",
                 .make =
                     [] {
                       auto s =
                           kb::storage::s3::S3Store::Make(kb::testing::TestS3TlsServerConfig());
                       EXPECT_TRUE(s.ok()) << s.status().ToString();
                       return std::unique_ptr<kb::storage::ObjectStore>(std::move(s).value());
                     },
                 .large_object_bytes = 100 << 20,
                 .byte_order_across_slash = false});
