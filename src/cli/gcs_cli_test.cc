// The GCS backend through the kafka-backup binary, end to end against the real broker and the GCS
// emulator (fake-gcs-server; KB_TEST_GCS_*): backup --once into storage.gcs, the topic deleted,
// restore from GCS recreates it with every record, verify and ls read it; a second config names
// no endpoint at all and finds the emulator through STORAGE_EMULATOR_HOST.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "backup/backup_test_util.h"
#include "cli/cli_test_util.h"
#include "restore/restore_test_util.h"
#include "testing/test_env.h"

namespace kb::cli {
namespace {

using namespace std::chrono_literals;
using cli::testing::Ran;

class GcsCliTest : public backup::testutil::KafkaTest {
 protected:
  void SetUp() override {
    backup::testutil::KafkaTest::SetUp();
    if (HasFatalFailure()) return;
    prefix_ = kb::testing::UniqueName("gcs-cli");
  }

  std::string Config(const std::string& name, const std::string& gcs, const std::string& topic) {
    const std::string path = dir_.path() + "/" + name + ".yaml";
    std::ofstream(path) << "kafka:\n  bootstrap.servers: " << bootstrap_ << "\n"
                        << "storage:\n  prefix: " << prefix_ << "\n  retry_timeout: 10s\n"
                        << "  gcs:\n"
                        << gcs << "backup:\n  group_id: " << prefix_ << "-g\n  topics: [" << topic
                        << "]\n  segment:\n    max_age: 1s\n    max_bytes: 64KiB\n";
    return path;
  }
  Ran Kb(const std::string& config, std::vector<std::string> args, const std::string& log) {
    args.insert(args.begin(), {"--config", config});
    return cli::testing::Run(KB_BINARY, args, dir_.path() + "/" + log + ".log", 180s);
  }

  kb::testing::TempDir dir_;
  std::string prefix_;
};

TEST_F(GcsCliTest, BackupDeleteTopicRestoreFromGcs) {
  const std::string endpoint = kb::testing::RequireEnv("KB_TEST_GCS_ENDPOINT");
  const std::string bucket = kb::testing::RequireEnv("KB_TEST_GCS_BUCKET");
  const std::string topic = kb::testing::UniqueName("gcs-topic");
  constexpr int kPartitions = 2;
  constexpr int kRecords = 3000;
  CreateTopic(topic, kPartitions);
  {
    const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
    backup::testutil::RawProducer producer(bootstrap_);
    for (int i = 0; i < kRecords; ++i) {
      format::Record r;
      r.key = "key-" + std::to_string(i);
      r.value = "value-" + std::to_string(i) + std::string(200, static_cast<char>('a' + i % 26));
      r.timestamp = now_ms - 60'000 + i;
      producer.Send(topic, i % kPartitions, r);
    }
    producer.Flush();
  }
  std::vector<std::vector<format::Record>> source;
  for (int p = 0; p < kPartitions; ++p) {
    source.push_back(restore::testutil::ReadAll(bootstrap_, topic, p));
    ASSERT_EQ(source.back().size(), static_cast<size_t>(kRecords / kPartitions));
  }

  const std::string config =
      Config("explicit",
             "    bucket: " + bucket + "\n    endpoint: " + endpoint + "\n    auth: none\n", topic);
  Ran r = Kb(config, {"backup", "--once"}, "backup");
  ASSERT_EQ(r.code, 0) << r.output;
  r = Kb(config, {"verify"}, "verify");
  EXPECT_EQ(r.code, 0) << r.output;

  // The same backup through STORAGE_EMULATOR_HOST alone (no endpoint, no auth in the file).
  ::setenv("STORAGE_EMULATOR_HOST", endpoint.substr(std::string("http://").size()).c_str(), 1);
  const std::string by_env = Config("emulator", "    bucket: " + bucket + "\n", topic);
  r = Kb(by_env, {"ls"}, "ls");
  ::unsetenv("STORAGE_EMULATOR_HOST");
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find(topic), std::string::npos) << r.output;

  ASSERT_TRUE(admin_->DeleteTopic(topic, 30s).ok());
  for (int i = 0; i < 200 && admin_->DescribeTopic(topic, 5s).ok(); ++i) {
    std::this_thread::sleep_for(100ms);
  }
  r = Kb(config, {"restore", "--topic", topic}, "restore");
  ASSERT_EQ(r.code, 0) << r.output;
  for (int p = 0; p < kPartitions; ++p) {
    const std::vector<format::Record> got = restore::testutil::ReadAll(bootstrap_, topic, p);
    ASSERT_EQ(got.size(), source[p].size()) << "partition " << p;
    for (size_t i = 0; i < got.size(); ++i) {
      ASSERT_EQ(got[i].key, source[p][i].key) << "partition " << p << " index " << i;
      ASSERT_EQ(got[i].value, source[p][i].value) << "partition " << p << " index " << i;
      ASSERT_EQ(got[i].timestamp, source[p][i].timestamp) << "partition " << p << " index " << i;
    }
  }
}

// doctor probes the bucket (put, get, delete) and compares the clock with the server's Date.
TEST_F(GcsCliTest, DoctorChecksTheBucketAndTheClock) {
  const std::string topic = kb::testing::UniqueName("gcs-doctor");
  CreateTopic(topic, 1);
  const std::string bucket = kb::testing::RequireEnv("KB_TEST_GCS_BUCKET");
  const std::string config =
      Config("doctor",
             "    bucket: " + bucket + "\n    endpoint: " +
                 kb::testing::RequireEnv("KB_TEST_GCS_ENDPOINT") + "\n    auth: none\n",
             topic);
  Ran r = Kb(config, {"doctor"}, "doctor");
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("valid; store gs://" + bucket), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("OK    store  gs://" + bucket + ": put, get and delete"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("OK    clock  this host's clock agrees with the store server's (gs://" +
                          bucket),
            std::string::npos)
      << r.output;
}

// A bad key file is a config error (exit 2) naming the key, before anything is read or written.
TEST_F(GcsCliTest, AnUnusableKeyFileIsAConfigErrorNamingIt) {
  const std::string key_file = dir_.path() + "/sa.json";
  std::ofstream(key_file) << R"({"type":"service_account","client_email":"a@b",)"
                          << R"("private_key":"-----BEGIN PRIVATE KEY-----\nNOTAKEY-77f3\n)"
                          << R"(-----END PRIVATE KEY-----\n"})";
  const std::string config =
      Config("badkey",
             "    bucket: " + kb::testing::RequireEnv("KB_TEST_GCS_BUCKET") +
                 "\n    endpoint: " + kb::testing::RequireEnv("KB_TEST_GCS_ENDPOINT") +
                 "\n    credentials_file: " + key_file + "\n    auth: service_account\n",
             "t");
  Ran r = Kb(config, {"ls"}, "ls-badkey");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("storage.gcs.credentials_file"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("NOTAKEY-77f3"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace kb::cli
