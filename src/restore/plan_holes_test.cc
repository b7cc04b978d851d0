// Holes in the tiling of a partition's segments and gap records (a segment deleted from the middle
// of the backup): the plan of a selection that crosses one fails the partition naming the missing
// offsets, or with skip_corrupt restores around it exactly as around a retention gap. A hole the
// selection does not cross (outside an offset or time window) changes nothing.
#include <gtest/gtest.h>

#include "format/format_testing.h"
#include "layout/metadata.h"
#include "restore/offset_map.h"
#include "restore/partition_reader.h"
#include "restore/plan.h"
#include "restore/restore_report.h"
#include "storage/memory/memory_store.h"

namespace kb::restore {
namespace {

using format::Record;

constexpr int64_t kT0 = 1'700'000'000'000;

class PlanHolesTest : public ::testing::Test {
 protected:
  // A segment of offsets first..last with timestamps kT0 + offset (one per ms, increasing).
  std::string AddSegment(int32_t p, int64_t first, int64_t last) {
    std::vector<Record> recs;
    for (int64_t o = first; o <= last; ++o) {
      Record r;
      r.offset = o;
      r.timestamp = kT0 + o;
      r.timestamp_type = format::TimestampType::kCreateTime;
      r.key = "k" + std::to_string(o);
      r.value = std::string(20, 'v');
      recs.push_back(std::move(r));
    }
    auto bytes = format::testing::BuildSegment(recs, {.zstd_level = 0, .block_bytes = 4096});
    EXPECT_TRUE(bytes.ok());
    const std::string key = keys_.Segment("t", p, first, last);
    EXPECT_TRUE(mem_.Put(key, *bytes).ok());
    return key;
  }
  void AddGap(int32_t p, int64_t start, int64_t end) {
    ASSERT_TRUE(mem_.Put(keys_.Gap("t", p, start, end), layout::EncodeGap({"retention", 1})).ok());
  }
  // Partition 0: 0-999, a hole 1000-2999 (the segment 1000-2999 was deleted), 3000-3999.
  // Partition 1: 0-99 intact.
  void HoleBetweenTwoSegments() {
    AddSegment(0, 0, 999);
    AddSegment(0, 3000, 3999);
    AddSegment(1, 0, 99);
  }
  const PartitionPlan& Plan(const RestoreSelection& sel, bool skip_corrupt, int32_t partition) {
    auto plan = PlanRestore(mem_, keys_, sel, {.skip_corrupt = skip_corrupt});
    EXPECT_TRUE(plan.ok()) << plan.status().ToString();
    plan_ = std::move(plan).value();
    for (const PartitionPlan& p : plan_.topics.at(0).partitions) {
      if (p.partition == partition) return p;
    }
    ADD_FAILURE() << "partition " << partition << " not planned";
    return plan_.topics.at(0).partitions.at(0);
  }
  // The offset map a restore into an empty target builds from the partition's records.
  static OffsetMap MapOf(const PartitionPlan& p, const RestoreSelection& sel) {
    PartitionReader reader(p, sel, true);
    OffsetMap map(0);
    for (int64_t target = 0;; ++target) {
      auto rec = reader.Next();
      EXPECT_TRUE(rec.ok()) << rec.status().ToString();
      if (!rec.ok() || *rec == nullptr) break;
      EXPECT_TRUE(map.Append((*rec)->offset, target).ok());
    }
    return map;
  }

  storage::MemoryStore mem_;
  layout::Keys keys_{"bk"};
  RestorePlan plan_;
};

TEST_F(PlanHolesTest, HoleBetweenTwoSegmentsFailsThePartitionNamingTheOffsets) {
  HoleBetweenTwoSegments();
  RestoreSelection sel;
  const PartitionPlan& p0 = Plan(sel, false, 0);
  ASSERT_TRUE(p0.error.IsCorruption()) << p0.error.ToString();
  EXPECT_EQ(p0.error.subject(), "t/0");
  EXPECT_NE(p0.error.message().find("offsets [1000, 3000)"), std::string::npos)
      << p0.error.ToString();
  EXPECT_NE(p0.error.message().find(keys_.Segment("t", 0, 3000, 3999)), std::string::npos);
  EXPECT_EQ(p0.holes, (std::vector<OffsetRange>{{1000, 2999}}));
  EXPECT_TRUE(p0.gaps.empty());
  EXPECT_TRUE(plan_.topics[0].partitions[1].error.ok());  // the other partition is restored
  // --dry-run shows the problem.
  EXPECT_NE(FormatPlan(plan_, nullptr, nullptr).find("[1000, 3000)"), std::string::npos);
}

TEST_F(PlanHolesTest, SkipCorruptRestoresAroundTheHoleExactlyAsAroundAGap) {
  HoleBetweenTwoSegments();
  RestoreSelection sel;
  const PartitionPlan& p0 = Plan(sel, true, 0);
  ASSERT_TRUE(p0.error.ok()) << p0.error.ToString();
  EXPECT_EQ(p0.gaps, (std::vector<OffsetRange>{{1000, 2999}}));
  EXPECT_EQ(p0.holes, (std::vector<OffsetRange>{{1000, 2999}}));
  EXPECT_TRUE(p0.skipped.empty());
  EXPECT_EQ(p0.records, 2000u);
  EXPECT_FALSE(p0.contiguous);
  const OffsetMap with_hole = MapOf(p0, sel);

  // The same backup with a gap record where the hole is: the same records, the same map, so
  // consumer groups are translated the same way.
  AddGap(0, 1000, 2999);
  const PartitionPlan& g0 = Plan(sel, false, 0);
  ASSERT_TRUE(g0.error.ok());
  EXPECT_TRUE(g0.holes.empty());
  EXPECT_EQ(g0.gaps, (std::vector<OffsetRange>{{1000, 2999}}));
  const OffsetMap with_gap = MapOf(g0, sel);
  EXPECT_EQ(with_hole, with_gap);
  EXPECT_EQ(with_hole.record_count(), 2000);
  EXPECT_EQ(with_hole.TranslateCommitted(500), 500);
  EXPECT_EQ(with_hole.TranslateCommitted(1500), 1000);  // in the hole: the next restored record
  EXPECT_EQ(with_hole.TranslateCommitted(3500), 1500);  // after it
  EXPECT_FALSE(with_hole.Lookup(1500).has_value());
}

TEST_F(PlanHolesTest, HoleAtTheBoundaryOfAnOffsetSelection) {
  HoleBetweenTwoSegments();
  RestoreSelection sel;
  sel.topics = {"t"};
  sel.offsets[0] = {0, 999};  // ends just before the hole
  EXPECT_TRUE(Plan(sel, false, 0).error.ok());
  sel.offsets[0] = {3000, 3999};  // starts just after it
  EXPECT_TRUE(Plan(sel, false, 0).error.ok());
  sel.offsets[0] = {0, 1000};  // one offset into it
  const PartitionPlan& one = Plan(sel, false, 0);
  EXPECT_NE(one.error.message().find("offsets [1000, 1001)"), std::string::npos)
      << one.error.ToString();
  sel.offsets[0] = {2500, 3500};  // starts inside it: the missing offsets are clipped
  const PartitionPlan& clipped = Plan(sel, false, 0);
  EXPECT_NE(clipped.error.message().find("offsets [2500, 3000)"), std::string::npos)
      << clipped.error.ToString();
  const PartitionPlan& skipping = Plan(sel, true, 0);
  EXPECT_TRUE(skipping.error.ok());
  EXPECT_EQ(skipping.gaps, (std::vector<OffsetRange>{{2500, 2999}}));
  EXPECT_EQ(skipping.records, 501u);
}

TEST_F(PlanHolesTest, HoleOutsideTheWindowDoesNotFailAWindowRestore) {
  HoleBetweenTwoSegments();
  RestoreSelection sel;
  sel.from_ms = kT0 + 3100;  // records of the segment after the hole only
  sel.to_ms = kT0 + 3199;
  const PartitionPlan& after = Plan(sel, false, 0);
  EXPECT_TRUE(after.error.ok()) << after.error.ToString();
  EXPECT_TRUE(after.holes.empty());
  sel.from_ms = kT0 + 100;  // and before it
  sel.to_ms = kT0 + 199;
  EXPECT_TRUE(Plan(sel, false, 0).error.ok());
  // A window over the times between the two segments crosses the hole.
  sel.from_ms = kT0 + 900;
  sel.to_ms = kT0 + 3100;
  const PartitionPlan& across = Plan(sel, false, 0);
  EXPECT_NE(across.error.message().find("offsets [1000, 3000)"), std::string::npos)
      << across.error.ToString();
  sel.from_ms = kT0 + 2000;  // only in the hole's times: nothing stored, but records are missing
  sel.to_ms = kT0 + 2001;
  EXPECT_TRUE(Plan(sel, false, 0).error.IsCorruption());
}

TEST_F(PlanHolesTest, HoleNextToAGapRecord) {
  AddSegment(0, 0, 999);
  AddGap(0, 1000, 1499);  // retention gap, then a hole 1500-2999
  AddSegment(0, 3000, 3999);
  AddSegment(0, 4000, 4999);
  AddGap(0, 6000, 6999);  // a hole 5000-5999, then a gap; then a last segment
  AddSegment(0, 7000, 7099);
  RestoreSelection sel;
  const PartitionPlan& p = Plan(sel, false, 0);
  EXPECT_NE(
      p.error.message().find("offsets [1500, 3000) (between " + keys_.Gap("t", 0, 1000, 1499) +
                             " and " + keys_.Segment("t", 0, 3000, 3999) + "), [5000, 6000)"),
      std::string::npos)
      << p.error.ToString();
  const PartitionPlan& s = Plan(sel, true, 0);
  ASSERT_TRUE(s.error.ok());
  EXPECT_EQ(s.gaps,
            (std::vector<OffsetRange>{{1000, 1499}, {1500, 2999}, {5000, 5999}, {6000, 6999}}));
  EXPECT_EQ(s.holes, (std::vector<OffsetRange>{{1500, 2999}, {5000, 5999}}));
  EXPECT_EQ(s.records, 3100u);
  // Offsets before the first range and after the last are no hole.
  RestoreSelection offsets;
  offsets.topics = {"t"};
  offsets.offsets[0] = {4000, 5999};
  EXPECT_NE(Plan(offsets, false, 0).error.message().find("offsets [5000, 6000)"),
            std::string::npos);
  offsets.offsets[0] = {7000, 100000};
  EXPECT_TRUE(Plan(offsets, false, 0).error.ok());
}

TEST_F(PlanHolesTest, SummaryListsTheHolesRestoredAround) {
  RestoreReport report;
  PartitionResult r{.source_topic = "t", .partition = 0, .target_topic = "t", .map = OffsetMap(0)};
  r.outcome = PartitionOutcome::kRestored;
  r.gaps = {{1000, 2999}};
  r.holes = {{1000, 2999}};
  report.partitions.push_back(r);
  const std::string text = FormatSummary(report);
  EXPECT_NE(text.find("1000-2999"), std::string::npos) << text;
  EXPECT_NE(text.find("hole t/0 offsets 1000-2999"), std::string::npos) << text;
}

}  // namespace
}  // namespace kb::restore
