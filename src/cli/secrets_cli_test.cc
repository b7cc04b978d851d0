// Secrets never leave the process (docs/security.md, "Secrets"): every command of the kafka-backup
// binary runs at its most verbose (--log-level trace, librdkafka debug=all, which prints the
// client configuration) with recognisable secrets — sasl.password, ssl.key.password, ssl.key.pem,
// the S3 secret key, an S3 session token — each coming from a ${VAR} of the environment; all
// output (logs, errors, dry runs, reports), /metrics and every object written to the store are
// searched for each of them. Runs against the secured broker (KB_TEST_SECURED_*) and the S3
// server (KB_TEST_S3_*) of scripts/test.sh.
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "backup/backup_test_util.h"
#include "cli/cli_test_util.h"
#include "kafka/admin.h"
#include "metrics/metrics_test_util.h"
#include "restore/restore_test_util.h"
#include "storage/factory/open_store.h"
#include "testing/test_env.h"

namespace kb::cli {
namespace {

using namespace std::chrono_literals;
using cli::testing::ReadFile;
using kb::testing::RequireEnv;

std::string Secured(const std::string& name) {
  return RequireEnv(("KB_TEST_SECURED_" + name).c_str());
}

// A secret and the name it is reported under when found.
struct Secret {
  std::string name;
  std::string value;
};

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (const std::string& s : v) out += (out.empty() ? "" : "; ") + s;
  return out;
}

// The lines of a PEM body (base64, 64 characters each): any of them in the output would be a piece
// of the key.
std::vector<Secret> PemSecrets(const std::string& pem) {
  std::vector<Secret> out;
  std::istringstream lines(pem);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.size() >= 40 && line.find("-----") == std::string::npos) {
      out.push_back({"a line of ssl.key.pem", line});
    }
  }
  return out;
}

class SecretsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    bootstrap_ = Secured("PLAIN_BOOTSTRAP");
    if (HasFailure()) return;
    auto admin = kafka::Admin::Make({{"bootstrap.servers", bootstrap_}});
    ASSERT_TRUE(admin.ok()) << admin.status().ToString();
    admin_ = std::move(*admin);
    topic_ = kb::testing::UniqueName("secrets");
    ASSERT_TRUE(admin_->CreateTopic({topic_, 2, 1, {}}, 30s).ok());
    Produce(0, 200);
    // An application group with committed offsets: the backup stores its snapshot and the restore
    // moves it.
    group_ = topic_ + "-app";
    // A fresh broker may still be loading its group coordinator.
    Status committed;
    for (auto deadline = std::chrono::steady_clock::now() + 60s;
         std::chrono::steady_clock::now() < deadline;) {
      committed =
          admin_->AlterConsumerGroupOffsets(group_, {{{topic_, 0}, 60}, {{topic_, 1}, 40}}, 30s);
      if (committed.ok()) break;
      std::this_thread::sleep_for(500ms);
    }
    ASSERT_TRUE(committed.ok()) << committed.ToString();
  }

  void Produce(int from, int count) {
    backup::testutil::RawProducer producer(bootstrap_);
    for (int i = from; i < from + count; ++i) {
      format::Record r;
      r.value = "v" + std::to_string(i);
      producer.Send(topic_, i % 2, r);
    }
    producer.Flush();
  }

  // Runs the binary at trace level with `config`; records any secret in its output.
  cli::testing::Ran Run(const std::string& config, std::vector<std::string> args,
                        const std::string& what) {
    args.insert(args.begin(), {"--log-level", "trace", "--config", config});
    cli::testing::Ran ran =
        cli::testing::Run(KB_BINARY, args, dir_.path() + "/run.log", std::chrono::minutes(5));
    outputs_ += ran.output.size();
    // librdkafka prints its configuration (secrets "[redacted]") when debug includes "conf".
    if (ran.output.find("Client configuration:") != std::string::npos) saw_config_dump_ = true;
    Search(ran.output, what);
    return ran;
  }

  // Records, as "name in what", each secret that occurs in `text`.
  void Search(const std::string& text, const std::string& what) {
    for (const Secret& secret : secrets_) {
      if (!secret.value.empty() && text.find(secret.value) != std::string::npos) {
        leaks_.push_back(secret.name + " in " + what);
      }
    }
  }

  void SetSecret(const std::string& var, const std::string& name, const std::string& value) {
    ASSERT_EQ(setenv(var.c_str(), value.c_str(), 1), 0);
    secrets_.push_back({name, value});
  }

  // Every object of the store under `storage`, searched for the secrets.
  void CheckStore(const StorageConfig& storage) {
    auto store = storage::OpenStore(storage);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    size_t objects = 0;
    std::string token;
    do {
      auto page = (*store)->List(storage.prefix, token, 1000);
      ASSERT_TRUE(page.ok()) << page.status().ToString();
      for (const storage::ObjectInfo& object : page->objects) {
        auto data = (*store)->Get(object.key);
        ASSERT_TRUE(data.ok()) << data.status().ToString();
        Search(object.key + *data, object.key);
        ++objects;
      }
      token = page->next_token;
    } while (!token.empty());
    EXPECT_GT(objects, 5u) << "the store holds too little to show anything";
  }

  kb::testing::TempDir dir_;
  std::string bootstrap_;
  std::unique_ptr<kafka::Admin> admin_;
  std::string topic_;
  std::string group_;
  std::vector<Secret> secrets_;
  std::vector<std::string> leaks_;
  size_t outputs_ = 0;
  bool saw_config_dump_ = false;
};

// SASL_SSL (SCRAM-SHA-512) to Kafka, the S3 server for the store: backup (--once and the daemon
// with /metrics), status, ls, verify, prune, restore (dry run and real), offsets export.
TEST_F(SecretsTest, NoCommandPrintsStoresOrExportsTheSaslPasswordOrTheS3Secret) {
  const std::string prefix = kb::testing::UniqueName("secrets");
  SetSecret("KB_T_SASL_PASSWORD", "sasl.password", Secured("SCRAM_PASSWORD"));
  SetSecret("KB_T_S3_SECRET", "the S3 secret key", RequireEnv("KB_TEST_S3_SECRET_KEY"));
  ASSERT_FALSE(HasFailure());
  const std::string address = "127.0.0.1:" + std::to_string(cli::testing::FreePort());
  const std::string config = dir_.path() + "/kb.yaml";
  std::ofstream(config) << "kafka:\n  bootstrap.servers: " << Secured("SASL_SSL_BOOTSTRAP")
                        << "\n  security.protocol: SASL_SSL\n  sasl.mechanism: SCRAM-SHA-512\n"
                        << "  sasl.username: " << Secured("SCRAM_USER")
                        << "\n  sasl.password: ${KB_T_SASL_PASSWORD}\n"
                        << "  ssl.ca.location: " << Secured("CA") << "\n  debug: all\n"
                        << "storage:\n  prefix: " << prefix << "\n  s3:\n"
                        << "    endpoint: " << RequireEnv("KB_TEST_S3_ENDPOINT")
                        << "\n    bucket: " << RequireEnv("KB_TEST_S3_BUCKET")
                        << "\n    region: " << RequireEnv("KB_TEST_S3_REGION")
                        << "\n    path_style: true\n"
                        << "    access_key_id: " << RequireEnv("KB_TEST_S3_ACCESS_KEY")
                        << "\n    secret_access_key: ${KB_T_S3_SECRET}\n"
                        << "backup:\n  group_id: " << topic_ << "-backup\n  topics: [" << topic_
                        << "]\n  segment:\n    max_age: 300ms\n  metadata_interval: 1s\n"
                        << "metrics:\n  listen: " << address << "\n";

  ASSERT_EQ(Run(config, {"backup", "--once"}, "backup --once").code, 0);

  // The daemon, with /metrics scraped while it runs.
  const std::string log = dir_.path() + "/daemon.log";
  cli::testing::Reaper daemon{cli::testing::SpawnLogged(
      {KB_BINARY, "--log-level", "trace", "--config", config, "backup"}, log)};
  ASSERT_GT(daemon.pid, 0);
  Produce(200, 50);
  std::string metrics;
  for (auto deadline = std::chrono::steady_clock::now() + 60s;
       std::chrono::steady_clock::now() < deadline;) {
    auto m = metrics::testing::HttpRequest(address, "/metrics");
    if (m.status == 200 && m.body.find("kafka_backup_records_total") != std::string::npos) {
      metrics = m.body;
      break;
    }
    std::this_thread::sleep_for(300ms);
  }
  EXPECT_FALSE(metrics.empty()) << "no /metrics from the daemon: " << ReadFile(log);
  Search(metrics, "/metrics");
  std::this_thread::sleep_for(2s);
  ASSERT_EQ(kill(daemon.pid, SIGTERM), 0);
  EXPECT_EQ(cli::testing::WaitFor(daemon.pid, 60s), 0) << ReadFile(log);
  daemon.pid = 0;
  const std::string daemon_log = ReadFile(log);
  outputs_ += daemon_log.size();
  Search(daemon_log, "the daemon's log");

  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"status"}, {"ls"}, {"verify"}, {"prune"}, {"prune", "--output", "json"}}) {
    EXPECT_EQ(Run(config, args, args[0]).code, 0) << args[0];
  }
  const std::string target = topic_ + "-r";
  const std::vector<std::string> restore = {"restore", "--topic", topic_, "--rename",
                                            topic_ + "=" + target};
  std::vector<std::string> dry = restore;
  dry.push_back("--dry-run");
  EXPECT_EQ(Run(config, dry, "restore --dry-run").code, 0);
  EXPECT_EQ(Run(config, restore, "restore").code, 0);
  EXPECT_EQ(restore::testutil::EndOffsetSum(bootstrap_, target, 2), 250);
  EXPECT_EQ(Run(config, {"offsets", "export", "--topic", topic_}, "offsets export").code, 0);

  // Failures print no secret either: a session token the server refuses (versitygw knows no
  // temporary credentials: 400 InvalidToken), and a wrong S3 secret.
  SetSecret("KB_T_S3_TOKEN", "the S3 session token", "kbtoken-" + kb::testing::UniqueName("t"));
  const std::string with_token = dir_.path() + "/token.yaml";
  {
    std::string text = ReadFile(config);
    text.replace(text.find("    secret_access_key:"), 0, "    session_token: ${KB_T_S3_TOKEN}\n");
    std::ofstream(with_token) << text;
  }
  cli::testing::Ran ran = Run(with_token, {"backup", "--once"}, "a refused session token");
  EXPECT_NE(ran.code, 0) << ran.output;
  SetSecret("KB_T_WRONG_S3_SECRET", "a wrong S3 secret key", "kbwrong-" + prefix);
  const std::string wrong_secret = dir_.path() + "/wrong.yaml";
  {
    std::string text = ReadFile(config);
    const size_t at = text.find("${KB_T_S3_SECRET}");
    text.replace(at, std::string("${KB_T_S3_SECRET}").size(), "${KB_T_WRONG_S3_SECRET}");
    std::ofstream(wrong_secret) << text;
  }
  ran = Run(wrong_secret, {"status"}, "a wrong S3 secret");
  EXPECT_NE(ran.code, 0) << ran.output;
  EXPECT_NE(ran.output.find("S3 access key"), std::string::npos) << ran.output;

  StorageConfig storage;
  storage.type = StorageConfig::Type::kS3;
  storage.prefix = prefix;
  storage.s3.endpoint = RequireEnv("KB_TEST_S3_ENDPOINT");
  storage.s3.bucket = RequireEnv("KB_TEST_S3_BUCKET");
  storage.s3.region = RequireEnv("KB_TEST_S3_REGION");
  storage.s3.path_style = true;
  storage.s3.access_key_id = RequireEnv("KB_TEST_S3_ACCESS_KEY");
  storage.s3.secret_access_key = RequireEnv("KB_TEST_S3_SECRET_KEY");
  CheckStore(storage);
  EXPECT_GT(outputs_, 100'000u) << "trace output expected: is --log-level trace honoured?";
  EXPECT_TRUE(saw_config_dump_) << "librdkafka's configuration dump (debug=all) was not logged";
  EXPECT_TRUE(leaks_.empty()) << Join(leaks_);
}

// Mutual TLS with the client key inline (ssl.key.pem, encrypted) and its password: the same
// commands against a local store, and the ways such a config fails (a wrong SASL password, a
// key that is not PEM, a secret given as a YAML mapping).
TEST_F(SecretsTest, TheInlineClientKeyAndItsPasswordAreNeverPrinted) {
  const std::string pem = ReadFile(Secured("CLIENT_KEY_ENCRYPTED"));
  ASSERT_NE(pem.find("ENCRYPTED PRIVATE KEY"), std::string::npos);
  SetSecret("KB_T_KEY_PEM", "ssl.key.pem", pem);
  for (const Secret& line : PemSecrets(pem)) secrets_.push_back(line);
  SetSecret("KB_T_KEY_PASSWORD", "ssl.key.password", Secured("CLIENT_KEY_PASSWORD"));
  ASSERT_FALSE(HasFailure());
  const std::string store = dir_.path() + "/store";
  const std::string head = "kafka:\n  bootstrap.servers: " + Secured("MTLS_BOOTSTRAP") +
                           "\n  security.protocol: SSL\n  ssl.ca.location: " + Secured("CA") +
                           "\n  ssl.certificate.location: " + Secured("CLIENT_CERT") +
                           "\n  debug: all\n";
  const std::string tail = "storage:\n  local:\n    path: " + store +
                           "\nbackup:\n  group_id: " + topic_ + "-backup\n  topics: [" + topic_ +
                           "]\n";
  const std::string config = dir_.path() + "/kb.yaml";
  std::ofstream(config) << head
                        << "  ssl.key.pem: ${KB_T_KEY_PEM}\n"
                           "  ssl.key.password: ${KB_T_KEY_PASSWORD}\n"
                        << tail;

  ASSERT_EQ(Run(config, {"backup", "--once"}, "backup --once").code, 0);
  EXPECT_EQ(Run(config, {"status"}, "status").code, 0);
  const std::string target = topic_ + "-r";
  EXPECT_EQ(
      Run(config, {"restore", "--topic", topic_, "--rename", topic_ + "=" + target, "--dry-run"},
          "restore --dry-run")
          .code,
      0);
  EXPECT_EQ(
      Run(config, {"restore", "--topic", topic_, "--rename", topic_ + "=" + target}, "restore")
          .code,
      0);
  EXPECT_EQ(restore::testutil::EndOffsetSum(bootstrap_, target, 2), 200);

  // A wrong password of the key: librdkafka cannot decrypt it.
  SetSecret("KB_T_WRONG_KEY_PASSWORD", "a wrong ssl.key.password",
            "kbwrongkeypw-" + kb::testing::UniqueName("p"));
  const std::string wrong = dir_.path() + "/wrong.yaml";
  std::ofstream(wrong) << head
                       << "  ssl.key.pem: ${KB_T_KEY_PEM}\n"
                          "  ssl.key.password: ${KB_T_WRONG_KEY_PASSWORD}\n"
                       << tail;
  cli::testing::Ran ran = Run(wrong, {"status"}, "a wrong ssl.key.password");
  EXPECT_NE(ran.code, 0) << ran.output;
  EXPECT_NE(ran.output.find("ssl.key"), std::string::npos) << ran.output;

  // A key that is not PEM at all (a password pasted into the wrong key, say).
  SetSecret("KB_T_NOT_PEM", "a value of ssl.key.pem that is not PEM",
            "kbnotpem-" + kb::testing::UniqueName("k"));
  const std::string not_pem = dir_.path() + "/notpem.yaml";
  std::ofstream(not_pem) << head << "  ssl.key.pem: ${KB_T_NOT_PEM}\n" << tail;
  ran = Run(not_pem, {"backup", "--once"}, "an ssl.key.pem that is not PEM");
  EXPECT_NE(ran.code, 0) << ran.output;
  EXPECT_NE(ran.output.find("ssl.key.pem"), std::string::npos) << ran.output;

  // A secret written where a scalar is expected: the error names the key, not the value.
  SetSecret("KB_T_MISPLACED", "a secret in a mapping", "kbmisplaced-" + topic_);
  const std::string mapping = dir_.path() + "/mapping.yaml";
  std::ofstream(mapping) << head << "  sasl.password:\n    value: ${KB_T_MISPLACED}\n" << tail;
  ran = Run(mapping, {"status"}, "a secret given as a mapping");
  EXPECT_EQ(ran.code, 2) << ran.output;
  EXPECT_NE(ran.output.find("kafka.sasl.password"), std::string::npos) << ran.output;
  const std::string s3_mapping = dir_.path() + "/s3mapping.yaml";
  std::ofstream(s3_mapping)
      << head
      << "storage:\n  s3:\n    bucket: kb-bucket\n    secret_access_key:\n      - x\n"
         "      - ${KB_T_MISPLACED}\n";
  ran = Run(s3_mapping, {"status"}, "an S3 secret given as a list");
  EXPECT_EQ(ran.code, 2) << ran.output;
  EXPECT_NE(ran.output.find("storage.s3.secret_access_key"), std::string::npos) << ran.output;

  StorageConfig storage;
  storage.local.path = store;
  CheckStore(storage);
  EXPECT_TRUE(saw_config_dump_) << "librdkafka's configuration dump (debug=all) was not logged";
  EXPECT_TRUE(leaks_.empty()) << Join(leaks_);
}

// A wrong SASL password at trace level with debug=all: librdkafka's authentication failure and
// our error name the key, never the password.
TEST_F(SecretsTest, AWrongSaslPasswordIsNotPrintedAtTraceLevel) {
  SetSecret("KB_T_WRONG_SASL", "a wrong sasl.password",
            "kbwrongsasl-" + kb::testing::UniqueName("p"));
  ASSERT_FALSE(HasFailure());
  const std::string config = dir_.path() + "/kb.yaml";
  std::ofstream(config) << "kafka:\n  bootstrap.servers: " << Secured("SASL_SSL_BOOTSTRAP")
                        << "\n  security.protocol: SASL_SSL\n  sasl.mechanism: SCRAM-SHA-512\n"
                        << "  sasl.username: " << Secured("SCRAM_USER")
                        << "\n  sasl.password: ${KB_T_WRONG_SASL}\n"
                        << "  ssl.ca.location: " << Secured("CA") << "\n  debug: all\n"
                        << "storage:\n  local:\n    path: " << dir_.path()
                        << "/store\nbackup:\n  topics: [" << topic_ << "]\n";
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"backup", "--once"}, {"status"}}) {
    cli::testing::Ran ran = Run(config, args, args[0] + " with a wrong password");
    EXPECT_NE(ran.code, 0) << ran.output;
    EXPECT_NE(ran.output.find("kafka.sasl.password"), std::string::npos) << ran.output;
  }
  EXPECT_TRUE(leaks_.empty()) << Join(leaks_);
}

}  // namespace
}  // namespace kb::cli
