// The kafka-backup binary on Azure Blob Storage (storage.azure), against the real broker and the
// Azure emulator scripts/test.sh starts (Azurite; KB_TEST_AZURE_*): backup --once, the topic
// deleted, restore, and every record is back in order with its key and timestamp; ls and verify
// read the Azure store; the account key (given through ${VAR}) appears in no output.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "backup/backup_test_util.h"
#include "cli/cli_test_util.h"
#include "kafka/admin.h"
#include "restore/restore_test_util.h"
#include "testing/test_env.h"

namespace kb::cli {
namespace {

using namespace std::chrono_literals;
using cli::testing::Ran;

class AzureCliTest : public backup::testutil::KafkaTest {
 protected:
  void SetUp() override {
    backup::testutil::KafkaTest::SetUp();
    if (HasFatalFailure()) return;
    key_ = kb::testing::RequireEnv("KB_TEST_AZURE_KEY");
    ::setenv("KB_TEST_AZ_CLI_KEY", key_.c_str(), 1);
    prefix_ = kb::testing::UniqueName("azure-cli");
  }
  void TearDown() override { ::unsetenv("KB_TEST_AZ_CLI_KEY"); }

  std::string Config(const std::string& topic) {
    const std::string path = dir_.path() + "/kb.yaml";
    std::ofstream(path) << "kafka:\n  bootstrap.servers: " << bootstrap_ << "\n"
                        << "storage:\n  prefix: " << prefix_ << "\n  retry_timeout: 10s\n"
                        << "  azure:\n    endpoint: "
                        << kb::testing::RequireEnv("KB_TEST_AZURE_ENDPOINT")
                        << "\n    account: " << kb::testing::RequireEnv("KB_TEST_AZURE_ACCOUNT")
                        << "\n    container: " << kb::testing::RequireEnv("KB_TEST_AZURE_CONTAINER")
                        << "\n    key: ${KB_TEST_AZ_CLI_KEY}\n"
                        << "backup:\n  group_id: " << prefix_ << "-g\n  topics: [" << topic
                        << "]\n";
    return path;
  }
  Ran Kb(const std::string& config, std::vector<std::string> args, const std::string& log) {
    args.insert(args.begin(), {"--config", config, "--log-level", "debug"});
    return cli::testing::Run(KB_BINARY, args, dir_.path() + "/" + log + ".log", 180s);
  }

  kb::testing::TempDir dir_;
  std::string prefix_;
  std::string key_;
};

TEST_F(AzureCliTest, BackupDeleteTopicRestore) {
  const std::string topic = kb::testing::UniqueName("azure");
  constexpr int kPartitions = 2, kRecords = 500;
  CreateTopic(topic, kPartitions);
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  {
    backup::testutil::RawProducer producer(bootstrap_);
    for (int i = 0; i < kRecords; ++i) {
      format::Record r;
      r.key = "key-" + std::to_string(i);
      r.value = "value-" + std::to_string(i) + std::string(100 + i % 50, 'v');
      r.timestamp = now_ms - 60'000 + i;
      producer.Send(topic, i % kPartitions, r);
    }
    producer.Flush();
  }
  std::vector<std::vector<format::Record>> want;
  for (int p = 0; p < kPartitions; ++p) {
    want.push_back(restore::testutil::ReadAll(bootstrap_, topic, p));
  }
  ASSERT_EQ(want[0].size() + want[1].size(), static_cast<size_t>(kRecords));

  const std::string config = Config(topic);
  Ran r = Kb(config, {"backup", "--once"}, "backup");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(r.output.find(key_), std::string::npos) << "the account key was printed";
  EXPECT_NE(r.output.find("shared key from storage.azure.key"), std::string::npos) << r.output;
  r = Kb(config, {"ls"}, "ls");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find(topic), std::string::npos) << r.output;
  r = Kb(config, {"verify"}, "verify");
  EXPECT_EQ(r.code, 0) << r.output;

  ASSERT_TRUE(admin_->DeleteTopic(topic, 30s).ok());
  for (int i = 0; i < 200 && admin_->DescribeTopic(topic, 5s).ok(); ++i) {
    std::this_thread::sleep_for(100ms);
  }
  r = Kb(config, {"restore", "--topic", topic}, "restore");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(r.output.find(key_), std::string::npos) << "the account key was printed";
  for (int p = 0; p < kPartitions; ++p) {
    auto got = restore::testutil::ReadAll(bootstrap_, topic, p);
    ASSERT_EQ(got.size(), want[p].size()) << "partition " << p;
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(got[i].key, want[p][i].key) << p << "/" << i;
      EXPECT_EQ(got[i].value, want[p][i].value) << p << "/" << i;
      EXPECT_EQ(got[i].timestamp, want[p][i].timestamp) << p << "/" << i;
    }
  }
}

// doctor probes the container (put, get, delete) and compares the clock with Azurite's Date.
TEST_F(AzureCliTest, DoctorChecksTheContainerAndTheClock) {
  const std::string topic = kb::testing::UniqueName("azure-doctor");
  CreateTopic(topic, 1);
  Ran r = Kb(Config(topic), {"doctor"}, "doctor");
  EXPECT_EQ(r.code, 0) << r.output;
  const std::string where = "azure://" + kb::testing::RequireEnv("KB_TEST_AZURE_ACCOUNT") + "/" +
                            kb::testing::RequireEnv("KB_TEST_AZURE_CONTAINER");
  EXPECT_NE(r.output.find("OK    config "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("valid; store az://"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("OK    store  " + where + ": put, get and delete"), std::string::npos)
      << r.output;
  EXPECT_NE(
      r.output.find("OK    clock  this host's clock agrees with the store server's (" + where),
      std::string::npos)
      << r.output;
  EXPECT_EQ(r.output.find(key_), std::string::npos) << r.output;

  // A wrong key: the store check names what to check, and the clock is not compared.
  const std::string wrong = "bm90IHRoZSBrZXkgYXQgYWxsIDEyMzQ1Njc4OTA=";
  ::setenv("KB_TEST_AZ_CLI_KEY", wrong.c_str(), 1);
  r = Kb(Config(topic), {"doctor", "--timeout", "3"}, "doctor-wrong");
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("FAIL  store"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("fix: check the Azure credentials"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("SKIP  clock"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find(wrong), std::string::npos) << r.output;
}

TEST_F(AzureCliTest, WrongKeyIsOneClearErrorWithoutTheKey) {
  const std::string wrong = "bm90IHRoZSBrZXkgYXQgYWxsIDEyMzQ1Njc4OTA=";
  ::setenv("KB_TEST_AZ_CLI_KEY", wrong.c_str(), 1);
  Ran r = Kb(Config("t"), {"ls"}, "ls-wrong");
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("check the Azure credentials"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find(wrong), std::string::npos) << r.output;
}

}  // namespace
}  // namespace kb::cli
