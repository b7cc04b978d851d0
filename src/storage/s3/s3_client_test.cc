// Unit tests of S3Client/S3Store set-up that need no server.
#include "storage/s3/s3_client.h"

#include <gtest/gtest.h>

#include "storage/s3/s3_store.h"

namespace kb::storage::s3 {
namespace {

S3StoreConfig Cfg(std::string endpoint) {
  S3StoreConfig c;
  c.bucket = "b";
  c.region = "us-east-1";
  c.endpoint = std::move(endpoint);
  c.access_key_id = "a";
  c.secret_access_key = "s";
  return c;
}

TEST(S3ClientTest, RejectsMalformedEndpointsNamingTheKey) {
  for (const char* bad : {"127.0.0.1:9000", "ftp://host", "http://host/path", "http://"}) {
    auto c = S3Client::Make(Cfg(bad));
    ASSERT_FALSE(c.ok()) << bad;
    EXPECT_EQ(c.status().subject(), "storage.s3.endpoint") << bad;
  }
}

TEST(S3ClientTest, AcceptsEndpointsAndDefaultsToAws) {
  EXPECT_TRUE(S3Client::Make(Cfg("http://127.0.0.1:9000")).ok());
  EXPECT_TRUE(S3Client::Make(Cfg("https://minio.example:9000/")).ok());
  auto aws = S3Client::Make(Cfg(""));
  ASSERT_TRUE(aws.ok());
  EXPECT_EQ((*aws)->Describe(), "s3://b");
}

TEST(S3StoreTest, RejectsTooSmallParts) {
  auto s = S3Store::Make(Cfg("http://127.0.0.1:9"),
                         {.multipart_threshold = 1 << 20, .part_size = 1 << 20});
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(s.status().IsInvalidArgument());
}

TEST(S3StoreTest, ConnectionRefusedIsRetryable) {
  // Port 9 on loopback: nothing listens there in the test environment.
  auto s = S3Store::Make({.bucket = "b",
                          .region = "us-east-1",
                          .endpoint = "http://127.0.0.1:9",
                          .path_style = true,
                          .access_key_id = "a",
                          .secret_access_key = "s"});
  ASSERT_TRUE(s.ok());
  auto r = (*s)->Get("k");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsRetryable()) << r.status().ToString();
  EXPECT_EQ(r.status().subject(), "k");
}

TEST(S3StoreTest, InvalidKeysNeverReachTheWire) {
  auto s = S3Store::Make(Cfg("http://127.0.0.1:9"));
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE((*s)->Put(std::string(1025, 'k'), "x").IsInvalidArgument());
  EXPECT_TRUE((*s)->Get("").status().IsInvalidArgument());
}

}  // namespace
}  // namespace kb::storage::s3
