#include "layout/retention_state.h"

#include <gtest/gtest.h>

#include "layout/keys.h"

namespace kb::layout {
namespace {

TEST(RetentionKeysTest, RetentionStateIsATopicObjectOfItsOwnKind) {
  Keys k("p");
  EXPECT_EQ(k.RetentionState("orders"), "p/orders/retention.json");
  EXPECT_EQ(k.Classify("p/orders/retention.json"), KeyKind::kRetentionState);
  EXPECT_EQ(k.Classify("p/orders/0/retention.json"), KeyKind::kUnknown);
}

TEST(RetentionKeysTest, GenerationsLiveWhereNoTopicCan) {
  Keys k("p");
  EXPECT_EQ(k.GenerationsRoot(), "p/@generations/");
  const Keys g = k.Generation(1700000000000);
  EXPECT_EQ(g.prefix(), "p/@generations/1700000000000");
  const std::string seg = g.Segment("orders", 2, 0, 9);
  EXPECT_EQ(seg, "p/@generations/1700000000000/orders/2/00000000000000000000-00000000000000000009");
  // The plain layout does not see it; the generation's Keys does.
  EXPECT_EQ(k.Classify(seg), KeyKind::kUnknown);
  EXPECT_EQ(g.Classify(seg), KeyKind::kSegment);
  auto parsed = k.ParseGenerationKey(seg);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->generation, 1700000000000);
  EXPECT_EQ(parsed->topic, "orders");
  EXPECT_EQ(k.GenerationMove("orders"), "p/@generations/moving/orders.json");
  EXPECT_FALSE(k.ParseGenerationKey(k.GenerationMove("orders")).has_value());
  EXPECT_FALSE(k.ParseGenerationKey("p/orders/topic.json").has_value());
  EXPECT_FALSE(k.ParseGenerationKey("p/@generations/12/bad@topic/x").has_value());
  // Without a prefix too.
  EXPECT_EQ(Keys("").Generation(5).Segment("t", 0, 1, 2),
            "@generations/5/t/0/00000000000000000001-00000000000000000002");
}

TEST(RetentionStateTest, RoundTrips) {
  RetentionState s;
  s.missing_since_ms = 1700000000000;
  s.expired[0] = {{0, 99, 1700000000001}, {100, 199, 1700000000002}};
  s.expired[3] = {{5, 5, 7}};
  auto back = DecodeRetentionState("k", EncodeRetentionState(s));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, s);
  RetentionState empty;
  auto back2 = DecodeRetentionState("k", EncodeRetentionState(empty));
  ASSERT_TRUE(back2.ok()) << back2.status().ToString();
  EXPECT_EQ(*back2, empty);
}

TEST(RetentionStateTest, RejectsWhatItCannotTrust) {
  for (const char* bad : {
           "nope",
           "[]",
           R"({"expired": {}, "missing_since_ms": null})",
           R"({"format_version": 1, "missing_since_ms": "x", "expired": {}})",
           R"({"format_version": 1, "missing_since_ms": null})",
           R"({"format_version": 1, "missing_since_ms": null, "expired": {"a": []}})",
           R"({"format_version": 1, "missing_since_ms": null, "expired": {"0": [{"start": 5}]}})",
           R"({"format_version": 1, "missing_since_ms": null,
               "expired": {"0": [{"start": 5, "end": 4, "first_seen_ms": 1}]}})",
       }) {
    auto r = DecodeRetentionState("the/key", bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_TRUE(r.status().IsCorruption()) << r.status().ToString();
    EXPECT_EQ(r.status().subject(), "the/key");
  }
  auto newer = DecodeRetentionState(
      "the/key", R"({"format_version": 2, "missing_since_ms": null, "expired": {}})");
  EXPECT_EQ(newer.status().code(), Status::Code::kNotImplemented) << newer.status().ToString();
}

TEST(GenerationMoveTest, RoundTripsAndRejectsGarbage) {
  GenerationMove m{.topic = "orders",
                   .generation = 42,
                   .reason = "re-created",
                   .started_at_ms = 43,
                   .objects = {"topic.json", "0/00000000000000000000-00000000000000000009"}};
  auto back = DecodeGenerationMove("k", EncodeGenerationMove(m));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, m);
  auto bad = DecodeGenerationMove("k", R"({"format_version": 1, "topic": "t", "reason": "r",
      "generation": 1, "started_at_ms": 1, "objects": [""]})");
  EXPECT_TRUE(bad.status().IsCorruption()) << bad.status().ToString();
}

}  // namespace
}  // namespace kb::layout
