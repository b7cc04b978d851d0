#include "catalog/store_scan.h"

#include <algorithm>

#include "common/parallel.h"
#include "format/segment_reader.h"

namespace kb::catalog {
namespace {

constexpr size_t kListPageSize = 1000;

}  // namespace

void FoldObject(const layout::Keys& keys, const storage::ObjectInfo& object,
                StoreSummary* summary) {
  const std::optional<layout::ParsedKey> k = keys.Parse(object.key);
  if (!k || k->kind == layout::KeyKind::kRestoreOffsetMap) return;
  auto& partitions = (*summary)[k->topic];
  if (k->kind != layout::KeyKind::kSegment && k->kind != layout::KeyKind::kGap) return;
  StoredPartition& p = partitions[k->partition];
  p.from = p.from < 0 ? k->start : std::min(p.from, k->start);
  p.next = std::max(p.next, k->end + 1);
  if (k->kind == layout::KeyKind::kGap) {
    ++p.gaps;
    p.gap_records += static_cast<uint64_t>(k->end - k->start) + 1;
    return;
  }
  ++p.segments;
  if (k->end > p.last_segment_end) {
    p.last_segment_end = k->end;
    p.last_segment_key = object.key;
    p.last_segment_size = object.size;
  }
}

Status ForEachStoredObject(storage::ObjectStore& store, const layout::Keys& keys,
                           const std::vector<std::string>* topics,
                           const std::function<void(const storage::ObjectInfo&)>& fn) {
  std::vector<std::string> prefixes;
  if (topics == nullptr) {
    prefixes.push_back(keys.Root());
  } else {
    for (const std::string& t : *topics) prefixes.push_back(keys.TopicPrefix(t));
  }
  for (const std::string& prefix : prefixes) {
    std::string token;
    do {
      KB_ASSIGN_OR_RETURN(storage::ListPage page, store.List(prefix, token, kListPageSize));
      for (const storage::ObjectInfo& o : page.objects) fn(o);
      token = std::move(page.next_token);
    } while (!token.empty());
  }
  return Status::OK();
}

Result<StoreSummary> ScanStore(storage::ObjectStore& store, const layout::Keys& keys,
                               const std::vector<std::string>* topics) {
  StoreSummary summary;
  KB_RETURN_IF_ERROR(ForEachStoredObject(
      store, keys, topics, [&](const storage::ObjectInfo& o) { FoldObject(keys, o, &summary); }));
  return summary;
}

Status ReadNewestTimestamps(storage::ObjectStore& store, StoreSummary* summary,
                            size_t parallelism) {
  std::vector<StoredPartition*> todo;
  for (auto& [topic, partitions] : *summary) {
    for (auto& [partition, p] : partitions) {
      if (!p.last_segment_key.empty()) todo.push_back(&p);
    }
  }
  std::vector<Status> results(todo.size());
  ParallelFor(todo.size(), parallelism, [&](size_t i) {
    StoredPartition& p = *todo[i];
    auto reader = format::SegmentReader::Open(store, p.last_segment_key, p.last_segment_size);
    if (!reader.ok()) {
      results[i] = reader.status();
      return;
    }
    p.newest_timestamp_ms = reader->footer().max_timestamp;
  });
  for (const Status& s : results) KB_RETURN_IF_ERROR(s);
  return Status::OK();
}

}  // namespace kb::catalog
