#include "config/config.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>

#include "testing/test_env.h"

namespace kb {
namespace {

EnvLookup FakeEnv(std::map<std::string, std::string> vars = {}) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

TEST(ConfigTest, EmptyConfigMeansLocalStoreDefaults) {
  auto cfg = ParseConfig("", "test.yaml", FakeEnv());
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  EXPECT_EQ(cfg->storage.type, StorageConfig::Type::kLocal);
  EXPECT_EQ(cfg->storage.local.path, kDefaultLocalStorePath);
  EXPECT_TRUE(cfg->kafka.properties.empty());
}

TEST(ConfigTest, KafkaPropertiesPassThroughUnchangedWithExpansion) {
  auto cfg = ParseConfig(R"(
kafka:
  bootstrap.servers: ${BROKERS}
  security.protocol: SASL_SSL
  sasl.mechanism: SCRAM-SHA-512
  sasl.username: backup
  sasl.password: "${PASS}"
  ssl.ca.location: /etc/ca.pem
  socket.keepalive.enable: true
  fetch.max.bytes: 52428800
)",
                         "t.yaml", FakeEnv({{"BROKERS", "b1:9093,b2:9093"}, {"PASS", "s3cr$t"}}));
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  const auto& p = cfg->kafka.properties;
  EXPECT_EQ(p.at("bootstrap.servers"), "b1:9093,b2:9093");
  EXPECT_EQ(p.at("security.protocol"), "SASL_SSL");
  EXPECT_EQ(p.at("sasl.password"), "s3cr$t");
  EXPECT_EQ(p.at("socket.keepalive.enable"), "true");
  EXPECT_EQ(p.at("fetch.max.bytes"), "52428800");
  EXPECT_EQ(p.size(), 8u);
}

TEST(ConfigTest, UnknownTopLevelKeyIsNamed) {
  auto cfg = ParseConfig("kafka: {}\nstorge: {}\n", "t.yaml", FakeEnv());
  ASSERT_FALSE(cfg.ok());
  EXPECT_TRUE(cfg.status().IsInvalidArgument());
  EXPECT_EQ(cfg.status().subject(), "storge");
  EXPECT_NE(cfg.status().message().find("unknown configuration key"), std::string::npos);
}

TEST(ConfigTest, UnknownNestedKeyIsNamedWithFullPath) {
  auto cfg = ParseConfig(R"(
storage:
  s3:
    bucket: b
    bukcet: typo
    access_key_id: a
    secret_access_key: s
)",
                         "t.yaml", FakeEnv());
  ASSERT_FALSE(cfg.ok());
  EXPECT_EQ(cfg.status().subject(), "storage.s3.bukcet");
}

TEST(ConfigTest, S3SettingsAndAwsEnvironmentFallbacks) {
  auto env = FakeEnv({{"AWS_ACCESS_KEY_ID", "AKIA1"},
                      {"AWS_SECRET_ACCESS_KEY", "sec"},
                      {"AWS_SESSION_TOKEN", "tok"},
                      {"AWS_REGION", "eu-west-1"},
                      {"AWS_ENDPOINT_URL", "http://127.0.0.1:9000"}});
  auto cfg =
      ParseConfig("storage:\n  prefix: prod\n  s3:\n    bucket: backups\n    path_style: true\n",
                  "t.yaml", env);
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  const S3StoreConfig& s3 = cfg->storage.s3;
  EXPECT_EQ(cfg->storage.type, StorageConfig::Type::kS3);
  EXPECT_EQ(cfg->storage.prefix, "prod");
  EXPECT_EQ(s3.bucket, "backups");
  EXPECT_TRUE(s3.path_style);
  EXPECT_EQ(s3.access_key_id, "AKIA1");
  EXPECT_EQ(s3.secret_access_key, "sec");
  EXPECT_EQ(s3.session_token, "tok");
  EXPECT_EQ(s3.region, "eu-west-1");
  EXPECT_EQ(s3.endpoint, "http://127.0.0.1:9000");
}

TEST(ConfigTest, ExplicitS3SettingsWinOverEnvironment) {
  auto env = FakeEnv({{"AWS_ACCESS_KEY_ID", "env"},
                      {"AWS_SECRET_ACCESS_KEY", "env"},
                      {"AWS_REGION", "eu-west-1"}});
  auto cfg = ParseConfig(R"(
storage:
  s3: {bucket: b, region: us-west-2, access_key_id: cfg, secret_access_key: cfgsecret}
)",
                         "t.yaml", env);
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  EXPECT_EQ(cfg->storage.s3.region, "us-west-2");
  EXPECT_EQ(cfg->storage.s3.access_key_id, "cfg");
  EXPECT_EQ(cfg->storage.s3.endpoint, "");
}

TEST(ConfigTest, S3RequiresBucketAndCredentials) {
  auto no_bucket =
      ParseConfig("storage: {s3: {access_key_id: a, secret_access_key: b}}", "t", FakeEnv());
  ASSERT_FALSE(no_bucket.ok());
  EXPECT_EQ(no_bucket.status().subject(), "storage.s3.bucket");
  auto no_creds = ParseConfig("storage: {s3: {bucket: b}}", "t", FakeEnv());
  ASSERT_FALSE(no_creds.ok());
  EXPECT_EQ(no_creds.status().subject(), "storage.s3.access_key_id");
  auto half = ParseConfig("storage: {s3: {bucket: b, access_key_id: a}}", "t", FakeEnv());
  ASSERT_FALSE(half.ok());
  EXPECT_EQ(half.status().subject(), "storage.s3.secret_access_key");
}

TEST(ConfigTest, LocalAndS3TogetherIsAnError) {
  auto cfg = ParseConfig(
      "storage: {local: {path: /x}, s3: {bucket: b, access_key_id: a, secret_access_key: s}}", "t",
      FakeEnv());
  ASSERT_FALSE(cfg.ok());
  EXPECT_NE(cfg.status().message().find("not both"), std::string::npos);
}

TEST(ConfigTest, WrongTypesAreErrors) {
  auto bad_bool = ParseConfig(
      "storage: {s3: {bucket: b, path_style: maybe, access_key_id: a, secret_access_key: s}}", "t",
      FakeEnv());
  ASSERT_FALSE(bad_bool.ok());
  EXPECT_EQ(bad_bool.status().subject(), "storage.s3.path_style");
  auto nested_kafka = ParseConfig("kafka:\n  bootstrap:\n    servers: x\n", "t", FakeEnv());
  ASSERT_FALSE(nested_kafka.ok());
  EXPECT_EQ(nested_kafka.status().subject(), "kafka.bootstrap");
  auto not_a_map = ParseConfig("storage: [1, 2]", "t", FakeEnv());
  ASSERT_FALSE(not_a_map.ok());
  EXPECT_EQ(not_a_map.status().subject(), "storage");
}

TEST(ConfigTest, InvalidYamlNamesTheSource) {
  auto cfg = ParseConfig("kafka: [unclosed", "my.yaml", FakeEnv());
  ASSERT_FALSE(cfg.ok());
  EXPECT_EQ(cfg.status().subject(), "my.yaml");
}

TEST(ConfigTest, UnsetEnvironmentVariableNamesKey) {
  auto cfg = ParseConfig("kafka:\n  sasl.password: ${NOPE}\n", "t", FakeEnv());
  ASSERT_FALSE(cfg.ok());
  EXPECT_EQ(cfg.status().subject(), "kafka.sasl.password");
}

TEST(ConfigTest, LoadConfigFileReadsAndReportsMissingFiles) {
  testing::TempDir dir;
  std::string path = dir.path() + "/c.yaml";
  std::ofstream(path) << "storage:\n  local:\n    path: /var/backups\n";
  auto cfg = LoadConfigFile(path, FakeEnv());
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  EXPECT_EQ(cfg->storage.local.path, "/var/backups");
  auto missing = LoadConfigFile(dir.path() + "/nope.yaml", FakeEnv());
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(missing.status().IsNotFound());
  EXPECT_EQ(missing.status().subject(), dir.path() + "/nope.yaml");
}

}  // namespace
}  // namespace kb
