#include "config/store_url.h"

#include <gtest/gtest.h>

#include <map>

namespace kb {
namespace {

EnvLookup FakeEnv(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
}

Result<StorageConfig> Parse(std::string_view url, const StorageConfig& base = {},
                            std::map<std::string, std::string> env = {}) {
  return ParseStoreUrl(url, "--store", base, FakeEnv(std::move(env)));
}

TEST(StoreUrlTest, FileUrlIsALocalDirectory) {
  auto s = Parse("file:///var/backups/kafka");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->type, StorageConfig::Type::kLocal);
  EXPECT_EQ(s->local.path, "/var/backups/kafka");
  EXPECT_EQ(s->prefix, "");
  s = Parse("file://localhost/var/my%20backups?prefix=kb");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->local.path, "/var/my backups");
  EXPECT_EQ(s->prefix, "kb");
}

TEST(StoreUrlTest, S3UrlSetsBucketPrefixAndParameters) {
  auto s = Parse(
      "s3://my-bucket/backups/prod/?region=eu-west-1&endpoint=http%3A%2F%2F127.0.0.1%3A9000"
      "&path_style=true&profile=ops");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->type, StorageConfig::Type::kS3);
  EXPECT_EQ(s->s3.bucket, "my-bucket");
  EXPECT_EQ(s->prefix, "backups/prod");
  EXPECT_EQ(s->s3.region, "eu-west-1");
  EXPECT_EQ(s->s3.endpoint, "http://127.0.0.1:9000");
  EXPECT_TRUE(s->s3.path_style);
  EXPECT_EQ(s->s3.profile, "ops");
  // Defaults from the environment as for the config file's section.
  s = Parse("s3://b1b", {}, {{"AWS_REGION", "us-west-2"}, {"AWS_ENDPOINT_URL", "http://h:1"}});
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->prefix, "");
  EXPECT_EQ(s->s3.region, "us-west-2");
  EXPECT_EQ(s->s3.endpoint, "http://h:1");
}

TEST(StoreUrlTest, GsUrlIsAGcsBucket) {
  auto s = Parse("gs://my-bucket/kafka/prod?endpoint=http%3A%2F%2F127.0.0.1%3A4443&auth=none");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->type, StorageConfig::Type::kGcs);
  EXPECT_EQ(s->gcs.bucket, "my-bucket");
  EXPECT_EQ(s->prefix, "kafka/prod");
  EXPECT_EQ(s->gcs.endpoint, "http://127.0.0.1:4443");
  EXPECT_EQ(s->gcs.auth, GcsStoreConfig::Auth::kNone);
  auto bad = Parse("gs://my-bucket/p?auth=password");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().ToString().find("--store.gcs.auth"), std::string::npos)
      << bad.status().ToString();
}

TEST(StoreUrlTest, AzUrlIsAnAzureContainer) {
  auto s = Parse(
      "az://myaccount/backups/kafka/"
      "prod?endpoint=http%3A%2F%2F127.0.0.1%3A10000%2Fdevstoreaccount1");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->type, StorageConfig::Type::kAzure);
  EXPECT_EQ(s->azure.account, "myaccount");
  EXPECT_EQ(s->azure.container, "backups");
  EXPECT_EQ(s->prefix, "kafka/prod");
  EXPECT_EQ(s->azure.endpoint, "http://127.0.0.1:10000/devstoreaccount1");
  auto bad = Parse("az://myaccount");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().ToString().find("account and a container"), std::string::npos);
  bad = Parse("az://myaccount/c?key=secret");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().ToString().find("unknown parameter 'key'"), std::string::npos);
}

TEST(StoreUrlTest, KeepsTheConfigFilesEncryptionAndRetryTimeout) {
  StorageConfig base;
  base.encryption.enabled = true;
  base.retry_timeout = std::chrono::milliseconds(1234);
  base.prefix = "from-the-file";
  auto s = Parse("s3://bucket/p", base);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_TRUE(s->encryption.enabled);
  EXPECT_EQ(s->retry_timeout, std::chrono::milliseconds(1234));
  EXPECT_EQ(s->prefix, "p");
}

TEST(StoreUrlTest, BadUrlsNameThePartAtFault) {
  struct Case {
    const char* url;
    const char* says;
  };
  for (const Case& c :
       {Case{"/var/backups", "not a store URL"},
        Case{"ftp://host/x", "unknown store URL scheme 'ftp://'"},
        Case{"s3:///prefix", "needs a bucket"},
        Case{"s3://bucket/p?regoin=x", "unknown parameter 'regoin'"},
        Case{"s3://bucket/p?region", "has no value"},
        Case{"s3://bucket/p?region=a&region=b", "given twice"},
        Case{"s3://bucket/p?region=%zz", "percent-encoding"},
        Case{"s3://bucket/p?path_style=maybe", "--store.s3.path_style"},
        Case{"s3://x/p", "--store.s3.bucket"}, Case{"file://otherhost/x", "host 'otherhost'"},
        Case{"file:///", "needs a directory"},
        Case{"file:///x?region=a", "unknown parameter 'region' for file://"},
        Case{"s3://bucket/p#frag", "fragment"}}) {
    auto s = Parse(c.url);
    ASSERT_FALSE(s.ok()) << c.url;
    EXPECT_TRUE(s.status().IsInvalidArgument()) << c.url;
    EXPECT_NE(s.status().ToString().find(c.says), std::string::npos)
        << c.url << ": " << s.status().ToString();
    EXPECT_NE(s.status().ToString().find("--store"), std::string::npos) << s.status().ToString();
  }
}

TEST(StoreUrlTest, CredentialsInTheUrlAreRefusedWithoutRepeatingThem) {
  auto s = Parse("s3://AKIDEXAMPLE:hunter2secret@bucket/p");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().ToString().find("hunter2secret"), std::string::npos)
      << s.status().ToString();
  EXPECT_NE(s.status().ToString().find("no credentials"), std::string::npos);
}

TEST(StoreUrlTest, StoreUrlOfRoundTrips) {
  for (const char* url : {"file:///var/b", "s3://bucket/some/prefix",
                          "gs://bucket/p?endpoint=http://h:1", "az://acct/cont/p"}) {
    auto s = Parse(url);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    EXPECT_EQ(StoreUrlOf(*s), url);
  }
}

}  // namespace
}  // namespace kb
