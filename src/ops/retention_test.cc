// The parts of retention (ops/retention.h) that need no cluster: PruneTopic, the reports, and how
// the store's other readers treat retention.json and archived generations.
#include "ops/retention.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "catalog/catalog_test_util.h"
#include "catalog/store_catalog.h"
#include "layout/retention_state.h"
#include "ops/locking_store_test_util.h"
#include "ops/ls.h"
#include "ops/verify.h"
#include "report/report_text.h"

namespace kb::ops {
namespace {

class PruneTopicTest : public ::testing::Test {
 protected:
  void SetUp() override {
    s_.AddTopic("gone", 2);
    s_.AddSegment("gone", 0, 0, 9);
    s_.AddSegment("gone", 1, 0, 4);
    s_.AddGap("gone", 1, 5, 9);
    s_.AddGroupOffsets("gone", 0, {{"g", 3}});
    s_.Put(s_.keys().RetentionState("gone"), layout::EncodeRetentionState({.missing_since_ms = 1}));
    s_.AddTopic("gone2", 1);  // a name that extends the other: must be untouched
    s_.AddSegment("gone2", 0, 0, 9);
  }
  size_t Count(const std::string& prefix) {
    auto page = s_.store().List(prefix, "", 1000);
    EXPECT_TRUE(page.ok());
    return page.ok() ? page->objects.size() : 0;
  }
  catalog::testing::OpsStore s_;
};

TEST_F(PruneTopicTest, PlanChangesNothingExecuteDeletesEverythingOfTheTopicOnly) {
  auto plan = PruneTopic(s_.store(), s_.keys(), "gone", false, "test");
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_FALSE(plan->executed);
  EXPECT_EQ(plan->deleted.size(), 6u);
  EXPECT_EQ(plan->segments_deleted, 2u);
  EXPECT_EQ(Count(s_.keys().TopicPrefix("gone")), 6u);
  const std::string text = FormatRetentionText(*plan);
  EXPECT_NE(text.find("would delete " + s_.keys().Segment("gone", 0, 0, 9)), std::string::npos)
      << text;
  EXPECT_NE(text.find("--execute"), std::string::npos) << text;
  // topic.json and retention.json come last, so an interrupted run leaves a named topic.
  EXPECT_EQ(plan->deleted[4].partition, -1);
  EXPECT_EQ(plan->deleted[5].partition, -1);

  auto done = PruneTopic(s_.store(), s_.keys(), "gone", true, "test");
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_EQ(done->deleted.size(), 6u);
  EXPECT_EQ(Count(s_.keys().TopicPrefix("gone")), 0u);
  EXPECT_EQ(Count(s_.keys().TopicPrefix("gone2")), 2u);
  auto json = nlohmann::json::parse(FormatRetentionJson(*done));
  EXPECT_EQ(json["executed"], true);
  EXPECT_EQ(json["deleted"].size(), 6u);
  EXPECT_EQ(json["segments_deleted"], 2);

  auto again = PruneTopic(s_.store(), s_.keys(), "gone", true, "test");
  EXPECT_TRUE(again.status().IsNotFound()) << again.status().ToString();
  EXPECT_EQ(again.status().subject(), "gone");
  EXPECT_TRUE(
      PruneTopic(s_.store(), s_.keys(), "bad/name", false, "t").status().IsInvalidArgument());
}

TEST_F(PruneTopicTest, AnArchivedGenerationIsPrunedThroughItsOwnKeys) {
  const layout::Keys g = s_.keys().Generation(77);
  s_.Put(g.Segment("gone", 0, 0, 9), s_.Bytes(s_.keys().Segment("gone", 0, 0, 9)));
  auto done = PruneTopic(s_.store(), g, "gone", true, "test");
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_EQ(done->deleted.size(), 1u);
  EXPECT_EQ(Count(s_.keys().TopicPrefix("gone")),
            6u);  // the current generation is untouched
}

TEST_F(PruneTopicTest, RetentionStateAndGenerationsAreUnderstoodByLsAndVerify) {
  const layout::Keys g = s_.keys().Generation(77);
  s_.Put(g.Segment("gone", 0, 0, 9), s_.Bytes(s_.keys().Segment("gone", 0, 0, 9)));
  catalog::ArchivedGenerations archived;
  auto catalog = catalog::ListCatalog(s_.store(), s_.keys(), {}, &archived);
  ASSERT_TRUE(catalog.ok()) << catalog.status().ToString();
  EXPECT_EQ(catalog->at("gone").retention_state_key, s_.keys().RetentionState("gone"));
  EXPECT_EQ(archived, (catalog::ArchivedGenerations{{{"gone", 77}, 1}}));
  EXPECT_FALSE(catalog->contains("@generations"));

  auto verified = VerifyStore(s_.store(), s_.keys(), {});
  ASSERT_TRUE(verified.ok()) << verified.status().ToString();
  EXPECT_TRUE(verified->problems.empty()) << FormatVerifyText(*verified);
  EXPECT_EQ(verified->segments_listed, 3u);   // the archived copy is not the current generation
  EXPECT_EQ(verified->objects_verified, 5u);  // 2 topic.json, gap, consumers_offset, retention

  s_.Put(s_.keys().RetentionState("gone"), "[]");
  verified = VerifyStore(s_.store(), s_.keys(), {});
  ASSERT_TRUE(verified.ok()) << verified.status().ToString();
  ASSERT_EQ(verified->problems.size(), 1u) << FormatVerifyText(*verified);
  EXPECT_EQ(verified->problems[0].key, s_.keys().RetentionState("gone"));

  auto listed = ListStore(s_.store(), s_.keys(), {});
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  EXPECT_TRUE(listed->problems.empty());
  ASSERT_EQ(listed->generations.size(), 1u);
  EXPECT_EQ(listed->generations[0].topic, "gone");
  EXPECT_EQ(listed->generations[0].generation, 77);
  EXPECT_NE(FormatLsText(*listed).find("--generation 77"), std::string::npos)
      << FormatLsText(*listed);
  auto json = nlohmann::json::parse(FormatLsJson(*listed));
  EXPECT_EQ(json["generations"][0]["generation"], 77);

  // Through the generation's own Keys, it is a store like any other.
  auto old = ListStore(s_.store(), g, {});
  ASSERT_TRUE(old.ok()) << old.status().ToString();
  ASSERT_EQ(old->partitions.size(), 1u);
  EXPECT_EQ(old->partitions[0].last_offset, 9);
}

TEST(RetentionReportTest, TextShowsEveryStateAndPendingRange) {
  RetentionReport r{.executed = true, .now_ms = 1'700'000'000'000};
  r.topics.push_back({.topic = "a", .segments_kept = 2, .bytes_kept = 2048});
  r.topics.push_back({.topic = "c", .state = TopicRetention::State::kCompacted});
  r.topics.push_back({.topic = "m",
                      .state = TopicRetention::State::kMissing,
                      .missing_since_ms = 1'600'000'000'000});
  r.deleted.push_back({.key = "p/a/0/x",
                       .topic = "a",
                       .partition = 0,
                       .start = 0,
                       .end = 9,
                       .is_segment = true,
                       .size = 10,
                       .reason = "why"});
  r.pending.push_back({.key = "p/a/0/y",
                       .topic = "a",
                       .start = 10,
                       .end = 19,
                       .first_seen_ms = 1'700'000'000'000,
                       .due_ms = 1'700'086'400'000});
  r.segments_deleted = 1;
  r.bytes_deleted = 10;
  const std::string text = FormatRetentionText(r);
  for (const char* want : {"deleted p/a/0/x offsets 0..9: why", "kept until 2023-11-15",
                           "a: in cluster; keeps 2 segments (2.0 KiB)", "c: compacted",
                           "m: missing from cluster since 2020-09-13",
                           "kafka-backup prune --topic m", "deleted 1 object (1 segment, 10 B)"}) {
    EXPECT_NE(text.find(want), std::string::npos) << want << " missing from:\n" << text;
  }
  auto json = nlohmann::json::parse(FormatRetentionJson(r));
  EXPECT_EQ(json["topics"][2]["state"], "missing from cluster");
  EXPECT_EQ(json["pending"][0]["due_ms"], 1'700'086'400'000);
}

// PruneTopic never deletes a locked object: with any object of the topic locked beyond now it
// deletes nothing (plan or execute) and names a locked key and its date.
TEST_F(PruneTopicTest, ALockedObjectKeepsTheWholeTopicAndIsNamed) {
  const int64_t now = NowMs();
  testing::LockingStore store(s_.store(), now);
  const std::string locked = s_.keys().Segment("gone", 1, 0, 4);
  store.SetLock(locked, {.mode = "COMPLIANCE", .retain_until_ms = now + 3'600'000});
  for (bool execute : {false, true}) {
    auto r = PruneTopic(store, s_.keys(), "gone", execute, "test");
    ASSERT_FALSE(r.ok()) << execute;
    EXPECT_FALSE(r.status().IsRetryable()) << r.status().ToString();
    EXPECT_EQ(r.status().subject(), locked) << r.status().ToString();
    EXPECT_NE(r.status().message().find("COMPLIANCE"), std::string::npos) << r.status().ToString();
    EXPECT_NE(r.status().message().find(report::FormatTimeMs(now + 3'600'000)), std::string::npos)
        << r.status().ToString();
    EXPECT_NE(r.status().message().find("1 of the 6 objects"), std::string::npos)
        << r.status().ToString();
    EXPECT_NE(r.status().message().find("nothing deleted"), std::string::npos);
  }
  EXPECT_TRUE(store.DeleteAttempts().empty());
  EXPECT_EQ(Count(s_.keys().TopicPrefix("gone")), 6u);
  EXPECT_EQ(store.LockQueries(), 12u) << "every object asked, in the plan and in the run";
}

TEST_F(PruneTopicTest, AnExpiredLockOrLegalHoldIsJudgedByItsState) {
  const int64_t now = NowMs();
  testing::LockingStore store(s_.store(), now);
  // A lock whose date has passed no longer protects the object.
  store.SetLock(s_.keys().Segment("gone", 0, 0, 9),
                {.mode = "GOVERNANCE", .retain_until_ms = now - 1000});
  // A legal hold has no date and holds until lifted.
  const std::string held = s_.keys().Gap("gone", 1, 5, 9);
  store.SetLock(held, {.legal_hold = true});
  auto refused = PruneTopic(store, s_.keys(), "gone", true, "test");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().subject(), held);
  EXPECT_NE(refused.status().message().find("legal hold"), std::string::npos)
      << refused.status().ToString();
  EXPECT_TRUE(store.DeleteAttempts().empty());

  testing::LockingStore released(s_.store(), now);
  released.SetLock(s_.keys().Segment("gone", 0, 0, 9),
                   {.mode = "GOVERNANCE", .retain_until_ms = now - 1000});
  auto done = PruneTopic(released, s_.keys(), "gone", true, "test");
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_EQ(done->deleted.size(), 6u);
  EXPECT_TRUE(done->locked.empty());
  EXPECT_EQ(Count(s_.keys().TopicPrefix("gone")), 0u);
}

TEST(RetentionReportTest, LockedObjectsInTextAndJson) {
  RetentionReport r;
  r.now_ms = 1'700'000'000'000;
  r.locked.push_back({.key = "b/t/0/seg",
                      .topic = "t",
                      .partition = 0,
                      .start = 0,
                      .end = 29,
                      .is_segment = true,
                      .size = 10,
                      .mode = "GOVERNANCE",
                      .retain_until_ms = 1'700'086'400'000});
  r.locked.push_back({.key = "b/t/1/gap", .topic = "t", .partition = 1, .legal_hold = true});
  r.pending.push_back({.key = "b/t/0/seg2",
                       .topic = "t",
                       .start = 30,
                       .end = 59,
                       .first_seen_ms = 1'699'000'000'000,
                       .due_ms = 1'699'500'000'000,
                       .behind_locked = true});
  r.topics.push_back({.topic = "gone",
                      .state = TopicRetention::State::kMissing,
                      .missing_since_ms = 1'600'000'000'000,
                      .delete_due_ms = 1'650'000'000'000,
                      .locked_until_ms = 1'700'086'400'000});
  const std::string text = FormatRetentionText(r);
  EXPECT_NE(text.find("locked until " + report::FormatTimeMs(1'700'086'400'000) +
                      " (GOVERNANCE), kept: b/t/0/seg offsets 0..29\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("under legal hold, kept: b/t/1/gap\n"), std::string::npos) << text;
  EXPECT_NE(text.find("expired, kept behind a locked range: b/t/0/seg2 offsets 30..59"),
            std::string::npos)
      << text;
  EXPECT_NE(
      text.find("gone: missing from cluster since " + report::FormatTimeMs(1'600'000'000'000) +
                ", backup kept: object-locked until " + report::FormatTimeMs(1'700'086'400'000)),
      std::string::npos)
      << text;
  EXPECT_NE(text.find("2 objects kept for their object lock"), std::string::npos) << text;
  auto json = nlohmann::json::parse(FormatRetentionJson(r));
  ASSERT_EQ(json["locked"].size(), 2u);
  EXPECT_EQ(json["locked"][0]["key"], "b/t/0/seg");
  EXPECT_EQ(json["locked"][0]["mode"], "GOVERNANCE");
  EXPECT_EQ(json["locked"][0]["retain_until_ms"], 1'700'086'400'000);
  EXPECT_EQ(json["locked"][0]["legal_hold"], false);
  EXPECT_TRUE(json["locked"][1]["retain_until_ms"].is_null());
  EXPECT_EQ(json["locked"][1]["legal_hold"], true);
  EXPECT_EQ(json["pending"][0]["behind_locked"], true);
  EXPECT_EQ(json["topics"][0]["locked_until_ms"], 1'700'086'400'000);
}

}  // namespace
}  // namespace kb::ops
