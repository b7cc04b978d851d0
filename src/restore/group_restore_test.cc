// PlanGroupRestore against the in-memory store with hand-made offset maps: exact translation
// through holes, the founding design's approximation as a special case, history snapshot choice,
// filters, incomplete partitions, and the report formats. RestoreGroupOffsets' cluster half (the
// active-member check and the commits) is tested against the real broker in
// group_restore_integration_test.cc.
#include "restore/group_restore.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "layout/metadata.h"
#include "storage/memory/memory_store.h"

namespace kb::restore {
namespace {

class GroupPlanTest : public ::testing::Test {
 protected:
  void PutOffsets(const std::string& topic, int32_t partition, const layout::GroupOffsets& g) {
    ASSERT_TRUE(
        store_.Put(keys_.ConsumerOffsets(topic, partition), layout::EncodeGroupOffsets(g)).ok());
  }
  void PutHistory(const std::string& topic, int32_t partition, int64_t t,
                  const layout::GroupOffsets& g) {
    ASSERT_TRUE(
        store_.Put(keys_.ConsumerOffsetsHistory(topic, partition, t), layout::EncodeGroupOffsets(g))
            .ok());
  }
  GroupRestoreReport Plan(const std::vector<RestoredPartition>& parts,
                          const GroupRestoreOptions& options = {}) {
    auto r = PlanGroupRestore(store_, keys_, parts, options);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : GroupRestoreReport{};
  }
  static const GroupResult* Find(const GroupRestoreReport& r, const std::string& id) {
    auto it = std::find_if(r.groups.begin(), r.groups.end(),
                           [&](const GroupResult& g) { return g.group_id == id; });
    return it == r.groups.end() ? nullptr : &*it;
  }

  storage::MemoryStore store_;
  layout::Keys keys_{"bk"};
};

// Source offsets 0..2 and 7..9 were restored (3..6 are a hole: compaction, transaction markers)
// into a target partition that already held 50 records.
OffsetMap MapWithHole() {
  OffsetMap m(50);
  for (int64_t s : {0, 1, 2, 7, 8, 9}) EXPECT_TRUE(m.Append(s, 50 + m.record_count()).ok());
  return m;
}

TEST_F(GroupPlanTest, TranslatesTheLatestOffsetsExactlyThroughHoles) {
  PutOffsets("orders", 0,
             {{"in-run", 2},
              {"in-hole", 5},
              {"at-run-start", 7},
              {"past-end", 10},
              {"far-past-end", 1000},
              {"at-zero", 0}});
  const auto r = Plan({{"orders", 0, "orders-copy", MapWithHole(), true}});
  ASSERT_EQ(r.partitions.size(), 1u);
  EXPECT_EQ(r.partitions[0].snapshot_key, keys_.ConsumerOffsets("orders", 0));
  EXPECT_EQ(r.partitions[0].groups, 6);
  EXPECT_EQ(r.partitions[0].note, "");
  struct Want {
    const char* group;
    int64_t source, target;
    bool restored;
  };
  for (const Want& w : {Want{"in-run", 2, 52, true}, Want{"in-hole", 5, 53, false},
                        Want{"at-run-start", 7, 53, true}, Want{"past-end", 10, 56, false},
                        Want{"far-past-end", 1000, 56, false}, Want{"at-zero", 0, 50, true}}) {
    const GroupResult* g = Find(r, w.group);
    ASSERT_NE(g, nullptr) << w.group;
    EXPECT_EQ(g->outcome, GroupOutcome::kCommitted) << w.group;
    ASSERT_EQ(g->offsets.size(), 1u) << w.group;
    const TranslatedOffset& o = g->offsets[0];
    EXPECT_EQ(o.source_topic, "orders");
    EXPECT_EQ(o.target_topic, "orders-copy");
    EXPECT_EQ(o.partition, 0);
    EXPECT_EQ(o.source_offset, w.source) << w.group;
    EXPECT_EQ(o.new_offset, w.target) << w.group;
    EXPECT_EQ(o.record_restored, w.restored) << w.group;
  }
  // Groups come out sorted by id.
  EXPECT_TRUE(std::is_sorted(r.groups.begin(), r.groups.end(),
                             [](const auto& a, const auto& b) { return a.group_id < b.group_id; }));
}

// The founding design's min(offset, totalRecords) is what exact translation gives when the source
// starts at 0 without holes and the target starts empty.
TEST_F(GroupPlanTest, SeedApproximationIsTheExactTranslationOfAContiguousRestoreIntoAnEmptyTarget) {
  constexpr int64_t kTotal = 40;
  OffsetMap map(0);
  for (int64_t i = 0; i < kTotal; ++i) ASSERT_TRUE(map.Append(i, i).ok());
  layout::GroupOffsets committed;
  for (int64_t n = 0; n <= kTotal + 5; ++n) committed["g" + std::to_string(n)] = n;
  PutOffsets("t", 3, committed);
  const auto r = Plan({{"t", 3, "t", map, true}});
  ASSERT_EQ(r.groups.size(), committed.size());
  for (const GroupResult& g : r.groups) {
    ASSERT_EQ(g.offsets.size(), 1u);
    const int64_t n = committed.at(g.group_id);
    EXPECT_EQ(g.offsets[0].new_offset, std::min(n, kTotal)) << "committed " << n;
  }
}

TEST_F(GroupPlanTest, TimeWindowUsesTheNewestHistorySnapshotAtOrBeforeTheTime) {
  OffsetMap map(0);
  for (int64_t i = 0; i < 20; ++i) ASSERT_TRUE(map.Append(i, i).ok());
  PutHistory("t", 0, 1000, {{"g", 3}});
  PutHistory("t", 0, 2000, {{"g", 6}, {"h", 1}});
  PutHistory("t", 0, 3000, {{"g", 9}});
  PutOffsets("t", 0, {{"g", 9}});
  const RestoredPartition part{"t", 0, "t", map, true};

  auto r = Plan({part}, {.at_ms = 2500});
  EXPECT_EQ(r.partitions[0].snapshot_key, keys_.ConsumerOffsetsHistory("t", 0, 2000));
  EXPECT_EQ(r.partitions[0].snapshot_time_ms, 2000);
  ASSERT_NE(Find(r, "g"), nullptr);
  EXPECT_EQ(Find(r, "g")->offsets[0].new_offset, 6);
  ASSERT_NE(Find(r, "h"), nullptr);

  r = Plan({part}, {.at_ms = 2000});  // a snapshot taken exactly at --to is in force
  EXPECT_EQ(r.partitions[0].snapshot_time_ms, 2000);

  r = Plan({part}, {.at_ms = 99999});
  EXPECT_EQ(r.partitions[0].snapshot_time_ms, 3000);
  EXPECT_EQ(Find(r, "g")->offsets[0].new_offset, 9);

  // Before the first snapshot: nothing is moved, and the note says why.
  r = Plan({part}, {.at_ms = 999});
  EXPECT_TRUE(r.groups.empty());
  EXPECT_EQ(r.partitions[0].snapshot_key, "");
  EXPECT_NE(r.partitions[0].note.find("earliest consumer group offset snapshot"), std::string::npos)
      << r.partitions[0].note;

  // No history at all (only the latest map): unknown at that time, nothing moved.
  PutOffsets("u", 0, {{"g", 4}});
  r = Plan({{"u", 0, "u", map, true}}, {.at_ms = 2500});
  EXPECT_TRUE(r.groups.empty());
  EXPECT_NE(r.partitions[0].note.find("no consumer group offset history under " +
                                      keys_.ConsumerOffsetsHistoryPrefix("u", 0)),
            std::string::npos)
      << r.partitions[0].note;
}

TEST_F(GroupPlanTest, IncludeAndExcludeByIdOrRegex) {
  OffsetMap map(0);
  ASSERT_TRUE(map.Append(0, 0).ok());
  PutOffsets("t", 0, {{"app-1", 1}, {"app-2", 1}, {"billing", 1}, {"app-test", 1}});
  const RestoredPartition part{"t", 0, "t", map, true};
  auto outcome = [](const GroupRestoreReport& r, const std::string& id) {
    const GroupResult* g = Find(r, id);
    return g == nullptr ? "absent" : std::string(GroupOutcomeName(g->outcome));
  };
  auto r = Plan({part}, {.include = {"^app-.*", "billing"}, .exclude = {"app-test"}});
  EXPECT_EQ(outcome(r, "app-1"), "committed");
  EXPECT_EQ(outcome(r, "app-2"), "committed");
  EXPECT_EQ(outcome(r, "billing"), "committed");
  EXPECT_EQ(outcome(r, "app-test"), "skipped-filtered");

  r = Plan({part}, {.exclude = {"^app-[0-9]"}});  // a regex matches the whole id
  EXPECT_EQ(outcome(r, "app-1"), "skipped-filtered");
  EXPECT_EQ(outcome(r, "app-test"), "committed");
  EXPECT_EQ(outcome(r, "billing"), "committed");

  r = Plan({part}, {.include = {"^app"}});  // not a prefix match
  EXPECT_EQ(r.Count(GroupOutcome::kCommitted), 0);
  EXPECT_EQ(r.Count(GroupOutcome::kSkippedFiltered), 4);

  auto bad = PlanGroupRestore(store_, keys_, {part}, {.include = {"^app-("}});
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(bad.status().IsInvalidArgument());
  EXPECT_EQ(bad.status().subject(), "--groups");  // the flag; the message quotes the entry
  EXPECT_NE(bad.status().message().find("'^app-('"), std::string::npos) << bad.status().ToString();
  bad = PlanGroupRestore(store_, keys_, {part}, {.exclude = {"^app-("}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().subject(), "--exclude-groups");
}

TEST_F(GroupPlanTest, PartitionsWhoseRestoreIsNotCompleteAreLeftOutAndSaidSo) {
  OffsetMap map(0);
  for (int64_t i = 0; i < 10; ++i) ASSERT_TRUE(map.Append(i, i).ok());
  PutOffsets("t", 0, {{"both", 4}});
  PutOffsets("t", 1, {{"both", 5}, {"only-incomplete", 6}});
  auto r = Plan({{"t", 0, "t2", map, true}, {"t", 1, "t2", map, false}});
  ASSERT_EQ(r.partitions.size(), 2u);
  EXPECT_EQ(r.partitions[0].note, "");
  EXPECT_NE(r.partitions[1].note.find("not complete"), std::string::npos);
  const GroupResult* both = Find(r, "both");
  ASSERT_NE(both, nullptr);
  EXPECT_EQ(both->outcome, GroupOutcome::kCommitted);
  ASSERT_EQ(both->offsets.size(), 1u);
  EXPECT_EQ(both->offsets[0].partition, 0);
  EXPECT_NE(both->message.find("not moved on t/1"), std::string::npos) << both->message;
  const GroupResult* inc = Find(r, "only-incomplete");
  ASSERT_NE(inc, nullptr);
  EXPECT_EQ(inc->outcome, GroupOutcome::kNothingToDo);
  EXPECT_TRUE(inc->offsets.empty());
  EXPECT_NE(inc->message.find("t/1"), std::string::npos) << inc->message;
}

TEST_F(GroupPlanTest, OneGroupAcrossTopicsAndPartitionsIsSortedByTarget) {
  OffsetMap map(0);
  for (int64_t i = 0; i < 10; ++i) ASSERT_TRUE(map.Append(i, i).ok());
  PutOffsets("b", 1, {{"g", 1}});
  PutOffsets("b", 0, {{"g", 2}});
  PutOffsets("a", 0, {{"g", 3}});
  auto r = Plan({{"b", 1, "b", map, true}, {"b", 0, "b", map, true}, {"a", 0, "z", map, true}});
  ASSERT_EQ(r.groups.size(), 1u);
  const auto& o = r.groups[0].offsets;
  ASSERT_EQ(o.size(), 3u);
  EXPECT_EQ(o[0].target_topic + "/" + std::to_string(o[0].partition), "b/0");
  EXPECT_EQ(o[1].target_topic + "/" + std::to_string(o[1].partition), "b/1");
  EXPECT_EQ(o[2].target_topic + "/" + std::to_string(o[2].partition), "z/0");
  EXPECT_EQ(o[2].source_offset, 3);
}

TEST_F(GroupPlanTest, MissingCorruptOrConflictingInputs) {
  OffsetMap map(0);
  auto r = Plan({{"t", 0, "t", map, true}});  // no consumers_offset stored
  EXPECT_TRUE(r.groups.empty());
  EXPECT_NE(r.partitions[0].note.find("no consumer group offsets in the backup"),
            std::string::npos);

  // A corrupt snapshot costs its own partition's groups only (regression: it failed the call,
  // and so every group's move).
  ASSERT_TRUE(store_.Put(keys_.ConsumerOffsets("t", 1), "{\"g\": -4}").ok());
  PutOffsets("t", 2, {{"g", 0}, {"h", 0}});
  auto bad = Plan({{"t", 1, "t", map, true}, {"t", 2, "t", map, true}});
  ASSERT_EQ(bad.unreadable.size(), 1u);
  EXPECT_NE(bad.unreadable[0].find(keys_.ConsumerOffsets("t", 1)), std::string::npos)
      << bad.unreadable[0];
  EXPECT_EQ(bad.partitions[0].snapshot_key, keys_.ConsumerOffsets("t", 1));
  EXPECT_EQ(bad.partitions[0].error, bad.unreadable[0]);
  EXPECT_NE(bad.partitions[0].note.find("were not moved"), std::string::npos);
  ASSERT_EQ(bad.groups.size(), 2u);
  EXPECT_EQ(bad.groups[0].outcome, GroupOutcome::kCommitted);
  EXPECT_EQ(bad.groups[0].offsets.size(), 1u);  // t/2 only
  EXPECT_TRUE(bad.ok());                        // no commit failed
  const std::string text = FormatGroupReport(bad);
  EXPECT_NE(text.find("unreadable snapshot: " + bad.unreadable[0]), std::string::npos) << text;
  EXPECT_EQ(nlohmann::json::parse(FormatGroupReportJson(bad))["unreadable"][0], bad.unreadable[0]);

  auto dup =
      PlanGroupRestore(store_, keys_, {{"a", 0, "x", map, true}, {"b", 0, "x", map, true}}, {});
  ASSERT_FALSE(dup.ok());
  EXPECT_TRUE(dup.status().IsInvalidArgument());
  EXPECT_EQ(dup.status().subject(), "x/0");

  auto bad_topic = PlanGroupRestore(store_, keys_, {{"a", 0, "no such", map, true}}, {});
  EXPECT_TRUE(bad_topic.status().IsInvalidArgument());
}

TEST_F(GroupPlanTest, TextAndJsonReportsShowEveryGroupAndOffset) {
  PutOffsets("orders", 0, {{"app", 5}, {"other", 1}});
  auto r = Plan({{"orders", 0, "orders-copy", MapWithHole(), true}},
                {.exclude = {"other"}, .dry_run = true});
  const std::string text = FormatGroupReport(r);
  EXPECT_NE(text.find("dry run"), std::string::npos) << text;
  EXPECT_NE(text.find("group app: would-commit"), std::string::npos) << text;
  EXPECT_NE(text.find("orders/0 -> orders-copy/0"), std::string::npos) << text;
  EXPECT_NE(text.find("5  ->  53"), std::string::npos) << text;
  EXPECT_NE(text.find("(record 5 not restored)"), std::string::npos) << text;
  EXPECT_NE(text.find("group other: skipped-filtered"), std::string::npos) << text;
  EXPECT_NE(text.find("2 groups: 1 to commit"), std::string::npos) << text;

  const auto j = nlohmann::json::parse(FormatGroupReportJson(r));
  EXPECT_EQ(j["dry_run"], true);
  EXPECT_EQ(j["ok"], true);
  EXPECT_TRUE(j["at_ms"].is_null());
  EXPECT_EQ(j["partitions"][0]["snapshot_key"], keys_.ConsumerOffsets("orders", 0));
  EXPECT_EQ(j["groups"][0]["group_id"], "app");
  EXPECT_EQ(j["groups"][0]["outcome"], "would-commit");
  EXPECT_EQ(j["groups"][0]["offsets"][0]["source_offset"], 5);
  EXPECT_EQ(j["groups"][0]["offsets"][0]["new_offset"], 53);
  EXPECT_EQ(j["groups"][0]["offsets"][0]["record_restored"], false);
  EXPECT_EQ(j["groups"][1]["outcome"], "skipped-filtered");
}

}  // namespace
}  // namespace kb::restore
