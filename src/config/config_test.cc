#include "config/config.h"

#include <gtest/gtest.h>

#include <cctype>
#include <fstream>
#include <map>
#include <string>
#include <utility>
#include <vector>

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

TEST(ConfigTest, RestoreSectionWithDefaultsAndLimits) {
  auto defaults = ParseConfig("", "test.yaml", FakeEnv());
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->restore.parallelism, 0);  // chosen from the work
  EXPECT_EQ(defaults->restore.max_bytes_per_second, 0u);
  EXPECT_EQ(defaults->restore.checkpoint_interval, std::chrono::milliseconds(5000));
  auto cfg = ParseConfig(
      "restore:\n  parallelism: 8\n  max_bytes_per_second: 50MiB\n  checkpoint_interval: 2s\n",
      "test.yaml", FakeEnv());
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  EXPECT_EQ(cfg->restore.parallelism, 8);
  EXPECT_EQ(cfg->restore.max_bytes_per_second, 50ull << 20);
  EXPECT_EQ(cfg->restore.checkpoint_interval, std::chrono::milliseconds(2000));
  EXPECT_FALSE(cfg->restore.fail_if_target_not_empty);
  auto strict = ParseConfig("restore:\n  fail_if_target_not_empty: true\n", "t", FakeEnv());
  ASSERT_TRUE(strict.ok()) << strict.status().ToString();
  EXPECT_TRUE(strict->restore.fail_if_target_not_empty);
  auto bad = ParseConfig("restore:\n  paralelism: 8\n", "test.yaml", FakeEnv());
  EXPECT_TRUE(bad.status().IsInvalidArgument());
  EXPECT_NE(bad.status().ToString().find("restore.paralelism"), std::string::npos);
  EXPECT_TRUE(
      ParseConfig("restore:\n  parallelism: 0\n", "t", FakeEnv()).status().IsInvalidArgument());
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
    bucket: bkt
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
  // Credentials in the environment are the S3 client's chain (storage/s3/credentials.h), not
  // the file's keys.
  EXPECT_EQ(s3.access_key_id, "");
  EXPECT_EQ(s3.secret_access_key, "");
  EXPECT_EQ(s3.session_token, "");
  EXPECT_EQ(s3.profile, "");
  EXPECT_EQ(s3.region, "eu-west-1");
  EXPECT_EQ(s3.endpoint, "http://127.0.0.1:9000");
  EXPECT_EQ(s3.ca_bundle, "");  // the system trust store
}

TEST(ConfigTest, TheS3CaBundleComesFromTheKeyOrAwsCaBundle) {
  auto env = FakeEnv({{"AWS_ACCESS_KEY_ID", "AKIA1"},
                      {"AWS_SECRET_ACCESS_KEY", "sec"},
                      {"AWS_CA_BUNDLE", "/etc/env-ca.pem"}});
  auto from_env = ParseConfig("storage:\n  s3:\n    bucket: backups\n", "t.yaml", env);
  ASSERT_TRUE(from_env.ok()) << from_env.status().ToString();
  EXPECT_EQ(from_env->storage.s3.ca_bundle, "/etc/env-ca.pem");
  auto from_key = ParseConfig(
      "storage:\n  s3:\n    bucket: backups\n    ca_bundle: /etc/kb/ca.pem\n", "t.yaml", env);
  ASSERT_TRUE(from_key.ok()) << from_key.status().ToString();
  EXPECT_EQ(from_key->storage.s3.ca_bundle, "/etc/kb/ca.pem");
  auto empty =
      ParseConfig("storage:\n  s3:\n    bucket: backups\n    ca_bundle: \"\"\n", "t.yaml", env);
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.status().subject(), "storage.s3.ca_bundle");
}

TEST(ConfigTest, ExplicitS3SettingsWinOverEnvironment) {
  auto env = FakeEnv({{"AWS_ACCESS_KEY_ID", "env"},
                      {"AWS_SECRET_ACCESS_KEY", "env"},
                      {"AWS_REGION", "eu-west-1"}});
  auto cfg = ParseConfig(R"(
storage:
  s3: {bucket: bkt, region: us-west-2, access_key_id: cfg, secret_access_key: cfgsecret}
)",
                         "t.yaml", env);
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  EXPECT_EQ(cfg->storage.s3.region, "us-west-2");
  EXPECT_EQ(cfg->storage.s3.access_key_id, "cfg");
  EXPECT_EQ(cfg->storage.s3.endpoint, "");
}

TEST(ConfigTest, S3RequiresBucketAndCredentialKeysInPairs) {
  auto no_bucket =
      ParseConfig("storage: {s3: {access_key_id: a, secret_access_key: b}}", "t", FakeEnv());
  ASSERT_FALSE(no_bucket.ok());
  EXPECT_EQ(no_bucket.status().subject(), "storage.s3.bucket");
  // No keys in the file: the S3 client's chain finds credentials (or says where it looked).
  auto no_creds = ParseConfig("storage: {s3: {bucket: bkt}}", "t", FakeEnv());
  ASSERT_TRUE(no_creds.ok()) << no_creds.status().ToString();
  EXPECT_EQ(no_creds->storage.s3.region, "");  // the client takes the profile's, or us-east-1
  auto half = ParseConfig("storage: {s3: {bucket: bkt, access_key_id: a}}", "t", FakeEnv());
  ASSERT_FALSE(half.ok());
  EXPECT_EQ(half.status().subject(), "storage.s3.secret_access_key");
  auto token_only = ParseConfig("storage: {s3: {bucket: bkt, session_token: t}}", "t", FakeEnv());
  ASSERT_FALSE(token_only.ok());
  EXPECT_EQ(token_only.status().subject(), "storage.s3.session_token");
  auto all = ParseConfig(
      "storage: {s3: {bucket: bkt, access_key_id: a, secret_access_key: s, session_token: t}}", "t",
      FakeEnv());
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_EQ(all->storage.s3.session_token, "t");
}

TEST(ConfigTest, S3Profile) {
  auto cfg = ParseConfig("storage: {s3: {bucket: bkt, profile: prod}}", "t",
                         FakeEnv({{"AWS_PROFILE", "other"}}));
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  EXPECT_EQ(cfg->storage.s3.profile, "prod");
  for (const char* bad : {"\"\"", "[a]", "\"a\\tb\""}) {
    auto r = ParseConfig(std::string("storage: {s3: {bucket: bkt, profile: ") + bad + "}}", "t",
                         FakeEnv());
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().subject(), "storage.s3.profile") << bad;
  }
}

TEST(ConfigTest, LocalAndS3TogetherIsAnError) {
  auto cfg = ParseConfig(
      "storage: {local: {path: /x}, s3: {bucket: bkt, access_key_id: a, secret_access_key: s}}",
      "t", FakeEnv());
  ASSERT_FALSE(cfg.ok());
  EXPECT_NE(cfg.status().message().find("not both"), std::string::npos);
}

TEST(ConfigTest, WrongTypesAreErrors) {
  auto bad_bool = ParseConfig(
      "storage: {s3: {bucket: bkt, path_style: maybe, access_key_id: a, secret_access_key: s}}",
      "t", FakeEnv());
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

namespace kb {
namespace {

TEST(ConfigBackupTest, DefaultsAndFullSection) {
  auto defaults = ParseConfig("", "t", FakeEnv());
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->backup.group_id, "kafka-backup");
  EXPECT_TRUE(defaults->backup.topics.empty());
  EXPECT_TRUE(defaults->metrics.listen.empty());

  auto cfg = ParseConfig(R"(
backup:
  group_id: backup-prod
  topics: [orders, "^payments\\..*"]
  exclude: ^.*-tmp$
  include_internal: true
  segment:
    max_bytes: 16MiB
    max_records: 5000
    max_age: 30s
    zstd_level: 0
    block_bytes: 64KiB
  buffer_memory: 1GiB
  upload_concurrency: 8
  compression_threads: 3
  offsets_interval: 10s
  metadata_interval: 5s
  shutdown_timeout: 2m
metrics:
  listen: 0.0.0.0:9308
)",
                         "t", FakeEnv());
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  const BackupConfig& b = cfg->backup;
  EXPECT_EQ(b.group_id, "backup-prod");
  EXPECT_EQ(b.topics, (std::vector<std::string>{"orders", "^payments\\..*"}));
  EXPECT_EQ(b.exclude, (std::vector<std::string>{"^.*-tmp$"}));
  EXPECT_TRUE(b.include_internal);
  EXPECT_EQ(b.segment_max_bytes, 16u << 20);
  EXPECT_EQ(b.segment_max_records, 5000u);
  EXPECT_EQ(b.segment_max_age, std::chrono::milliseconds(30'000));
  EXPECT_EQ(b.zstd_level, 0);
  EXPECT_EQ(b.block_bytes, 64u << 10);
  EXPECT_EQ(b.buffer_memory, 1ull << 30);
  EXPECT_EQ(b.upload_concurrency, 8);
  EXPECT_EQ(b.compression_threads, 3);
  EXPECT_EQ(b.offsets_interval, std::chrono::milliseconds(10'000));
  EXPECT_EQ(b.metadata_interval, std::chrono::milliseconds(5'000));
  EXPECT_EQ(b.shutdown_timeout, std::chrono::milliseconds(120'000));
  EXPECT_EQ(cfg->metrics.listen, "0.0.0.0:9308");
}

TEST(ConfigBackupTest, ErrorsNameTheKey) {
  struct Case {
    const char* yaml;
    const char* subject;
  } cases[] = {
      {"backup: {topics: [\"^orders(\"]}", "backup.topics[0]"},
      {"backup: {exclude: [ok, \"\"]}", "backup.exclude[1]"},
      {"backup: {segment: {max_bytes: 12 parsecs}}", "backup.segment.max_bytes"},
      {"backup: {segment: {max_bytes: 10}}", "backup.segment.max_bytes"},
      {"backup: {segment: {max_age: 30}}", "backup.segment.max_age"},
      {"backup: {segment: {zstd_level: 22}}", "backup.segment.zstd_level"},
      {"backup: {segment: {zstd_level: -8}}", "backup.segment.zstd_level"},
      {"backup: {segment: {codec: gzip}}", "backup.segment.codec"},
      {"backup: {segment: {codec: lz4, zstd_level: 1}}", "backup.segment.zstd_level"},
      {"backup: {segment: {zstd_level: 0, codec: none}}", "backup.segment.zstd_level"},
      {"backup: {segment: {max_recrods: 1}}", "backup.segment.max_recrods"},
      {"backup: {upload_concurrency: 0}", "backup.upload_concurrency"},
      {"backup: {compression_threads: 65}", "backup.compression_threads"},
      {"backup: {compression_threads: -1}", "backup.compression_threads"},
      {"backup: {topics: {a: b}}", "backup.topics"},
      {"backup: {group_id: \"\"}", "backup.group_id"},
      {"backup: {instance_id: \"a b\"}", "backup.instance_id"},
      {"backup: {instance_id: \"../x\"}", "backup.instance_id"},
      {"metrics: {listen: nonsense}", "metrics.listen"},
      {"metrics: {port: 1}", "metrics.port"},
  };
  for (const Case& c : cases) {
    auto cfg = ParseConfig(c.yaml, "t", FakeEnv());
    ASSERT_FALSE(cfg.ok()) << c.yaml;
    EXPECT_EQ(cfg.status().subject(), c.subject) << c.yaml << " -> " << cfg.status().ToString();
  }
}

TEST(ConfigBackupTest, SegmentCodecAndZstdLevels) {
  auto defaults = ParseConfig("", "t", FakeEnv());
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->backup.codec, BackupConfig::Codec::kZstd);
  EXPECT_EQ(defaults->backup.zstd_level, 3);
  struct Case {
    const char* yaml;
    BackupConfig::Codec codec;
    int level;
  } cases[] = {
      {"backup: {segment: {codec: lz4}}", BackupConfig::Codec::kLz4, 3},
      {"backup: {segment: {codec: none}}", BackupConfig::Codec::kNone, 3},
      {"backup: {segment: {codec: zstd}}", BackupConfig::Codec::kZstd, 3},
      {"backup: {segment: {codec: zstd, zstd_level: -7}}", BackupConfig::Codec::kZstd, -7},
      {"backup: {segment: {zstd_level: -1}}", BackupConfig::Codec::kZstd, -1},
      {"backup: {segment: {zstd_level: 19}}", BackupConfig::Codec::kZstd, 19},
      {"backup: {segment: {zstd_level: 0}}", BackupConfig::Codec::kZstd, 0},  // none, as before
  };
  for (const Case& c : cases) {
    auto cfg = ParseConfig(c.yaml, "t", FakeEnv());
    ASSERT_TRUE(cfg.ok()) << c.yaml << ": " << cfg.status().ToString();
    EXPECT_EQ(cfg->backup.codec, c.codec) << c.yaml;
    EXPECT_EQ(cfg->backup.zstd_level, c.level) << c.yaml;
  }
  // A zstd level with another codec would be ignored: it is refused, naming both keys.
  auto both = ParseConfig("backup: {segment: {zstd_level: 5, codec: lz4}}", "t", FakeEnv());
  ASSERT_FALSE(both.ok());
  EXPECT_TRUE(both.status().IsInvalidArgument());
  EXPECT_EQ(both.status().subject(), "backup.segment.zstd_level");
  EXPECT_NE(both.status().message().find("backup.segment.codec is lz4"), std::string::npos)
      << both.status().ToString();
}

TEST(ConfigBackupTest, InstanceIdDefaultsToOneFromTheHostNameAndEmptyTurnsItOff) {
  auto defaults = ParseConfig("", "t", FakeEnv());
  ASSERT_TRUE(defaults.ok());
  EXPECT_FALSE(defaults->backup.instance_id.has_value());
  const std::string derived = EffectiveInstanceId(defaults->backup);
  EXPECT_EQ(derived, DefaultInstanceId());
  ASSERT_TRUE(derived.starts_with("kafka-backup-")) << derived;
  EXPECT_GT(derived.size(), std::string("kafka-backup-").size());
  for (char c : derived) {
    EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-')
        << derived;
  }
  auto set = ParseConfig("backup: {instance_id: backup-0.eu_1}", "t", FakeEnv());
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  EXPECT_EQ(EffectiveInstanceId(set->backup), "backup-0.eu_1");
  auto off = ParseConfig("backup: {instance_id: \"\"}", "t", FakeEnv());
  ASSERT_TRUE(off.ok()) << off.status().ToString();
  EXPECT_EQ(EffectiveInstanceId(off->backup), "");
  auto long_id =
      ParseConfig("backup: {instance_id: " + std::string(250, 'x') + "}", "t", FakeEnv());
  ASSERT_FALSE(long_id.ok());
  EXPECT_EQ(long_id.status().subject(), "backup.instance_id");
}

TEST(ConfigTest, StoreRetryTimeoutAndUnhealthyAfter) {
  auto defaults = ParseConfig("", "t", FakeEnv());
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->storage.retry_timeout, std::chrono::minutes(5));
  EXPECT_EQ(defaults->backup.store_unhealthy_after, std::chrono::minutes(2));
  auto set = ParseConfig("storage: {retry_timeout: 30m}\nbackup: {store_unhealthy_after: 45s}", "t",
                         FakeEnv());
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  EXPECT_EQ(set->storage.retry_timeout, std::chrono::minutes(30));
  EXPECT_EQ(set->backup.store_unhealthy_after, std::chrono::seconds(45));
  for (const char* bad : {"storage: {retry_timeout: 10ms}", "storage: {retry_timeout: soon}"}) {
    auto cfg = ParseConfig(bad, "t", FakeEnv());
    ASSERT_FALSE(cfg.ok()) << bad;
    EXPECT_EQ(cfg.status().subject(), "storage.retry_timeout") << cfg.status().ToString();
  }
}

// Found by config_fuzz: a key that is not a scalar made YAML::Node::as<std::string> throw
// YAML::TypedBadConversion out of ParseConfig (through Finish or the kafka: section).
TEST(ConfigTest, KeysThatAreNotNamesAreErrorsNotExceptions) {
  for (auto [yaml, subject] : std::vector<std::pair<std::string, std::string>>{
           {"storage: {&a {local: 1}: {path: /x}}", "storage"},
           {"[a, b]: 1", "<top level>"},
           {"~: 1", "<top level>"},
           {"'': 1", "<top level>"},
           {"kafka:\n  !tag : x", "kafka"},
           {"kafka:\n  ? [bootstrap, servers]\n  : localhost:9092", "kafka"},
           {"backup:\n  topics: [t]\n  segment: {? {a: 1} : 2}", "backup.segment"}}) {
    Result<Config> cfg = ParseConfig(yaml, "test.yaml", FakeEnv());
    ASSERT_FALSE(cfg.ok()) << yaml;
    EXPECT_TRUE(cfg.status().IsInvalidArgument()) << cfg.status().ToString();
    EXPECT_EQ(cfg.status().subject(), subject) << cfg.status().ToString();
  }
}

TEST(ConfigTest, DuplicateKeysThatAreNotPlainNamesNameTheMapping) {
  // Found by config_fuzz: two keys that are not plain names gave "is given twice" naming nothing.
  for (const char* yaml : {"'': 1\n'': 2\n", "storage:\n  ~: 1\n  ~: 2\n"}) {
    auto cfg = ParseConfig(yaml, "t", FakeEnv());
    ASSERT_FALSE(cfg.ok()) << yaml;
    EXPECT_FALSE(cfg.status().subject().empty()) << cfg.status().ToString();
    EXPECT_NE(cfg.status().message().find("not a plain name"), std::string::npos)
        << cfg.status().ToString();
  }
}

}  // namespace
}  // namespace kb
