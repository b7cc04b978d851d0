#include "ops/verify.h"

#include <gtest/gtest.h>

#include <mutex>

#include "catalog/catalog_test_util.h"
#include "storage/fault/fault_store.h"

namespace kb::ops {
namespace {

constexpr int64_t kT0 = 1'700'000'000'000;

class VerifyTest : public ::testing::Test {
 protected:
  // A clean store: topic "orders" with two partitions, a gap, group offsets and their history.
  void SetUp() override {
    s_.AddTopic("orders", 2);
    keys_.push_back(s_.AddSegment("orders", 0, 0, 99));
    s_.AddGap("orders", 0, 100, 149);
    keys_.push_back(s_.AddSegment("orders", 0, 150, 199));
    keys_.push_back(s_.AddSegment("orders", 0, 200, 299));
    keys_.push_back(s_.AddSegment("orders", 1, 0, 9));
    s_.AddGroupOffsets("orders", 0, {{"g1", 120}});
    s_.AddOffsetSnapshot("orders", 0, kT0, {{"g1", 100}});
  }

  Result<VerifyReport> Verify(VerifyOptions options = {}) {
    return VerifyStore(s_.store(), s_.keys(), options);
  }

  // Expects exactly one problem, naming `key`; returns it.
  catalog::StoreProblem OneProblem(const std::string& key, VerifyOptions options = {}) {
    auto report = Verify(std::move(options));
    EXPECT_TRUE(report.ok()) << report.status().ToString();
    if (!report.ok()) return {};
    EXPECT_EQ(report->problems.size(), 1u) << FormatVerifyText(*report);
    if (report->problems.empty()) return {};
    EXPECT_EQ(report->problems[0].key, key) << FormatVerifyText(*report);
    EXPECT_NE(FormatVerifyText(*report).find(key), std::string::npos);
    return report->problems[0];
  }

  // Flips one byte at `pos` (from the end when negative) of the object under `key`.
  void Flip(const std::string& key, int64_t pos) {
    std::string bytes = s_.Bytes(key);
    bytes[static_cast<size_t>(pos < 0 ? static_cast<int64_t>(bytes.size()) + pos : pos)] ^= 0x20;
    s_.Put(key, bytes);
  }

  catalog::testing::OpsStore s_;
  std::vector<std::string> keys_;  // the segments of SetUp
};

TEST_F(VerifyTest, CleanStorePasses) {
  s_.store().ResetStats();
  auto report = Verify({.parallelism = 3});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(report->problems.empty()) << FormatVerifyText(*report);
  EXPECT_EQ(report->topics, 1u);
  EXPECT_EQ(report->partitions, 2u);
  EXPECT_EQ(report->segments_listed, 4u);
  EXPECT_EQ(report->segments_verified, 4u);
  EXPECT_EQ(report->records_verified, 260u);
  uint64_t bytes = 0;
  for (const std::string& k : keys_) bytes += s_.Size(k);
  EXPECT_EQ(report->bytes_verified, bytes);
  EXPECT_EQ(report->objects_verified, 4u);  // topic.json, gap, consumers_offset, one snapshot
  // One Get per object, nothing else.
  EXPECT_EQ(s_.store().stats().gets, 8u);
  EXPECT_EQ(s_.store().stats().get_ranges, 0u);
  EXPECT_NE(FormatVerifyText(*report).find("verified 4 of 4 segments"), std::string::npos);
  EXPECT_NE(FormatVerifyText(*report).find("no problems"), std::string::npos);
}

TEST_F(VerifyTest, FlippedByteInASegment) {
  Flip(keys_[1], 100);  // inside a block
  const catalog::StoreProblem p = OneProblem(keys_[1]);
  EXPECT_EQ(p.start, 150);
  EXPECT_EQ(p.end, 199);
  EXPECT_NE(p.message.find("checksum"), std::string::npos) << p.message;
}

TEST_F(VerifyTest, TruncatedSegment) {
  const std::string bytes = s_.Bytes(keys_[2]);
  s_.Put(keys_[2], bytes.substr(0, bytes.size() - 7));
  EXPECT_EQ(OneProblem(keys_[2]).start, 200);
}

TEST_F(VerifyTest, MissingSegmentIsAHoleNamedByItsNeighbours) {
  ASSERT_TRUE(s_.store().Delete({keys_[1]}).ok());
  const catalog::StoreProblem p = OneProblem(keys_[2]);
  EXPECT_EQ(p.start, 150);
  EXPECT_EQ(p.end, 199);
  EXPECT_NE(p.message.find("hole"), std::string::npos) << p.message;
  EXPECT_NE(p.message.find(s_.keys().Gap("orders", 0, 100, 149)), std::string::npos) << p.message;
}

TEST_F(VerifyTest, OverlappingSegments) {
  const std::string overlapping = s_.AddSegment("orders", 0, 160, 179);
  const catalog::StoreProblem p = OneProblem(overlapping);
  EXPECT_EQ(p.start, 160);
  EXPECT_EQ(p.end, 179);
  EXPECT_NE(p.message.find("overlap"), std::string::npos) << p.message;
  EXPECT_NE(p.message.find(keys_[1]), std::string::npos) << p.message;
}

TEST_F(VerifyTest, CheckTilingReportsEveryHoleAndOverlap) {
  auto range = [](int64_t s, int64_t e) {
    return catalog::StoredRange{s, e, false, std::to_string(s) + "-" + std::to_string(e), 1};
  };
  // 0-9 ok, 5-7 inside it (overlap), 12-20 after a hole 10-11, 15-30 overlaps 12-20.
  auto problems = CheckTiling({range(0, 9), range(5, 7), range(12, 20), range(15, 30)});
  ASSERT_EQ(problems.size(), 3u);
  EXPECT_EQ(problems[0],
            (catalog::StoreProblem{"5-7", 5, 7, "overlap: these offsets are also covered by 0-9"}));
  EXPECT_EQ(problems[1].key, "12-20");
  EXPECT_EQ(problems[1].start, 10);
  EXPECT_EQ(problems[1].end, 11);
  EXPECT_EQ(problems[2].key, "15-30");
  EXPECT_EQ(problems[2].start, 15);
  EXPECT_EQ(problems[2].end, 20);
  EXPECT_TRUE(CheckTiling({range(3, 3), range(4, 100), range(101, 101)}).empty());
}

TEST_F(VerifyTest, MalformedConsumersOffset) {
  const std::string key = s_.keys().ConsumerOffsets("orders", 0);
  s_.Put(key, R"({"g1": -4})");
  EXPECT_NE(OneProblem(key).message.find("negative"), std::string::npos);
}

TEST_F(VerifyTest, MalformedOffsetSnapshot) {
  const std::string key = s_.keys().ConsumerOffsetsHistory("orders", 1, kT0);
  s_.Put(key, "[1, 2]");
  OneProblem(key);
}

TEST_F(VerifyTest, MalformedGapRecord) {
  const std::string key = s_.keys().Gap("orders", 0, 100, 149);
  s_.Put(key, "");
  OneProblem(key);
}

TEST_F(VerifyTest, MalformedTopicJson) {
  const std::string key = s_.keys().TopicMetadata("orders");
  s_.Put(key, R"({"format_version": 1, "topic": "orders"})");
  EXPECT_NE(OneProblem(key).message.find("missing string field 'topic_id'"), std::string::npos);
}

TEST_F(VerifyTest, MissingTopicJson) {
  const std::string key = s_.keys().TopicMetadata("orders");
  ASSERT_TRUE(s_.store().Delete({key}).ok());
  EXPECT_NE(OneProblem(key).message.find("missing"), std::string::npos);
}

TEST_F(VerifyTest, KeyThatDisagreesWithTheFooter) {
  // Records 300..309 stored under a key claiming 300..319: the last record is not at the end.
  const std::string wrong_end = s_.keys().Segment("orders", 0, 300, 319);
  s_.Put(wrong_end, catalog::testing::SegmentBytes(300, 309, kT0));
  catalog::StoreProblem p = OneProblem(wrong_end);
  EXPECT_NE(p.message.find("footer's records are 300..309"), std::string::npos) << p.message;

  // Records 310..329 under a key starting at 320: records before the key's start.
  ASSERT_TRUE(s_.store().Delete({wrong_end}).ok());
  s_.AddSegment("orders", 0, 300, 319);
  const std::string wrong_start = s_.keys().Segment("orders", 0, 320, 329);
  s_.Put(wrong_start, catalog::testing::SegmentBytes(310, 329, kT0));
  p = OneProblem(wrong_start);
  EXPECT_EQ(p.start, 320);
  EXPECT_NE(p.message.find("footer's records are 310..329"), std::string::npos) << p.message;
}

TEST_F(VerifyTest, EveryProblemIsReportedSorted) {
  Flip(keys_[0], 100);
  Flip(keys_[3], -1);
  s_.Put(s_.keys().ConsumerOffsets("orders", 0), "nope");
  auto report = Verify();
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_EQ(report->problems.size(), 3u) << FormatVerifyText(*report);
  EXPECT_EQ(report->problems[0].key, keys_[0]);
  EXPECT_EQ(report->problems[1].key, s_.keys().ConsumerOffsets("orders", 0));
  EXPECT_EQ(report->problems[2].key, keys_[3]);
  EXPECT_NE(FormatVerifyText(*report).find(": 3 problems\n"), std::string::npos);
}

TEST_F(VerifyTest, SampleEvenlyPicksFirstLastAndBetween) {
  EXPECT_EQ(SampleEvenly(10, 3), (std::vector<size_t>{0, 5, 9}));
  EXPECT_EQ(SampleEvenly(10, 2), (std::vector<size_t>{0, 9}));
  EXPECT_EQ(SampleEvenly(10, 1), (std::vector<size_t>{9}));
  EXPECT_EQ(SampleEvenly(3, 0), (std::vector<size_t>{0, 1, 2}));
  EXPECT_EQ(SampleEvenly(3, 5), (std::vector<size_t>{0, 1, 2}));
  EXPECT_EQ(SampleEvenly(5, 4), (std::vector<size_t>{0, 1, 3, 4}));
  EXPECT_TRUE(SampleEvenly(0, 2).empty());
}

TEST_F(VerifyTest, SampleReadsOnlyTheChosenSegmentsPerPartition) {
  std::vector<std::string> many;
  for (int i = 0; i < 10; ++i) many.push_back(s_.AddSegment("many", 0, i * 10, i * 10 + 9));
  s_.AddTopic("many", 1);
  Flip(many[3], 100);  // not among 0, 5, 9
  auto report = Verify({.topics = {"many"}, .sample = 3});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(report->problems.empty()) << FormatVerifyText(*report);
  EXPECT_EQ(report->segments_listed, 10u);
  EXPECT_EQ(report->segments_verified, 3u);
  EXPECT_EQ(report->records_verified, 30u);

  Flip(many[5], 100);
  OneProblem(many[5], {.topics = {"many"}, .sample = 3});
  // Per partition: "orders" has 3 segments in partition 0 and 1 in partition 1.
  auto orders = Verify({.topics = {"orders"}, .sample = 2});
  ASSERT_TRUE(orders.ok());
  EXPECT_EQ(orders->segments_verified, 3u);
}

TEST_F(VerifyTest, TimeWindowSelectsSegmentsWhoseFooterOverlapsIt) {
  // Segment i holds timestamps [i * 1000 + offset] for offsets i*10 .. i*10+9.
  std::vector<std::string> seg;
  for (int i = 0; i < 5; ++i) {
    const std::string key = s_.keys().Segment("win", 0, i * 10, i * 10 + 9);
    s_.Put(key, catalog::testing::SegmentBytes(i * 10, i * 10 + 9, kT0 + i * 1000));
    seg.push_back(key);
  }
  s_.AddTopic("win", 1);
  Flip(seg[0], 100);  // outside the window: its blocks are never read
  // Segment 1 covers kT0+1010..kT0+1019, segment 2 kT0+2020..kT0+2029.
  VerifyOptions window{.topics = {"win"}, .from_ms = kT0 + 1015, .to_ms = kT0 + 2020};
  s_.store().ResetStats();
  auto report = Verify(window);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(report->problems.empty()) << FormatVerifyText(*report);
  EXPECT_EQ(report->segments_verified, 2u);
  EXPECT_EQ(s_.store().stats().get_ranges, 5u);  // every footer
  EXPECT_EQ(s_.store().stats().gets, 3u);        // the two segments and topic.json

  Flip(seg[2], 100);
  OneProblem(seg[2], window);
  // Open bounds.
  auto from_only = Verify({.topics = {"win"}, .from_ms = kT0 + 3000});
  ASSERT_TRUE(from_only.ok());
  EXPECT_EQ(from_only->segments_verified, 2u);
}

TEST_F(VerifyTest, ProgressCountsEverySegment) {
  std::mutex mu;
  std::vector<VerifyProgress> seen;
  auto report = Verify({.parallelism = 4, .on_progress = [&](const VerifyProgress& p) {
                          std::lock_guard lock(mu);
                          seen.push_back(p);
                        }});
  ASSERT_TRUE(report.ok());
  ASSERT_EQ(seen.size(), 4u);
  EXPECT_EQ(seen.back().segments_done, 4u);
  EXPECT_EQ(seen.back().segments_total, 4u);
  EXPECT_EQ(seen.back().bytes_done, report->bytes_verified);
  EXPECT_EQ(FormatVerifyProgress({.segments_done = 120,
                                  .segments_total = 400,
                                  .bytes_done = uint64_t{3} << 30,
                                  .seconds = 2}),
            "verified 120/400 segments, 3.0 GiB, 1.5 GiB/s");
}

TEST_F(VerifyTest, StoreFailureStopsTheRun) {
  storage::FaultInjectingStore faulty(&s_.store());
  faulty.AddRule({.op = storage::StoreOp::kGet,
                  .key_prefix = keys_[1],
                  .nth = 1,
                  .code = Status::Code::kPermissionDenied});
  auto report = VerifyStore(faulty, s_.keys(), {});
  EXPECT_TRUE(report.status().IsPermissionDenied()) << report.status().ToString();
  EXPECT_EQ(report.status().subject(), keys_[1]);
}

TEST_F(VerifyTest, BadOptionsAreInvalidArguments) {
  EXPECT_TRUE(Verify({.parallelism = 0}).status().IsInvalidArgument());
  EXPECT_TRUE(Verify({.from_ms = 10, .to_ms = 9}).status().IsInvalidArgument());
  EXPECT_TRUE(Verify({.topics = {"nope"}}).status().IsNotFound());
}

}  // namespace
}  // namespace kb::ops
