// Fault campaign, scenario "failover on a three-broker cluster" (issue "Production clusters", item
// 5), on a cluster of its own (cluster_bed.h: three KRaft nodes, replication factor 3,
// min.insync.replicas=2), with records produced continuously to a topic of 5 partitions by an
// idempotent producer and to a topic of 3 partitions in transactions (a quarter aborted), and an
// application group committing new offsets every second:
//   - backup: under the `backup` daemon, the broker leading most backed-up partitions is killed -9
//     and restarted, then all three nodes are restarted one after the other (controlled shutdown,
//     each back with every replica in sync before the next). The daemon is never restarted by the
//     test. Then every record of the idempotent topic is in the store exactly once (against the
//     topic and against the offsets the producer was given), every committed transactional record
//     is stored once and no aborted one, the group's snapshot holds its last offsets, `verify` is
//     clean, and the daemon stops cleanly on SIGTERM.
//   - restore: both topics restored into new ones while the broker leading most target partitions
//     is killed -9 and restarted; a restore that fails is run again. The targets then equal the
//     backed-up records, the offset maps (`offsets export`) are exact record for record, and the
//     group sits on each target partition where its source offset translates to.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <thread>

#include "app_group.h"
#include "backup/backup_test_util.h"
#include "chaos_report.h"
#include "cli/cli_test_util.h"
#include "cluster_bed.h"
#include "kafka/admin.h"
#include "restore/restore_test_util.h"
#include "source_checks.h"
#include "storage/local/local_store.h"
#include "testing/test_env.h"
#include "tracking_producer.h"

namespace kb::chaos {
namespace {

using namespace std::chrono_literals;
using cli::testing::ReadFile;
using cli::testing::SpawnLogged;
using cli::testing::WaitFor;

constexpr int kIdempotentPartitions = 5;
constexpr int kTxPartitions = 3;  // = kPartitions of TrackingProducer / CheckStore
constexpr const char* kPrefix = "fo";

double Since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// The source topics (replication factor 3) and the partitions of both.
struct Topics {
  std::string idem, tx;
  std::vector<kafka::TopicPartition> All() const {
    std::vector<kafka::TopicPartition> out;
    for (int32_t p = 0; p < kIdempotentPartitions; ++p) out.push_back({idem, p});
    for (int32_t p = 0; p < kTxPartitions; ++p) out.push_back({tx, p});
    return out;
  }
};

Topics CreateTopics(kafka::Admin& admin, const std::string& base) {
  Topics t{base + "-idem", base + "-tx"};
  EXPECT_TRUE(admin.CreateTopic({t.idem, kIdempotentPartitions, 3, {}}, 60s).ok());
  EXPECT_TRUE(admin.CreateTopic({t.tx, kTxPartitions, 3, {}}, 60s).ok());
  return t;
}

std::string WriteConfig(const ClusterBed& c, const std::string& dir, const Topics& t) {
  const std::string path = dir + "/kb.yaml";
  std::ofstream(path) << "kafka:\n  bootstrap.servers: " << c.bootstrap << "\n"
                      << "storage:\n  prefix: " << kPrefix << "\n  local:\n    path: " << dir
                      << "/store\n"
                      << "backup:\n  group_id: " << t.idem << "-backup\n  topics: [" << t.idem
                      << ", " << t.tx << "]\n  segment:\n    max_records: 400\n    max_age: 1s\n"
                      << "  metadata_interval: 1s\n  offsets_interval: 1s\n";
  return path;
}

TrackingOptions Options(int partitions) {
  return {.partitions = partitions, .batch_pause = 100ms, .faults_expected = true};
}

// Number of records the store must hold once the backup caught up: every record of the
// idempotent topic (its end offsets; nothing deleted) plus every committed transactional record.
uint64_t Expected(kafka::Admin& admin, const std::string& bootstrap, const Topics& t,
                  const std::map<int32_t, std::map<int64_t, std::string>>& tx_committed) {
  uint64_t n = 0;
  for (int32_t p = 0; p < kIdempotentPartitions; ++p) {
    auto wm = admin.QueryWatermarks(t.idem, p, 30s);
    // Leaders may still move back to the restarted nodes (preferred leader election), and a
    // handle may keep asking a broker that no longer leads (docs/reliability.md): a fresh one.
    for (int retry = 0; !wm.ok() && retry < 30; ++retry) {
      std::this_thread::sleep_for(500ms);
      auto fresh = kafka::Admin::Make({{"bootstrap.servers", bootstrap}});
      if (fresh.ok()) wm = (*fresh)->QueryWatermarks(t.idem, p, 30s);
    }
    EXPECT_TRUE(wm.ok()) << wm.status().ToString();
    if (wm.ok()) n += static_cast<uint64_t>(wm->high - wm->low);
  }
  for (const auto& [p, m] : tx_committed) n += m.size();
  return n;
}

// Kills -9 the node leading most of `topics`' partitions, waits until other brokers lead all of
// them, restarts it and waits until every replica is in sync again. `alive` is checked after
// every step (e.g. the daemon still runs). Returns the node killed, 0 on failure.
int KillBusiestLeader(const ClusterBed& c, const std::vector<std::string>& topics,
                      const std::function<void(const char*)>& alive) {
  auto parts = DescribePartitions(c.bootstrap, topics, 30s);
  EXPECT_TRUE(parts.ok()) << parts.status().ToString();
  if (!parts.ok()) return 0;
  const auto [node, led] = BusiestLeader(*parts);
  EXPECT_GT(node, 0);
  if (node <= 0) return 0;
  std::cerr << "[failover] kill -9 node " << node << ", leader of " << led << " of "
            << parts->size() << " partitions\n";
  if (!c.KillNode(node)) return 0;
  alive("node killed");
  // The controller moves its leaderships once its broker session expires (about 9-11 s).
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  bool moved = false;
  std::string stuck;
  while (!moved && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(1s);
    auto now = DescribePartitions(c.bootstrap, topics, 10s);
    if (!now.ok()) continue;
    moved = true;
    stuck.clear();
    for (const auto& [tp, s] : *now) {
      if (s.leader >= 0 && s.leader != node) continue;
      moved = false;
      stuck += " " + kafka::ToString(tp) + " (leader " + std::to_string(s.leader) + ", ISR " +
               std::to_string(s.in_sync) + ")";
    }
  }
  // Not a failure: a partition whose ISR had shrunk to the killed node alone (followers out of
  // sync on a loaded machine) rightly stays offline until it is back (no unclean election).
  if (!moved) std::cerr << "[failover] no new leader within 60 s for:" << stuck << "\n";
  std::this_thread::sleep_for(5s);  // clients work on the new leaders for a while
  alive("leaders moved");
  if (!c.RestartNode(node)) return 0;
  const Status isr = WaitForFullIsr(c.bootstrap, 3min);
  EXPECT_TRUE(isr.ok()) << isr.ToString();
  alive("node restarted");
  return node;
}

// Part of the CI run since the stale NOT_LEADER_FOR_PARTITION / NOT_COORDINATOR answers it found
// after the rolling restart were traced to librdkafka's caches and worked around in kafka::Admin
// (docs/reliability.md, "Failover on a three-broker cluster"). KB_CHAOS_FAILOVER=0 skips it, e.g.
// on a machine without the memory for three more brokers.
bool FailoverEnabled() {
  const char* v = std::getenv("KB_CHAOS_FAILOVER");
  return v == nullptr || std::string(v) != "0";
}
constexpr const char* kFailoverSkipped = "skipped: KB_CHAOS_FAILOVER=0";

TEST(FailoverTest, TheBackupDaemonRidesOutALeaderKillAndARollingRestart) {
  if (!FailoverEnabled()) GTEST_SKIP() << kFailoverSkipped;
  const ClusterBed* c = Cluster();
  ASSERT_NE(c, nullptr);
  const auto started = std::chrono::steady_clock::now();
  testing::TempDir dir;
  auto admin = kafka::Admin::Make({{"bootstrap.servers", c->bootstrap}});
  ASSERT_TRUE(admin.ok());
  const Topics t = CreateTopics(**admin, testing::UniqueName("fo-b"));
  ASSERT_FALSE(::testing::Test::HasFailure());
  const std::string config = WriteConfig(*c, dir.path(), t);
  const std::string log = dir.path() + "/backup.log";

  TrackingProducer idem(c->bootstrap, t.idem, Mix::kPlain, Seed(), Options(kIdempotentPartitions));
  TrackingProducer tx(c->bootstrap, t.tx, Mix::kTransactional, Seed() + 1, Options(kTxPartitions));
  AppGroup app(c->bootstrap, t.idem + "-app", t.All(), Seed() + 2);
  const pid_t pid = SpawnLogged({KB_BINARY, "--config", config, "backup"}, log);
  ASSERT_GT(pid, 0);
  cli::testing::Reaper reaper{pid};
  auto alive = [&](const char* when) {
    ASSERT_EQ(WaitFor(pid, 0ms), -1) << "the daemon ended (" << when << "):\n" << ReadFile(log);
  };
  ScenarioResult result{.scenario =
                            "failover, 3 brokers: backup daemon (leader killed -9, "
                            "rolling restart)"};
  std::this_thread::sleep_for(8s);
  ASSERT_GT(KillBusiestLeader(*c, {t.idem, t.tx}, alive), 0);
  if (::testing::Test::HasFatalFailure()) return;
  ++result.faults;
  for (int k = 1; k <= c->nodes; ++k) {
    SCOPED_TRACE("rolling restart, node " + std::to_string(k));
    std::cerr << "[failover] rolling restart: node " << k << "\n";
    ASSERT_TRUE(c->StopNode(k));
    alive("node stopped");
    ASSERT_TRUE(c->RestartNode(k));
    const Status isr = WaitForFullIsr(c->bootstrap, 3min);
    ASSERT_TRUE(isr.ok()) << isr.ToString();
    alive("node restarted");
    if (::testing::Test::HasFatalFailure()) return;
    ++result.faults;
  }
  result.iterations = 1;
  std::this_thread::sleep_for(3s);
  idem.Stop();
  tx.Stop();
  app.Stop();
  const auto committed_tx = tx.Committed();
  const uint64_t expected = Expected(**admin, c->bootstrap, t, committed_tx);
  auto store = storage::LocalStore::Open(dir.path() + "/store");
  ASSERT_TRUE(store.ok());
  const auto caught_up = [&] {
    return StoredRecords(**store, kPrefix, t.idem, kIdempotentPartitions) +
                   StoredRecords(**store, kPrefix, t.tx, kTxPartitions) >=
               expected &&
           CheckGroupSnapshot(**store, kPrefix, app.group(), app.Last()).empty();
  };
  const auto deadline = std::chrono::steady_clock::now() + 3min;
  while (!caught_up() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(1s);
  }
  alive("caught up");
  ASSERT_EQ(kill(pid, SIGTERM), 0);
  EXPECT_EQ(WaitFor(pid, 2min), 0) << ReadFile(log);
  reaper.pid = 0;

  // The idempotent topic: the store against the topic, and the topic against the producer.
  const Comparison ci =
      CompareStoreWithTopic(**store, kPrefix, c->bootstrap, t.idem, kIdempotentPartitions);
  EXPECT_TRUE(ci.equal()) << "lost " << ci.lost << ", duplicated " << ci.duplicated << ", "
                          << ci.first_problem() << "\n"
                          << ReadFile(log);
  Config cfg;
  cfg.storage.prefix = kPrefix;
  const Check produced =
      CheckStore(**store, cfg, t.idem, idem.Committed(), true, kIdempotentPartitions);
  EXPECT_EQ(produced.lost, 0u) << "records the producer was acknowledged are not in the store";
  EXPECT_TRUE(produced.problems.empty()) << produced.problems.front();
  // The transactional topic: committed records once each, nothing aborted.
  const Check ct = CheckStore(**store, cfg, t.tx, committed_tx, true, kTxPartitions);
  EXPECT_EQ(ct.lost, 0u);
  EXPECT_EQ(ct.duplicated, 0u);
  EXPECT_TRUE(ct.problems.empty()) << ct.problems.front();
  EXPECT_GT(tx.TransactionsAborted(), 0u);
  if (!tx.StoppedEarly().empty()) {
    std::cerr << "[failover] the transactional producer stopped early: " << tx.StoppedEarly()
              << "\n";
  }
  const auto snapshot = CheckGroupSnapshot(**store, kPrefix, app.group(), app.Last());
  EXPECT_TRUE(snapshot.empty()) << snapshot.front();
  EXPECT_GE(app.Rounds(), 3u);
  const cli::testing::Ran verify = cli::testing::Run(KB_BINARY, {"--config", config, "verify"},
                                                     dir.path() + "/verify.log", 5min);
  EXPECT_EQ(verify.code, 0) << verify.output;

  result.records_checked = ci.records + ct.records;
  result.lost = ci.lost + ct.lost;
  result.duplicated = ci.duplicated + ct.duplicated;
  result.seconds = Since(started);
  std::cerr << "[failover] backup: " << ci.records << " idempotent + " << ct.records
            << " transactional records stored (" << tx.TransactionsAborted()
            << " transactions aborted by choice, " << tx.TransactionsFailed()
            << " by a fault; failed deliveries " << idem.DeliveriesFailed() << "), " << app.Rounds()
            << " group commits (" << app.Skipped()
            << " rounds skipped, first: " << app.FirstSkipReason() << "), " << result.seconds
            << " s\n";
  AddResult(result);
}

// The offset map of `source`/p -> `target` (offsets export) expanded to source -> target pairs.
std::map<int64_t, int64_t> ExportedMap(const std::string& config, const std::string& dir,
                                       const std::string& source, const std::string& target,
                                       int32_t p, bool* complete) {
  const cli::testing::Ran ran = cli::testing::Run(
      KB_BINARY,
      {"--config", config, "offsets", "export", "--topic", source, "--target-topic", target,
       "--partition", std::to_string(p), "--format", "json"},
      dir + "/export.log", 2min);
  EXPECT_EQ(ran.code, 0) << ran.output;
  std::map<int64_t, int64_t> out;
  const size_t at = ran.output.find("{\n  \"restores\"");  // stderr may precede it
  const auto j =
      nlohmann::json::parse(at == std::string::npos ? "" : ran.output.substr(at), nullptr, false);
  if (!j.is_object() || j["restores"].size() != 1) {
    ADD_FAILURE() << "offsets export: " << ran.output;
    return out;
  }
  const auto& r = j["restores"][0];
  *complete = r["complete"].get<bool>();
  for (const auto& run : r["runs"]) {
    const int64_t s0 = run["source_start"], s1 = run["source_end"], t0 = run["target_start"];
    for (int64_t s = s0; s <= s1; ++s) out[s] = t0 + (s - s0);
  }
  return out;
}

TEST(FailoverTest, ARestoreSurvivesALeaderKillAndMovesTheGroupExactly) {
  if (!FailoverEnabled()) GTEST_SKIP() << kFailoverSkipped;
  const ClusterBed* c = Cluster();
  ASSERT_NE(c, nullptr);
  const auto started = std::chrono::steady_clock::now();
  testing::TempDir dir;
  auto admin = kafka::Admin::Make({{"bootstrap.servers", c->bootstrap}});
  ASSERT_TRUE(admin.ok());
  const Topics t = CreateTopics(**admin, testing::UniqueName("fo-r"));
  ASSERT_FALSE(::testing::Test::HasFailure());
  const std::string config = WriteConfig(*c, dir.path(), t);
  const std::string log = dir.path() + "/run.log";
  AppGroup app(c->bootstrap, t.idem + "-app", t.All(), Seed() + 3);
  {
    TrackingProducer idem(c->bootstrap, t.idem, Mix::kKeyed, Seed() + 4,
                          Options(kIdempotentPartitions));
    TrackingProducer tx(c->bootstrap, t.tx, Mix::kTransactional, Seed() + 5,
                        Options(kTxPartitions));
    std::this_thread::sleep_for(15s);
  }
  app.Stop();
  ASSERT_EQ(cli::testing::Run(KB_BINARY, {"--config", config, "backup", "--once"}, log, 5min).code,
            0)
      << ReadFile(log);
  auto store = storage::LocalStore::Open(dir.path() + "/store");
  ASSERT_TRUE(store.ok());
  const auto snapshot = CheckGroupSnapshot(**store, kPrefix, app.group(), app.Last());
  ASSERT_TRUE(snapshot.empty()) << snapshot.front();
  Config cfg;
  cfg.storage.prefix = kPrefix;
  // What the restore must write: the stored records of every partition.
  std::map<kafka::TopicPartition, std::vector<format::Record>> stored;
  uint64_t bytes = 0;
  for (const kafka::TopicPartition& tp : t.All()) {
    stored[tp] = backup::testutil::ReadPartition(**store, cfg, tp.topic, tp.partition).records;
    for (const format::Record& r : stored[tp]) {
      bytes += r.key.value_or("").size() + r.value.value_or("").size();
    }
  }
  ASSERT_GT((stored[{t.tx, 0}].size()), 0u);
  const std::string idem_target = t.idem + "-copy", tx_target = t.tx + "-copy";
  const std::vector<std::string> args = {"--config",
                                         config,
                                         "restore",
                                         "--topic",
                                         t.idem,
                                         "--topic",
                                         t.tx,
                                         "--rename",
                                         t.idem + "=" + idem_target,
                                         "--rename",
                                         t.tx + "=" + tx_target,
                                         "--groups",
                                         app.group(),
                                         "--checkpoint-interval",
                                         "200ms"};
  // Rate-limited to last about 40 s: the kill lands in the middle.
  std::vector<std::string> slow = {KB_BINARY};
  slow.insert(slow.end(), args.begin(), args.end());
  slow.insert(slow.end(),
              {"--max-bytes-per-second", std::to_string(std::max<uint64_t>(bytes / 40, 1024))});
  ScenarioResult result{.scenario = "failover, 3 brokers: restore (leader killed -9)"};
  const pid_t pid = SpawnLogged(slow, log);
  ASSERT_GT(pid, 0);
  cli::testing::Reaper reaper{pid};
  // Wait for the restore to create its targets, then take their busiest leader away.
  const auto deadline = std::chrono::steady_clock::now() + 2min;
  while (!DescribePartitions(c->bootstrap, {idem_target, tx_target}, 10s).ok() &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(500ms);
  }
  std::this_thread::sleep_for(3s);
  ASSERT_EQ(WaitFor(pid, 0ms), -1) << "the restore ended before the fault:\n" << ReadFile(log);
  ASSERT_GT(KillBusiestLeader(*c, {idem_target, tx_target}, [](const char*) {}), 0);
  ++result.faults;
  int code = WaitFor(pid, 8min);
  reaper.pid = 0;
  std::cerr << "[failover] restore under the kill ended with exit code " << code << "\n";
  if (code != 0) {  // what a user does next: run it again, it resumes
    std::cerr << ReadFile(log);
    const cli::testing::Ran again =
        cli::testing::Run(KB_BINARY, args, dir.path() + "/again.log", 8min);
    ASSERT_EQ(again.code, 0) << again.output;
    result.iterations = 2;
  } else {
    result.iterations = 1;
  }

  // Each target partition holds exactly the stored records, the map says where each went, and
  // the group sits where its source offset translates to.
  auto groups = (*admin)->ListConsumerGroupOffsets(app.group(), 30s);
  ASSERT_TRUE(groups.ok()) << groups.status().ToString();
  const kafka::GroupOffsets last = app.Last();
  for (const kafka::TopicPartition& tp : t.All()) {
    SCOPED_TRACE(kafka::ToString(tp));
    const std::string target = tp.topic == t.idem ? idem_target : tx_target;
    const std::vector<format::Record>& want = stored[tp];
    const std::vector<format::Record> got =
        restore::testutil::ReadAll(c->bootstrap, target, tp.partition);
    result.records_checked += got.size();
    if (got.size() > want.size()) result.duplicated += got.size() - want.size();
    if (got.size() < want.size()) result.lost += want.size() - got.size();
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < want.size(); ++i) {
      ASSERT_TRUE(got[i].key == want[i].key && got[i].value == want[i].value &&
                  got[i].timestamp == want[i].timestamp)
          << "index " << i << " (source offset " << want[i].offset << ")";
    }
    bool complete = false;
    const std::map<int64_t, int64_t> map =
        ExportedMap(config, dir.path(), tp.topic, target, tp.partition, &complete);
    EXPECT_TRUE(complete);
    ASSERT_EQ(map.size(), want.size());
    for (size_t i = 0; i < want.size(); ++i) {
      const auto it = map.find(want[i].offset);
      ASSERT_TRUE(it != map.end() && it->second == got[i].offset)
          << "source offset " << want[i].offset << " is at target offset " << got[i].offset
          << ", the map says " << (it == map.end() ? "nothing" : std::to_string(it->second));
    }
    const int64_t end = got.empty() ? 0 : got.back().offset + 1;
    const auto moved = groups->find({target, tp.partition});
    ASSERT_NE(moved, groups->end()) << "group " << app.group() << " not moved";
    EXPECT_EQ(moved->second, ExpectedTargetOffset(last.at(tp), want, got, end))
        << "committed at " << last.at(tp) << " on the source";
  }
  // The idempotent topic is restored whole: the target equals the source record for record.
  const Comparison ci = CompareTopics(c->bootstrap, t.idem, idem_target, kIdempotentPartitions);
  EXPECT_TRUE(ci.equal()) << ci.first_problem();
  result.seconds = Since(started);
  std::cerr << "[failover] restore: " << result.records_checked << " records, " << bytes
            << " bytes, " << result.seconds << " s\n";
  AddResult(result);
}

}  // namespace
}  // namespace kb::chaos
