// storage.gcs: parsed values, defaults from the environment, and errors naming the key at fault.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "config/config.h"

namespace kb {
namespace {

EnvLookup Env(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

Result<Config> Parse(const std::string& body, std::map<std::string, std::string> env = {}) {
  return ParseConfig("storage:\n  gcs:\n" + body, "t.yaml", Env(std::move(env)));
}

TEST(GcsConfigTest, DefaultsWithoutEnvironmentAreGoogleAndTheMetadataServer) {
  auto cfg = Parse("    bucket: my-bucket\n");
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  EXPECT_EQ(cfg->storage.type, StorageConfig::Type::kGcs);
  const GcsStoreConfig& g = cfg->storage.gcs;
  EXPECT_EQ(g.bucket, "my-bucket");
  EXPECT_EQ(g.endpoint, "https://storage.googleapis.com");
  EXPECT_EQ(g.auth, GcsStoreConfig::Auth::kMetadata);
  EXPECT_EQ(g.credentials_file, "");
  EXPECT_EQ(g.metadata_host, "metadata.google.internal");
}

TEST(GcsConfigTest, ApplicationDefaultCredentialsPickTheServiceAccountFile) {
  auto cfg = Parse("    bucket: b-1\n", {{"GOOGLE_APPLICATION_CREDENTIALS", "/etc/sa.json"},
                                         {"GCE_METADATA_HOST", "127.0.0.1:9"}});
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  EXPECT_EQ(cfg->storage.gcs.auth, GcsStoreConfig::Auth::kServiceAccount);
  EXPECT_EQ(cfg->storage.gcs.credentials_file, "/etc/sa.json");
  EXPECT_EQ(cfg->storage.gcs.metadata_host, "127.0.0.1:9");
}

TEST(GcsConfigTest, TheEmulatorHostMeansAnonymousAccessToIt) {
  auto cfg = Parse("    bucket: b-1\n", {{"STORAGE_EMULATOR_HOST", "127.0.0.1:4443"},
                                         {"GOOGLE_APPLICATION_CREDENTIALS", "/etc/sa.json"}});
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  EXPECT_EQ(cfg->storage.gcs.endpoint, "http://127.0.0.1:4443");
  EXPECT_EQ(cfg->storage.gcs.auth, GcsStoreConfig::Auth::kNone);
}

TEST(GcsConfigTest, ExplicitKeysWin) {
  auto cfg = Parse(
      "    bucket: b-1\n    endpoint: http://127.0.0.1:1234/\n    auth: service_account\n"
      "    credentials_file: /k.json\n    ca_bundle: /ca.pem\n",
      {{"STORAGE_EMULATOR_HOST", "127.0.0.1:4443"}});
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  const GcsStoreConfig& g = cfg->storage.gcs;
  EXPECT_EQ(g.endpoint, "http://127.0.0.1:1234");
  EXPECT_EQ(g.auth, GcsStoreConfig::Auth::kServiceAccount);
  EXPECT_EQ(g.credentials_file, "/k.json");
  EXPECT_EQ(g.ca_bundle, "/ca.pem");
  EXPECT_EQ(GcsAuthName(g.auth), "service_account");
}

void ExpectError(const Result<Config>& cfg, const std::string& subject, const std::string& text) {
  ASSERT_FALSE(cfg.ok()) << "expected an error about " << subject;
  EXPECT_TRUE(cfg.status().IsInvalidArgument()) << cfg.status().ToString();
  EXPECT_EQ(cfg.status().subject(), subject) << cfg.status().ToString();
  EXPECT_NE(cfg.status().message().find(text), std::string::npos) << cfg.status().ToString();
}

TEST(GcsConfigTest, ErrorsNameTheKey) {
  ExpectError(Parse("    endpoint: http://x\n"), "storage.gcs.bucket", "required");
  ExpectError(Parse("    bucket: Upper\n"), "storage.gcs.bucket", "lower-case");
  ExpectError(Parse("    bucket: ab\n"), "storage.gcs.bucket", "3 to 222");
  ExpectError(Parse("    bucket: b-1\n    endpoint: ftp://x\n"), "storage.gcs.endpoint", "scheme");
  ExpectError(Parse("    bucket: b-1\n    endpoint: http://x/path\n"), "storage.gcs.endpoint",
              "no path");
  ExpectError(Parse("    bucket: b-1\n    auth: oauth\n"), "storage.gcs.auth",
              "service_account, metadata, none");
  ExpectError(Parse("    bucket: b-1\n    auth: service_account\n"), "storage.gcs.credentials_file",
              "required");
  ExpectError(Parse("    bucket: b-1\n    auth: none\n    credentials_file: /k.json\n"),
              "storage.gcs.credentials_file", "auth is 'none'");
  ExpectError(Parse("    bucket: b-1\n    ca_bundle: ''\n"), "storage.gcs.ca_bundle", "empty");
  ExpectError(Parse("    bucket: b-1\n    bukcet: x\n"), "storage.gcs.bukcet", "");
}

TEST(GcsConfigTest, OnlyOneStorageSection) {
  auto cfg =
      ParseConfig("storage:\n  s3:\n    bucket: bkt\n  gcs:\n    bucket: b-1\n", "t.yaml", Env({}));
  ExpectError(cfg, "storage.gcs", "only one of");
  cfg =
      ParseConfig("storage:\n  local:\n    path: /x\n  gcs:\n    bucket: b-1\n", "t.yaml", Env({}));
  ExpectError(cfg, "storage.gcs", "only one of");
}

}  // namespace
}  // namespace kb
