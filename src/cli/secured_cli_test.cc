// The kafka-backup binary against a secured broker (test/services/kafka.sh --security secured,
// started by scripts/test.sh; its variables come as KB_TEST_SECURED_*): every command that talks
// to Kafka works over SASL_SSL (SCRAM-SHA-512 and SCRAM-SHA-256) and over mutual TLS (with an
// encrypted key), configured with the librdkafka properties users already write; and each way a
// connection can be refused for good (wrong password, unknown user, untrusted broker, expired or
// foreign client certificate, another protocol) ends the command at once with one message that
// names the config key and the case, never the password.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "backup/backup_test_util.h"
#include "cli/cli_test_util.h"
#include "kafka/admin.h"
#include "restore/restore_test_util.h"
#include "storage/local/local_store.h"
#include "testing/test_env.h"

namespace kb::cli {
namespace {

using namespace std::chrono_literals;
using cli::testing::ReadFile;
using cli::testing::SpawnLogged;
using cli::testing::WaitFor;
using kb::testing::RequireEnv;

std::string Env(const std::string& name) { return RequireEnv(("KB_TEST_SECURED_" + name).c_str()); }

struct Access {
  std::string name;
  std::string kafka_yaml;  // the lines under kafka:
  std::string secret;      // must never be printed
};

std::vector<Access> Accesses() {
  const std::string ca = "  ssl.ca.location: " + Env("CA") + "\n";
  return {
      {"SASL_SSL SCRAM-SHA-512",
       "  bootstrap.servers: " + Env("SASL_SSL_BOOTSTRAP") +
           "\n  security.protocol: SASL_SSL\n  sasl.mechanism: SCRAM-SHA-512\n"
           "  sasl.username: " +
           Env("SCRAM_USER") + "\n  sasl.password: " + Env("SCRAM_PASSWORD") + "\n" + ca,
       Env("SCRAM_PASSWORD")},
      {"SASL_SSL SCRAM-SHA-256",
       "  bootstrap.servers: " + Env("SASL_SSL_BOOTSTRAP") +
           "\n  security.protocol: SASL_SSL\n  sasl.mechanism: SCRAM-SHA-256\n"
           "  sasl.username: " +
           Env("SCRAM_256_USER") + "\n  sasl.password: " + Env("SCRAM_256_PASSWORD") + "\n" + ca,
       Env("SCRAM_256_PASSWORD")},
      {"mutual TLS",
       "  bootstrap.servers: " + Env("MTLS_BOOTSTRAP") +
           "\n  security.protocol: SSL\n  ssl.certificate.location: " + Env("CLIENT_CERT") +
           "\n  ssl.key.location: " + Env("CLIENT_KEY_ENCRYPTED") +
           "\n  ssl.key.password: " + Env("CLIENT_KEY_PASSWORD") + "\n" + ca,
       Env("CLIENT_KEY_PASSWORD")},
  };
}

// The store is <store_dir>/store (default: <dir>/store).
std::string WriteConfig(const std::string& dir, const std::string& kafka_yaml,
                        const std::string& topic, const std::string& store_dir = "") {
  const std::string path = dir + "/kb.yaml";
  std::ofstream(path) << "kafka:\n"
                      << kafka_yaml
                      << "storage:\n  local:\n    path: " << (store_dir.empty() ? dir : store_dir)
                      << "/store\n"
                      << "backup:\n  group_id: " << topic << "-backup\n  topics: [" << topic
                      << "]\n  segment:\n    max_age: 300ms\n  metadata_interval: 1s\n";
  return path;
}

void Produce(const std::string& topic, int from, int count) {
  backup::testutil::RawProducer producer(Env("PLAIN_BOOTSTRAP"));
  for (int i = from; i < from + count; ++i) {
    format::Record r;
    r.value = "v" + std::to_string(i);
    producer.Send(topic, i % 2, r);
  }
  producer.Flush();
}

uint64_t Stored(const std::string& dir, const std::string& topic) {
  auto store = storage::LocalStore::Open(dir + "/store");
  if (!store.ok()) return 0;
  Config cfg;
  return backup::testutil::ReadPartition(**store, cfg, topic, 0).records.size() +
         backup::testutil::ReadPartition(**store, cfg, topic, 1).records.size();
}

TEST(SecuredClusterTest, EveryCommandWorksOverSaslSslAndMutualTls) {
  auto admin = kafka::Admin::Make({{"bootstrap.servers", Env("PLAIN_BOOTSTRAP")}});
  ASSERT_TRUE(admin.ok());
  for (const Access& access : Accesses()) {
    SCOPED_TRACE(access.name);
    kb::testing::TempDir dir;
    const std::string topic = kb::testing::UniqueName("sec");
    ASSERT_TRUE((*admin)->CreateTopic({topic, 2, 1, {}}, 30s).ok());
    Produce(topic, 0, 300);
    const std::string config = WriteConfig(dir.path(), access.kafka_yaml, topic);
    const auto run = [&](std::vector<std::string> args) {
      args.insert(args.begin(), {"--config", config});
      cli::testing::Ran ran = cli::testing::Run(KB_BINARY, args, dir.path() + "/run.log", 5min);
      EXPECT_EQ(ran.output.find(access.secret), std::string::npos) << "the secret was printed";
      return ran;
    };
    cli::testing::Ran ran = run({"backup", "--once"});
    ASSERT_EQ(ran.code, 0) << ran.output;
    EXPECT_EQ(Stored(dir.path(), topic), 300u);

    // The daemon picks up what is produced while it runs.
    const std::string log = dir.path() + "/daemon.log";
    const pid_t pid = SpawnLogged({KB_BINARY, "--config", config, "backup"}, log);
    ASSERT_GT(pid, 0);
    Produce(topic, 300, 100);
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (Stored(dir.path(), topic) < 400 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(300ms);
    }
    ASSERT_EQ(kill(pid, SIGTERM), 0);
    EXPECT_EQ(WaitFor(pid, 60s), 0) << ReadFile(log);
    EXPECT_EQ(Stored(dir.path(), topic), 400u) << ReadFile(log);
    EXPECT_EQ(ReadFile(log).find(access.secret), std::string::npos) << "the secret was logged";

    for (const std::vector<std::string>& args :
         std::vector<std::vector<std::string>>{{"status"}, {"verify"}, {"ls"}, {"prune"}}) {
      ran = run(args);
      EXPECT_EQ(ran.code, 0) << args[0] << ": " << ran.output;
    }
    ran = run({"restore", "--topic", topic, "--rename", topic + "=" + topic + "-r"});
    ASSERT_EQ(ran.code, 0) << ran.output;
    EXPECT_EQ(restore::testutil::EndOffsetSum(Env("PLAIN_BOOTSTRAP"), topic + "-r", 2), 400);
  }
}

TEST(SecuredClusterTest, ARefusedConnectionEndsTheCommandAtOnceNamingTheCause) {
  const std::string ca = "  ssl.ca.location: " + Env("CA") + "\n";
  const std::string scram = "  bootstrap.servers: " + Env("SASL_SSL_BOOTSTRAP") +
                            "\n  security.protocol: SASL_SSL\n  sasl.mechanism: SCRAM-SHA-512\n";
  const std::string mtls =
      "  bootstrap.servers: " + Env("MTLS_BOOTSTRAP") + "\n  security.protocol: SSL\n";
  const std::string wrong = "wrong-password-" + kb::testing::UniqueName("p");
  struct Case {
    const char* name;
    std::string kafka_yaml;
    const char* key;   // the config key the message names
    const char* says;  // and the case
    bool fast = true;  // ends at once (else after the connection timeout, with a hint)
  };
  const std::vector<Case> cases = {
      {"wrong password",
       scram + "  sasl.username: " + Env("SCRAM_USER") + "\n  sasl.password: " + wrong + "\n" + ca,
       "kafka.sasl.password", "SASL authentication failed"},
      {"unknown user", scram + "  sasl.username: nobody\n  sasl.password: " + wrong + "\n" + ca,
       "kafka.sasl.password", "SASL authentication failed"},
      {"broker certificate of another CA",
       scram + "  sasl.username: " + Env("SCRAM_USER") + "\n  sasl.password: " + wrong +
           "\n  ssl.ca.location: " + Env("OTHER_CA") + "\n",
       "kafka.ssl.ca.location", "not signed by a CA in kafka.ssl.ca.location"},
      {"expired client certificate",
       mtls + "  ssl.certificate.location: " + Env("EXPIRED_CLIENT_CERT") +
           "\n  ssl.key.location: " + Env("EXPIRED_CLIENT_KEY") + "\n" + ca,
       "kafka.ssl.certificate.location", "expired on"},
      {"client certificate of another CA",
       mtls + "  ssl.certificate.location: " + Env("OTHER_CA_CLIENT_CERT") +
           "\n  ssl.key.location: " + Env("OTHER_CA_CLIENT_KEY") + "\n" + ca,
       "kafka.ssl.certificate.location", "rejected the client certificate"},
      {"TLS against a plaintext listener",
       "  bootstrap.servers: " + Env("PLAIN_BOOTSTRAP") + "\n  security.protocol: SSL\n" + ca,
       "kafka.security.protocol", "plaintext against a TLS one", false},
      {"plaintext against a TLS listener",
       "  bootstrap.servers: " + Env("MTLS_BOOTSTRAP") + "\n  security.protocol: PLAINTEXT\n",
       "kafka.security.protocol", "plaintext against a TLS one", false},
  };
  // A backup to restore from (through the harness' plaintext listener), so that a restore gets as
  // far as connecting to the cluster.
  kb::testing::TempDir backed_up;
  const std::string topic = kb::testing::UniqueName("sec-refused");
  {
    auto admin = kafka::Admin::Make({{"bootstrap.servers", Env("PLAIN_BOOTSTRAP")}});
    ASSERT_TRUE(admin.ok());
    ASSERT_TRUE((*admin)->CreateTopic({topic, 2, 1, {}}, 30s).ok());
    Produce(topic, 0, 10);
    const std::string config = WriteConfig(
        backed_up.path(), "  bootstrap.servers: " + Env("PLAIN_BOOTSTRAP") + "\n", topic);
    const cli::testing::Ran once = cli::testing::Run(
        KB_BINARY, {"--config", config, "backup", "--once"}, backed_up.path() + "/once.log", 2min);
    ASSERT_EQ(once.code, 0) << once.output;
  }
  for (const Case& c : cases) {
    for (const char* command : {"backup", "restore", "status"}) {
      SCOPED_TRACE(std::string(c.name) + ", " + command);
      kb::testing::TempDir dir;
      const std::string config = WriteConfig(dir.path(), c.kafka_yaml, topic, backed_up.path());
      std::vector<std::string> args = {"--config", config, command};
      if (std::string_view(command) == "backup") args.push_back("--once");
      if (std::string_view(command) == "restore") {
        args.insert(args.end(), {"--topic", topic, "--rename", topic + "=" + topic + "-r"});
      }
      const auto t0 = std::chrono::steady_clock::now();
      const cli::testing::Ran ran =
          cli::testing::Run(KB_BINARY, args, dir.path() + "/run.log", 2min);
      const auto took = std::chrono::steady_clock::now() - t0;
      EXPECT_NE(ran.code, 0) << ran.output;
      EXPECT_NE(ran.output.find(c.key), std::string::npos) << ran.output;
      EXPECT_NE(ran.output.find(c.says), std::string::npos) << ran.output;
      EXPECT_EQ(ran.output.find(wrong), std::string::npos) << "the password was printed";
      // Not a retry loop until the 30 s connection timeout (a listener of another protocol closes
      // connections as a network fault does: that one is waited for, then named by a hint).
      if (c.fast) {
        EXPECT_LT(took, 20s) << ran.output;
      }
    }
  }
}

}  // namespace
}  // namespace kb::cli
