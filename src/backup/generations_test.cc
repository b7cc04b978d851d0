// Generations::Archive and the crash-safe move, on an in-memory store (BeforeAssign's detection
// against a real broker is in generations_integration_test.cc).
#include "backup/generations.h"

#include <gtest/gtest.h>

#include <map>
#include <vector>

#include "common/clock.h"
#include "layout/metadata.h"
#include "layout/retention_state.h"
#include "storage/fault/fault_store.h"
#include "storage/memory/memory_store.h"

namespace kb::backup {
namespace {

class GenerationsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Put(keys_.TopicMetadata("orders"), "{}");
    for (int p = 0; p < 2; ++p) {
      for (int64_t s = 0; s < 30; s += 10) Put(keys_.Segment("orders", p, s, s + 9), "seg");
    }
    Put(keys_.ConsumerOffsets("orders", 0), "{\"g\": 5}");
    Put(keys_.Segment("orders2", 0, 0, 9), "other");  // a topic whose name extends it
  }
  void Put(const std::string& key, const std::string& data) {
    ASSERT_TRUE(memory_.Put(key, data).ok());
    contents_[key] = data;
  }
  std::map<std::string, std::string> Under(const std::string& prefix) {
    std::map<std::string, std::string> out;
    auto all = storage::ListAll(memory_, prefix);
    EXPECT_TRUE(all.ok());
    for (const auto& o : *all) out[o.key.substr(prefix.size())] = *memory_.Get(o.key);
    return out;
  }
  // The objects of "orders" as they were, relative to its prefix.
  std::map<std::string, std::string> Original() {
    std::map<std::string, std::string> out;
    const std::string prefix = keys_.TopicPrefix("orders");
    for (const auto& [k, v] : contents_) {
      if (k.starts_with(prefix)) out[k.substr(prefix.size())] = v;
    }
    return out;
  }

  storage::MemoryStore memory_;
  layout::Keys keys_{"bk"};
  std::map<std::string, std::string> contents_;
};

TEST_F(GenerationsTest, ArchiveMovesEveryObjectOfTheTopicAndNothingElse) {
  Generations g(&memory_, keys_, nullptr);
  auto n = g.Archive("orders", "test");
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  ASSERT_GT(*n, 0);
  // Only topic.json stays (copied, for the new generation).
  EXPECT_EQ(Under(keys_.TopicPrefix("orders")),
            (std::map<std::string, std::string>{{"topic.json", "{}"}}));
  EXPECT_EQ(Under(keys_.Generation(*n).TopicPrefix("orders")), Original());
  EXPECT_EQ(Under(keys_.TopicPrefix("orders2")).size(), 1u);
  EXPECT_TRUE(Under(keys_.GenerationsRoot() + "moving/").empty());  // the plan is gone
  // Nothing left to archive.
  ASSERT_TRUE(memory_.Delete({keys_.TopicMetadata("orders")}).ok());
  auto again = g.Archive("orders", "test");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, -1);
}

TEST_F(GenerationsTest, ACrashMidMoveIsFinishedOnRestart) {
  storage::FaultInjectingStore faulty(&memory_);
  // The 4th copy fails as if the process died there: some objects copied, none deleted.
  faulty.AddRule({.op = storage::StoreOp::kPut,
                  .key_prefix = keys_.GenerationsRoot() + "1",
                  .nth = 4,
                  .code = Status::Code::kPermanent});
  Generations crashing(&faulty, keys_, nullptr);
  auto n = crashing.Archive("orders", "test");
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(Under(keys_.TopicPrefix("orders")), Original());  // originals all there
  ASSERT_EQ(Under(keys_.GenerationsRoot() + "moving/").size(), 1u);

  // Then a crash after some deletions: simulate it by deleting an original whose copy exists.
  auto plan_json = memory_.Get(keys_.GenerationMove("orders"));
  ASSERT_TRUE(plan_json.ok());
  auto plan = layout::DecodeGenerationMove("k", *plan_json);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  const layout::Keys archive = keys_.Generation(plan->generation);
  const std::string first = plan->objects.front();
  ASSERT_TRUE(memory_.Get(archive.TopicPrefix("orders") + first).ok());
  ASSERT_TRUE(memory_.Delete({keys_.TopicPrefix("orders") + first}).ok());

  Generations restarted(&memory_, keys_, nullptr);
  ASSERT_TRUE(restarted.FinishPendingMoves().ok());
  EXPECT_EQ(Under(keys_.TopicPrefix("orders")),  // topic.json stays for the new generation
            (std::map<std::string, std::string>{{"topic.json", "{}"}}));
  EXPECT_EQ(Under(archive.TopicPrefix("orders")), Original());
  EXPECT_TRUE(Under(keys_.GenerationsRoot() + "moving/").empty());
}

TEST_F(GenerationsTest, AnObjectWithNeitherOriginalNorCopyIsCorruptionNamingIt) {
  layout::GenerationMove plan{
      .topic = "orders", .generation = 5, .reason = "t", .started_at_ms = 5, .objects = {"0/lost"}};
  Put(keys_.GenerationMove("orders"), layout::EncodeGenerationMove(plan));
  Generations g(&memory_, keys_, nullptr);
  Status s = g.FinishPendingMoves();
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_EQ(s.subject(), keys_.TopicPrefix("orders") + "0/lost");
  EXPECT_EQ(Under(keys_.TopicPrefix("orders")), Original());  // nothing deleted
}

TEST_F(GenerationsTest, MarkMissingRecordsTheFirstSightingOnlyForStoredTopics) {
  Generations g(&memory_, keys_, nullptr);
  ASSERT_TRUE(g.MarkMissing("orders", 100).ok());
  ASSERT_TRUE(g.MarkMissing("orders", 200).ok());
  auto state = layout::DecodeRetentionState("k", *memory_.Get(keys_.RetentionState("orders")));
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(state->missing_since_ms, 100);
  ASSERT_TRUE(g.MarkMissing("never-backed-up", 100).ok());
  EXPECT_TRUE(memory_.Get(keys_.RetentionState("never-backed-up")).status().IsNotFound());
}

TEST_F(GenerationsTest, ArchiveLeavesTopicJsonInPlaceWithoutTheOldTopicId) {
  layout::TopicMetadata md{.topic = "orders", .topic_id = "old-id", .partitions = 2};
  Put(keys_.TopicMetadata("orders"), layout::EncodeTopicMetadata(md));
  auto stored = StoredTopicId(memory_, keys_, "orders");
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(*stored, "old-id");

  Generations g(&memory_, keys_, nullptr);
  auto n = g.Archive("orders", "test");
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  auto archived = StoredTopicId(memory_, keys_.Generation(*n), "orders");
  ASSERT_TRUE(archived.ok());
  EXPECT_EQ(*archived, "old-id");
  auto in_place = memory_.Get(keys_.TopicMetadata("orders"));
  ASSERT_TRUE(in_place.ok());
  auto decoded = layout::DecodeTopicMetadata("k", *in_place);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->topic_id, "");
  EXPECT_EQ(decoded->partitions, 2);  // the rest is kept for a restore
}

TEST_F(GenerationsTest, StoredTopicIdIsEmptyWithoutAReadableTopicJson) {
  auto garbage = StoredTopicId(memory_, keys_, "orders");  // "{}": no format_version
  ASSERT_TRUE(garbage.ok()) << garbage.status().ToString();
  EXPECT_EQ(*garbage, "");
  auto none = StoredTopicId(memory_, keys_, "absent");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none, "");
}

// Clock jumps (issue 10): a generation archived after the wall clock went back is numbered after
// the older ones, never into one of them.
TEST_F(GenerationsTest, ClockJumpBackNeverNumbersAGenerationBeforeOrAsAnOlderOne) {
  constexpr int64_t kT = 1'800'000'000'000;
  FakeClock clock(kT);
  Generations g(&memory_, keys_, nullptr, std::chrono::seconds(30), clock);
  std::vector<int64_t> numbers;
  std::vector<std::map<std::string, std::string>> archived;
  for (auto jump : {std::chrono::hours(0), std::chrono::hours(-24), std::chrono::hours(-1)}) {
    clock.JumpWall(jump);
    Put(keys_.Segment("orders", 0, 0, 9), "generation " + std::to_string(numbers.size()));
    archived.push_back(Under(keys_.TopicPrefix("orders")));
    auto n = g.Archive("orders", "test");
    ASSERT_TRUE(n.ok()) << n.status().ToString();
    numbers.push_back(*n);
  }
  clock.SetWallMs(kT + 2);  // exactly the newest archive's number: still after it
  Put(keys_.Segment("orders", 0, 0, 9), "generation 3");
  archived.push_back(Under(keys_.TopicPrefix("orders")));
  auto n = g.Archive("orders", "test");
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  numbers.push_back(*n);

  EXPECT_EQ(numbers, (std::vector<int64_t>{kT, kT + 1, kT + 2, kT + 3}));
  for (size_t i = 0; i < numbers.size(); ++i) {
    EXPECT_EQ(Under(keys_.Generation(numbers[i]).TopicPrefix("orders")), archived[i]) << i;
  }
}

}  // namespace
}  // namespace kb::backup
