#include "ops/store_scan.h"

#include <algorithm>
#include <atomic>
#include <thread>

#include "format/segment_reader.h"

namespace kb::ops {
namespace {

constexpr size_t kListPageSize = 1000;

}  // namespace

void FoldObject(const layout::Keys& keys, const storage::ObjectInfo& object,
                StoreSummary* summary) {
  const layout::KeyKind kind = keys.Classify(object.key);
  if (kind == layout::KeyKind::kUnknown) return;
  Result<std::string> topic = keys.TopicOf(object.key);
  if (!topic.ok()) return;
  auto& partitions = (*summary)[*topic];
  if (kind != layout::KeyKind::kSegment && kind != layout::KeyKind::kGap) return;
  const bool gap = kind == layout::KeyKind::kGap;
  Result<layout::SegmentKey> range =
      gap ? keys.ParseGap(object.key) : keys.ParseSegment(object.key);
  if (!range.ok()) return;  // Classify already parsed it; cannot happen
  StoredPartition& p = partitions[range->partition];
  p.from = p.from < 0 ? range->start_offset : std::min(p.from, range->start_offset);
  p.next = std::max(p.next, range->end_offset + 1);
  if (gap) {
    ++p.gaps;
    p.gap_records += static_cast<uint64_t>(range->end_offset - range->start_offset) + 1;
    return;
  }
  ++p.segments;
  if (range->end_offset > p.last_segment_end) {
    p.last_segment_end = range->end_offset;
    p.last_segment_key = object.key;
    p.last_segment_size = object.size;
  }
}

Result<StoreSummary> ScanStore(storage::ObjectStore& store, const layout::Keys& keys,
                               const std::vector<std::string>* topics) {
  std::vector<std::string> prefixes;
  if (topics == nullptr) {
    prefixes.push_back(keys.Root());
  } else {
    for (const std::string& t : *topics) prefixes.push_back(keys.TopicPrefix(t));
  }
  StoreSummary summary;
  for (const std::string& prefix : prefixes) {
    std::string token;
    do {
      KB_ASSIGN_OR_RETURN(storage::ListPage page, store.List(prefix, token, kListPageSize));
      for (const storage::ObjectInfo& o : page.objects) FoldObject(keys, o, &summary);
      token = std::move(page.next_token);
    } while (!token.empty());
  }
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
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i = next++; i < todo.size(); i = next++) {
      StoredPartition& p = *todo[i];
      auto reader = format::SegmentReader::Open(store, p.last_segment_key, p.last_segment_size);
      if (!reader.ok()) {
        results[i] = reader.status();
        continue;
      }
      p.newest_timestamp_ms = reader->footer().max_timestamp;
    }
  };
  {
    const size_t threads = std::min(std::max<size_t>(parallelism, 1), todo.size());
    std::vector<std::jthread> helpers;
    for (size_t i = 1; i < threads; ++i) helpers.emplace_back(work);
    work();
  }  // joins the helpers
  for (const Status& s : results) KB_RETURN_IF_ERROR(s);
  return Status::OK();
}

}  // namespace kb::ops
