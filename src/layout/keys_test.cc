#include "layout/keys.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

namespace kb::layout {
namespace {

TEST(KeysTest, LayoutOfTheFoundingDesign) {
  Keys k("backups/prod");
  EXPECT_EQ(k.Segment("orders", 3, 0, 99),
            "backups/prod/orders/3/00000000000000000000-00000000000000000099");
  EXPECT_EQ(k.ConsumerOffsets("orders", 3), "backups/prod/orders/3/offset/consumers_offset");
  EXPECT_EQ(k.TopicMetadata("orders"), "backups/prod/orders/topic.json");
  EXPECT_EQ(k.PartitionPrefix("orders", 3), "backups/prod/orders/3/");
  EXPECT_EQ(k.TopicPrefix("orders"), "backups/prod/orders/");
}

TEST(KeysTest, PrefixIsNormalizedAndOptional) {
  EXPECT_EQ(Keys("/p/").Segment("t", 0, 1, 2), "p/t/0/00000000000000000001-00000000000000000002");
  EXPECT_EQ(Keys("").Segment("t", 0, 1, 2), "t/0/00000000000000000001-00000000000000000002");
  EXPECT_EQ(Keys("").Root(), "");
  EXPECT_EQ(Keys("a/b").Root(), "a/b/");
}

TEST(KeysTest, ListingOrderIsOffsetOrder) {
  Keys k("p");
  std::vector<int64_t> starts = {0, 9, 10, 99, 100, 12345678901234, INT64_MAX - 1};
  std::vector<std::string> keys;
  for (int64_t s : starts) keys.push_back(k.Segment("t", 0, s, s));
  EXPECT_TRUE(std::is_sorted(keys.begin(), keys.end()));
}

TEST(KeysTest, ParseRoundTrips) {
  Keys k("p");
  for (int64_t s : {int64_t{0}, int64_t{42}, INT64_MAX}) {
    auto parsed = k.ParseSegment(k.Segment("my.topic_1-x", 17, s, s == 0 ? 5 : s));
    ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
    EXPECT_EQ(*parsed, (SegmentKey{"my.topic_1-x", 17, s, s == 0 ? 5 : s}));
  }
}

TEST(KeysTest, ParseRejectsMalformedSegmentKeysNamingTheKey) {
  Keys k("p");
  for (std::string bad : {"p/t/0/1-2", "p/t/x/00000000000000000000-00000000000000000001",
                          "p/t/0/00000000000000000005-00000000000000000001",
                          "p/t/0/00000000000000000000_00000000000000000001",
                          "p/t/0/0000000000000000000a-00000000000000000001",
                          "p/t/99999999999/00000000000000000000-00000000000000000001"}) {
    auto r = k.ParseSegment(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_TRUE(r.status().IsCorruption()) << bad << ": " << r.status().ToString();
    EXPECT_EQ(r.status().subject(), bad);
  }
  EXPECT_FALSE(k.ParseSegment("other/t/0/00000000000000000000-00000000000000000001").ok());
}

TEST(KeysTest, ClassifiesKeysOfAListing) {
  Keys k("p");
  EXPECT_EQ(k.Classify(k.Segment("t", 1, 5, 9)), KeyKind::kSegment);
  EXPECT_EQ(k.Classify(k.ConsumerOffsets("t", 1)), KeyKind::kConsumerOffsets);
  EXPECT_EQ(k.Classify(k.TopicMetadata("t")), KeyKind::kTopicMetadata);
  EXPECT_EQ(k.Classify(k.Gap("t", 1, 0, 4)), KeyKind::kGap);
  EXPECT_EQ(k.Classify(k.ConsumerOffsetsHistory("t", 1, 1700000000000)),
            KeyKind::kConsumerOffsetsHistory);
  EXPECT_EQ(k.Classify("p/t/1/offset/history/x"), KeyKind::kUnknown);
  EXPECT_EQ(k.Classify("p/t/1/gap/1-2"), KeyKind::kUnknown);
  EXPECT_EQ(k.Classify("p/t/1/offset/other"), KeyKind::kUnknown);
  EXPECT_EQ(k.Classify("p/t/1/garbage"), KeyKind::kUnknown);
  EXPECT_EQ(k.Classify("q/t/1/garbage"), KeyKind::kUnknown);
  EXPECT_EQ(k.Classify("p/bad topic/1/x"), KeyKind::kUnknown);
}

TEST(KeysTest, GapsAndHistory) {
  Keys k("p");
  EXPECT_EQ(k.Gap("t", 2, 0, 41), "p/t/2/gap/00000000000000000000-00000000000000000041");
  auto gap = k.ParseGap(k.Gap("t", 2, 0, 41));
  ASSERT_TRUE(gap.ok()) << gap.status().ToString();
  EXPECT_EQ(*gap, (SegmentKey{"t", 2, 0, 41}));
  EXPECT_FALSE(k.ParseSegment(k.Gap("t", 2, 0, 41)).ok());
  EXPECT_FALSE(k.ParseGap(k.Segment("t", 2, 0, 41)).ok());
  EXPECT_EQ(k.ConsumerOffsetsHistory("t", 0, 5), "p/t/0/offset/history/00000000000000000005");
  EXPECT_TRUE(
      k.ConsumerOffsetsHistory("t", 0, 5).starts_with(k.ConsumerOffsetsHistoryPrefix("t", 0)));
}

TEST(KeysTest, TopicNamesFollowKafkaRules) {
  EXPECT_TRUE(ValidateTopicName("orders.v2_EU-1").ok());
  EXPECT_TRUE(ValidateTopicName(std::string(249, 'a')).ok());
  EXPECT_FALSE(ValidateTopicName("").ok());
  EXPECT_FALSE(ValidateTopicName(std::string(250, 'a')).ok());
  EXPECT_FALSE(ValidateTopicName(".").ok());
  EXPECT_FALSE(ValidateTopicName("..").ok());
  Status s = ValidateTopicName("a/b");
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_EQ(s.subject(), "a/b");
}

TEST(KeysTest, PadOffset) {
  EXPECT_EQ(PadOffset(0), "00000000000000000000");
  EXPECT_EQ(PadOffset(INT64_MAX), "09223372036854775807");
}

TEST(KeysTest, RestoreOffsetMapKeysRoundTripAndClassify) {
  Keys k("p");
  const std::string key =
      k.RestoreOffsetMap("orders", 7, "MkU3OEVBNTcwNTJENDM2Qg", "orders-restored");
  EXPECT_EQ(key, "p/orders/7/restore/MkU3OEVBNTcwNTJENDM2Qg/orders-restored");
  EXPECT_TRUE(key.starts_with(k.RestoreOffsetMapPrefix("orders", 7)));
  EXPECT_EQ(k.Classify(key), KeyKind::kRestoreOffsetMap);
  Result<Keys::RestoreMapKey> parsed = k.ParseRestoreOffsetMap(key);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->topic, "orders");
  EXPECT_EQ(parsed->partition, 7);
  EXPECT_EQ(parsed->cluster_id, "MkU3OEVBNTcwNTJENDM2Qg");
  EXPECT_EQ(parsed->target_topic, "orders-restored");
  // Malformed restore keys are named, and never classified as anything else.
  for (const char* bad : {"p/orders/7/restore/only-cluster", "p/orders/7/restore/c@x/t",
                          "p/orders/7/restore/c/bad topic", "p/orders/x/restore/c/t"}) {
    EXPECT_EQ(k.Classify(bad), KeyKind::kUnknown) << bad;
    Result<Keys::RestoreMapKey> r = k.ParseRestoreOffsetMap(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().subject(), bad);
  }
  EXPECT_TRUE(ValidateClusterId("abc_DEF-123").ok());
  EXPECT_TRUE(ValidateClusterId("").IsInvalidArgument());
  EXPECT_TRUE(ValidateClusterId("a/b").IsInvalidArgument());
}

TEST(KeysTest, ParsesListedKeys) {
  const Keys keys("backups");
  auto seg = keys.Parse(keys.Segment("t", 3, 10, 19));
  ASSERT_TRUE(seg.has_value());
  EXPECT_EQ(seg->kind, KeyKind::kSegment);
  EXPECT_EQ(seg->topic, "t");
  EXPECT_EQ(seg->partition, 3);
  EXPECT_EQ(seg->start, 10);
  EXPECT_EQ(seg->end, 19);
  auto gap = keys.Parse(keys.Gap("t", 4, 5, 6));
  ASSERT_TRUE(gap.has_value());
  EXPECT_EQ(gap->kind, KeyKind::kGap);
  EXPECT_EQ(gap->end, 6);
  auto offsets = keys.Parse(keys.ConsumerOffsets("t", 12));
  ASSERT_TRUE(offsets.has_value());
  EXPECT_EQ(offsets->kind, KeyKind::kConsumerOffsets);
  EXPECT_EQ(offsets->partition, 12);
  auto snapshot = keys.Parse(keys.ConsumerOffsetsHistory("t", 2, 1700000000000));
  ASSERT_TRUE(snapshot.has_value());
  EXPECT_EQ(snapshot->kind, KeyKind::kConsumerOffsetsHistory);
  EXPECT_EQ(snapshot->partition, 2);
  EXPECT_EQ(snapshot->time_ms, 1700000000000);
  auto restore = keys.Parse(keys.RestoreOffsetMap("t", 5, "cluster-1", "t2"));
  ASSERT_TRUE(restore.has_value());
  EXPECT_EQ(restore->kind, KeyKind::kRestoreOffsetMap);
  EXPECT_EQ(restore->partition, 5);
  for (const std::string& key : {keys.TopicMetadata("t"), keys.RetentionState("t")}) {
    auto topic_level = keys.Parse(key);
    ASSERT_TRUE(topic_level.has_value()) << key;
    EXPECT_EQ(topic_level->topic, "t");
    EXPECT_EQ(topic_level->partition, -1);
  }
  EXPECT_FALSE(keys.Parse("backups/t/007/offset/consumers_offset").has_value());
  EXPECT_FALSE(keys.Parse("backups/t/0/offset/history/12x").has_value());
  EXPECT_FALSE(keys.Parse("backups/t/0/offset/history/0012").has_value());
  EXPECT_FALSE(keys.Parse("other/t/topic.json").has_value());
  EXPECT_FALSE(keys.Parse("backups/t/0/something-else").has_value());
}

}  // namespace
}  // namespace kb::layout
