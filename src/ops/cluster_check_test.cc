// The pure step of verify's comparison with the cluster (the whole of it, against a real broker,
// is in src/cli/retention_daemon_test.cc).
#include "ops/cluster_check.h"

#include <gtest/gtest.h>

namespace kb::ops {
namespace {

catalog::StoredRange Range(int64_t start, int64_t end, bool gap = false) {
  return {.start = start,
          .end = end,
          .is_gap = gap,
          .key = "k/" + std::to_string(start) + "-" + std::to_string(end)};
}

TEST(FirstOffsetProblemsTest, OnlyAStoreThatBeginsAboveTheLogStartIsAProblem) {
  catalog::StoreCatalog catalog;
  catalog["t"].partitions[0].ranges = {Range(40, 59), Range(60, 99)};        // 0..39 deleted
  catalog["t"].partitions[1].ranges = {Range(0, 99)};                        // whole
  catalog["t"].partitions[2].ranges = {Range(10, 19, true), Range(20, 29)};  // gap first: fine
  catalog["t"].partitions[3].ranges = {Range(50, 59)};  // retention moved the log start past it
  catalog["t"].partitions[4].ranges = {Range(5, 9)};    // not in the cluster: not compared
  catalog["u"].partitions[0].ranges = {};
  const std::map<kafka::TopicPartition, kafka::Watermarks> marks = {
      {{"t", 0}, {.low = 0, .high = 100}},
      {{"t", 1}, {.low = 0, .high = 100}},
      {{"t", 2}, {.low = 10, .high = 30}},
      {{"t", 3}, {.low = 55, .high = 60}},
      {{"u", 0}, {.low = 0, .high = 10}}};
  const std::vector<catalog::StoreProblem> problems = FirstOffsetProblems(catalog, marks);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].key, "k/40-59");
  EXPECT_EQ(problems[0].start, 0);
  EXPECT_EQ(problems[0].end, 39);
  EXPECT_NE(problems[0].message.find("t/0"), std::string::npos) << problems[0].message;
  EXPECT_NE(problems[0].message.find("log start offset 0"), std::string::npos);
}

TEST(FirstOffsetProblemsTest, AGapRecordAboveTheLogStartIsAProblemToo) {
  catalog::StoreCatalog catalog;
  catalog["t"].partitions[0].ranges = {Range(30, 39, true), Range(40, 49)};
  const auto problems = FirstOffsetProblems(catalog, {{{"t", 0}, {.low = 20, .high = 50}}});
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].start, 20);
  EXPECT_EQ(problems[0].end, 29);
}

}  // namespace
}  // namespace kb::ops
