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

TEST(S3ClientTest, PayloadSigningFollowsTheScheme) {
  using Signing = S3StoreConfig::PayloadSigning;
  struct Case {
    const char* endpoint;
    Signing signing;
    bool unsigned_payload;
  };
  for (const Case& c :
       {Case{"https://h", Signing::kAuto, true}, Case{"", Signing::kAuto, true},  // AWS: https
        Case{"http://h", Signing::kAuto, false}, Case{"https://h", Signing::kAlways, false},
        Case{"http://h", Signing::kAlways, false}, Case{"https://h", Signing::kNever, true}}) {
    S3StoreConfig cfg = Cfg(c.endpoint);
    cfg.payload_signing = c.signing;
    auto client = S3Client::Make(cfg);
    ASSERT_TRUE(client.ok()) << client.status().ToString();
    EXPECT_EQ((*client)->unsigned_payload(), c.unsigned_payload)
        << c.endpoint << " " << PayloadSigningName(c.signing);
  }
  S3StoreConfig never_http = Cfg("http://h");
  never_http.payload_signing = Signing::kNever;
  auto refused = S3Client::Make(never_http);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().subject(), "storage.s3.payload_signing");
}

TEST(S3ClientTest, UploadOptionsAreCheckedWhenMade) {
  S3StoreConfig bad_sse = Cfg("https://h");
  bad_sse.sse = "aws:kms:dsse";
  EXPECT_EQ(S3Client::Make(bad_sse).status().subject(), "storage.s3.sse");
  S3StoreConfig glacier = Cfg("https://h");
  glacier.storage_class = "GLACIER";
  EXPECT_EQ(S3Client::Make(glacier).status().subject(), "storage.s3.storage_class");
  S3StoreConfig ok = Cfg("https://h");
  ok.sse = "aws:kms";
  ok.storage_class = "ONEZONE_IA";
  EXPECT_TRUE(S3Client::Make(ok).ok());
}

// A KMS key id is accepted whatever the libcurl: requests carrying it are signed by the client
// itself (libcurl before 8.10.0 orders that header wrongly in the signature; s3_client.h).
TEST(S3ClientTest, KmsKeyIdIsAcceptedWhateverTheLibcurl) {
  S3StoreConfig cfg = Cfg("https://h");
  cfg.sse = "aws:kms";
  cfg.sse_kms_key_id = "alias/backups";
  auto client = S3Client::Make(cfg);
  EXPECT_TRUE(client.ok()) << client.status().ToString();
}

TEST(S3ClientTest, VirtualHostStyleUrls) {
  S3StoreConfig c = Cfg("");
  c.bucket = "my-backups";
  c.region = "eu-west-1";
  auto client = S3Client::Make(c);
  ASSERT_TRUE(client.ok());
  EXPECT_EQ((*client)->UrlFor("prod/orders/0/a b+c", {}),
            "https://my-backups.s3.eu-west-1.amazonaws.com/prod/orders/0/a%20b%2Bc");
  EXPECT_EQ((*client)->UrlFor("", {{"prefix", "p/"}, {"list-type", "2"}}),
            "https://my-backups.s3.eu-west-1.amazonaws.com/?list-type=2&prefix=p%2F");
  c.endpoint = "https://minio.internal:9000";
  auto custom = S3Client::Make(c);
  ASSERT_TRUE(custom.ok());
  EXPECT_EQ((*custom)->UrlFor("k", {{"uploads", ""}}),
            "https://my-backups.minio.internal:9000/k?uploads=");
}

TEST(S3ClientTest, PathStyleUrls) {
  S3StoreConfig c = Cfg("http://127.0.0.1:9000");
  c.path_style = true;
  auto client = S3Client::Make(c);
  ASSERT_TRUE(client.ok());
  EXPECT_EQ((*client)->UrlFor("t/0/k", {}), "http://127.0.0.1:9000/b/t/0/k");
  EXPECT_EQ((*client)->UrlFor("", {{"delete", ""}}), "http://127.0.0.1:9000/b?delete=");
  EXPECT_EQ((*client)->UrlFor("k", {{"uploadId", "x/y=z"}, {"partNumber", "2"}}),
            "http://127.0.0.1:9000/b/k?partNumber=2&uploadId=x%2Fy%3Dz");
}

TEST(S3ClientTest, IpOrLocalhostEndpointIsPathStyleWithoutBeingTold) {
  // path_style left at its default (false): bucket.127.0.0.1 is no host name, so path style.
  for (const char* endpoint :
       {"http://127.0.0.1:9000", "http://localhost:9000", "http://[::1]:9000"}) {
    auto client = S3Client::Make(Cfg(endpoint));
    ASSERT_TRUE(client.ok()) << endpoint;
    EXPECT_EQ((*client)->UrlFor("t/0/k", {}), std::string(endpoint) + "/b/t/0/k");
  }
  // A DNS name keeps the virtual-host style unless path_style is set.
  auto named = S3Client::Make(Cfg("http://minio.internal:9000"));
  ASSERT_TRUE(named.ok());
  EXPECT_EQ((*named)->UrlFor("k", {}), "http://b.minio.internal:9000/k");
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
