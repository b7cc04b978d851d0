// Fault campaign, scenario "backup kill -9": the kafka-backup daemon killed with SIGKILL at random
// (seeded) moments under continuous produce, KB_CHAOS_BACKUP_KILLS times per record mix (plain,
// keyed, transactional with aborted transactions, large records). After every kill the store must
// hold, per partition, ranges that tile from offset 0 and only records that were produced at
// exactly those offsets (for transactions: committed ones), each once. At the end one `backup
// --once` finishes the job: every produced (committed) record is in the store exactly once, and
// `verify` finds nothing wrong. An application consumer group commits new offsets all along: every
// group snapshot in the store (`consumers_offset`) must decode and hold an offset the group really
// committed, and at the end the offset it committed last.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "backup/backup_test_util.h"
#include "chaos_report.h"
#include "cli/cli_test_util.h"
#include "kafka/admin.h"
#include "layout/keys.h"
#include "layout/metadata.h"
#include "storage/local/local_store.h"
#include "testing/test_env.h"
#include "tracking_producer.h"

namespace kb::chaos {
namespace {

using namespace std::chrono_literals;
using cli::testing::ReadFile;
using cli::testing::SpawnLogged;
using cli::testing::WaitFor;

// Every partition's `consumers_offset` decodes and gives `group` an offset it committed (one of
// `committed[p]`); with `last`, the one it committed last. Problems are appended to `problems`.
void CheckGroupSnapshots(storage::ObjectStore& store, const std::string& topic,
                         const std::string& group,
                         const std::map<int32_t, std::set<int64_t>>& committed,
                         const std::map<int32_t, int64_t>* last,
                         std::vector<std::string>& problems) {
  const layout::Keys keys("chaos");
  for (int32_t p = 0; p < kPartitions; ++p) {
    const std::string key = keys.ConsumerOffsets(topic, p);
    auto json = store.Get(key);
    if (!json.ok()) {
      if (last != nullptr || json.status().code() != Status::Code::kNotFound) {
        problems.push_back(key + ": " + json.status().ToString());
      }
      continue;
    }
    auto offsets = layout::DecodeGroupOffsets(key, *json);
    if (!offsets.ok()) {
      problems.push_back(offsets.status().ToString());
      continue;
    }
    const auto it = offsets->find(group);
    if (it == offsets->end()) {
      if (last != nullptr) problems.push_back(key + ": group " + group + " missing");
      continue;
    }
    const auto& values = committed.at(p);
    if (!values.count(it->second)) {
      problems.push_back(key + ": offset " + std::to_string(it->second) + " of group " + group +
                         " was never committed");
    } else if (last != nullptr && it->second != last->at(p)) {
      problems.push_back(key + ": group " + group + " at " + std::to_string(it->second) +
                         ", last committed " + std::to_string(last->at(p)));
    }
  }
}

class BackupKillTest : public ::testing::TestWithParam<Mix> {};

TEST_P(BackupKillTest, EveryCommittedRecordIsStoredExactlyOnceWhateverTheKillMoment) {
  const std::string bootstrap = testing::RequireEnv("KB_TEST_KAFKA_BOOTSTRAP");
  ASSERT_FALSE(bootstrap.empty());
  const Mix mix = GetParam();
  const int kills = Iterations("BACKUP_KILLS", 3);
  const uint64_t seed = Seed() * 31 + static_cast<uint64_t>(mix);
  std::mt19937_64 rng(seed);
  const auto started = std::chrono::steady_clock::now();

  testing::TempDir dir;
  const std::string topic = testing::UniqueName(std::string("chaos-") + MixName(mix));
  auto admin = kafka::Admin::Make({{"bootstrap.servers", bootstrap}});
  ASSERT_TRUE(admin.ok());
  ASSERT_TRUE(
      (*admin)->CreateTopic({topic, kPartitions, 1, {{"max.message.bytes", "2000000"}}}, 30s).ok());
  const std::string config = dir.path() + "/kb.yaml";
  std::ofstream(config) << "kafka:\n  bootstrap.servers: " << bootstrap << "\n"
                        << "  max.partition.fetch.bytes: 2000000\n"
                        << "storage:\n  prefix: chaos\n  local:\n    path: " << dir.path()
                        << "/store\n"
                        << "backup:\n  group_id: " << topic << "-backup\n  topics: [" << topic
                        << "]\n  segment:\n    max_records: 150\n    max_age: 300ms\n"
                        << "  metadata_interval: 1s\n  offsets_interval: 1s\n";
  Config cfg;
  cfg.storage.prefix = "chaos";
  const std::string log = dir.path() + "/kafka-backup.log";

  TrackingProducer producer(bootstrap, topic, mix, seed);
  ScenarioResult result{.scenario = std::string("backup kill -9 (") + MixName(mix) + ")"};
  const std::string app_group = topic + "-app";
  std::map<int32_t, std::set<int64_t>> app_committed;
  std::map<int32_t, int64_t> app_last;
  for (int i = 0; i < kills; ++i) {
    // The application group moves on (committed offsets need not be below the log end).
    kafka::GroupOffsets move;
    for (int32_t p = 0; p < kPartitions; ++p) {
      app_last[p] = 10 * i + p + static_cast<int64_t>(rng() % 10);
      app_committed[p].insert(app_last[p]);
      move[{topic, p}] = app_last[p];
    }
    Status altered = (*admin)->AlterConsumerGroupOffsets(app_group, move, 30s);
    for (int retry = 0; !altered.ok() && retry < 20; ++retry) {  // e.g. coordinator loading
      std::this_thread::sleep_for(500ms);
      altered = (*admin)->AlterConsumerGroupOffsets(app_group, move, 30s);
    }
    ASSERT_TRUE(altered.ok()) << altered.ToString();
    pid_t pid = SpawnLogged({KB_BINARY, "--config", config, "backup"}, log);
    ASSERT_GT(pid, 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(300 + rng() % 2700));
    ASSERT_EQ(kill(pid, SIGKILL), 0);
    const int code = WaitFor(pid, 60s);
    ASSERT_EQ(code, 128 + SIGKILL) << "the daemon ended before the kill: " << ReadFile(log);
    ++result.faults;
    producer.Pause();
    auto store = storage::LocalStore::Open(dir.path() + "/store");
    ASSERT_TRUE(store.ok());
    Check c = CheckStore(**store, cfg, topic, producer.Committed(), /*complete=*/false);
    CheckGroupSnapshots(**store, topic, app_group, app_committed, nullptr, c.problems);
    producer.Resume();
    result.records_checked += c.records;
    result.duplicated += c.duplicated;
    EXPECT_EQ(c.duplicated, 0u) << "after kill " << i;
    EXPECT_TRUE(c.problems.empty()) << "after kill " << i << ": " << c.problems.front();
    ++result.iterations;
  }
  producer.Stop();
  const cli::testing::Ran once =
      cli::testing::Run(KB_BINARY, {"--config", config, "backup", "--once"}, log, 10min);
  ASSERT_EQ(once.code, 0) << once.output;
  auto store = storage::LocalStore::Open(dir.path() + "/store");
  ASSERT_TRUE(store.ok());
  const auto committed = producer.Committed();
  Check c = CheckStore(**store, cfg, topic, committed, /*complete=*/true);
  CheckGroupSnapshots(**store, topic, app_group, app_committed, &app_last, c.problems);
  result.records_checked += c.records;
  result.lost += c.lost;
  result.duplicated += c.duplicated;
  EXPECT_EQ(c.lost, 0u);
  EXPECT_EQ(c.duplicated, 0u);
  EXPECT_TRUE(c.problems.empty()) << c.problems.front();
  uint64_t produced = 0;
  for (const auto& [p, m] : committed) produced += m.size();
  EXPECT_GT(produced, 100u);
  const cli::testing::Ran verify = cli::testing::Run(KB_BINARY, {"--config", config, "verify"},
                                                     dir.path() + "/verify.log", 5min);
  EXPECT_EQ(verify.code, 0) << verify.output;
  result.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  AddResult(result);
}

INSTANTIATE_TEST_SUITE_P(Mixes, BackupKillTest,
                         ::testing::Values(Mix::kPlain, Mix::kKeyed, Mix::kTransactional,
                                           Mix::kLarge),
                         [](const ::testing::TestParamInfo<Mix>& p) {
                           return std::string(MixName(p.param));
                         });

}  // namespace
}  // namespace kb::chaos
