// Planning and reading of a restore over hand-made fixtures in a memory store: which segments and
// blocks a selection reads (and how many bytes), records in order with the filters applied,
// resume skipping, empty partitions, corrupt footers and blocks.
#include "restore/plan.h"

#include <gtest/gtest.h>

#include <atomic>
#include <nlohmann/json.hpp>

#include "format/format_testing.h"
#include "format/segment_writer.h"
#include "layout/metadata.h"
#include "restore/excluded_keys.h"
#include "restore/partition_reader.h"
#include "restore/restore_report.h"
#include "storage/memory/memory_store.h"
#include "storage/read_counting_store.h"

namespace kb::restore {
namespace {

using format::Record;

class RestorePlanTest : public ::testing::Test {
 protected:
  // Records first..last, value of `value_bytes`, timestamp base + 1000 * (offset - first).
  static std::vector<Record> Records(int64_t first, int64_t last, int64_t base_ts,
                                     size_t value_bytes = 100) {
    std::vector<Record> out;
    for (int64_t o = first; o <= last; ++o) {
      Record r;
      r.offset = o;
      r.timestamp = base_ts + 1000 * (o - first);
      r.timestamp_type = format::TimestampType::kCreateTime;
      r.key = "k" + std::to_string(o);
      r.value = std::string(value_bytes, static_cast<char>('a' + o % 26));
      out.push_back(std::move(r));
    }
    return out;
  }
  std::string AddSegment(const std::string& topic, int32_t p, const std::vector<Record>& recs,
                         size_t block_bytes = 1024) {
    auto bytes = format::testing::BuildSegment(recs, {.zstd_level = 0, .block_bytes = block_bytes});
    EXPECT_TRUE(bytes.ok());
    const std::string key = keys_.Segment(topic, p, recs.front().offset, recs.back().offset);
    EXPECT_TRUE(mem_.Put(key, *bytes).ok());
    return key;
  }
  void AddTopic(const std::string& topic, int32_t partitions) {
    layout::TopicMetadata md{.topic = topic,
                             .partitions = partitions,
                             .replication_factor = 1,
                             .configs = {{"cleanup.policy", "delete"}}};
    ASSERT_TRUE(mem_.Put(keys_.TopicMetadata(topic), layout::EncodeTopicMetadata(md)).ok());
  }
  // Every record the reader yields, as owned records.
  static Result<std::vector<Record>> ReadAll(PartitionReader& reader) {
    std::vector<Record> out;
    for (;;) {
      KB_ASSIGN_OR_RETURN(const format::RecordView* r, reader.Next());
      if (r == nullptr) return out;
      out.push_back(Record::FromView(*r));
    }
  }

  storage::MemoryStore mem_;
  layout::Keys keys_{"backups"};
};

TEST_F(RestorePlanTest, AllDataInOrderWithEmptyPartitionAndGap) {
  AddTopic("orders", 3);
  auto a = Records(0, 99, 1'700'000'000'000);
  auto b = Records(150, 199, 1'700'000'200'000);
  AddSegment("orders", 0, a);
  ASSERT_TRUE(mem_.Put(keys_.Gap("orders", 0, 100, 149), layout::EncodeGap({"retention", 1})).ok());
  AddSegment("orders", 0, b);
  AddSegment("orders", 2, Records(0, 9, 1'700'000'000'000));
  RestoreSelection sel;
  sel.rename["orders"] = "orders-copy";
  auto plan = PlanRestore(mem_, keys_, sel, {});
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  ASSERT_EQ(plan->topics.size(), 1u);
  const TopicPlan& t = plan->topics[0];
  EXPECT_EQ(t.target_topic, "orders-copy");
  EXPECT_EQ(t.partition_count, 3);
  ASSERT_TRUE(t.metadata.has_value());
  ASSERT_EQ(t.partitions.size(), 3u);  // partition 1 has nothing stored: planned as empty
  const PartitionPlan& p0 = t.partitions[0];
  EXPECT_EQ(p0.segments.size(), 2u);
  EXPECT_EQ(p0.records, 150u);
  EXPECT_TRUE(p0.count_exact);
  EXPECT_FALSE(p0.contiguous);  // the gap
  ASSERT_EQ(p0.gaps.size(), 1u);
  EXPECT_EQ(p0.gaps[0], (OffsetRange{100, 149}));
  EXPECT_EQ(t.partitions[1].segments.size(), 0u);
  EXPECT_EQ(t.partitions[1].records, 0u);
  EXPECT_TRUE(t.partitions[2].contiguous);

  PartitionReader reader(p0, sel, false);
  auto got = ReadAll(reader);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  std::vector<Record> want = a;
  want.insert(want.end(), b.begin(), b.end());
  ASSERT_EQ(got->size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) EXPECT_EQ((*got)[i], want[i]) << i;

  PartitionReader empty(t.partitions[1], sel, false);
  auto none = ReadAll(empty);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());

  // The prediction of a fresh restore: one run for the contiguous partition, none for p0.
  auto predicted = PredictMaps(*plan, {{{"orders-copy", 2}, 7}});
  ASSERT_EQ(predicted.size(), 2u);  // partitions 1 (empty) and 2
  EXPECT_EQ(predicted[1].partition->partition, 2);
  EXPECT_EQ(predicted[1].map.target_start(), 7);
  EXPECT_EQ(predicted[1].map.Lookup(9), 16);
  EXPECT_EQ(predicted[1].map.TranslateCommitted(10), 17);
}

TEST_F(RestorePlanTest, EdgeCaseRecordsComeBackExactly) {
  auto recs = format::testing::RandomRecords(7, 300, 500);
  AddSegment("edge", 0, recs, 4096);
  RestoreSelection sel;
  auto plan = PlanRestore(mem_, keys_, sel, {});
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_FALSE(plan->topics[0].metadata.has_value());
  PartitionReader reader(plan->topics[0].partitions[0], sel, false);
  auto got = ReadAll(reader);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_EQ(*got, recs);
}

TEST_F(RestorePlanTest, OffsetRangeReadsOnlyItsBlocksAndResumeSkipsBlocks) {
  AddTopic("t", 2);
  AddSegment("t", 1, Records(0, 999, 1'700'000'000'000));
  AddSegment("t", 1, Records(1000, 1999, 1'700'001'000'000));
  storage::ReadCountingStore counting(&mem_);
  RestoreSelection sel;
  sel.topics = {"t"};
  sel.offsets[1] = {1500, 1599};
  auto plan = PlanRestore(counting, keys_, sel, {});
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  ASSERT_EQ(plan->topics[0].partitions.size(), 1u);
  const PartitionPlan& p = plan->topics[0].partitions[0];
  EXPECT_EQ(p.selection, "offsets:1500-1599");
  ASSERT_EQ(p.segments.size(), 1u);  // the first segment is not even opened
  EXPECT_EQ(p.records, 100u);
  EXPECT_TRUE(p.count_exact);
  const uint64_t after_plan = counting.bytes_read();
  PartitionReader reader(p, sel, false);
  reader.SkipThrough(1549);
  auto got = ReadAll(reader);
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), 50u);
  EXPECT_EQ(got->front().offset, 1550);
  EXPECT_EQ(got->back().offset, 1599);
  // About 9 records of ~110 bytes per 1 KiB block: 50 records span 6-7 blocks.
  EXPECT_EQ(reader.bytes_read(), counting.bytes_read() - after_plan);
  EXPECT_LT(reader.bytes_read(), 2 * 50 * 120 + 2 * 1100u);
  sel.offsets[5] = {0, 1};
  EXPECT_TRUE(PlanRestore(mem_, keys_, sel, {}).status().IsInvalidArgument());
}

TEST_F(RestorePlanTest, TimeWindowReadsOnlyTheBlocksItNeeds) {
  // 24 "hours" of records, one per 1000 ms; six segments of four hours; window = one hour.
  constexpr int64_t kBase = 1'700'000'000'000;
  constexpr int64_t kPerHour = 360;  // records per "hour" (1000 ms apart)
  for (int s = 0; s < 6; ++s) {
    const int64_t first = s * 4 * kPerHour;
    AddSegment("w", 0, Records(first, first + 4 * kPerHour - 1, kBase + first * 1000), 8192);
  }
  storage::ReadCountingStore counting(&mem_);
  RestoreSelection sel;
  sel.from_ms = kBase + 10 * kPerHour * 1000;
  sel.to_ms = kBase + 11 * kPerHour * 1000 - 1;
  auto plan = PlanRestore(counting, keys_, sel, {});
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  const uint64_t footer_bytes = counting.bytes_read();
  EXPECT_EQ(footer_bytes, plan->footer_bytes);
  const PartitionPlan& p = plan->topics[0].partitions[0];
  EXPECT_EQ(p.segments.size(), 1u);
  EXPECT_FALSE(p.count_exact);
  PartitionReader reader(p, sel, false);
  auto got = ReadAll(reader);
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), static_cast<size_t>(kPerHour));
  uint64_t record_bytes = 0;
  for (size_t i = 0; i < got->size(); ++i) {
    EXPECT_EQ((*got)[i].offset, 10 * kPerHour + static_cast<int64_t>(i));
    EXPECT_GE((*got)[i].timestamp, *sel.from_ms);
    EXPECT_LE((*got)[i].timestamp, *sel.to_ms);
    std::vector<format::HeaderView> h;
    record_bytes += format::PayloadBytes((*got)[i].View(&h));
  }
  const uint64_t block_bytes = counting.bytes_read() - footer_bytes;
  EXPECT_EQ(block_bytes, reader.bytes_read());
  EXPECT_LE(block_bytes, 2 * record_bytes) << "read " << block_bytes << " for " << record_bytes;
  // One footer read per segment, each at most the tail read.
  EXPECT_LE(footer_bytes, 6u * PlanOptions{}.footer_read_bytes);
}

TEST_F(RestorePlanTest, CorruptFooterFailsThePartitionOrIsSkipped) {
  AddTopic("c", 2);
  const std::string bad = AddSegment("c", 0, Records(0, 49, 1'700'000'000'000));
  AddSegment("c", 0, Records(50, 99, 1'700'000'100'000));
  AddSegment("c", 1, Records(0, 9, 1'700'000'000'000));
  std::string bytes = *mem_.Get(bad);
  bytes[bytes.size() - 60] ^= 0x55;  // inside the footer
  ASSERT_TRUE(mem_.Put(bad, bytes).ok());
  RestoreSelection sel;
  auto plan = PlanRestore(mem_, keys_, sel, {});
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  const PartitionPlan& p0 = plan->topics[0].partitions[0];
  EXPECT_TRUE(p0.error.IsCorruption());
  EXPECT_EQ(p0.error.subject(), bad);
  EXPECT_NE(p0.error.message().find("offsets 0-49"), std::string::npos) << p0.error.ToString();
  EXPECT_TRUE(plan->topics[0].partitions[1].error.ok());

  auto skipping = PlanRestore(mem_, keys_, sel, {.skip_corrupt = true});
  ASSERT_TRUE(skipping.ok());
  const PartitionPlan& s0 = skipping->topics[0].partitions[0];
  EXPECT_TRUE(s0.error.ok());
  ASSERT_EQ(s0.skipped.size(), 1u);
  EXPECT_EQ(s0.skipped[0].first, 0);
  EXPECT_EQ(s0.skipped[0].last, 49);
  EXPECT_EQ(s0.skipped[0].key, bad);
  PartitionReader reader(s0, sel, true);
  auto got = ReadAll(reader);
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), 50u);
  EXPECT_EQ(got->front().offset, 50);
}

TEST_F(RestorePlanTest, CorruptBlockStopsTheReaderOrIsSkipped) {
  const std::string key = AddSegment("b", 0, Records(0, 99, 1'700'000'000'000));
  RestoreSelection sel;
  auto plan = PlanRestore(mem_, keys_, sel, {});
  ASSERT_TRUE(plan.ok());
  const PartitionPlan& p = plan->topics[0].partitions[0];
  const format::BlockIndexEntry block = p.segments[0].reader->footer().blocks[2];
  std::string bytes = *mem_.Get(key);
  bytes[block.position + block.length - 5] ^= 0x01;  // a payload byte of block 2
  ASSERT_TRUE(mem_.Put(key, bytes).ok());

  PartitionReader strict(p, sel, false);
  auto failed = ReadAll(strict);
  ASSERT_TRUE(failed.status().IsCorruption());
  EXPECT_EQ(failed.status().subject(), key);
  const std::string range =
      std::to_string(block.first_offset) + "-" + std::to_string(block.last_offset);
  EXPECT_NE(failed.status().message().find(range), std::string::npos) << failed.status().ToString();

  PartitionReader skipping(p, sel, true);
  auto got = ReadAll(skipping);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->size(), 100u - block.record_count);
  ASSERT_EQ(skipping.skipped().size(), 1u);
  EXPECT_EQ(skipping.skipped()[0].first, block.first_offset);
  EXPECT_EQ(skipping.skipped()[0].last, block.last_offset);
  for (size_t i = 1; i < got->size(); ++i) EXPECT_LT((*got)[i - 1].offset, (*got)[i].offset);
}

TEST_F(RestorePlanTest, TopicsByRegexAndMissingNames) {
  AddSegment("pay-1", 0, Records(0, 1, 1));
  AddSegment("pay-2", 0, Records(0, 1, 1));
  AddSegment("orders", 0, Records(0, 1, 1));
  RestoreSelection sel;
  sel.topics = {"^pay-.*"};
  sel.target_prefix = "r.";
  auto plan = PlanRestore(mem_, keys_, sel, {});
  ASSERT_TRUE(plan.ok());
  ASSERT_EQ(plan->topics.size(), 2u);
  EXPECT_EQ(plan->topics[0].target_topic, "r.pay-1");
  sel.topics = {"nope"};
  EXPECT_TRUE(PlanRestore(mem_, keys_, sel, {}).status().IsNotFound());
  sel.topics = {"^nope.*"};
  EXPECT_TRUE(PlanRestore(mem_, keys_, sel, {}).status().IsNotFound());
  sel.topics = {"pay-1", "pay-2"};
  sel.target_prefix.clear();
  sel.rename = {{"pay-1", "same"}, {"pay-2", "same"}};
  EXPECT_TRUE(PlanRestore(mem_, keys_, sel, {}).status().IsInvalidArgument());
}

TEST_F(RestorePlanTest, RenameOrPrefixThatAppliesToNoSelectedTopicIsAUsageError) {
  // Regression: a --rename of a topic the restore did not select was ignored silently.
  AddSegment("orders", 0, Records(0, 1, 1));
  AddSegment("payments", 0, Records(0, 1, 1));
  RestoreSelection sel;  // every topic in the store
  sel.rename = {{"invoices", "invoices-copy"}};
  Status s = PlanRestore(mem_, keys_, sel, {}).status();
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_EQ(s.subject(), "--rename");
  EXPECT_NE(s.message().find("'invoices' is not selected"), std::string::npos) << s.ToString();
  // A prefix when every selected topic is renamed applies to none.
  sel.rename = {{"orders", "o2"}, {"payments", "p2"}};
  sel.target_prefix = "r.";
  s = PlanRestore(mem_, keys_, sel, {}).status();
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_EQ(s.subject(), "--target-prefix");
  EXPECT_NE(s.message().find("(orders, payments) is renamed"), std::string::npos) << s.ToString();
  sel.rename.erase("payments");
  auto plan = PlanRestore(mem_, keys_, sel, {});
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(plan->topics[1].target_topic, "r.payments");
}

// Records with the keys of an erasure list are passed over and counted; the offset map built from
// what is restored has a hole at each, so a group whose committed offset is an excluded record
// moves to the next restored one. Composes with a time window, an offset range and a resume.
TEST_F(RestorePlanTest, ExcludedKeysAreLeftOutCountedAndHolesInTheMap) {
  AddTopic("users", 1);
  // Offsets 0..59, keys u<o % 10>, every 7th record without a key.
  std::vector<Record> recs = Records(0, 59, 1'700'000'000'000);
  for (Record& r : recs) {
    r.key = r.offset % 7 == 0 ? std::nullopt
                              : std::optional<std::string>("u" + std::to_string(r.offset % 10));
  }
  AddSegment("users", 0, recs, 512);
  auto erase = ParseExcludedKeys("u3\nu4\n# not a key: u5\nbase64:dTk=\n", "erase.txt");  // u9
  ASSERT_TRUE(erase.ok()) << erase.status().ToString();
  RestoreSelection sel;
  sel.exclude_keys = std::make_shared<const ExcludedKeys>(std::move(erase).value());
  const auto kept = [&](const Record& r) {
    return !r.key || (*r.key != "u3" && *r.key != "u4" && *r.key != "u9");
  };

  auto plan = PlanRestore(mem_, keys_, sel, {});
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  const PartitionPlan& p = plan->topics[0].partitions[0];
  EXPECT_EQ(p.records, 60u);  // an upper bound now
  EXPECT_FALSE(p.count_exact);
  EXPECT_FALSE(p.contiguous);
  EXPECT_EQ(p.selection, "exclude-keys:3:" + sel.exclude_keys->Digest());
  EXPECT_TRUE(PredictMaps(*plan, {}).empty());  // which records go is unknown before reading

  PartitionReader reader(p, sel, false);
  auto got = ReadAll(reader);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  std::vector<Record> want;
  for (const Record& r : recs) {
    if (kept(r)) want.push_back(r);
  }
  ASSERT_EQ(*got, want);
  EXPECT_EQ(reader.excluded(), recs.size() - want.size());
  // Null keys were restored, u3 at offset 3 was not (3 % 7 != 0).
  EXPECT_FALSE(recs[7].key.has_value());
  EXPECT_EQ((*got)[5].offset, 7);

  // The map of a restore of exactly these records into an empty target.
  OffsetMap map(0);
  for (size_t i = 0; i < got->size(); ++i) {
    ASSERT_TRUE(map.Append((*got)[i].offset, static_cast<int64_t>(i)).ok());
  }
  EXPECT_EQ(map.Lookup(2), 2);
  EXPECT_FALSE(map.Lookup(3).has_value());  // u3: excluded
  EXPECT_FALSE(map.Lookup(4).has_value());  // u4
  EXPECT_EQ(map.Lookup(5), 3);
  // A group that committed 3 (about to read the excluded u3) resumes at the record after it.
  EXPECT_EQ(map.TranslateCommitted(3), 3);
  EXPECT_EQ(map.TranslateCommitted(4), 3);
  EXPECT_EQ(map.TranslateCommitted(59), map.target_end());  // offset 59 is u9: excluded, last
  EXPECT_EQ(map.Lookup(58), map.target_end() - 1);
  EXPECT_EQ(map.record_count(), static_cast<int64_t>(want.size()));

  // With a time window and an offset range: only the selected records are counted.
  RestoreSelection narrow = sel;
  narrow.topics = {"users"};
  narrow.offsets[0] = {10, 39};
  narrow.from_ms = 1'700'000'000'000 + 1000 * 20;
  narrow.to_ms = 1'700'000'000'000 + 1000 * 49;
  auto narrow_plan = PlanRestore(mem_, keys_, narrow, {});
  ASSERT_TRUE(narrow_plan.ok()) << narrow_plan.status().ToString();
  const PartitionPlan& np = narrow_plan->topics[0].partitions[0];
  EXPECT_EQ(np.selection, "offsets:10-39,time:1700000020000-1700000049000,exclude-keys:3:" +
                              sel.exclude_keys->Digest());
  PartitionReader narrow_reader(np, narrow, false);
  auto narrow_got = ReadAll(narrow_reader);
  ASSERT_TRUE(narrow_got.ok());
  std::vector<Record> narrow_want;
  uint64_t narrow_excluded = 0;
  for (const Record& r : recs) {
    if (r.offset < 20 || r.offset > 39) continue;
    if (kept(r)) {
      narrow_want.push_back(r);
    } else {
      ++narrow_excluded;
    }
  }
  EXPECT_EQ(*narrow_got, narrow_want);
  EXPECT_EQ(narrow_reader.excluded(), narrow_excluded);

  // A resumed reader passes over what was restored without counting it again.
  PartitionReader resumed(p, sel, false);
  resumed.SkipThrough(29);
  auto rest = ReadAll(resumed);
  ASSERT_TRUE(rest.ok());
  ASSERT_FALSE(rest->empty());
  EXPECT_EQ(rest->front().offset, 30);  // u0, kept
  uint64_t after = 0;
  for (const Record& r : recs) after += (r.offset > 29 && !kept(r)) ? 1 : 0;
  EXPECT_EQ(resumed.excluded(), after);
}

TEST(ReadableSelectionTest, TimeWindowsAsIsoUtc) {
  // Regression: the dry run showed a window as raw epoch milliseconds ("time:-1796357810000").
  EXPECT_EQ(ReadableSelection("all"), "all");
  EXPECT_EQ(ReadableSelection("time:-1796357810000"), "time <= 2026-12-04T04:16:50.000Z");
  EXPECT_EQ(ReadableSelection("time:1796119200000-1796122800000"),
            "time [2026-12-01T10:00:00.000Z, 2026-12-01T11:00:00.000Z]");
  EXPECT_EQ(ReadableSelection("offsets:10-19,time:1796119200000-"),
            "offsets:10-19, time >= 2026-12-01T10:00:00.000Z");
  RestoreSelection sel;
  sel.from_ms = 1796119200000;
  EXPECT_EQ(ReadableSelection(sel.Describe(0)), "time >= 2026-12-01T10:00:00.000Z");
  // An erasure list: its size and the start of its digest, never a key.
  auto keys = ParseExcludedKeys("secret-user\nother\n", "f");
  ASSERT_TRUE(keys.ok());
  sel.exclude_keys = std::make_shared<const ExcludedKeys>(std::move(keys).value());
  const std::string readable = ReadableSelection(sel.Describe(0));
  EXPECT_EQ(readable, "time >= 2026-12-01T10:00:00.000Z, excluding 2 keys (sha256 " +
                          sel.exclude_keys->Digest().substr(0, 12) + ")");
  EXPECT_EQ(readable.find("secret-user"), std::string::npos);
}

TEST(RestoreSummaryTest, ExcludedRecordsPerPartitionAndInTotalWithoutKeys) {
  RestoreReport report;
  for (int32_t p = 0; p < 2; ++p) {
    PartitionResult r{
        .source_topic = "t", .partition = p, .target_topic = "t", .map = OffsetMap(0)};
    r.outcome = PartitionOutcome::kRestored;
    r.records_sent = 10;
    r.records_excluded = 3 + p;
    report.partitions.push_back(r);
  }
  // Without a list the summary has no EXCLUDED column.
  EXPECT_EQ(FormatSummary(report).find("EXCLUDED"), std::string::npos);
  report.exclude_keys = 2;
  report.exclude_keys_sha256 = std::string(64, 'c');
  const std::string text = FormatSummary(report);
  EXPECT_NE(text.find("EXCLUDED"), std::string::npos) << text;
  EXPECT_NE(text.find("excluded: 7 records left out for their key by this run (--exclude-keys: 2 "
                      "keys, sha256 " +
                      std::string(64, 'c') + ")"),
            std::string::npos)
      << text;
  const auto json = nlohmann::json::parse(FormatSummaryJson(report));
  EXPECT_EQ(json["records_excluded"], 7);
  EXPECT_EQ(json["partitions"][0]["records_excluded"], 3);
  EXPECT_EQ(json["partitions"][1]["records_excluded"], 4);
  EXPECT_EQ(json["exclude_keys"]["keys"], 2);
  EXPECT_EQ(json["exclude_keys"]["sha256"], std::string(64, 'c'));
  report.exclude_keys = 0;
  EXPECT_TRUE(nlohmann::json::parse(FormatSummaryJson(report))["exclude_keys"].is_null());
}

}  // namespace
}  // namespace kb::restore
