#include "layout/tiling.h"

#include <gtest/gtest.h>

namespace kb::layout {
namespace {

struct R {
  int64_t start;
  int64_t end;
};

TEST(TilingTest, ContiguousRangesAndTheEndsAreNoFault) {
  EXPECT_TRUE(FindTilingFaults(std::vector<R>{}).empty());
  EXPECT_TRUE(FindTilingFaults(std::vector<R>{{500, 999}}).empty());
  // Offsets before the first range and after the last one are not holes.
  EXPECT_TRUE(FindTilingFaults(std::vector<R>{{100, 199}, {200, 200}, {201, 300}}).empty());
}

TEST(TilingTest, EveryHoleAndOverlapWithTheRangesAroundIt) {
  // 0-9; 5-7 inside it (overlap); a hole 10-11 before 12-20; 15-30 overlaps 12-20; a hole
  // 31-39 before 40-40.
  const auto faults =
      FindTilingFaults(std::vector<R>{{0, 9}, {5, 7}, {12, 20}, {15, 30}, {40, 40}});
  ASSERT_EQ(faults.size(), 4u);
  EXPECT_EQ(faults[0], (TilingFault{TilingFaultKind::kOverlap, 5, 7, 1, 0}));
  EXPECT_EQ(faults[1], (TilingFault{TilingFaultKind::kHole, 10, 11, 2, 0}));
  EXPECT_EQ(faults[2], (TilingFault{TilingFaultKind::kOverlap, 15, 20, 3, 2}));
  EXPECT_EQ(faults[3], (TilingFault{TilingFaultKind::kHole, 31, 39, 4, 3}));
}

TEST(TilingTest, ARangeInsideAnotherDoesNotHideAHoleAfterIt) {
  // 3-4 lies inside 0-99: the hole after 0-99 is measured from 99, not from 4.
  const auto faults = FindTilingFaults(std::vector<R>{{0, 99}, {3, 4}, {150, 199}});
  ASSERT_EQ(faults.size(), 2u);
  EXPECT_EQ(faults[1], (TilingFault{TilingFaultKind::kHole, 100, 149, 2, 0}));
}

}  // namespace
}  // namespace kb::layout
