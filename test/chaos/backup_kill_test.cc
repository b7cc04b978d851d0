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
#include <librdkafka/rdkafka.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <map>
#include <mutex>
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

namespace kb::chaos {
namespace {

using namespace std::chrono_literals;
using cli::testing::ReadFile;
using cli::testing::SpawnLogged;
using cli::testing::WaitFor;

enum class Mix { kPlain, kKeyed, kTransactional, kLarge };
const char* MixName(Mix m) {
  switch (m) {
    case Mix::kPlain:
      return "plain";
    case Mix::kKeyed:
      return "keyed";
    case Mix::kTransactional:
      return "transactional";
    case Mix::kLarge:
      return "large";
  }
  return "?";
}

constexpr int kPartitions = 3;

// Produces unique values continuously and records, per partition, the offset each value got
// (only once its transaction committed, in the transactional mix).
class TrackingProducer {
 public:
  TrackingProducer(const std::string& bootstrap, const std::string& topic, Mix mix, uint64_t seed)
      : topic_(topic), mix_(mix), rng_(seed) {
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    char err[256];
    auto set = [&](const char* k, const std::string& v) {
      EXPECT_EQ(rd_kafka_conf_set(conf, k, v.c_str(), err, sizeof(err)), RD_KAFKA_CONF_OK) << err;
    };
    set("bootstrap.servers", bootstrap);
    set("enable.idempotence", "true");
    set("linger.ms", "5");
    set("message.max.bytes", "2000000");
    if (mix == Mix::kTransactional) set("transactional.id", testing::UniqueName("chaos-tx"));
    rd_kafka_conf_set_dr_msg_cb(conf, &TrackingProducer::OnDelivery);
    rd_kafka_conf_set_opaque(conf, this);
    rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
    EXPECT_NE(rk_, nullptr) << err;
    if (mix == Mix::kTransactional && rk_ != nullptr) {
      rd_kafka_error_t* e = rd_kafka_init_transactions(rk_, 30000);
      EXPECT_EQ(e, nullptr) << rd_kafka_error_string(e);
    }
    thread_ = std::thread([this] { Loop(); });
  }
  ~TrackingProducer() {
    Stop();
    if (rk_ != nullptr) rd_kafka_destroy(rk_);
  }

  // Stops producing, with every record sent delivered (and its transaction ended).
  void Pause() {
    std::unique_lock lock(mu_);
    paused_ = true;
    const uint64_t wanted = ++pause_requests_;
    cv_.wait(lock, [&] { return pauses_seen_ >= wanted; });
  }
  void Resume() {
    std::lock_guard lock(mu_);
    paused_ = false;
    cv_.notify_all();
  }
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  // partition -> offset -> value, of every committed record.
  std::map<int32_t, std::map<int64_t, std::string>> Committed() {
    std::lock_guard lock(mu_);
    return committed_;
  }

 private:
  static void OnDelivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
    auto* self = static_cast<TrackingProducer*>(opaque);
    if (m->err) return;  // not written: not expected in the store
    std::lock_guard lock(self->mu_);
    self->pending_.push_back(
        {m->partition, m->offset, std::string(static_cast<const char*>(m->payload), m->len)});
  }

  void Loop() {
    uint64_t seq = 0;
    while (!stop_) {
      {
        std::unique_lock lock(mu_);
        if (paused_) {
          pauses_seen_ = pause_requests_;
          cv_.notify_all();
          cv_.wait_for(lock, 50ms, [this] { return !paused_ || stop_; });
          continue;
        }
      }
      const bool tx = mix_ == Mix::kTransactional;
      if (tx) rd_kafka_begin_transaction(rk_);
      for (int i = 0; i < 20; ++i, ++seq) {
        std::string value = "v" + std::to_string(seq);
        if (mix_ == Mix::kLarge && seq % 5 == 0) value += std::string(300'000, 'x');
        const int32_t partition = static_cast<int32_t>(seq % kPartitions);
        std::string key = mix_ == Mix::kKeyed ? "key-" + std::to_string(seq % 7) : "";
        rd_kafka_producev(rk_, RD_KAFKA_V_TOPIC(topic_.c_str()), RD_KAFKA_V_PARTITION(partition),
                          RD_KAFKA_V_VALUE(value.data(), value.size()),
                          RD_KAFKA_V_KEY(key.empty() ? nullptr : key.data(), key.size()),
                          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
      }
      rd_kafka_flush(rk_, 30000);
      bool keep = true;
      if (tx) {
        keep = rng_() % 4 != 0;  // a quarter of the transactions are aborted
        rd_kafka_error_t* e =
            keep ? rd_kafka_commit_transaction(rk_, 30000) : rd_kafka_abort_transaction(rk_, 30000);
        if (e != nullptr) {
          ADD_FAILURE() << "ending a transaction: " << rd_kafka_error_string(e);
          rd_kafka_error_destroy(e);
          keep = false;
        }
      }
      {
        std::lock_guard lock(mu_);
        if (keep) {
          for (auto& [p, offset, value] : pending_) committed_[p][offset] = std::move(value);
        }
        pending_.clear();
      }
      std::this_thread::sleep_for(5ms);
    }
  }

  const std::string topic_;
  const Mix mix_;
  std::mt19937_64 rng_;
  rd_kafka_t* rk_ = nullptr;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  bool paused_ = false;          // guarded by mu_
  uint64_t pause_requests_ = 0;  // guarded by mu_
  uint64_t pauses_seen_ = 0;     // guarded by mu_: the loop was idle after this many requests
  struct Delivered {
    int32_t partition;
    int64_t offset;
    std::string value;
  };
  std::vector<Delivered> pending_;
  std::map<int32_t, std::map<int64_t, std::string>> committed_;
};

struct Check {
  uint64_t records = 0;
  uint64_t duplicated = 0;
  uint64_t lost = 0;  // only when `complete`: committed records missing from the store
  std::vector<std::string> problems;
};

// Compares what the store holds with what was produced.
Check CheckStore(storage::ObjectStore& store, const Config& cfg, const std::string& topic,
                 const std::map<int32_t, std::map<int64_t, std::string>>& committed,
                 bool complete) {
  Check c;
  for (int32_t p = 0; p < kPartitions; ++p) {
    auto got = backup::testutil::ReadPartition(store, cfg, topic, p);
    if (!got.ranges.empty()) {
      if (auto tiles = backup::testutil::RangesTile(got.ranges, 0); !tiles) {
        c.problems.push_back("partition " + std::to_string(p) + ": " + tiles.message());
      }
    }
    const auto it = committed.find(p);
    std::set<int64_t> seen;
    for (const format::Record& r : got.records) {
      ++c.records;
      if (!seen.insert(r.offset).second) {
        ++c.duplicated;
        continue;
      }
      const std::string value = r.value.value_or("");
      if (it == committed.end() || !it->second.count(r.offset)) {
        c.problems.push_back("partition " + std::to_string(p) + " offset " +
                             std::to_string(r.offset) + ": stored but not a committed record");
      } else if (it->second.at(r.offset) != value) {
        c.problems.push_back("partition " + std::to_string(p) + " offset " +
                             std::to_string(r.offset) + ": another value than was produced");
      }
    }
    if (complete && it != committed.end()) {
      for (const auto& [offset, value] : it->second) {
        if (!seen.count(offset)) ++c.lost;
      }
    }
  }
  return c;
}

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
