#include "ops/ls.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "catalog/catalog_test_util.h"

namespace kb::ops {
namespace {

constexpr int64_t kT0 = 1'700'000'000'000;

class LsTest : public ::testing::Test {
 protected:
  Result<LsReport> Ls(std::vector<std::string> topics = {}) {
    return ListStore(s_.store(), s_.keys(), {.topics = std::move(topics), .parallelism = 3});
  }
  catalog::testing::OpsStore s_;
};

TEST_F(LsTest, EmptyStoreHasNothing) {
  auto report = Ls();
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(report->topics.empty());
  EXPECT_EQ(FormatLsText(*report), "the store holds no topics\n");
}

TEST_F(LsTest, NumbersAreExact) {
  s_.AddTopic("orders", 6, {{"cleanup.policy", "compact"}, {"retention.ms", "1000"}});
  const std::string a = s_.AddSegment("orders", 0, 0, 99, kT0);
  s_.AddGap("orders", 0, 100, 149);
  const std::string b = s_.AddSegment("orders", 0, 150, 199, kT0 + 1000);
  s_.AddGap("orders", 0, 200, 209);
  s_.AddGroupOffsets("orders", 0, {{"g1", 120}, {"g2", 7}});
  s_.AddOffsetSnapshot("orders", 0, kT0 + 5, {{"g1", 100}});
  s_.AddOffsetSnapshot("orders", 0, kT0 + 9, {{"g1", 120}});
  const std::string c = s_.AddSegment("orders", 2, 40, 41, kT0);
  s_.AddSegment("logs", 0, 5, 9, kT0);  // no topic.json
  s_.Put("backups/not a topic/x", "ignored");
  s_.store().ResetStats();

  auto report = Ls();
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(report->problems.empty()) << catalog::FormatProblem(report->problems[0]);
  // One ranged read per segment (its footer), one Get per topic.json, nothing else.
  EXPECT_EQ(s_.store().stats().get_ranges, 4u);
  EXPECT_EQ(s_.store().stats().gets, 1u);

  ASSERT_EQ(report->partitions.size(), 3u);
  const LsPartition& logs = report->partitions[0];
  EXPECT_EQ(logs.topic, "logs");
  EXPECT_EQ(logs.first_offset, 5);
  EXPECT_EQ(logs.last_offset, 9);
  const LsPartition& p0 = report->partitions[1];
  EXPECT_EQ(p0.topic, "orders");
  EXPECT_EQ(p0.partition, 0);
  EXPECT_EQ(p0.first_offset, 0);
  EXPECT_EQ(p0.last_offset, 199);
  EXPECT_EQ(p0.totals.records, 150u);
  EXPECT_EQ(p0.totals.segments, 2u);
  EXPECT_EQ(p0.totals.stored_bytes, s_.Size(a) + s_.Size(b));
  EXPECT_EQ(p0.totals.gaps, 2u);
  EXPECT_EQ(p0.totals.gap_offsets, 60u);
  EXPECT_EQ(p0.gaps, (std::vector<OffsetRange>{{100, 149}, {200, 209}}));
  EXPECT_EQ(p0.totals.min_timestamp_ms, kT0);
  EXPECT_EQ(p0.totals.max_timestamp_ms, kT0 + 1000 + 199);
  EXPECT_TRUE(p0.has_consumers_offset);
  EXPECT_EQ(p0.totals.offset_snapshots, 2u);
  EXPECT_EQ(p0.totals.newest_snapshot_ms, kT0 + 9);
  const LsPartition& p2 = report->partitions[2];
  EXPECT_EQ(p2.partition, 2);
  EXPECT_EQ(p2.first_offset, 40);
  EXPECT_EQ(p2.totals.records, 2u);
  EXPECT_FALSE(p2.has_consumers_offset);
  EXPECT_EQ(p2.totals.newest_snapshot_ms, -1);

  ASSERT_EQ(report->topics.size(), 2u);
  EXPECT_EQ(report->topics[0].topic, "logs");
  EXPECT_FALSE(report->topics[0].metadata.has_value());
  const LsTopic& orders = report->topics[1];
  ASSERT_TRUE(orders.metadata.has_value());
  EXPECT_EQ(orders.metadata->partitions, 6);
  EXPECT_EQ(orders.metadata->configs.size(), 2u);
  EXPECT_EQ(orders.stored_partitions, 2u);
  EXPECT_EQ(orders.totals.records, 152u);
  EXPECT_EQ(orders.totals.segments, 3u);
  EXPECT_EQ(orders.totals.stored_bytes, s_.Size(a) + s_.Size(b) + s_.Size(c));
  EXPECT_EQ(orders.totals.min_timestamp_ms, kT0);
  EXPECT_EQ(orders.totals.max_timestamp_ms, kT0 + 1199);
  EXPECT_EQ(report->totals.records, 157u);
  EXPECT_EQ(report->totals.segments, 4u);
}

TEST_F(LsTest, TextAndJsonShowTheReport) {
  s_.AddTopic("orders", 6, {{"cleanup.policy", "compact"}});
  s_.AddSegment("orders", 0, 0, 99, kT0);
  s_.AddGap("orders", 0, 100, 149);
  s_.AddSegment("orders", 0, 150, 199, kT0);
  s_.AddGroupOffsets("orders", 0, {{"g1", 120}});
  s_.AddOffsetSnapshot("orders", 0, kT0 + 9, {{"g1", 120}});
  auto report = Ls();
  ASSERT_TRUE(report.ok()) << report.status().ToString();

  const std::string text = FormatLsText(*report);
  for (const char* want :
       {"TOPIC", "OFFSETS", "0..199", "150", "2023-11-14T22:13:20.000Z",
        "latest + 1 snapshot to 2023-11-14T22:13:20.009Z", "gaps in orders/0: 100..149",
        "orders: topic.json 6 partitions, replication factor 3, 1 config",
        "150 records in 2 segments", "1 gap (50 offsets)", "total: 1 topic"}) {
    EXPECT_NE(text.find(want), std::string::npos) << want << " missing from:\n" << text;
  }

  auto json = nlohmann::json::parse(FormatLsJson(*report));
  EXPECT_EQ(json["partitions"][0]["first_offset"], 0);
  EXPECT_EQ(json["partitions"][0]["last_offset"], 199);
  EXPECT_EQ(json["partitions"][0]["records"], 150);
  EXPECT_EQ(json["partitions"][0]["min_timestamp_ms"], kT0);
  EXPECT_EQ(json["partitions"][0]["gap_ranges"][0]["start"], 100);
  EXPECT_EQ(json["partitions"][0]["gap_ranges"][0]["end"], 149);
  EXPECT_EQ(json["partitions"][0]["consumers_offset"], true);
  EXPECT_EQ(json["partitions"][0]["newest_snapshot_ms"], kT0 + 9);
  EXPECT_EQ(json["topics"][0]["metadata"]["partitions"], 6);
  EXPECT_EQ(json["topics"][0]["metadata"]["configs"], 1);
  EXPECT_EQ(json["totals"]["records"], 150);
  EXPECT_TRUE(json["problems"].empty());
}

TEST_F(LsTest, TopicFilterShowsOnlyThoseAndRejectsUnknownOnes) {
  s_.AddSegment("a", 0, 0, 9);
  s_.AddSegment("ab", 0, 0, 9);
  auto report = Ls({"a"});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_EQ(report->topics.size(), 1u);
  EXPECT_EQ(report->topics[0].topic, "a");

  auto missing = Ls({"a", "nope"});
  EXPECT_TRUE(missing.status().IsNotFound()) << missing.status().ToString();
  EXPECT_EQ(missing.status().subject(), "nope");
  EXPECT_TRUE(Ls({"bad topic"}).status().IsInvalidArgument());
}

TEST_F(LsTest, UnreadableFooterAndTopicJsonAreProblemsNotErrors) {
  const std::string good = s_.AddSegment("t", 0, 0, 9);
  const std::string bad = s_.keys().Segment("t", 0, 10, 19);
  std::string bytes = catalog::testing::SegmentBytes(10, 19, kT0);
  bytes[bytes.size() - 50] ^= 1;  // inside the footer
  s_.Put(bad, bytes);
  const std::string md = s_.keys().TopicMetadata("t");
  s_.Put(md, "{not json");

  auto report = Ls();
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_EQ(report->problems.size(), 2u);
  EXPECT_EQ(report->problems[0].key, bad);
  EXPECT_EQ(report->problems[0].start, 10);
  EXPECT_EQ(report->problems[1].key, md);
  // The rest is still there: the unreadable segment counts by its key and size.
  ASSERT_EQ(report->partitions.size(), 1u);
  EXPECT_EQ(report->partitions[0].totals.segments, 2u);
  EXPECT_EQ(report->partitions[0].totals.records, 10u);
  EXPECT_EQ(report->partitions[0].last_offset, 19);
  EXPECT_EQ(report->partitions[0].totals.stored_bytes, s_.Size(good) + bytes.size());
  const std::string text = FormatLsText(*report);
  EXPECT_NE(text.find("2 problems:\n  " + bad + " offsets 10..19: "), std::string::npos) << text;
}

TEST_F(LsTest, EveryHoleIsAProblemNamingPartitionAndOffsets) {
  s_.AddTopic("t", 2);
  s_.AddSegment("t", 0, 0, 999);
  const std::string after_hole = s_.AddSegment("t", 0, 3000, 3999);  // 1000-2999 deleted
  const std::string gap = s_.AddGap("t", 0, 4000, 4499);
  const std::string after_gap_hole = s_.AddSegment("t", 0, 5000, 5099);  // hole next to a gap
  s_.AddSegment("t", 1, 100, 199);  // starts above 0 (retention): no hole
  s_.AddGap("t", 1, 200, 299);

  auto report = Ls();
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_EQ(report->problems.size(), 2u);
  EXPECT_EQ(report->problems[0].key, after_hole);  // the object after the hole: t/0
  EXPECT_EQ(report->problems[0].start, 1000);
  EXPECT_EQ(report->problems[0].end, 2999);
  EXPECT_EQ(report->problems[1].key, after_gap_hole);
  EXPECT_EQ(report->problems[1].start, 4500);
  EXPECT_EQ(report->problems[1].end, 4999);
  EXPECT_NE(report->problems[1].message.find("hole"), std::string::npos);
  EXPECT_NE(report->problems[1].message.find(gap), std::string::npos);
  // The rest of the report is still there.
  EXPECT_EQ(report->partitions.size(), 2u);
  EXPECT_EQ(report->partitions[0].totals.records, 2100u);

  const std::string text = FormatLsText(*report);
  EXPECT_NE(text.find("2 problems:\n  " + after_hole + " offsets 1000..2999: hole"),
            std::string::npos)
      << text;
  auto json = nlohmann::json::parse(FormatLsJson(*report));
  ASSERT_EQ(json["problems"].size(), 2u);
  EXPECT_EQ(json["problems"][0]["key"], after_hole);
  EXPECT_EQ(json["problems"][0]["start"], 1000);
  EXPECT_EQ(json["problems"][0]["end"], 2999);
}

}  // namespace
}  // namespace kb::ops
