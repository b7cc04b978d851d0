#include "ops/ls.h"

#include <algorithm>
#include <map>
#include <span>

#include "catalog/store_catalog.h"
#include "common/parallel.h"
#include "ops/verify.h"

namespace kb::ops {
namespace {

void AddTimes(LsTotals* t, std::optional<int64_t> min_ms, std::optional<int64_t> max_ms) {
  if (min_ms) t->min_timestamp_ms = std::min(t->min_timestamp_ms.value_or(*min_ms), *min_ms);
  if (max_ms) t->max_timestamp_ms = std::max(t->max_timestamp_ms.value_or(*max_ms), *max_ms);
}

void AddTotals(LsTotals* into, const LsTotals& from) {
  into->segments += from.segments;
  into->records += from.records;
  into->stored_bytes += from.stored_bytes;
  into->gaps += from.gaps;
  into->gap_offsets += from.gap_offsets;
  AddTimes(into, from.min_timestamp_ms, from.max_timestamp_ms);
  into->offset_snapshots += from.offset_snapshots;
  into->newest_snapshot_ms = std::max(into->newest_snapshot_ms, from.newest_snapshot_ms);
}

// One partition's row; `footers` are those of catalog::SegmentsOf(objects), in the same order.
LsPartition MakePartition(const std::string& topic, int32_t partition,
                          const catalog::PartitionObjects& objects,
                          std::span<const std::optional<format::SegmentFooter>> footers) {
  LsPartition p{.topic = topic, .partition = partition};
  LsTotals& t = p.totals;
  size_t segment = 0;
  for (const catalog::StoredRange& r : objects.ranges) {
    if (r.is_gap) {
      ++t.gaps;
      t.gap_offsets += static_cast<uint64_t>(r.end - r.start) + 1;
      p.gaps.push_back({r.start, r.end});
      continue;
    }
    const std::optional<format::SegmentFooter>& footer = footers[segment++];
    ++t.segments;
    t.stored_bytes += r.size;
    if (p.first_offset < 0) p.first_offset = footer ? footer->first_offset : r.start;
    p.last_offset = std::max(p.last_offset, r.end);
    if (!footer) continue;
    t.records += footer->record_count;
    AddTimes(&t, footer->min_timestamp, footer->max_timestamp);
  }
  p.has_consumers_offset = !objects.consumers_offset_key.empty();
  t.offset_snapshots = objects.history.size();
  if (!objects.history.empty()) t.newest_snapshot_ms = objects.history.back().time_ms;
  return p;
}

// Reads and decodes the topic.json of every topic that has one (in parallel); unreadable ones
// become problems.
Result<std::map<std::string, layout::TopicMetadata>> ReadTopicMetadata(
    storage::ObjectStore& store, const catalog::StoreCatalog& catalog, size_t parallelism,
    std::vector<catalog::StoreProblem>* problems) {
  std::vector<std::string> keys;
  for (const auto& [topic, objects] : catalog) {
    if (!objects.metadata_key.empty()) keys.push_back(objects.metadata_key);
  }
  std::vector<std::optional<layout::TopicMetadata>> decoded(keys.size());
  std::vector<Status> errors(keys.size());
  ParallelFor(keys.size(), parallelism, [&](size_t i) {
    Result<std::string> json = store.Get(keys[i]);
    Result<layout::TopicMetadata> md =
        json.ok() ? layout::DecodeTopicMetadata(keys[i], *json) : json.status();
    if (md.ok()) {
      decoded[i] = std::move(md).value();
    } else {
      errors[i] = md.status();
    }
  });
  std::map<std::string, layout::TopicMetadata> out;
  for (size_t i = 0; i < keys.size(); ++i) {
    KB_RETURN_IF_ERROR(catalog::AddProblemOrFail(keys[i], -1, -1, errors[i], problems));
    if (decoded[i]) out.emplace(keys[i], std::move(*decoded[i]));
  }
  return out;
}

}  // namespace

Result<LsReport> ListStore(storage::ObjectStore& store, const layout::Keys& keys,
                           const LsOptions& options) {
  catalog::ArchivedGenerations archived;
  KB_ASSIGN_OR_RETURN(catalog::StoreCatalog catalog,
                      catalog::ListCatalog(store, keys, options.topics, &archived));
  LsReport report;
  for (const auto& [id, objects] : archived) {
    report.generations.push_back({id.first, id.second, objects});
  }
  std::vector<const catalog::StoredRange*> segments;
  for (const auto& [topic, objects] : catalog) {
    for (const auto& [partition, p] : objects.partitions) {
      for (const catalog::StoredRange* s : catalog::SegmentsOf(p)) segments.push_back(s);
    }
  }
  KB_ASSIGN_OR_RETURN(auto footers,
                      catalog::ReadFooters(store, segments, options.parallelism, &report.problems));
  KB_ASSIGN_OR_RETURN(auto metadata,
                      ReadTopicMetadata(store, catalog, options.parallelism, &report.problems));

  size_t next_footer = 0;
  for (const auto& [topic, objects] : catalog) {
    LsTopic t{.topic = topic};
    auto md = metadata.find(objects.metadata_key);
    if (md != metadata.end()) t.metadata = md->second;
    for (const auto& [partition, p] : objects.partitions) {
      const size_t count = catalog::SegmentsOf(p).size();
      report.partitions.push_back(
          MakePartition(topic, partition, p,
                        std::span<const std::optional<format::SegmentFooter>>(footers).subspan(
                            next_footer, count)));
      next_footer += count;
      // Holes (and overlaps) in the tiling of the partition's segment and gap ranges.
      const std::vector<catalog::StoreProblem> tiling = CheckTiling(p.ranges);
      report.problems.insert(report.problems.end(), tiling.begin(), tiling.end());
      ++t.stored_partitions;
      AddTotals(&t.totals, report.partitions.back().totals);
    }
    AddTotals(&report.totals, t.totals);
    report.topics.push_back(std::move(t));
  }
  catalog::SortProblems(&report.problems);
  return report;
}

}  // namespace kb::ops
