#include "catalog/store_position.h"

#include <gtest/gtest.h>

#include "storage/memory/memory_store.h"

namespace kb::catalog {
namespace {

TEST(StorePositionTest, EmptyStoreHasNoPosition) {
  storage::MemoryStore store;
  layout::Keys keys("p");
  auto next = NextOffsetInStore(store, keys, "t", 0);
  ASSERT_TRUE(next.ok());
  EXPECT_FALSE(next->has_value());
}

TEST(StorePositionTest, SegmentsAndGapsTileAndGiveTheNextOffset) {
  storage::MemoryStore store;
  layout::Keys keys("p");
  ASSERT_TRUE(store.Put(keys.Segment("t", 0, 0, 99), "a").ok());
  ASSERT_TRUE(store.Put(keys.Gap("t", 0, 100, 149), "{}").ok());
  ASSERT_TRUE(store.Put(keys.Segment("t", 0, 150, 1000), "b").ok());
  ASSERT_TRUE(store.Put(keys.ConsumerOffsets("t", 0), "{}").ok());
  ASSERT_TRUE(store.Put(keys.ConsumerOffsetsHistory("t", 0, 5), "{}").ok());
  ASSERT_TRUE(store.Put(keys.Segment("t", 1, 0, 5000), "other partition").ok());
  ASSERT_TRUE(store.Put(keys.Segment("t2", 0, 0, 7000), "other topic").ok());
  auto ranges = ListPartitionRanges(store, keys, "t", 0);
  ASSERT_TRUE(ranges.ok());
  ASSERT_EQ(ranges->size(), 3u);
  EXPECT_EQ((*ranges)[0].start, 0);
  EXPECT_FALSE((*ranges)[0].is_gap);
  EXPECT_TRUE((*ranges)[1].is_gap);
  EXPECT_EQ((*ranges)[2].end, 1000);
  EXPECT_EQ(**NextOffsetInStore(store, keys, "t", 0), 1001);
  EXPECT_EQ(**NextOffsetInStore(store, keys, "t", 1), 5001);
}

TEST(StorePositionTest, AGapAloneCountsToo) {
  storage::MemoryStore store;
  layout::Keys keys("");
  ASSERT_TRUE(store.Put(keys.Gap("t", 3, 0, 41), "{}").ok());
  EXPECT_EQ(**NextOffsetInStore(store, keys, "t", 3), 42);
}

}  // namespace
}  // namespace kb::catalog
