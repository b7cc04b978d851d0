#include "layout/metadata.h"

#include <gtest/gtest.h>

#include <vector>

namespace kb::layout {
namespace {

TEST(GroupOffsetsTest, MatchesTheFoundingDesignsJsonMap) {
  auto r = DecodeGroupOffsets("k", R"({"consumer-group1": 100, "consumer-group2": 200})");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, (GroupOffsets{{"consumer-group1", 100}, {"consumer-group2", 200}}));
  GroupOffsets in{{"a", 0}, {"b.c-d", INT64_MAX}, {"unicode ü", 7}};
  auto round = DecodeGroupOffsets("k", EncodeGroupOffsets(in));
  ASSERT_TRUE(round.ok());
  EXPECT_EQ(*round, in);
  EXPECT_TRUE(DecodeGroupOffsets("k", "{}")->empty());
}

TEST(GroupOffsetsTest, MalformedFilesAreCorruptionNamingTheKey) {
  const std::string key = "p/t/0/offset/consumers_offset";
  for (std::string bad : {"", "not json", "[1,2]", R"({"g": "100"})", R"({"g": -1})",
                          R"({"g": 1.5})", R"({"g": null})"}) {
    auto r = DecodeGroupOffsets(key, bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_TRUE(r.status().IsCorruption()) << bad;
    EXPECT_EQ(r.status().subject(), key);
  }
}

TEST(TopicMetadataTest, RoundTrip) {
  TopicMetadata md{.topic = "orders",
                   .topic_id = "AAAAAAAAAAAAAAAAAAAAAA",
                   .partitions = 6,
                   .replication_factor = 3,
                   .configs = {{"cleanup.policy", "compact"}, {"retention.ms", "-1"}},
                   .updated_at_ms = 1700000000000};
  auto r = DecodeTopicMetadata("k", EncodeTopicMetadata(md));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, md);
}

TEST(TopicMetadataTest, RejectsMalformedAndNewer) {
  TopicMetadata md{.topic = "t", .partitions = 1, .replication_factor = 1};
  std::string good = EncodeTopicMetadata(md);
  EXPECT_TRUE(DecodeTopicMetadata("k", good).ok());
  auto newer = DecodeTopicMetadata(
      "k", R"({"format_version": 2, "topic": "t", "topic_id": "", "partitions": 1,
               "replication_factor": 1, "configs": {}, "updated_at_ms": 0})");
  ASSERT_FALSE(newer.ok());
  EXPECT_EQ(newer.status().code(), Status::Code::kNotImplemented);
  EXPECT_NE(newer.status().message().find("upgrade kafka-backup"), std::string::npos);
  for (std::string bad : std::vector<std::string>{
           "{}", "[]", "{",
           R"({"format_version": 1, "topic": "t", "topic_id": "", "partitions": 0,
            "replication_factor": 1, "configs": {}, "updated_at_ms": 0})",
           R"({"format_version": 1, "topic": 5, "topic_id": "", "partitions": 1,
            "replication_factor": 1, "configs": {}, "updated_at_ms": 0})",
           R"({"format_version": 1, "topic": "t", "topic_id": "", "partitions": 1,
            "replication_factor": 1, "configs": {"a": 1}, "updated_at_ms": 0})"}) {
    auto r = DecodeTopicMetadata("p/t/topic.json", bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_TRUE(r.status().IsCorruption()) << bad;
    EXPECT_EQ(r.status().subject(), "p/t/topic.json");
  }
}

TEST(GapRecordTest, RoundTripAndMalformed) {
  GapRecord g{"retention", 1700000000000};
  auto r = DecodeGap("k", EncodeGap(g));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, g);
  auto bad = DecodeGap("p/t/0/gap/x", R"({"reason": 1})");
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(bad.status().IsCorruption());
  EXPECT_EQ(bad.status().subject(), "p/t/0/gap/x");
}

}  // namespace
}  // namespace kb::layout
