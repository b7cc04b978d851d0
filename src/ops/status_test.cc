// The pure parts of `kafka-backup status`: states, lag arithmetic, totals and output formats.
#include "ops/status.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "ops/status_internal.h"

namespace kb::ops {
namespace {

using internal::MakePartitionStatus;
using internal::PartitionFacts;
using internal::SetLagSeconds;
using internal::SummarizeTopics;
using internal::TopicFacts;

constexpr TopicFacts kSelected{.in_cluster = true, .selected = true};

PartitionFacts Facts(int64_t low, int64_t high, int64_t stored_from, int64_t stored_next) {
  PartitionFacts f{.topic = "t", .partition = 0, .topic_facts = kSelected, .in_cluster = true};
  f.wm = {.low = low, .high = high};
  f.stored.from = stored_from;
  f.stored.next = stored_next;
  return f;
}

TEST(PartitionStatusTest, FullyBackedUpIsOkWithNoLag) {
  PartitionStatus p = MakePartitionStatus(Facts(0, 100, 0, 100));
  EXPECT_EQ(p.lag_records, 0);
  EXPECT_EQ(p.lag_seconds, 0);
  EXPECT_EQ(p.state, kStateOk);
  EXPECT_EQ(p.backed_up_next, 100);
  EXPECT_EQ(p.high_watermark, 100);
}

TEST(PartitionStatusTest, BehindIsLaggingWithUnknownAgeUntilMeasured) {
  PartitionStatus p = MakePartitionStatus(Facts(0, 130, 0, 100));
  EXPECT_EQ(p.lag_records, 30);
  EXPECT_EQ(p.lag_seconds, -1);
  EXPECT_EQ(p.state, kStateLagging);
  EXPECT_EQ(internal::FirstUnbackedOffset(p), 100);
  SetLagSeconds(&p, 1'000'000, 1'012'999);
  EXPECT_EQ(p.lag_seconds, 12);
  SetLagSeconds(&p, 2'000'000, 1'000'000);  // clock skew: never negative
  EXPECT_EQ(p.lag_seconds, 0);
  SetLagSeconds(&p, std::nullopt, 1'000'000);
  EXPECT_EQ(p.lag_seconds, -1);
  SetLagSeconds(&p, -1, 1'000'000);  // record without a timestamp
  EXPECT_EQ(p.lag_seconds, -1);
}

TEST(PartitionStatusTest, NothingStored) {
  PartitionStatus p = MakePartitionStatus(Facts(20, 50, -1, -1));
  EXPECT_EQ(p.lag_records, 30);  // from the log start, not from 0
  EXPECT_EQ(p.state, kStateNotBackedUp);
  EXPECT_EQ(internal::FirstUnbackedOffset(p), 20);
  EXPECT_EQ(MakePartitionStatus(Facts(7, 7, -1, -1)).state, kStateOk);  // empty partition
}

TEST(PartitionStatusTest, RetentionOvertookTheBackup) {
  PartitionStatus p = MakePartitionStatus(Facts(150, 200, 0, 100));
  EXPECT_EQ(p.lag_records, 50);
  EXPECT_EQ(p.state, kStateBehindRetention);
  EXPECT_EQ(internal::FirstUnbackedOffset(p), 150);
}

TEST(PartitionStatusTest, FirstSegmentsMissingWhileKafkaStillHoldsThoseOffsets) {
  PartitionStatus p = MakePartitionStatus(Facts(0, 100, 40, 100));
  EXPECT_EQ(p.lag_records, 0);
  EXPECT_EQ(p.state, kStateStartMissing);
  // Retention moved the log start past the store's first offset: nothing is missing.
  EXPECT_EQ(MakePartitionStatus(Facts(60, 100, 40, 100)).state, kStateOk);
  EXPECT_EQ(MakePartitionStatus(Facts(40, 100, 40, 100)).state, kStateOk);
}

TEST(PartitionStatusTest, StorePastTheHighWatermark) {
  PartitionStatus p = MakePartitionStatus(Facts(0, 10, 0, 500));
  EXPECT_EQ(p.lag_records, 0);
  EXPECT_EQ(p.state, kStateAheadOfCluster);
}

TEST(PartitionStatusTest, NotInClusterKeepsTheStoredRange) {
  PartitionFacts f = Facts(0, 0, 5, 100);
  f.in_cluster = false;
  f.topic_facts.in_cluster = false;
  f.stored.gap_records = 7;
  f.stored.newest_timestamp_ms = 1234;
  PartitionStatus p = MakePartitionStatus(f);
  EXPECT_EQ(p.state, kStateNotInCluster);
  EXPECT_EQ(p.log_start, -1);
  EXPECT_EQ(p.high_watermark, -1);
  EXPECT_EQ(p.stored_from, 5);
  EXPECT_EQ(p.backed_up_next, 100);
  EXPECT_EQ(p.lag_records, 0);
  EXPECT_EQ(p.lag_seconds, 0);
  EXPECT_EQ(p.gap_records, 7u);
  EXPECT_EQ(p.newest_backed_up_timestamp_ms, 1234);
}

TEST(PartitionStatusTest, NotSelectedWins) {
  PartitionFacts f = Facts(0, 100, 0, 50);
  f.topic_facts.selected = false;
  PartitionStatus p = MakePartitionStatus(f);
  EXPECT_EQ(p.state, kStateNotSelected);
  EXPECT_EQ(p.lag_records, 50);
}

StatusReport SampleReport() {
  StatusReport r;
  r.computed_at_ms = 1700000000000;
  PartitionStatus a0 = MakePartitionStatus(Facts(0, 100, 0, 100));
  a0.topic = "orders";
  PartitionStatus a1 = MakePartitionStatus(Facts(0, 1234567, 0, 1000));
  a1.topic = "orders";
  a1.partition = 1;
  a1.gap_records = 50;
  SetLagSeconds(&a1, 1699999990000, r.computed_at_ms);
  PartitionFacts gone = Facts(0, 0, 0, 42);
  gone.topic = "deleted";
  gone.in_cluster = false;
  gone.topic_facts.in_cluster = false;
  r.partitions = {a0, a1, MakePartitionStatus(gone)};
  r.topics = SummarizeTopics(
      r.partitions, {{"orders", kSelected}, {"deleted", {false, true}}, {"empty", kSelected}});
  return r;
}

TEST(SummarizeTopicsTest, TotalsAndWorstState) {
  StatusReport r = SampleReport();
  ASSERT_EQ(r.topics.size(), 3u);
  const TopicStatus& deleted = r.topics[0];
  EXPECT_EQ(deleted.topic, "deleted");
  EXPECT_EQ(deleted.state, kStateNotInCluster);
  EXPECT_EQ(deleted.partitions, 1);
  const TopicStatus& empty = r.topics[1];
  EXPECT_EQ(empty.state, kStateOk);
  EXPECT_EQ(empty.partitions, 0);
  const TopicStatus& orders = r.topics[2];
  EXPECT_EQ(orders.partitions, 2);
  EXPECT_EQ(orders.lag_records, 1234567 - 1000);
  EXPECT_EQ(orders.lag_seconds, 10);
  EXPECT_EQ(orders.gap_records, 50u);
  EXPECT_EQ(orders.state, kStateLagging);
}

TEST(SummarizeTopicsTest, OneUnknownAgeMakesTheTopicsAgeUnknown) {
  std::vector<PartitionStatus> rows = {MakePartitionStatus(Facts(0, 10, 0, 5)),
                                       MakePartitionStatus(Facts(0, 10, 0, 5))};
  rows[1].partition = 1;
  SetLagSeconds(&rows[0], 0, 60'000);
  auto topics = SummarizeTopics(rows, {{"t", kSelected}});
  ASSERT_EQ(topics.size(), 1u);
  EXPECT_EQ(topics[0].lag_seconds, -1);
  EXPECT_EQ(topics[0].lag_records, 10);
}

TEST(FormatStatusTest, TextIsAnAlignedTableThenSummaries) {
  const std::string text = FormatStatusText(SampleReport());
  const std::string expected =
      "TOPIC    PARTITION  BACKED UP TO  HIGH WATERMARK  LAG RECORDS  LAG SECONDS  GAPS  STATE\n"
      "orders           0           100             100            0            0     0  ok\n"
      "orders           1          1000         1234567      1233567           10    50  lagging\n"
      "deleted          0            42               -            0            0     0  not in "
      "cluster\n"
      "\n"
      "deleted: not in cluster (1 partition stored, 0 gap records)\n"
      "empty: ok (0 partitions, up to date, 0 gap records)\n"
      "orders: lagging (2 partitions, lag 1233567 records, oldest not backed up 10 s old, 50 gap "
      "records)\n"
      "total: 3 topics, 3 partitions, lag 1233567 records, 50 gap records\n";
  EXPECT_EQ(text, expected);
}

TEST(FormatStatusTest, TextOfAnEmptyReportSaysSo) {
  EXPECT_NE(FormatStatusText(StatusReport{}).find("no topics"), std::string::npos);
}

TEST(FormatStatusTest, JsonHasEveryField) {
  auto doc = nlohmann::json::parse(FormatStatusJson(SampleReport()));
  EXPECT_EQ(doc["computed_at_ms"], 1700000000000);
  ASSERT_EQ(doc["partitions"].size(), 3u);
  const auto& p = doc["partitions"][1];
  EXPECT_EQ(p["topic"], "orders");
  EXPECT_EQ(p["partition"], 1);
  EXPECT_EQ(p["log_start"], 0);
  EXPECT_EQ(p["high_watermark"], 1234567);
  EXPECT_EQ(p["stored_from"], 0);
  EXPECT_EQ(p["backed_up_next"], 1000);
  EXPECT_EQ(p["lag_records"], 1233567);
  EXPECT_EQ(p["lag_seconds"], 10);
  EXPECT_EQ(p["newest_backed_up_timestamp_ms"], -1);
  EXPECT_EQ(p["gap_records"], 50);
  EXPECT_EQ(p["state"], "lagging");
  EXPECT_EQ(doc["partitions"][2]["high_watermark"], -1);
  ASSERT_EQ(doc["topics"].size(), 3u);
  const auto& t = doc["topics"][0];
  EXPECT_EQ(t["topic"], "deleted");
  EXPECT_EQ(t["in_cluster"], false);
  EXPECT_EQ(t["selected"], true);
  EXPECT_EQ(t["partitions"], 1);
  EXPECT_EQ(t["lag_records"], 0);
  EXPECT_EQ(t["lag_seconds"], 0);
  EXPECT_EQ(t["gap_records"], 0);
  EXPECT_EQ(t["state"], "not in cluster");
}

}  // namespace
}  // namespace kb::ops
