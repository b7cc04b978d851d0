// PlanGroupRestore against the in-memory store with hand-made offset maps: exact translation
// through holes, the founding design's approximation as a special case, history snapshot choice,
// filters, incomplete partitions, and the report formats. RestoreGroupOffsets' cluster half (the
// active-member check and the commits) is tested against the real broker in
// group_restore_integration_test.cc.
#include "restore/group_restore.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>

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

// A reshaped restore (restore --partitions 3) of orders/0 (offsets 0..5) and orders/1 (offsets
// 0..3, then 6 after a hole): every landed record as (source partition, source offset, target
// partition), in the order restored (orders/0 first, then orders/1), into target partitions that
// already held 10, 0 and 4 records.
struct Landed {
  int32_t source_partition;
  int64_t source_offset;
  int32_t target;
  int64_t target_offset = 0;
};
std::vector<Landed> LandedRecords() {
  std::vector<Landed> l = {{0, 0, 2}, {0, 1, 0}, {0, 2, 2}, {0, 3, 1}, {0, 4, 0}, {0, 5, 2},
                           {1, 0, 1}, {1, 1, 1}, {1, 2, 2}, {1, 3, 0}, {1, 6, 2}};
  std::map<int32_t, int64_t> next = {{0, 10}, {1, 0}, {2, 4}};
  for (Landed& r : l) r.target_offset = next[r.target]++;
  return l;
}

std::vector<RestoredPartition> ReshapedParts(const std::vector<Landed>& landed) {
  std::vector<RestoredPartition> parts;
  for (int32_t p = 0; p < 2; ++p) {
    RestoredPartition rp{.source_topic = "orders",
                         .partition = p,
                         .target_topic = "orders-7",
                         .map = OffsetMap(0),
                         .complete = true,
                         .target_partitions = 3};
    // Each target map starts where the target partition ended when this partition began.
    std::map<int32_t, int64_t> start = {{0, 10}, {1, 0}, {2, 4}};
    for (const Landed& r : landed) {
      if (r.source_partition < p) start[r.target] = r.target_offset + 1;
    }
    for (int32_t t = 0; t < 3; ++t) rp.target_maps[t] = OffsetMap(start[t]);
    for (const Landed& r : landed) {
      if (r.source_partition != p) continue;
      EXPECT_TRUE(rp.target_maps[r.target].Append(r.source_offset, r.target_offset).ok());
    }
    parts.push_back(std::move(rp));
  }
  return parts;
}

TEST_F(GroupPlanTest, ReshapedTopicsMoveToTheEarliestUnconsumedRecordOfEachTargetPartition) {
  const std::vector<Landed> landed = LandedRecords();
  // Every combination of committed offsets (none = no commit on that partition).
  const std::vector<std::optional<int64_t>> p0 = {std::nullopt, 0, 1, 3, 5, 6, 100};
  const std::vector<std::optional<int64_t>> p1 = {std::nullopt, 0, 2, 4, 5, 7};
  layout::GroupOffsets g0, g1;
  std::map<std::string, std::pair<std::optional<int64_t>, std::optional<int64_t>>> cases;
  for (size_t a = 0; a < p0.size(); ++a) {
    for (size_t b = 0; b < p1.size(); ++b) {
      if (!p0[a] && !p1[b]) continue;  // no commit at all: not a group of this topic
      const std::string id = "g" + std::to_string(a) + "-" + std::to_string(b);
      cases[id] = {p0[a], p1[b]};
      if (p0[a]) g0[id] = *p0[a];
      if (p1[b]) g1[id] = *p1[b];
    }
  }
  PutOffsets("orders", 0, g0);
  PutOffsets("orders", 1, g1);
  const auto r = Plan(ReshapedParts(landed));
  ASSERT_EQ(r.partitions.size(), 2u);
  EXPECT_TRUE(r.partitions[0].reshaped);
  for (const auto& [id, commits] : cases) {
    const GroupResult* g = Find(r, id);
    ASSERT_NE(g, nullptr) << id;
    EXPECT_EQ(g->outcome, GroupOutcome::kCommitted) << id;
    ASSERT_EQ(g->offsets.size(), 3u) << id;
    for (int32_t t = 0; t < 3; ++t) {
      // The definition, record by record: the earliest record landed on t that the group has not
      // consumed (a partition without a commit is unconsumed), else t's end.
      std::optional<int64_t> want;
      int64_t end = t == 0 ? 10 : t == 1 ? 0 : 4;
      for (const Landed& l : landed) {
        if (l.target != t) continue;
        end = std::max(end, l.target_offset + 1);
        const std::optional<int64_t>& c = l.source_partition == 0 ? commits.first : commits.second;
        if (c && l.source_offset < *c) continue;  // consumed
        if (!want || l.target_offset < *want) want = l.target_offset;
      }
      const TranslatedOffset& o = g->offsets[t];
      EXPECT_EQ(o.partition, t) << id;
      EXPECT_EQ(o.target_topic, "orders-7");
      EXPECT_TRUE(o.reshaped);
      EXPECT_EQ(o.new_offset, want.value_or(end)) << id << " target partition " << t;
      EXPECT_EQ(o.record_restored, want.has_value()) << id << " target partition " << t;
    }
  }
  // Spot checks against the table above: a group at orders/0=3, orders/1=2 has consumed
  // orders/0 offsets 0..2 and orders/1 offsets 0..1; on target 0 the earliest unconsumed is
  // orders/0 offset 4 (target offset 11), on 1 orders/0 offset 3 (0), on 2 orders/0 offset 5 (6).
  const GroupResult* g = Find(r, "g3-2");
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(g->offsets[0].new_offset, 11);
  EXPECT_EQ(g->offsets[1].new_offset, 0);
  EXPECT_EQ(g->offsets[2].new_offset, 6);
  // Everything consumed: each target partition's end.
  g = Find(r, "g6-5");
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(g->offsets[0].new_offset, 13);
  EXPECT_EQ(g->offsets[1].new_offset, 3);
  EXPECT_EQ(g->offsets[2].new_offset, 9);
  EXPECT_FALSE(g->offsets[0].record_restored);

  const std::string text = FormatGroupReport(r);
  EXPECT_NE(text.find("orders/0 -> orders-7 (reshaped)"), std::string::npos) << text;
  EXPECT_NE(text.find("orders/* -> orders-7/2"), std::string::npos) << text;
  auto j = nlohmann::json::parse(FormatGroupReportJson(r));
  const auto& first = j["groups"][0]["offsets"][0];
  EXPECT_EQ(first["reshaped"], true);
  EXPECT_TRUE(first["source_offset"].is_null());
}

TEST_F(GroupPlanTest, ReshapedTopicWithAnIncompletePartitionMovesNothing) {
  PutOffsets("orders", 0, {{"g", 2}});
  PutOffsets("orders", 1, {{"g", 1}});
  std::vector<RestoredPartition> parts = ReshapedParts(LandedRecords());
  parts[1].complete = false;
  const auto r = Plan(parts);
  const GroupResult* g = Find(r, "g");
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(g->outcome, GroupOutcome::kNothingToDo);
  EXPECT_TRUE(g->offsets.empty());
  EXPECT_NE(g->message.find("orders/1"), std::string::npos) << g->message;
}

}  // namespace
}  // namespace kb::restore
