// The kafka-backup binary against the real broker: kill -9 at random moments under continuous
// produce, restart, and check that every offset is in the store exactly once.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <thread>

#include "backup/backup_test_util.h"
#include "cli/cli_test_util.h"
#include "kafka/admin.h"
#include "storage/local/local_store.h"
#include "testing/test_env.h"

namespace kb::cli {
namespace {

using namespace std::chrono_literals;
using cli::testing::ReadFile;

using cli::testing::SpawnLogged;
using cli::testing::WaitFor;

TEST(BackupCommandTest, KillNineUnderContinuousProduceLosesNothingAndDuplicatesNothing) {
  const std::string bootstrap = kb::testing::RequireEnv("KB_TEST_KAFKA_BOOTSTRAP");
  ASSERT_FALSE(bootstrap.empty());
  kb::testing::TempDir dir;
  const std::string topic = kb::testing::UniqueName("kill9");
  auto admin = kafka::Admin::Make({{"bootstrap.servers", bootstrap}});
  ASSERT_TRUE(admin.ok());
  ASSERT_TRUE((*admin)->CreateTopic({topic, 3, 1, {}}, 30s).ok());

  const std::string config = dir.path() + "/kb.yaml";
  // A killed member holds its partitions until the group's session times out: the broker's
  // minimum (group.min.session.timeout.ms, 6 s) instead of librdkafka's 45 s keeps the test short.
  std::ofstream(config) << "kafka:\n  bootstrap.servers: " << bootstrap << "\n"
                        << "  session.timeout.ms: 6000\n  heartbeat.interval.ms: 1000\n"
                        << "storage:\n  prefix: kill9\n  local:\n    path: " << dir.path()
                        << "/store\n"
                        << "backup:\n  group_id: " << topic << "-backup\n  topics: [" << topic
                        << "]\n  segment:\n    max_records: 40\n    max_age: 300ms\n"
                        << "  metadata_interval: 1s\n  offsets_interval: 1s\n";
  const std::string log = dir.path() + "/kafka-backup.log";

  std::atomic<bool> producing{true};
  std::atomic<int64_t> produced{0};
  std::thread producer([&] {
    backup::testutil::RawProducer p(bootstrap);
    while (producing.load()) {
      for (int i = 0; i < 30; ++i) {
        format::Record r;
        r.key = std::to_string(produced.load());
        r.value = "value-" + std::to_string(produced.fetch_add(1));
        p.Send(topic, static_cast<int32_t>(produced.load() % 3), r);
      }
      std::this_thread::sleep_for(10ms);
    }
    p.Flush();
  });

  std::mt19937 rng(7);
  for (int round = 0; round < 4; ++round) {
    pid_t pid = SpawnLogged({KB_BINARY, "--config", config, "backup"}, log);
    ASSERT_GT(pid, 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(1500 + rng() % 2000));
    ASSERT_EQ(kill(pid, SIGKILL), 0);
    EXPECT_EQ(WaitFor(pid, 10min), 128 + SIGKILL);
  }
  producing.store(false);
  producer.join();
  // One clean run to the end, then a graceful daemon stop with SIGTERM.
  pid_t once = SpawnLogged({KB_BINARY, "--config", config, "backup", "--once"}, log);
  ASSERT_EQ(WaitFor(once, 10min), 0) << "see " << log;
  pid_t daemon = SpawnLogged({KB_BINARY, "--config", config, "backup"}, log);
  std::this_thread::sleep_for(3s);
  ASSERT_EQ(kill(daemon, SIGTERM), 0);
  EXPECT_EQ(WaitFor(daemon, 10min), 0) << "SIGTERM must flush, commit and exit 0; see " << log;

  auto store = storage::LocalStore::Open(dir.path() + "/store");
  ASSERT_TRUE(store.ok());
  Config cfg;
  cfg.storage.prefix = "kill9";
  int64_t total = 0;
  std::set<std::string> values;
  for (int p = 0; p < 3; ++p) {
    auto got = backup::testutil::ReadPartition(**store, cfg, topic, p);
    EXPECT_TRUE(backup::testutil::RangesTile(got.ranges, 0)) << "partition " << p;
    for (size_t i = 0; i < got.records.size(); ++i) {
      ASSERT_EQ(got.records[i].offset, static_cast<int64_t>(i)) << "partition " << p;
      EXPECT_TRUE(values.insert(*got.records[i].value).second) << *got.records[i].value;
    }
    total += static_cast<int64_t>(got.records.size());
  }
  EXPECT_EQ(total, produced.load());
  EXPECT_GT(total, 1000);

  // `status` agrees: everything is backed up.
  const std::string status_out = dir.path() + "/status.json";
  pid_t status =
      SpawnLogged({KB_BINARY, "--config", config, "status", "--output", "json"}, status_out);
  ASSERT_EQ(WaitFor(status, 10min), 0);
  std::ifstream in(status_out);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find(topic), std::string::npos) << text;
  EXPECT_NE(text.find("\"lag_records\": 0"), std::string::npos) << text;
  EXPECT_EQ(text.find("\"lag_records\": 1"), std::string::npos) << text;
}

TEST(BackupCommandTest, WrongS3SecretIsOneClearErrorAndExitCode1) {
  const std::string bootstrap = kb::testing::RequireEnv("KB_TEST_KAFKA_BOOTSTRAP");
  const std::string endpoint = kb::testing::RequireEnv("KB_TEST_S3_ENDPOINT");
  kb::testing::TempDir dir;
  const std::string config = dir.path() + "/kb.yaml";
  std::ofstream(config) << "kafka:\n  bootstrap.servers: " << bootstrap << "\n"
                        << "storage:\n  s3:\n    endpoint: " << endpoint
                        << "\n    bucket: " << kb::testing::RequireEnv("KB_TEST_S3_BUCKET")
                        << "\n    path_style: true\n"
                        << "    access_key_id: " << kb::testing::RequireEnv("KB_TEST_S3_ACCESS_KEY")
                        << "\n    secret_access_key: not-the-secret\n"
                        << "backup:\n  topics: [\"^.*\"]\n";
  const std::string log = dir.path() + "/out.log";
  pid_t pid = SpawnLogged({KB_BINARY, "--config", config, "backup", "--once"}, log);
  EXPECT_EQ(WaitFor(pid, 10min), 1);
  std::string out = ReadFile(log);
  EXPECT_NE(out.find("Permission denied"), std::string::npos) << out;
  EXPECT_NE(out.find("check the S3 access key and secret"), std::string::npos) << out;
  EXPECT_NE(out.find("cannot use the backup store"), std::string::npos) << out;
}

TEST(BackupCommandTest, BadConfigValueIsExitCode2NamingTheKey) {
  kb::testing::TempDir dir;
  const std::string config = dir.path() + "/kb.yaml";
  std::ofstream(config) << "kafka:\n  bootstrap.servers: 127.0.0.1:9\n"
                        << "backup:\n  topics: [t]\n  segment:\n    max_age: soon\n";
  const std::string log = dir.path() + "/out.log";
  EXPECT_EQ(WaitFor(SpawnLogged({KB_BINARY, "--config", config, "backup"}, log), 10min), 2);
  EXPECT_NE(ReadFile(log).find("backup.segment.max_age"), std::string::npos) << ReadFile(log);
}

// What `backup --once` prints when it ends: JSON for a CronJob with --output json (the log lines
// go to stderr; the report is the one JSON object), text by default.
TEST(BackupCommandTest, OncePrintsWhatItBackedUp) {
  const std::string bootstrap = kb::testing::RequireEnv("KB_TEST_KAFKA_BOOTSTRAP");
  kb::testing::TempDir dir;
  const std::string topic = kb::testing::UniqueName("report");
  auto admin = kafka::Admin::Make({{"bootstrap.servers", bootstrap}});
  ASSERT_TRUE(admin.ok());
  ASSERT_TRUE((*admin)->CreateTopic({topic, 2, 1, {}}, 30s).ok());
  {
    backup::testutil::RawProducer p(bootstrap);
    for (int i = 0; i < 25; ++i) {
      format::Record r;
      r.value = "value-" + std::to_string(i);
      p.Send(topic, i % 2, r);
    }
    p.Flush();
  }
  const std::string config = dir.path() + "/kb.yaml";
  std::ofstream(config) << "kafka:\n  bootstrap.servers: " << bootstrap << "\n"
                        << "storage:\n  local:\n    path: " << dir.path() << "/store\n"
                        << "backup:\n  group_id: " << topic << "-backup\n  topics: [" << topic
                        << "]\n";
  const std::string log = dir.path() + "/out.log";
  auto ran = cli::testing::Run(
      KB_BINARY, {"--config", config, "backup", "--once", "--output", "json"}, log, 5min);
  ASSERT_EQ(ran.code, 0) << ran.output;
  const size_t begin = ran.output.find("{\n  \"command\": \"backup\"");
  const size_t end = ran.output.rfind("}\n");
  ASSERT_NE(begin, std::string::npos) << ran.output;
  ASSERT_NE(end, std::string::npos) << ran.output;
  const nlohmann::json j = nlohmann::json::parse(ran.output.substr(begin, end + 1 - begin));
  EXPECT_EQ(j["mode"], "once");
  EXPECT_EQ(j["result"], "ok");
  EXPECT_EQ(j["records"], 25);
  EXPECT_EQ(j["records_read"], 25);
  EXPECT_EQ(j["partitions"], 2);
  EXPECT_EQ(j["gap_records"], 0);
  ASSERT_EQ(j["topics"].size(), 1u);
  EXPECT_EQ(j["topics"][0]["topic"], topic);
  EXPECT_EQ(j["topics"][0]["records"], 25);
  EXPECT_GE(j["segments"].get<int>(), 2);
  EXPECT_GT(j["stored_bytes"].get<int>(), 0);
  EXPECT_GE(j["store_requests"]["put"].get<int>(), j["segments"].get<int>());

  // Nothing new: a text report of nothing, and still exit 0.
  ran = cli::testing::Run(KB_BINARY, {"--config", config, "backup", "--once"}, log, 5min);
  ASSERT_EQ(ran.code, 0) << ran.output;
  EXPECT_NE(ran.output.find("backup --once finished in "), std::string::npos) << ran.output;
  EXPECT_NE(ran.output.find(": 0 records (0 B) of 0 partitions in 0 segments"), std::string::npos)
      << ran.output;

  ran = cli::testing::Run(KB_BINARY, {"--config", config, "backup", "--once", "--output", "yaml"},
                          log, 1min);
  EXPECT_EQ(ran.code, 2) << ran.output;
  EXPECT_NE(ran.output.find("--output"), std::string::npos) << ran.output;
  EXPECT_TRUE((*admin)->DeleteTopic(topic, 30s).ok());
}

}  // namespace
}  // namespace kb::cli
