// BackupEngine in daemon mode (not --once) against the real Kafka broker, and --once against the
// real S3 server. The engine runs Run() on a thread and is stopped with Stop(), as the SIGTERM
// handler of `kafka-backup backup` does. The memory budget: backup_budget_test.cc.
#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <set>
#include <thread>

#include "backup/backup_engine.h"
#include "backup/backup_test_util.h"
#include "backup/generations.h"
#include "catalog/store_position.h"
#include "storage/factory/open_store.h"
#include "storage/memory/memory_store.h"
#include "testing/s3_server.h"
#include "testing/test_env.h"

namespace kb::backup {
namespace {

using namespace std::chrono_literals;
using format::Record;
using testutil::MakeConfig;
using testutil::RangesTile;
using testutil::RawProducer;
using testutil::ReadPartition;

// An engine running its daemon loop on a thread of its own.
class RunningEngine {
 public:
  RunningEngine(const Config& cfg, storage::ObjectStore* store,
                Generations* generations = nullptr) {
    auto e = BackupEngine::Make(cfg, store, {});
    EXPECT_TRUE(e.ok()) << e.status().ToString();
    if (!e.ok()) return;
    engine_ = std::move(e).value();
    engine_->SetGenerations(generations);
    thread_ = std::thread([this] {
      status_ = engine_->Run();
      finished_.store(true);
    });
  }
  ~RunningEngine() { (void)StopAndJoin(); }

  Status StopAndJoin() {
    if (!thread_.joinable()) return status_;
    engine_->Stop();
    thread_.join();
    return status_;
  }
  bool finished() const { return finished_.load(); }
  std::vector<PartitionId> Assigned() const {
    return engine_ ? engine_->Assigned() : std::vector<PartitionId>{};
  }

 private:
  std::unique_ptr<BackupEngine> engine_;
  std::thread thread_;
  Status status_;
  std::atomic<bool> finished_{false};
};

// Polls `done` every 100 ms until it holds or `timeout` passed; false on timeout.
bool WaitUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(100ms);
  }
  return true;
}

// Whether the store holds every offset below `count` of each partition (counts[p] for topic/p).
bool StoreHolds(storage::ObjectStore& store, const Config& cfg, const std::string& topic,
                const std::vector<int64_t>& counts) {
  layout::Keys keys(cfg.storage.prefix);
  for (size_t p = 0; p < counts.size(); ++p) {
    auto next = catalog::NextOffsetInStore(store, keys, topic, static_cast<int32_t>(p));
    if (!next.ok() || next->value_or(0) < counts[p]) return false;
  }
  return true;
}

// Per partition: what the store holds, Kafka's end offset and what was sent — the message of a
// failed wait, telling a stalled consumer from a record that never reached Kafka.
std::string Progress(storage::ObjectStore& store, const Config& cfg, kafka::Admin& admin,
                     const std::string& topic, const std::vector<int64_t>& counts) {
  layout::Keys keys(cfg.storage.prefix);
  std::string out;
  for (size_t p = 0; p < counts.size(); ++p) {
    const auto partition = static_cast<int32_t>(p);
    auto next = catalog::NextOffsetInStore(store, keys, topic, partition);
    auto marks = admin.QueryWatermarks(topic, partition, 10s);
    out += "\n  " + topic + "/" + std::to_string(p) + ": store next " +
           (next.ok() ? std::to_string(next->value_or(0)) : next.status().ToString()) +
           ", kafka end " + (marks.ok() ? std::to_string(marks->high) : marks.status().ToString()) +
           ", sent " + std::to_string(counts[p]);
  }
  return out;
}

// Every partition of `topic` tiles from 0 and holds exactly the values sent to it, in order.
void ExpectExactly(storage::ObjectStore& store, const Config& cfg, const std::string& topic,
                   const std::vector<std::vector<std::string>>& sent) {
  for (size_t p = 0; p < sent.size(); ++p) {
    auto got = ReadPartition(store, cfg, topic, static_cast<int32_t>(p));
    EXPECT_TRUE(RangesTile(got.ranges, 0)) << topic << "/" << p;
    ASSERT_EQ(got.records.size(), sent[p].size()) << topic << "/" << p;
    for (size_t i = 0; i < got.records.size(); ++i) {
      EXPECT_EQ(got.records[i].offset, static_cast<int64_t>(i)) << topic << "/" << p;
      EXPECT_EQ(got.records[i].value, sent[p][i]) << topic << "/" << p << " offset " << i;
    }
  }
}

std::vector<int64_t> Counts(const std::vector<std::vector<std::string>>& sent) {
  std::vector<int64_t> out;
  for (const auto& v : sent) out.push_back(static_cast<int64_t>(v.size()));
  return out;
}

class BackupDaemonTest : public testutil::KafkaTest {
 protected:
  // Sends `n` records to topic/partition and remembers their values in sent[partition].
  void Produce(RawProducer& producer, const std::string& topic, int32_t partition, int n,
               std::vector<std::vector<std::string>>& sent) {
    if (sent.size() <= static_cast<size_t>(partition)) sent.resize(partition + 1);
    for (int i = 0; i < n; ++i) {
      Record r;
      r.key = "k";
      r.value =
          topic + "/" + std::to_string(partition) + "#" + std::to_string(sent[partition].size());
      producer.Send(topic, partition, r);
      sent[partition].push_back(*r.value);
    }
  }
};

TEST_F(BackupDaemonTest, NewTopicsAndNewPartitionsArePickedUpWhileRunning) {
  const std::string prefix = testing::UniqueName("dmn-new");
  const std::string first = prefix + "-a";
  const std::string second = prefix + "-b";
  CreateTopic(first, 2);
  Config cfg = MakeConfig(bootstrap_, {"^" + prefix + ".*"}, testing::UniqueName("dmn-group"));
  cfg.backup.segment_max_age = 300ms;
  storage::MemoryStore store;
  RawProducer producer(bootstrap_);
  std::vector<std::vector<std::string>> sent_first, sent_second;
  for (int32_t p = 0; p < 2; ++p) Produce(producer, first, p, 40, sent_first);
  producer.Flush();

  RunningEngine engine(cfg, &store);
  ASSERT_TRUE(WaitUntil([&] { return StoreHolds(store, cfg, first, Counts(sent_first)); }, 60s))
      << Progress(store, cfg, *admin_, first, Counts(sent_first))
      << "the records present at start were not backed up";

  CreateTopic(second, 2);
  for (int32_t p = 0; p < 2; ++p) Produce(producer, second, p, 150, sent_second);
  producer.Flush();
  ASSERT_TRUE(admin_->CreatePartitions(first, 3, 30s).ok());
  {
    // A new producer: the first one's metadata does not know partition 2 yet.
    RawProducer grown(bootstrap_);
    for (int32_t p = 0; p < 3; ++p) Produce(grown, first, p, 100, sent_first);
    grown.Flush();
  }

  const auto produced = std::chrono::steady_clock::now();
  const bool caught_up = WaitUntil(
      [&] {
        return engine.finished() || (StoreHolds(store, cfg, first, Counts(sent_first)) &&
                                     StoreHolds(store, cfg, second, Counts(sent_second)));
      },
      60s);
  const auto catch_up = std::chrono::steady_clock::now() - produced;
  EXPECT_EQ(engine.Assigned().size(), 5u);
  Status s = engine.StopAndJoin();
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_TRUE(caught_up) << "the new topic and the new partition were not backed up within 60 s";
  // 680 small records take about a second. The topic discovery must not starve consuming (its
  // metadata request waits behind the long-polling fetch; refreshing again at once took one
  // record per refresh, tens of seconds here).
  EXPECT_LT(catch_up, 15s);
  ExpectExactly(store, cfg, first, sent_first);
  ExpectExactly(store, cfg, second, sent_second);
}

TEST_F(BackupDaemonTest, TwoMembersShareThePartitionsAndTheSurvivorTakesOver) {
  constexpr int kPartitions = 6;
  const std::string topic = testing::UniqueName("dmn-share");
  CreateTopic(topic, kPartitions);
  Config cfg = MakeConfig(bootstrap_, {topic}, testing::UniqueName("dmn-group"));
  cfg.backup.segment_max_age = 300ms;
  cfg.backup.segment_max_records = 50;
  // Dynamic membership: a member that stops leaves the group at once. (Static members do not
  // leave: their partitions wait session.timeout.ms for them to come back.)
  cfg.backup.instance_id = "";
  storage::MemoryStore store;

  std::vector<std::vector<std::string>> sent(kPartitions);
  std::mutex sent_mu;
  std::atomic<bool> producing{true};
  std::thread producer_thread([&] {
    RawProducer producer(bootstrap_);
    while (producing.load()) {
      {
        std::lock_guard<std::mutex> lock(sent_mu);
        for (int32_t p = 0; p < kPartitions; ++p) Produce(producer, topic, p, 2, sent);
      }
      std::this_thread::sleep_for(20ms);
    }
    producer.Flush();
  });
  auto ids = [](const std::vector<PartitionId>& v) {
    std::set<int32_t> out;
    for (const PartitionId& id : v) out.insert(id.partition);
    return out;
  };

  auto one = std::make_unique<RunningEngine>(cfg, &store);
  EXPECT_TRUE(WaitUntil([&] { return one->Assigned().size() == kPartitions; }, 30s));
  RunningEngine two(cfg, &store);
  bool overlap = false;
  const bool shared = WaitUntil(
      [&] {
        // A partition in both snapshots of `one` and in `two`'s between them was owned by both
        // at once (a cooperative rebalance revokes before it assigns elsewhere).
        std::set<int32_t> a1 = ids(one->Assigned()), b = ids(two.Assigned());
        std::set<int32_t> a2 = ids(one->Assigned());
        for (int32_t p : b) overlap = overlap || (a1.count(p) && a2.count(p));
        return !a2.empty() && !b.empty() && a2.size() + b.size() == kPartitions;
      },
      45s);
  EXPECT_TRUE(shared) << "both members never got a share: " << one->Assigned().size() << " + "
                      << two.Assigned().size();
  EXPECT_FALSE(overlap) << "a partition was assigned to both members at once";

  Status s = one->StopAndJoin();
  EXPECT_TRUE(s.ok()) << s.ToString();
  one.reset();
  EXPECT_TRUE(WaitUntil([&] { return two.Assigned().size() == kPartitions; }, 45s))
      << "the survivor holds " << two.Assigned().size() << " partitions";
  std::this_thread::sleep_for(1500ms);  // keep producing to the survivor alone
  producing.store(false);
  producer_thread.join();

  EXPECT_TRUE(WaitUntil([&] { return StoreHolds(store, cfg, topic, Counts(sent)); }, 30s))
      << Progress(store, cfg, *admin_, topic, Counts(sent));
  s = two.StopAndJoin();
  ASSERT_TRUE(s.ok()) << s.ToString();
  ExpectExactly(store, cfg, topic, sent);
  std::set<std::string> values;
  for (const auto& v : sent) values.insert(v.begin(), v.end());
  EXPECT_GT(values.size(), 100u);
}

// The storage section for the real S3 server started by scripts/test.sh.
StorageConfig S3Storage(const std::string& prefix) {
  StorageConfig s;
  s.type = StorageConfig::Type::kS3;
  s.prefix = prefix;
  s.s3 = testing::TestS3ServerConfig();
  return s;
}

TEST_F(BackupDaemonTest, RepeatedRunsToTheRealS3ServerTileEveryPartition) {
  const std::string topic = testing::UniqueName("dmn-s3");
  CreateTopic(topic, 3);
  Config cfg = MakeConfig(bootstrap_, {topic}, testing::UniqueName("dmn-group"));
  cfg.storage = S3Storage(testing::UniqueName("s3-backups"));
  cfg.backup.segment_max_records = 37;
  auto opened = storage::OpenStore(cfg.storage);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  storage::ObjectStore& store = **opened;

  RawProducer producer(bootstrap_);
  std::vector<std::vector<std::string>> sent(3);
  for (int round = 0; round < 2; ++round) {
    for (int32_t p = 0; p < 3; ++p) Produce(producer, topic, p, 100 + 20 * p, sent);
    producer.Flush();
    EngineStats stats;
    Status s = testutil::RunOnce(cfg, &store, &stats);
    ASSERT_TRUE(s.ok()) << s.ToString();
    EXPECT_EQ(stats.records, 3u * 100 + 20 + 40) << "round " << round;
  }
  ExpectExactly(store, cfg, topic, sent);
  auto objects = storage::ListAll(store, cfg.storage.prefix + "/");
  ASSERT_TRUE(objects.ok()) << objects.status().ToString();
  EXPECT_EQ(objects->size(), 2u * (3 + 4 + 4));  // ceil(100/37), ceil(120/37), ceil(140/37)
  std::vector<std::string> keys;
  for (const auto& o : *objects) keys.push_back(o.key);
  EXPECT_TRUE(store.Delete(keys).ok());
}

// Found when tried as a new user would: a topic deleted and re-created while its partitions stayed
// assigned (within one backup.metadata_interval) ended the daemon for every topic ("offset 3 is
// out of range [0, 2]: was the topic deleted and re-created?"). Now only that topic restarts: its
// old generation is archived, the new one backed up from its log start, the others go on.
TEST_F(BackupDaemonTest, ATopicReCreatedWhileAssignedStartsANewGenerationAndTheOthersGoOn) {
  const std::string regen = testing::UniqueName("dmn-regen");
  const std::string other = testing::UniqueName("dmn-other");
  CreateTopic(regen, 1);
  CreateTopic(other, 1);
  Config cfg = MakeConfig(bootstrap_, {regen, other}, testing::UniqueName("dmn-group"));
  cfg.backup.segment_max_age = 300ms;
  cfg.backup.metadata_interval = std::chrono::hours(1);  // no topic watch in between
  storage::MemoryStore store;
  const layout::Keys keys(cfg.storage.prefix);
  Generations generations(&store, keys, admin_.get());
  auto send = [&](const std::string& topic, int from, int n) {
    RawProducer producer(bootstrap_);
    for (int i = from; i < from + n; ++i) {
      format::Record r;
      r.key = std::to_string(i);
      r.value = topic + "-" + std::to_string(i);
      producer.Send(topic, 0, r);
    }
    producer.Flush();
  };
  send(regen, 0, 50);
  send(other, 0, 50);
  RunningEngine engine(cfg, &store, &generations);
  ASSERT_TRUE(WaitUntil(
      [&] { return StoreHolds(store, cfg, regen, {50}) && StoreHolds(store, cfg, other, {50}); },
      60s));

  RecreateTopic(regen, 1);
  if (HasFatalFailure()) return;
  send(regen, 0, 3);    // the new generation: fewer records than the store holds
  send(other, 50, 20);  // the other topic goes on meanwhile

  int64_t generation = -1;
  ASSERT_TRUE(WaitUntil(
      [&] {
        auto all = storage::ListAll(store, keys.GenerationsRoot());
        if (!all.ok()) return false;
        for (const auto& o : *all) {
          if (auto g = keys.ParseGenerationKey(o.key)) generation = g->generation;
        }
        auto next = catalog::NextOffsetInStore(store, keys, regen, 0);
        auto moving = storage::ListAll(store, keys.GenerationsRoot() + "moving/");
        return generation > 0 && next.ok() && *next == 3 && moving.ok() && moving->empty() &&
               StoreHolds(store, cfg, other, {70});
      },
      90s))
      << "generation " << generation;
  EXPECT_FALSE(engine.finished()) << "the engine stopped";
  Status s = engine.StopAndJoin();
  ASSERT_TRUE(s.ok()) << s.ToString();

  auto now = ReadPartition(store, cfg, regen, 0);
  EXPECT_TRUE(RangesTile(now.ranges, 0));
  ASSERT_EQ(now.records.size(), 3u);
  EXPECT_EQ(*now.records[2].value, regen + "-2");
  Config old_cfg = cfg;
  old_cfg.storage.prefix = keys.Generation(generation).prefix();
  auto old = ReadPartition(store, old_cfg, regen, 0);
  EXPECT_TRUE(RangesTile(old.ranges, 0));
  EXPECT_EQ(old.records.size(), 50u);
  auto kept = ReadPartition(store, cfg, other, 0);
  EXPECT_TRUE(RangesTile(kept.ranges, 0));
  EXPECT_EQ(kept.records.size(), 70u);
}

}  // namespace
}  // namespace kb::backup
