// RunRetention against the real Kafka broker: the log start offsets come from the cluster (raised
// with DeleteRecords, as retention does, so that each case is exact), the backup is built from
// real segments (ops_test_util.h). The daemon-level test with Kafka's own retention deleting data
// is in cli/retention_daemon_test.cc.
#include <gtest/gtest.h>

#include <chrono>
#include <set>

#include "backup/backup_test_util.h"
#include "catalog/catalog_test_util.h"
#include "common/clock.h"
#include "layout/retention_state.h"
#include "ops/locking_store_test_util.h"
#include "ops/retention.h"
#include "ops/verify.h"
#include "report/report_text.h"
#include "testing/test_env.h"

namespace kb::ops {
namespace {

using namespace std::chrono_literals;
using backup::testutil::RawProducer;

constexpr int64_t kNow = 1'800'000'000'000;

class RetentionIntegrationTest : public backup::testutil::KafkaTest {
 protected:
  // A topic with `n` records in each partition, and a backup of them: segments of 30 offsets
  // (the last one shorter) and a topic.json.
  std::string TopicWithBackup(int partitions, int n, kafka::TopicConfigs configs = {}) {
    const std::string topic = kb::testing::UniqueName("ret");
    Status s = admin_->CreateTopic({topic, partitions, 1, configs}, 30s);
    EXPECT_TRUE(s.ok()) << s.ToString();
    RawProducer producer(bootstrap_);
    for (int p = 0; p < partitions; ++p) {
      for (int i = 0; i < n; ++i) {
        format::Record r;
        r.key = "k" + std::to_string(i);  // compacted topics take keyed records only
        r.value = "v" + std::to_string(i);
        producer.Send(topic, p, r);
      }
      for (int64_t first = 0; first < n; first += 30) {
        store_.AddSegment(topic, p, first, std::min<int64_t>(first + 29, n - 1));
      }
    }
    producer.Flush();
    store_.AddTopic(topic, partitions, configs);
    return topic;
  }

  Result<RetentionReport> Round(RetentionOptions o) {
    if (o.now_ms == 0) o.now_ms = kNow;
    return RunRetention(store_.store(), store_.keys(), *admin_, o);
  }

  std::set<std::string> Keys(const std::string& topic) {
    std::set<std::string> out;
    auto page = store_.store().List(store_.keys().TopicPrefix(topic), "", 10000);
    EXPECT_TRUE(page.ok());
    if (page.ok()) {
      for (const auto& o : page->objects) out.insert(o.key);
    }
    return out;
  }

  std::string Seg(const std::string& topic, int32_t p, int64_t a, int64_t b) {
    return store_.keys().Segment(topic, p, a, b);
  }

  catalog::testing::OpsStore store_;
};

TEST_F(RetentionIntegrationTest, WithGraceZeroOnlyWhollyExpiredSegmentsGo) {
  const std::string topic = TopicWithBackup(2, 100);
  // On partition 1, offsets 30..59 were lost to retention before the backup: a gap record.
  ASSERT_TRUE(store_.store().Delete({Seg(topic, 1, 30, 59)}).ok());
  store_.AddGap(topic, 1, 30, 59);
  ASSERT_TRUE(admin_->DeleteRecords(topic, 0, 45, 30s).ok());  // [30, 59] still holds 45..59
  auto report = Round({.grace = 0ms, .execute = true});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_EQ(report->deleted.size(), 1u) << FormatRetentionText(*report);
  EXPECT_EQ(report->deleted[0].key, Seg(topic, 0, 0, 29));
  EXPECT_NE(report->deleted[0].reason.find("log start offset 45"), std::string::npos);
  EXPECT_EQ(report->segments_deleted, 1u);
  EXPECT_EQ(report->bytes_deleted, report->deleted[0].size);
  std::set<std::string> keys = Keys(topic);
  EXPECT_FALSE(keys.contains(Seg(topic, 0, 0, 29)));
  EXPECT_TRUE(keys.contains(Seg(topic, 0, 30, 59)));
  EXPECT_TRUE(keys.contains(Seg(topic, 1, 0, 29)));  // partition 1: nothing deleted by Kafka
  ASSERT_EQ(report->topics.size(), 1u);
  EXPECT_EQ(report->topics[0].state, TopicRetention::State::kInCluster);
  EXPECT_EQ(report->topics[0].segments_kept, 6u);
  ASSERT_TRUE(report->topics[0].oldest_timestamp_ms.has_value());
  EXPECT_EQ(*report->topics[0].oldest_timestamp_ms, 1'700'000'000'000);  // partition 1's first

  // Kafka deleted all of partition 1: its segments and its gap record go, the topic stays.
  ASSERT_TRUE(admin_->DeleteRecords(topic, 1, 100, 30s).ok());
  report = Round({.grace = 0ms, .execute = true});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->deleted.size(), 4u) << FormatRetentionText(*report);
  EXPECT_EQ(report->segments_deleted, 3u);
  keys = Keys(topic);
  EXPECT_FALSE(keys.contains(Seg(topic, 1, 90, 99)));
  EXPECT_FALSE(keys.contains(store_.keys().Gap(topic, 1, 30, 59)));
  EXPECT_TRUE(keys.contains(Seg(topic, 0, 90, 99)));
  EXPECT_TRUE(keys.contains(store_.keys().TopicMetadata(topic)));

  // What remains is a valid backup: verify accepts partitions that start above 0.
  auto verified = VerifyStore(store_.store(), store_.keys(), {.topics = {topic}});
  ASSERT_TRUE(verified.ok()) << verified.status().ToString();
  EXPECT_TRUE(verified->problems.empty()) << FormatVerifyText(*verified);
}

TEST_F(RetentionIntegrationTest, GraceCountsFromWhenFirstSeenExpiredAndSurvivesRestarts) {
  const std::string topic = TopicWithBackup(1, 100);
  ASSERT_TRUE(admin_->DeleteRecords(topic, 0, 60, 30s).ok());  // [0, 29] and [30, 59] expired
  const RetentionOptions o{.grace = 1h, .execute = true};

  // A plan writes nothing.
  auto plan = Round({.grace = 1h});
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_TRUE(plan->deleted.empty());
  EXPECT_EQ(plan->pending.size(), 2u);
  EXPECT_FALSE(Keys(topic).contains(store_.keys().RetentionState(topic)));

  auto first = Round(o);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_TRUE(first->deleted.empty()) << FormatRetentionText(*first);
  ASSERT_EQ(first->pending.size(), 2u);
  EXPECT_EQ(first->pending[0].first_seen_ms, kNow);
  EXPECT_EQ(first->pending[0].due_ms, kNow + 3'600'000);
  auto state = layout::DecodeRetentionState("k", store_.Bytes(store_.keys().RetentionState(topic)));
  ASSERT_TRUE(state.ok()) << state.status().ToString();
  EXPECT_EQ(state->expired.at(0),
            (std::vector<layout::RetentionState::Expired>{{0, 29, kNow}, {30, 59, kNow}}));

  // A later round (say after a restart) still counts from the first sighting.
  auto early = Round({.grace = 1h, .execute = true, .now_ms = kNow + 3'599'000});
  ASSERT_TRUE(early.ok()) << early.status().ToString();
  EXPECT_TRUE(early->deleted.empty());
  EXPECT_EQ(Keys(topic).size(), 6u);  // 4 segments, topic.json, retention.json

  auto due = Round({.grace = 1h, .execute = true, .now_ms = kNow + 3'600'000});
  ASSERT_TRUE(due.ok()) << due.status().ToString();
  EXPECT_EQ(due->deleted.size(), 2u) << FormatRetentionText(*due);
  EXPECT_EQ(due->deleted[0].key, Seg(topic, 0, 0, 29));
  EXPECT_EQ(due->deleted[1].key, Seg(topic, 0, 30, 59));
  state = layout::DecodeRetentionState("k", store_.Bytes(store_.keys().RetentionState(topic)));
  ASSERT_TRUE(state.ok()) << state.status().ToString();
  EXPECT_TRUE(state->expired.empty());
}

TEST_F(RetentionIntegrationTest, OnlyAnUnbrokenRunFromTheStartIsDeleted) {
  const std::string topic = TopicWithBackup(1, 100);
  ASSERT_TRUE(admin_->DeleteRecords(topic, 0, 30, 30s).ok());  // [0, 29] expired
  ASSERT_TRUE(Round({.grace = 1h, .execute = true}).ok());     // first seen at kNow
  ASSERT_TRUE(admin_->DeleteRecords(topic, 0, 60, 30s).ok());  // [30, 59] too, an hour later
  // A lost state would make [0, 29] look newer than [30, 59]: deleting [30, 59] alone would
  // leave a hole. Simulate it by recording [0, 29] late.
  layout::RetentionState s;
  s.expired[0] = {{0, 29, kNow + 7'200'000}, {30, 59, kNow}};
  store_.Put(store_.keys().RetentionState(topic), layout::EncodeRetentionState(s));
  auto report = Round({.grace = 1h, .execute = true, .now_ms = kNow + 3'600'000});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(report->deleted.empty()) << FormatRetentionText(*report);
  EXPECT_EQ(report->pending.size(), 2u);
}

TEST_F(RetentionIntegrationTest, CompactedTopicsAreNeverPruned) {
  const std::string topic = TopicWithBackup(1, 100, {{"cleanup.policy", "compact,delete"}});
  auto low = admin_->DeleteRecords(topic, 0, 90, 30s);
  ASSERT_TRUE(low.ok()) << low.status().ToString();
  auto report = Round({.grace = 0ms, .execute = true});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(report->deleted.empty()) << FormatRetentionText(*report);
  ASSERT_EQ(report->topics.size(), 1u);
  EXPECT_EQ(report->topics[0].state, TopicRetention::State::kCompacted);
  EXPECT_EQ(Keys(topic).size(), 5u);
}

TEST_F(RetentionIntegrationTest, ADeletedTopicKeepsItsBackupUntilItsMaxAge) {
  const std::string topic = TopicWithBackup(2, 40);
  store_.AddGroupOffsets(topic, 0, {{"g", 10}});
  ASSERT_TRUE(admin_->DeleteTopic(topic, 30s).ok());
  const size_t stored = Keys(topic).size();

  // Default: kept forever, whatever the grace.
  auto report = Round({.grace = 0ms, .execute = true});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(report->deleted.empty()) << FormatRetentionText(*report);
  ASSERT_EQ(report->topics.size(), 1u);
  EXPECT_EQ(report->topics[0].state, TopicRetention::State::kMissing);
  EXPECT_EQ(report->topics[0].missing_since_ms, kNow);
  EXPECT_EQ(Keys(topic).size(), stored + 1);  // + retention.json

  // With a max age: kept until it passed since first seen missing, then everything goes.
  const RetentionOptions aged{.grace = 0ms, .deleted_topic_max_age = 24h, .execute = true};
  RetentionOptions o = aged;
  o.now_ms = kNow + 86'399'000;
  report = Round(o);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(report->deleted.empty());
  EXPECT_EQ(report->topics[0].delete_due_ms, kNow + 86'400'000);
  o.now_ms = kNow + 86'400'000;
  report = Round(o);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->topics[0].state, TopicRetention::State::kDeleted);
  EXPECT_EQ(report->deleted.size(), stored + 1);
  EXPECT_EQ(report->segments_deleted, 4u);
  // Data first; topic.json and retention.json last, so an interrupted run still names the topic.
  EXPECT_EQ(report->deleted[stored - 1].partition, -1);
  EXPECT_EQ(report->deleted[stored].partition, -1);
  EXPECT_TRUE(Keys(topic).empty());
}

// A topic deleted and re-created: the new topic's log start offsets say nothing about the old
// backup, which must not be pruned by them (the backup daemon archives it, generations.h).
TEST_F(RetentionIntegrationTest, AReCreatedTopicsOldBackupIsNotPrunedByTheNewLogStart) {
  const std::string topic = TopicWithBackup(1, 60);
  ASSERT_TRUE(admin_->DeleteTopic(topic, 30s).ok());
  ASSERT_TRUE(Round({.grace = 0ms, .execute = true}).ok());  // sees it missing
  // Re-created, and the new generation has gone further than the old one ever did.
  ASSERT_TRUE(admin_->CreateTopic({topic, 1, 1, {}}, 30s).ok());
  RawProducer producer(bootstrap_);
  for (int i = 0; i < 100; ++i) producer.Send(topic, 0, format::Record{});
  producer.Flush();
  ASSERT_TRUE(admin_->DeleteRecords(topic, 0, 90, 30s).ok());
  auto report = Round({.grace = 0ms, .execute = true});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(report->deleted.empty()) << FormatRetentionText(*report);
  ASSERT_EQ(report->topics.size(), 1u);
  EXPECT_EQ(report->topics[0].state, TopicRetention::State::kRecreated);
  EXPECT_EQ(Keys(topic).size(), 4u);  // 2 segments, topic.json, retention.json (marker kept)
}

TEST_F(RetentionIntegrationTest, AHighWatermarkBelowTheStoreMeansANewGeneration) {
  const std::string topic = TopicWithBackup(1, 60);
  ASSERT_TRUE(admin_->DeleteTopic(topic, 30s).ok());
  ASSERT_TRUE(admin_->CreateTopic({topic, 1, 1, {}}, 30s).ok());  // unseen by any round
  RawProducer producer(bootstrap_);
  for (int i = 0; i < 40; ++i) producer.Send(topic, 0, format::Record{});
  producer.Flush();
  ASSERT_TRUE(admin_->DeleteRecords(topic, 0, 35, 30s).ok());
  auto report = Round({.grace = 0ms, .execute = true});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(report->deleted.empty()) << FormatRetentionText(*report);
  EXPECT_EQ(report->topics[0].state, TopicRetention::State::kRecreated);
}

TEST_F(RetentionIntegrationTest, PartitionsTheClusterNoLongerHasAreKept) {
  const std::string topic = TopicWithBackup(1, 40);
  store_.AddSegment(topic, 3, 0, 9);  // from an earlier generation with more partitions
  ASSERT_TRUE(admin_->DeleteRecords(topic, 0, 40, 30s).ok());
  auto report = Round({.grace = 0ms, .execute = true});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_EQ(report->deleted.size(), 2u) << FormatRetentionText(*report);
  EXPECT_TRUE(Keys(topic).contains(Seg(topic, 3, 0, 9)));
}

TEST_F(RetentionIntegrationTest, MalformedStateStopsTheRoundNamingIt) {
  const std::string topic = TopicWithBackup(1, 40);
  store_.Put(store_.keys().RetentionState(topic), "{oops");
  ASSERT_TRUE(admin_->DeleteRecords(topic, 0, 40, 30s).ok());
  auto report = Round({.grace = 0ms, .execute = true});
  ASSERT_FALSE(report.ok());
  EXPECT_TRUE(report.status().IsCorruption()) << report.status().ToString();
  EXPECT_EQ(report.status().subject(), store_.keys().RetentionState(topic));
  EXPECT_EQ(Keys(topic).size(), 4u);  // nothing deleted
}

// Clock jumps (issue 10): the daemon reads the time through one WallGuard anchored when it
// started; the wall clock of a FakeClock jumps under it.
class RetentionClockJumpTest : public RetentionIntegrationTest {
 protected:
  Result<RetentionReport> GuardedRound(RetentionOptions o) {
    o.clock = &guard_;
    o.execute = true;
    return RunRetention(store_.store(), store_.keys(), *admin_, o);
  }
  std::vector<layout::RetentionState::Expired> Expired(const std::string& topic) {
    auto state =
        layout::DecodeRetentionState("k", store_.Bytes(store_.keys().RetentionState(topic)));
    EXPECT_TRUE(state.ok()) << state.status().ToString();
    return state.ok() && state->expired.contains(0)
               ? state->expired.at(0)
               : std::vector<layout::RetentionState::Expired>{};
  }
  static constexpr int64_t kMin = 60'000;
  static constexpr int64_t kHour = 3'600'000;
  FakeClock clock_{kNow};
  const WallGuard guard_{clock_};
};

TEST_F(RetentionClockJumpTest, ClockJumpForwardDoesNotHastenTheGrace) {
  const std::string topic = TopicWithBackup(1, 120);
  ASSERT_TRUE(admin_->DeleteRecords(topic, 0, 30, 30s).ok());  // [0, 29] expired
  auto r = GuardedRound({.grace = 1h});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->pending.size(), 1u);
  EXPECT_EQ(r->pending[0].first_seen_ms, kNow);

  clock_.Advance(10min);
  clock_.JumpWall(24h);
  ASSERT_TRUE(admin_->DeleteRecords(topic, 0, 60, 30s).ok());  // [30, 59] expired too
  r = GuardedRound({.grace = 1h});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->deleted.empty()) << FormatRetentionText(*r);
  EXPECT_EQ(r->now_ms, kNow + 10 * kMin);  // what really passed
  // A new sighting is stamped no earlier than the wall clock: its grace can only be longer.
  EXPECT_EQ(Expired(topic), (std::vector<layout::RetentionState::Expired>{
                                {0, 29, kNow}, {30, 59, kNow + 10 * kMin + 24 * kHour}}));

  clock_.Advance(49min);
  r = GuardedRound({.grace = 1h});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->deleted.empty()) << FormatRetentionText(*r);
  clock_.Advance(1min);  // an hour since [0, 29] was first seen, on the monotonic clock
  r = GuardedRound({.grace = 1h});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->deleted.size(), 1u) << FormatRetentionText(*r);
  EXPECT_EQ(r->deleted[0].key, Seg(topic, 0, 0, 29));
  ASSERT_EQ(r->pending.size(), 1u);
  EXPECT_EQ(r->pending[0].key, Seg(topic, 0, 30, 59));
}

TEST_F(RetentionClockJumpTest, ClockJumpBackwardNeitherRestartsNorShortensTheGrace) {
  const std::string topic = TopicWithBackup(1, 120);
  ASSERT_TRUE(admin_->DeleteRecords(topic, 0, 30, 30s).ok());  // [0, 29] expired
  ASSERT_TRUE(GuardedRound({.grace = 1h}).ok());               // first seen at kNow

  clock_.Advance(30min);
  clock_.JumpWall(-24h);
  ASSERT_TRUE(admin_->DeleteRecords(topic, 0, 60, 30s).ok());  // [30, 59] expired too
  auto r = GuardedRound({.grace = 1h});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->deleted.empty()) << FormatRetentionText(*r);
  // The first sighting is kept; the new one is stamped by the monotonic clock, not a day back
  // (which would let it go a day early once the clock is corrected).
  EXPECT_EQ(Expired(topic), (std::vector<layout::RetentionState::Expired>{
                                {0, 29, kNow}, {30, 59, kNow + 30 * kMin}}));

  clock_.Advance(30min);  // an hour on the monotonic clock, but the wall clock says otherwise
  r = GuardedRound({.grace = 1h});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->deleted.empty()) << FormatRetentionText(*r);
  EXPECT_EQ(r->now_ms, kNow + kHour - 24 * kHour);

  clock_.JumpWall(24h);  // corrected
  r = GuardedRound({.grace = 1h});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->deleted.size(), 1u) << FormatRetentionText(*r);
  EXPECT_EQ(r->deleted[0].key, Seg(topic, 0, 0, 29));
  ASSERT_EQ(r->pending.size(), 1u);
  EXPECT_EQ(r->pending[0].due_ms, kNow + 90 * kMin);

  clock_.Advance(29min);
  r = GuardedRound({.grace = 1h});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->deleted.empty()) << FormatRetentionText(*r);
  clock_.Advance(1min);
  r = GuardedRound({.grace = 1h});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->deleted.size(), 1u) << FormatRetentionText(*r);
  EXPECT_EQ(r->deleted[0].key, Seg(topic, 0, 30, 59));
}

TEST_F(RetentionClockJumpTest, ClockJumpForwardDoesNotHastenADeletedTopicsMaxAge) {
  const std::string topic = TopicWithBackup(1, 40);
  ASSERT_TRUE(admin_->DeleteTopic(topic, 30s).ok());
  const size_t stored = Keys(topic).size();
  const RetentionOptions o{.grace = 0ms, .deleted_topic_max_age = 24h};
  auto r = GuardedRound(o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->topics[0].missing_since_ms, kNow);

  clock_.Advance(1h);
  clock_.JumpWall(24h);  // the wall clock says the max age has passed
  r = GuardedRound(o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->topics[0].state, TopicRetention::State::kMissing);
  EXPECT_TRUE(r->deleted.empty()) << FormatRetentionText(*r);
  EXPECT_EQ(Keys(topic).size(), stored + 1);  // + retention.json

  clock_.Advance(23h);
  r = GuardedRound(o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->topics[0].state, TopicRetention::State::kDeleted);
  EXPECT_TRUE(Keys(topic).empty());
}

// Object lock: a range whose lock holds at the round's time is never deleted (not even tried),
// is reported with its date, keeps every later range of its partition, and stays expired in
// retention.json with its first-seen time, so the first round after the date deletes it.
TEST_F(RetentionIntegrationTest, ALockedRangeIsKeptUntilItsDateAndKeepsItsFirstSeenTime) {
  const std::string topic = TopicWithBackup(2, 100);
  ASSERT_TRUE(admin_->DeleteRecords(topic, 0, 60, 30s).ok());  // [0, 29], [30, 59] expired
  ASSERT_TRUE(admin_->DeleteRecords(topic, 1, 60, 30s).ok());
  ops::testing::LockingStore store(store_.store(), kNow);
  const int64_t until = kNow + 3'600'000;
  store.SetLock(Seg(topic, 0, 0, 29), {.mode = "COMPLIANCE", .retain_until_ms = until});
  store.SetLock(Seg(topic, 0, 30, 59), {.mode = "COMPLIANCE", .retain_until_ms = until + 1000});
  // Partition 1: only the second range is locked; the first goes.
  store.SetLock(Seg(topic, 1, 30, 59), {.mode = "GOVERNANCE", .retain_until_ms = until});
  // A lock whose date has passed protects nothing.
  store.SetLock(Seg(topic, 1, 0, 29), {.mode = "GOVERNANCE", .retain_until_ms = kNow - 1});

  for (bool execute : {false, true}) {
    auto report = RunRetention(store, store_.keys(), *admin_,
                               {.grace = 0ms, .execute = execute, .now_ms = kNow});
    ASSERT_TRUE(report.ok()) << report.status().ToString();
    const std::string text = FormatRetentionText(*report);
    ASSERT_EQ(report->deleted.size(), 1u) << text;
    EXPECT_EQ(report->deleted[0].key, Seg(topic, 1, 0, 29));
    ASSERT_EQ(report->locked.size(), 3u) << text;
    EXPECT_EQ(report->locked[0].key, Seg(topic, 0, 0, 29));
    EXPECT_EQ(report->locked[0].retain_until_ms, until);
    EXPECT_EQ(report->locked[0].mode, "COMPLIANCE");
    EXPECT_EQ(report->locked[2].key, Seg(topic, 1, 30, 59));
    EXPECT_NE(text.find("locked until " + report::FormatTimeMs(until) +
                        " (COMPLIANCE), kept: " + Seg(topic, 0, 0, 29)),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("3 objects kept for their object lock"), std::string::npos) << text;
  }
  // The only delete tried was of the unlocked range (the stand-in refuses locked ones as S3 does).
  EXPECT_EQ(store.DeleteAttempts(), std::vector<std::string>{Seg(topic, 1, 0, 29)});
  auto state = layout::DecodeRetentionState("k", store_.Bytes(store_.keys().RetentionState(topic)));
  ASSERT_TRUE(state.ok()) << state.status().ToString();
  EXPECT_EQ(state->expired[0],
            (std::vector<layout::RetentionState::Expired>{{0, 29, kNow}, {30, 59, kNow}}));
  EXPECT_EQ(state->expired[1], (std::vector<layout::RetentionState::Expired>{{30, 59, kNow}}));

  // Between the two dates: [0, 29] goes, [30, 59] of partition 0 is still locked.
  ops::testing::LockingStore later(store_.store(), until);
  later.SetLock(Seg(topic, 0, 0, 29), {.mode = "COMPLIANCE", .retain_until_ms = until});
  later.SetLock(Seg(topic, 0, 30, 59), {.mode = "COMPLIANCE", .retain_until_ms = until + 1000});
  later.SetLock(Seg(topic, 1, 30, 59), {.mode = "GOVERNANCE", .retain_until_ms = until});
  auto report =
      RunRetention(later, store_.keys(), *admin_, {.grace = 0ms, .execute = true, .now_ms = until});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  std::set<std::string> deleted;
  for (const PruneAction& a : report->deleted) deleted.insert(a.key);
  EXPECT_EQ(deleted, (std::set<std::string>{Seg(topic, 0, 0, 29), Seg(topic, 1, 30, 59)}))
      << FormatRetentionText(*report);
  // First seen at kNow, not restarted by the rounds that kept it.
  EXPECT_NE(report->deleted[0].reason.find("first seen " + report::FormatTimeMs(kNow)),
            std::string::npos)
      << report->deleted[0].reason;
  ASSERT_EQ(report->locked.size(), 1u);
  EXPECT_EQ(report->locked[0].key, Seg(topic, 0, 30, 59));
  const std::set<std::string> keys = Keys(topic);
  EXPECT_TRUE(keys.contains(Seg(topic, 0, 30, 59)));
  EXPECT_FALSE(keys.contains(Seg(topic, 0, 0, 29)));
  EXPECT_TRUE(keys.contains(Seg(topic, 0, 60, 89)));
}

// A missing topic past its max age keeps its whole backup while any object of it is locked.
TEST_F(RetentionIntegrationTest, AMissingTopicWithALockedObjectIsKeptWhole) {
  const std::string topic = TopicWithBackup(1, 60);
  ASSERT_TRUE(admin_->DeleteTopic(topic, 30s).ok());
  const size_t stored = Keys(topic).size();
  const int64_t later = kNow + 86'400'000;
  ops::testing::LockingStore store(store_.store(), later);
  store.SetLock(Seg(topic, 0, 30, 59), {.mode = "GOVERNANCE", .retain_until_ms = later + 60'000});
  const RetentionOptions aged{.grace = 0ms, .deleted_topic_max_age = 24h, .execute = true};
  RetentionOptions o = aged;
  o.now_ms = kNow;
  ASSERT_TRUE(RunRetention(store, store_.keys(), *admin_, o).ok());  // first seen missing
  o.now_ms = later;
  auto report = RunRetention(store, store_.keys(), *admin_, o);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  const std::string text = FormatRetentionText(*report);
  EXPECT_TRUE(report->deleted.empty()) << text;
  ASSERT_EQ(report->topics.size(), 1u);
  EXPECT_EQ(report->topics[0].state, TopicRetention::State::kMissing);
  EXPECT_EQ(report->topics[0].locked_until_ms, later + 60'000);
  ASSERT_EQ(report->locked.size(), 1u) << text;
  EXPECT_EQ(report->locked[0].key, Seg(topic, 0, 30, 59));
  EXPECT_NE(text.find("backup kept: object-locked until " + report::FormatTimeMs(later + 60'000)),
            std::string::npos)
      << text;
  EXPECT_TRUE(store.DeleteAttempts().empty());
  EXPECT_EQ(Keys(topic).size(), stored + 1);  // + retention.json, which keeps missing_since

  // After the date, the whole backup goes.
  o.now_ms = later + 60'000;
  store.SetNowMs(o.now_ms);
  report = RunRetention(store, store_.keys(), *admin_, o);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->topics[0].state, TopicRetention::State::kDeleted);
  EXPECT_TRUE(report->locked.empty());
  EXPECT_TRUE(Keys(topic).empty());
}

}  // namespace
}  // namespace kb::ops
