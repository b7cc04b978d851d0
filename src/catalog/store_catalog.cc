#include "catalog/store_catalog.h"

#include <algorithm>
#include <optional>
#include <set>
#include <tuple>

#include "catalog/store_scan.h"
#include "common/parallel.h"
#include "format/segment_reader.h"

namespace kb::catalog {

void AddToCatalog(const layout::Keys& keys, const storage::ObjectInfo& object,
                  StoreCatalog* catalog, ArchivedGenerations* archived) {
  const std::optional<layout::ParsedKey> k = keys.Parse(object.key);
  if (k && k->kind == layout::KeyKind::kRestoreOffsetMap) return;  // restore's, not the backup's
  if (!k) {
    // An archived generation's object (a store of its own, layout::Keys::Generation): counted
    // so that ls can point at it, never mixed with the current generation.
    if (archived == nullptr) return;
    if (const auto g = keys.ParseGenerationKey(object.key)) {
      ++(*archived)[{g->topic, g->generation}];
    }
    return;
  }
  TopicObjects& t = (*catalog)[k->topic];
  switch (k->kind) {
    case layout::KeyKind::kTopicMetadata:
      t.metadata_key = object.key;
      break;
    case layout::KeyKind::kRetentionState:
      t.retention_state_key = object.key;
      break;
    case layout::KeyKind::kSegment:
    case layout::KeyKind::kGap:
      t.partitions[k->partition].ranges.push_back(
          {k->start, k->end, k->kind == layout::KeyKind::kGap, object.key, object.size});
      break;
    case layout::KeyKind::kConsumerOffsets:
      t.partitions[k->partition].consumers_offset_key = object.key;
      break;
    case layout::KeyKind::kConsumerOffsetsHistory:
      t.partitions[k->partition].history.push_back({object.key, k->time_ms});
      break;
    case layout::KeyKind::kRestoreOffsetMap:
    case layout::KeyKind::kUnknown:
      break;
  }
}

Result<StoreCatalog> ListCatalog(storage::ObjectStore& store, const layout::Keys& keys,
                                 const std::vector<std::string>& topics,
                                 ArchivedGenerations* archived) {
  const std::set<std::string> named(topics.begin(), topics.end());
  for (const std::string& t : named) KB_RETURN_IF_ERROR(layout::ValidateTopicName(t));
  const std::vector<std::string> named_list(named.begin(), named.end());
  StoreCatalog catalog;
  KB_RETURN_IF_ERROR(ForEachStoredObject(
      store, keys, named.empty() ? nullptr : &named_list,
      [&](const storage::ObjectInfo& o) { AddToCatalog(keys, o, &catalog, archived); }));
  for (const std::string& t : named) {
    if (!catalog.contains(t)) {
      return Status::NotFound(
          t, "nothing stored under '" + keys.TopicPrefix(t) + "' in " + store.Describe());
    }
  }
  for (auto& [topic, objects] : catalog) {
    for (auto& [partition, p] : objects.partitions) {
      std::sort(p.ranges.begin(), p.ranges.end(),
                [](const catalog::StoredRange& a, const catalog::StoredRange& b) {
                  return std::tie(a.start, a.end, a.is_gap) < std::tie(b.start, b.end, b.is_gap);
                });
      std::sort(
          p.history.begin(), p.history.end(),
          [](const OffsetSnapshot& a, const OffsetSnapshot& b) { return a.time_ms < b.time_ms; });
    }
  }
  return catalog;
}

std::vector<const catalog::StoredRange*> SegmentsOf(const PartitionObjects& partition) {
  std::vector<const catalog::StoredRange*> out;
  for (const catalog::StoredRange& r : partition.ranges) {
    if (!r.is_gap) out.push_back(&r);
  }
  return out;
}

Result<std::vector<std::optional<format::SegmentFooter>>> ReadFooters(
    storage::ObjectStore& store, const std::vector<const catalog::StoredRange*>& segments,
    size_t parallelism, std::vector<StoreProblem>* problems) {
  std::vector<std::optional<format::SegmentFooter>> footers(segments.size());
  std::vector<Status> errors(segments.size());
  ParallelFor(segments.size(), parallelism, [&](size_t i) {
    auto reader = format::SegmentReader::Open(store, segments[i]->key, segments[i]->size);
    if (!reader.ok()) {
      errors[i] = reader.status();
      return;
    }
    footers[i] = reader->footer();
    footers[i]->blocks = {};  // frees the index: only the segment-wide facts are kept
  });
  for (size_t i = 0; i < segments.size(); ++i) {
    const catalog::StoredRange& s = *segments[i];
    KB_RETURN_IF_ERROR(AddProblemOrFail(s.key, s.start, s.end, errors[i], problems));
  }
  return footers;
}

}  // namespace kb::catalog
