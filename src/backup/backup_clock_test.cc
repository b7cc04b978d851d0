// The backup daemon under wall-clock jumps (a FakeClock, issue 10 "clock jumps"), against the real
// Kafka broker: segments roll by age on the monotonic clock whatever the wall clock does, and the
// consumer group offset history stays in order with nothing overwritten.
#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

#include "backup/backup_engine.h"
#include "backup/backup_test_util.h"
#include "backup/metadata_sync.h"
#include "catalog/store_position.h"
#include "common/clock.h"
#include "layout/metadata.h"
#include "storage/memory/memory_store.h"
#include "testing/test_env.h"

namespace kb::backup {
namespace {

using namespace std::chrono_literals;
using format::Record;
using testutil::MakeConfig;
using testutil::RangesTile;
using testutil::RawProducer;
using testutil::ReadPartition;

constexpr int64_t kT = 1'800'000'000'000;

// Remembers, from the engine's ticks, when partition 0's oldest pending record was consumed.
class PendingObserver : public EngineObserver {
 public:
  void OnTick(const std::vector<PartitionView>& views, uint64_t) override {
    std::lock_guard lock(mu_);
    oldest_.reset();
    for (const PartitionView& v : views) {
      if (v.id.partition == 0) oldest_ = v.oldest_pending;
    }
  }
  std::optional<Clock::SteadyTime> oldest() const {
    std::lock_guard lock(mu_);
    return oldest_;
  }

 private:
  mutable std::mutex mu_;
  std::optional<Clock::SteadyTime> oldest_;
};

bool WaitUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(100ms);
  }
  return true;
}

class BackupClockTest : public testutil::KafkaTest {
 protected:
  // The next offset the store holds for topic/0 (0: nothing).
  int64_t StoredNext(storage::ObjectStore& store, const Config& cfg, const std::string& topic) {
    auto next = catalog::NextOffsetInStore(store, layout::Keys(cfg.storage.prefix), topic, 0);
    EXPECT_TRUE(next.ok()) << next.status().ToString();
    return next.ok() ? next->value_or(0) : -1;
  }
  void Send(const std::string& topic, int from, int n) {
    RawProducer producer(bootstrap_);
    for (int i = from; i < from + n; ++i) {
      Record r;
      r.key = "k";
      r.value = "v" + std::to_string(i);
      producer.Send(topic, 0, r);
    }
    producer.Flush();
  }
};

TEST_F(BackupClockTest, ClockJumpsNeitherRollASegmentEarlyNorHoldItBack) {
  const std::string topic = testing::UniqueName("clk");
  CreateTopic(topic, 1, {{"retention.ms", "-1"}});
  Config cfg = MakeConfig(bootstrap_, {topic}, testing::UniqueName("clk-group"));
  cfg.backup.segment_max_age = 1h;
  FakeClock clock(kT);
  storage::MemoryStore store;
  auto made = BackupEngine::Make(cfg, &store, {.clock = &clock});
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  std::unique_ptr<BackupEngine> engine = std::move(made).value();
  PendingObserver observer;
  engine->SetObserver(&observer);
  Status run_status;
  std::thread runner([&] { run_status = engine->Run(); });

  // Twice: a segment opened, the wall clock jumped both ways by a day and an hour (nothing rolls),
  // then the monotonic clock reaches max_age (it rolls).
  int sent = 0;
  for (int round = 0; round < 2; ++round) {
    Send(topic, sent, 10);
    sent += 10;
    const Clock::SteadyTime opened = clock.SteadyNow();
    ASSERT_TRUE(WaitUntil([&] { return observer.oldest() == opened; }, 60s))
        << "round " << round << ": the records were not consumed into an open segment";
    const int64_t stored_before = StoredNext(store, cfg, topic);
    for (auto jump : {24h, -48h, 25h, -1h}) {
      clock.JumpWall(jump);
      std::this_thread::sleep_for(700ms);  // several roll checks of the engine
      EXPECT_EQ(StoredNext(store, cfg, topic), stored_before)
          << "round " << round << ": rolled after a wall clock jump of " << jump.count() << " h";
    }
    clock.Advance(59min);
    std::this_thread::sleep_for(700ms);
    EXPECT_EQ(StoredNext(store, cfg, topic), stored_before) << "round " << round;
    clock.AdvanceSteady(1min);
    EXPECT_TRUE(WaitUntil([&] { return StoredNext(store, cfg, topic) == sent; }, 30s))
        << "round " << round << ": not rolled at max_age";
  }
  engine->Stop();
  runner.join();
  ASSERT_TRUE(run_status.ok()) << run_status.ToString();
  auto got = ReadPartition(store, cfg, topic, 0);
  EXPECT_TRUE(RangesTile(got.ranges, 0));
  ASSERT_EQ(got.ranges.size(), 2u);  // one segment per round: each rolled by age, once
  EXPECT_EQ(got.ranges[0].end, 9);
  ASSERT_EQ(got.records.size(), 20u);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(got.records[i].value, "v" + std::to_string(i));
}

TEST_F(BackupClockTest, ClockJumpsKeepTheGroupOffsetHistoryInOrderAndOverwriteNothing) {
  const std::string topic = testing::UniqueName("clk");
  CreateTopic(topic, 1, {{"retention.ms", "-1"}});
  Send(topic, 0, 20);
  const std::string group = testing::UniqueName("app");
  Config cfg = MakeConfig(bootstrap_, {topic}, testing::UniqueName("clk-group"));
  layout::Keys keys(cfg.storage.prefix);
  storage::MemoryStore store;
  FakeClock clock(kT);
  auto sync = MetadataSync::Make(cfg, &store, clock);
  ASSERT_TRUE(sync.ok()) << sync.status().ToString();

  // Each step: the group commits offset n (1, 2, ...), the wall clock is moved, a round runs.
  int64_t offset = 0;
  auto commit_and_sync = [&](MetadataSync& s) {
    ++offset;
    ASSERT_TRUE(admin_->AlterConsumerGroupOffsets(group, {{{topic, 0}, offset}}, 30s).ok());
    Status synced = s.SyncNow();
    ASSERT_TRUE(synced.ok()) << synced.ToString();
  };
  commit_and_sync(**sync);  // at kT
  clock.Advance(1min);
  clock.JumpWall(-24h);  // a day back
  commit_and_sync(**sync);
  clock.JumpWall(-1h);  // and an hour more
  commit_and_sync(**sync);
  clock.SetWallMs(kT);  // exactly the time of the first snapshot
  commit_and_sync(**sync);
  auto restarted = MetadataSync::Make(cfg, &store, clock);  // a new process, clock still back
  ASSERT_TRUE(restarted.ok());
  clock.JumpWall(-1h);
  commit_and_sync(**restarted);
  clock.JumpWall(26h);  // forward: a day ahead
  commit_and_sync(**restarted);
  clock.JumpWall(-24h);  // corrected
  commit_and_sync(**restarted);

  // Seven snapshots, in the order they were taken, each holding the offset of its step.
  auto history = storage::ListAll(store, keys.ConsumerOffsetsHistoryPrefix(topic, 0));
  ASSERT_TRUE(history.ok()) << history.status().ToString();
  ASSERT_EQ(history->size(), static_cast<size_t>(offset));
  int64_t previous_time = -1;
  for (size_t i = 0; i < history->size(); ++i) {
    const std::string& key = (*history)[i].key;
    auto parsed = keys.Parse(key);
    ASSERT_TRUE(parsed.has_value()) << key;
    EXPECT_GT(parsed->time_ms, previous_time) << key;
    EXPECT_GE(parsed->time_ms, kT) << key;  // never named before the first snapshot
    previous_time = parsed->time_ms;
    auto map = layout::DecodeGroupOffsets(key, *store.Get(key));
    ASSERT_TRUE(map.ok()) << map.status().ToString();
    EXPECT_EQ(map->at(group), static_cast<int64_t>(i) + 1) << key;
  }
  // The forward jump named its snapshot by the wall clock; the one after, 1 ms later.
  auto sixth = keys.Parse((*history)[5].key), seventh = keys.Parse((*history)[6].key);
  EXPECT_EQ(sixth->time_ms, kT + 25 * 3'600'000);  // kT - 1 h + 26 h
  EXPECT_EQ(seventh->time_ms, sixth->time_ms + 1);
  auto latest = layout::DecodeGroupOffsets("latest", *store.Get(keys.ConsumerOffsets(topic, 0)));
  ASSERT_TRUE(latest.ok());
  EXPECT_EQ(latest->at(group), offset);
}

}  // namespace
}  // namespace kb::backup
