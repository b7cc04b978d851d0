#include "ops/store_scan.h"

#include <algorithm>
#include <charconv>

#include "format/segment_reader.h"
#include "ops/parallel.h"

namespace kb::ops {
namespace {

constexpr size_t kListPageSize = 1000;

std::optional<int64_t> ParseNumber(std::string_view s) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

// The partition and, for a snapshot, the time of an offsets key that Classify accepted.
bool ParseOffsetsKey(const layout::Keys& keys, std::string_view key, ListedKey* k) {
  std::string_view rest = key.substr(keys.TopicPrefix(k->topic).size());
  const std::optional<int64_t> p = ParseNumber(rest.substr(0, rest.find('/')));
  if (!p || *p > INT32_MAX) return false;
  k->partition = static_cast<int32_t>(*p);
  if (k->kind == layout::KeyKind::kConsumerOffsets) {
    return keys.ConsumerOffsets(k->topic, k->partition) == key;
  }
  const std::string prefix = keys.ConsumerOffsetsHistoryPrefix(k->topic, k->partition);
  const std::optional<int64_t> t =
      key.starts_with(prefix) ? ParseNumber(key.substr(prefix.size())) : std::nullopt;
  if (!t) return false;
  k->time_ms = *t;
  return keys.ConsumerOffsetsHistory(k->topic, k->partition, *t) == key;
}

}  // namespace

std::optional<ListedKey> ParseListedKey(const layout::Keys& keys, std::string_view key) {
  ListedKey k{.kind = keys.Classify(key)};
  if (k.kind == layout::KeyKind::kUnknown) return std::nullopt;
  Result<std::string> topic = keys.TopicOf(key);
  if (!topic.ok()) return std::nullopt;
  k.topic = std::move(topic).value();
  if (k.kind == layout::KeyKind::kSegment || k.kind == layout::KeyKind::kGap) {
    Result<layout::SegmentKey> range =
        k.kind == layout::KeyKind::kGap ? keys.ParseGap(key) : keys.ParseSegment(key);
    if (!range.ok()) return std::nullopt;  // Classify already parsed it; cannot happen
    k.partition = range->partition;
    k.start = range->start_offset;
    k.end = range->end_offset;
  } else if (k.kind != layout::KeyKind::kTopicMetadata &&
             k.kind != layout::KeyKind::kRetentionState && !ParseOffsetsKey(keys, key, &k)) {
    return std::nullopt;
  }
  return k;
}

void FoldObject(const layout::Keys& keys, const storage::ObjectInfo& object,
                StoreSummary* summary) {
  const std::optional<ListedKey> k = ParseListedKey(keys, object.key);
  if (!k) return;
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

}  // namespace kb::ops
