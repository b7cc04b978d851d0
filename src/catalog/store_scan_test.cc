#include "catalog/store_scan.h"

#include <gtest/gtest.h>

#include "catalog/catalog_test_util.h"
#include "layout/metadata.h"
#include "storage/memory/memory_store.h"

namespace kb::catalog {
namespace {

std::string Segment(int64_t first, int64_t last, int64_t base_ts, int64_t newest_ts) {
  return testing::SegmentBytes(first, last, base_ts, newest_ts);
}

class StoreScanTest : public ::testing::Test {
 protected:
  void Put(const std::string& key, const std::string& data) {
    ASSERT_TRUE(store_.Put(key, data).ok()) << key;
  }
  storage::MemoryStore store_;
  layout::Keys keys_{"backups"};
};

TEST_F(StoreScanTest, EmptyStoreHasNoTopics) {
  auto summary = ScanStore(store_, keys_);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_TRUE(summary->empty());
}

TEST_F(StoreScanTest, SumsGapsAndFindsTheRangeAndLastSegment) {
  Put(keys_.Segment("orders", 0, 0, 99), Segment(0, 99, 1000, 5000));
  Put(keys_.Gap("orders", 0, 100, 149), layout::EncodeGap({"retention", 1}));
  Put(keys_.Segment("orders", 0, 150, 199), Segment(150, 199, 2000, 9000));
  Put(keys_.Gap("orders", 0, 200, 209), layout::EncodeGap({"retention", 2}));
  Put(keys_.ConsumerOffsets("orders", 0), "{}");
  Put(keys_.TopicMetadata("orders"), "{}");
  Put(keys_.Segment("orders", 2, 40, 41), Segment(40, 41, 100, 100));
  Put(keys_.TopicMetadata("only-metadata"), "{}");
  Put("backups/not a topic/x", "ignored");
  Put("elsewhere/orders/0/" + layout::PadOffset(0) + "-" + layout::PadOffset(5), "other prefix");

  auto summary = ScanStore(store_, keys_);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  ASSERT_EQ(summary->size(), 2u);
  EXPECT_TRUE(summary->at("only-metadata").empty());
  const auto& orders = summary->at("orders");
  ASSERT_EQ(orders.size(), 2u);
  const StoredPartition& p0 = orders.at(0);
  EXPECT_EQ(p0.from, 0);
  EXPECT_EQ(p0.next, 210);  // a trailing gap counts: the backup resumes after it
  EXPECT_EQ(p0.gap_records, 60u);
  EXPECT_EQ(p0.gaps, 2u);
  EXPECT_EQ(p0.segments, 2u);
  EXPECT_EQ(p0.last_segment_key, keys_.Segment("orders", 0, 150, 199));
  EXPECT_EQ(p0.newest_timestamp_ms, -1);  // not read yet
  EXPECT_EQ(orders.at(2).from, 40);
  EXPECT_EQ(orders.at(2).next, 42);
  EXPECT_EQ(orders.at(2).gap_records, 0u);

  store_.ResetStats();
  ASSERT_TRUE(ReadNewestTimestamps(store_, &*summary).ok());
  EXPECT_EQ(summary->at("orders").at(0).newest_timestamp_ms, 9000);
  EXPECT_EQ(summary->at("orders").at(2).newest_timestamp_ms, 141);
  // One ranged read per last segment, nothing else.
  EXPECT_EQ(store_.stats().get_ranges, 2u);
  EXPECT_EQ(store_.stats().gets, 0u);
}

TEST_F(StoreScanTest, ListsOnlyTheNamedTopics) {
  Put(keys_.Segment("a", 0, 0, 9), Segment(0, 9, 0, 10));
  Put(keys_.Segment("ab", 0, 0, 19), Segment(0, 19, 0, 10));
  Put(keys_.Segment("b", 0, 0, 29), Segment(0, 29, 0, 10));
  const std::vector<std::string> topics = {"a", "missing"};
  auto summary = ScanStore(store_, keys_, &topics);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  ASSERT_EQ(summary->size(), 1u);
  EXPECT_EQ(summary->at("a").at(0).next, 10);
}

TEST_F(StoreScanTest, FollowsListingPagesAndWorksWithoutAPrefix) {
  layout::Keys root("");
  for (int i = 0; i < 2500; ++i) Put(root.Segment("t", i % 5, i * 10, i * 10 + 9), "x");
  auto summary = ScanStore(store_, root);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  ASSERT_EQ(summary->at("t").size(), 5u);
  EXPECT_EQ(summary->at("t").at(4).next, 25000);
  EXPECT_EQ(summary->at("t").at(0).segments, 500u);
  EXPECT_GE(store_.stats().lists, 3u);
}

TEST_F(StoreScanTest, ADamagedLastSegmentNamesItsKey) {
  const std::string key = keys_.Segment("t", 0, 0, 9);
  std::string bytes = Segment(0, 9, 0, 10);
  bytes[bytes.size() - 50] ^= 1;  // inside the footer
  Put(key, bytes);
  auto summary = ScanStore(store_, keys_);
  ASSERT_TRUE(summary.ok());
  Status s = ReadNewestTimestamps(store_, &*summary);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_EQ(s.subject(), key);
}

}  // namespace
}  // namespace kb::catalog
