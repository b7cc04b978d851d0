// Fault campaign, scenario "broker loss": the broker of the fault bed (fault_bed.h) is stopped
// (controlled shutdown) for KB_CHAOS_BROKER_DOWN_SECONDS (default 30) and restarted, and killed
// with SIGKILL and restarted, while the backup daemon runs under produce and while a restore runs.
// Checked: the daemon stays up through both and the store then holds every record of the topic
// exactly once (`verify` clean); each restore finishes by itself once the broker is back, and the
// target equals the source record for record.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "chaos_report.h"
#include "cli/cli_test_util.h"
#include "fault_bed.h"
#include "kafka/admin.h"
#include "source_checks.h"
#include "storage/local/local_store.h"
#include "testing/test_env.h"

namespace kb::chaos {
namespace {

using namespace std::chrono_literals;
using cli::testing::ReadFile;
using cli::testing::SpawnLogged;
using cli::testing::WaitFor;

constexpr int kPartitions = 3;

std::chrono::seconds DownTime() {
  return std::chrono::seconds(Iterations("BROKER_DOWN_SECONDS", 30));
}

enum class Loss { kStop, kKill };
const char* LossName(Loss l) { return l == Loss::kStop ? "stopped" : "killed -9"; }

// Takes the broker away (stopped for DownTime(), or killed and back after 5 s) and brings it back.
void LoseBroker(const FaultBed& bed, Loss loss) {
  if (loss == Loss::kStop) {
    ASSERT_TRUE(bed.StopBroker());
    std::this_thread::sleep_for(DownTime());
  } else {
    ASSERT_TRUE(bed.KillBroker());
    std::this_thread::sleep_for(5s);
  }
  ASSERT_TRUE(bed.RestartBroker());
}

std::string Config(const FaultBed& bed, const std::string& dir, const std::string& topic) {
  const std::string path = dir + "/kb.yaml";
  std::ofstream(path) << "kafka:\n  bootstrap.servers: " << bed.kafka_direct << "\n"
                      << "storage:\n  prefix: loss\n  local:\n    path: " << dir << "/store\n"
                      << "backup:\n  group_id: " << topic << "-backup\n  topics: [" << topic
                      << "]\n  segment:\n    max_records: 400\n    max_age: 1s\n"
                      << "  metadata_interval: 1s\n  offsets_interval: 1s\n";
  return path;
}

TEST(BrokerLossTest, TheBackupDaemonRidesOutABrokerStoppedAndKilled) {
  const FaultBed* bed = Bed();
  ASSERT_NE(bed, nullptr);
  const auto started = std::chrono::steady_clock::now();
  testing::TempDir dir;
  const std::string topic = testing::UniqueName("chaos-loss");
  {
    auto admin = kafka::Admin::Make({{"bootstrap.servers", bed->kafka_direct}});
    ASSERT_TRUE(admin.ok());
    ASSERT_TRUE((*admin)->CreateTopic({topic, kPartitions, 1, {}}, 30s).ok());
  }
  const std::string config = Config(*bed, dir.path(), topic);
  const std::string log = dir.path() + "/backup.log";
  const pid_t pid = SpawnLogged({KB_BINARY, "--config", config, "backup"}, log);
  ASSERT_GT(pid, 0);
  ScenarioResult result{.scenario = "broker loss: backup daemon (stopped, killed -9)"};
  int produced = 0;
  for (const Loss loss : {Loss::kStop, Loss::kKill}) {
    SCOPED_TRACE(LossName(loss));
    ProduceNumbered(bed->kafka_direct, topic, kPartitions, produced, 500);
    produced += 500;
    std::this_thread::sleep_for(3s);
    LoseBroker(*bed, loss);
    ++result.faults;
    ASSERT_EQ(WaitFor(pid, 0ms), -1)
        << "the daemon ended when the broker was " << LossName(loss) << ":\n"
        << ReadFile(log);
    ++result.iterations;
  }
  ProduceNumbered(bed->kafka_direct, topic, kPartitions, produced, 500);
  produced += 500;
  auto store = storage::LocalStore::Open(dir.path() + "/store");
  ASSERT_TRUE(store.ok());
  const auto deadline = std::chrono::steady_clock::now() + 3min;
  while (StoredRecords(**store, "loss", topic, kPartitions) <
             static_cast<uint64_t>(produced) * kPartitions &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(1s);
  }
  ASSERT_EQ(kill(pid, SIGTERM), 0);
  EXPECT_EQ(WaitFor(pid, 2min), 0) << ReadFile(log);
  const Comparison c =
      CompareStoreWithTopic(**store, "loss", bed->kafka_direct, topic, kPartitions);
  result.records_checked = c.records;
  result.lost = c.lost;
  result.duplicated = c.duplicated;
  EXPECT_TRUE(c.equal()) << "lost " << c.lost << ", duplicated " << c.duplicated << ", "
                         << c.first_problem() << "\n"
                         << ReadFile(log);
  const cli::testing::Ran verify = cli::testing::Run(KB_BINARY, {"--config", config, "verify"},
                                                     dir.path() + "/verify.log", 5min);
  EXPECT_EQ(verify.code, 0) << verify.output;
  result.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  AddResult(result);
}

TEST(BrokerLossTest, ARestoreFinishesByItselfOnceTheBrokerIsBack) {
  const FaultBed* bed = Bed();
  ASSERT_NE(bed, nullptr);
  const auto started = std::chrono::steady_clock::now();
  testing::TempDir dir;
  const std::string topic = testing::UniqueName("chaos-loss-r");
  {
    auto admin = kafka::Admin::Make({{"bootstrap.servers", bed->kafka_direct}});
    ASSERT_TRUE(admin.ok());
    ASSERT_TRUE((*admin)->CreateTopic({topic, kPartitions, 1, {}}, 30s).ok());
  }
  ProduceNumbered(bed->kafka_direct, topic, kPartitions, 0, 4000, 200);
  const std::string config = Config(*bed, dir.path(), topic);
  const std::string log = dir.path() + "/run.log";
  ASSERT_EQ(cli::testing::Run(KB_BINARY, {"--config", config, "backup", "--once"}, log, 5min).code,
            0)
      << ReadFile(log);
  ScenarioResult result{.scenario = "broker loss: restore (stopped, killed -9)"};
  for (const Loss loss : {Loss::kStop, Loss::kKill}) {
    SCOPED_TRACE(LossName(loss));
    const std::string target = topic + (loss == Loss::kStop ? "-stop" : "-kill");
    const pid_t pid = SpawnLogged({KB_BINARY, "--config", config, "restore", "--topic", topic,
                                   "--rename", topic + "=" + target, "--checkpoint-interval",
                                   "200ms", "--max-bytes-per-second", "400KiB"},
                                  log);
    ASSERT_GT(pid, 0);
    std::this_thread::sleep_for(2s);
    ASSERT_EQ(WaitFor(pid, 0ms), -1) << "the restore ended before the fault:\n" << ReadFile(log);
    LoseBroker(*bed, loss);
    ++result.faults;
    const int code = WaitFor(pid, 10min);
    EXPECT_EQ(code, 0) << "the restore did not finish by itself after the broker was "
                       << LossName(loss) << ":\n"
                       << ReadFile(log);
    if (code != 0) {  // what a user does next: run it again
      const cli::testing::Ran again = cli::testing::Run(
          KB_BINARY,
          {"--config", config, "restore", "--topic", topic, "--rename", topic + "=" + target},
          dir.path() + "/again.log", 10min);
      ASSERT_EQ(again.code, 0) << again.output;
    }
    const Comparison c = CompareTopics(bed->kafka_direct, topic, target, kPartitions);
    result.records_checked += c.records;
    result.lost += c.lost;
    result.duplicated += c.duplicated;
    EXPECT_TRUE(c.equal()) << "lost " << c.lost << ", duplicated " << c.duplicated << ", "
                           << c.first_problem();
    ++result.iterations;
  }
  result.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  AddResult(result);
}

}  // namespace
}  // namespace kb::chaos
