// Fault campaign, scenario "restore kill -9": a three-partition restore (every other iteration a
// time-window restore) killed with SIGKILL at seeded random moments, one to three times, then run
// again to the end. The target must then equal the selection exactly (every record once, in order,
// with its key, value and timestamp: no duplicate, no hole), and for a whole-topic restore the
// consumer group must sit where it sat on the source, moved once.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <fstream>
#include <random>
#include <thread>

#include "backup/backup_test_util.h"
#include "chaos_report.h"
#include "cli/cli_test_util.h"
#include "kafka/admin.h"
#include "restore/restore_test_util.h"
#include "testing/test_env.h"

namespace kb::chaos {
namespace {

using namespace std::chrono_literals;
using cli::testing::ReadFile;
using cli::testing::SpawnLogged;
using cli::testing::WaitFor;

constexpr int kPartitions = 3;
constexpr int kPerPartition = 6000;

TEST(RestoreKillTest, AfterKillsAndARerunTheTargetIsExactlyTheSelection) {
  const std::string bootstrap = testing::RequireEnv("KB_TEST_KAFKA_BOOTSTRAP");
  ASSERT_FALSE(bootstrap.empty());
  const int iterations = Iterations("RESTORE_KILLS", 2);
  std::mt19937_64 rng(Seed() * 104729);
  const auto started = std::chrono::steady_clock::now();
  testing::TempDir dir;
  const std::string topic = testing::UniqueName("chaos-rst");
  auto admin = kafka::Admin::Make({{"bootstrap.servers", bootstrap}});
  ASSERT_TRUE(admin.ok());
  ASSERT_TRUE((*admin)->CreateTopic({topic, kPartitions, 1, {}}, 30s).ok());
  // Record i of a partition has timestamp base + i seconds (recent: the broker's time retention
  // would delete records from long ago).
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  const int64_t base = now_ms - (kPerPartition + 600) * 1000LL;
  {
    backup::testutil::RawProducer producer(bootstrap);
    for (int i = 0; i < kPerPartition; ++i) {
      for (int p = 0; p < kPartitions; ++p) {
        format::Record r;
        r.key = "k" + std::to_string(i);
        r.value = std::to_string(p) + "-" + std::to_string(i) + std::string(200, 'v');
        r.timestamp = base + i * 1000LL;
        producer.Send(topic, p, r);
      }
    }
    producer.Flush();
  }
  const std::string group = testing::UniqueName("chaos-rst-app");
  ASSERT_TRUE((*admin)
                  ->AlterConsumerGroupOffsets(
                      group, {{{topic, 0}, 1000}, {{topic, 1}, 2000}, {{topic, 2}, 3000}}, 30s)
                  .ok());
  const std::string config = dir.path() + "/kb.yaml";
  std::ofstream(config) << "kafka:\n  bootstrap.servers: " << bootstrap << "\n"
                        << "storage:\n  prefix: r\n  local:\n    path: " << dir.path() << "/store\n"
                        << "backup:\n  group_id: " << topic << "-backup\n  topics: [" << topic
                        << "]\n  segment:\n    max_records: 1000\n";
  const std::string log = dir.path() + "/run.log";
  ASSERT_EQ(cli::testing::Run(KB_BINARY, {"--config", config, "backup", "--once"}, log, 10min).code,
            0)
      << ReadFile(log);
  std::vector<std::vector<format::Record>> source;
  for (int p = 0; p < kPartitions; ++p) {
    source.push_back(restore::testutil::ReadAll(bootstrap, topic, p));
    ASSERT_EQ(source.back().size(), static_cast<size_t>(kPerPartition));
  }

  ScenarioResult result{.scenario = "restore kill -9 (whole topic, time window)"};
  for (int it = 0; it < iterations; ++it) {
    const bool window = it % 2 == 1;
    SCOPED_TRACE("iteration " + std::to_string(it) + (window ? " (time window)" : ""));
    const std::string target = topic + "-t" + std::to_string(it);
    // The window: records 1000..3999 of each partition (both ends included).
    const int64_t from = base + 1000 * 1000LL, to = base + 3999 * 1000LL;
    std::vector<std::string> args = {KB_BINARY,
                                     "--config",
                                     config,
                                     "restore",
                                     "--topic",
                                     topic,
                                     "--rename",
                                     topic + "=" + target,
                                     "--checkpoint-interval",
                                     "200ms"};
    if (window) {
      args.insert(args.end(),
                  {"--from", std::to_string(from), "--to", std::to_string(to), "--no-groups"});
    }
    const int kills = 1 + static_cast<int>(rng() % 3);
    for (int k = 0; k < kills; ++k) {
      std::vector<std::string> slow = args;
      slow.insert(slow.end(), {"--max-bytes-per-second", "400KiB"});
      pid_t pid = SpawnLogged(slow, log);
      ASSERT_GT(pid, 0);
      std::this_thread::sleep_for(std::chrono::milliseconds(500 + rng() % 2500));
      if (WaitFor(pid, 0ms) != -1) break;  // already done: nothing left to kill
      ASSERT_EQ(kill(pid, SIGKILL), 0);
      ASSERT_EQ(WaitFor(pid, 30s), 128 + SIGKILL) << ReadFile(log);
      ++result.faults;
    }
    const cli::testing::Ran rerun =
        cli::testing::Run(args[0], {args.begin() + 1, args.end()}, log, 10min);
    ASSERT_EQ(rerun.code, 0) << rerun.output;
    for (int p = 0; p < kPartitions; ++p) {
      std::vector<format::Record> want;
      for (const format::Record& r : source[p]) {
        if (!window || (r.timestamp >= from && r.timestamp <= to)) want.push_back(r);
      }
      const std::vector<format::Record> got = restore::testutil::ReadAll(bootstrap, target, p);
      result.records_checked += got.size();
      if (got.size() > want.size()) result.duplicated += got.size() - want.size();
      if (got.size() < want.size()) result.lost += want.size() - got.size();
      ASSERT_EQ(got.size(), want.size()) << "partition " << p;
      for (size_t i = 0; i < want.size(); ++i) {
        ASSERT_EQ(got[i].value, want[i].value) << "partition " << p << " index " << i;
        ASSERT_EQ(got[i].key, want[i].key);
        ASSERT_EQ(got[i].timestamp, want[i].timestamp);
      }
    }
    EXPECT_EQ(restore::testutil::EndOffsetSum(bootstrap, target, kPartitions),
              window ? 3 * 3000 : static_cast<int64_t>(kPartitions) * kPerPartition);
    if (!window) {
      auto offsets = (*admin)->ListConsumerGroupOffsets(group, 30s);
      ASSERT_TRUE(offsets.ok()) << offsets.status().ToString();
      EXPECT_EQ(offsets->at({target, 0}), 1000);
      EXPECT_EQ(offsets->at({target, 1}), 2000);
      EXPECT_EQ(offsets->at({target, 2}), 3000);
    }
    ++result.iterations;
  }
  result.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  AddResult(result);
}

}  // namespace
}  // namespace kb::chaos
