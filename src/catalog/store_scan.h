// What a backup store holds, summarized per topic and partition for `kafka-backup status`: the
// offsets its segment and gap keys cover, the sum of its gaps, and the newest record timestamp of
// its last segment (from the segment's footer).
//
// ForEachStoredObject (the paged listing) and layout::Keys::Parse (what a listed key is) are shared
// with ls and verify (store_catalog.h).
//
// ScanStore folds a paged listing into per-partition summaries as the pages come, so memory grows
// with the partitions, not with the objects; keys that layout::Keys does not classify are skipped.
// Cost: one List request per 1000 keys under the listed prefixes (the store interface has no
// delimiter listing, so finding the topics of a store means listing every key under the prefix).
//
// Failure contract: store errors pass through unchanged (subject: the prefix or object key); a
// last segment whose footer does not parse is Corruption / NotImplemented naming its key.
// Thread-safety: pure functions over a thread-safe ObjectStore; the summaries are plain values.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "layout/keys.h"
#include "storage/object_store.h"

namespace kb::catalog {

struct StoredPartition {
  int64_t from = -1;         // first offset covered by a segment or gap; -1: none
  int64_t next = -1;         // one past the last offset covered by a segment or gap; -1: none
  uint64_t gap_records = 0;  // offsets covered by gap records
  uint64_t segments = 0;
  uint64_t gaps = 0;
  // The segment holding the highest offsets, for its footer.
  std::string last_segment_key;
  uint64_t last_segment_size = 0;
  int64_t last_segment_end = -1;
  int64_t newest_timestamp_ms = -1;  // set by ReadNewestTimestamps; -1: no segment
};

// topic -> partition -> summary. A topic whose keys are all non-range objects (topic.json,
// consumer offsets) is present with no partitions.
using StoreSummary = std::map<std::string, std::map<int32_t, StoredPartition>>;

// Calls `fn` for every object listed under keys.Root(), or, when `topics` is non-null, under each
// of those topics only, page by page as the listing comes (nothing is kept).
Status ForEachStoredObject(storage::ObjectStore& store, const layout::Keys& keys,
                           const std::vector<std::string>* topics,
                           const std::function<void(const storage::ObjectInfo&)>& fn);

// Lists every key under keys.Root(), or, when `topics` is non-null, under each of those topics
// only, and summarizes them.
Result<StoreSummary> ScanStore(storage::ObjectStore& store, const layout::Keys& keys,
                               const std::vector<std::string>* topics = nullptr);

// Adds one listed object to `summary` (what ScanStore does for each key).
void FoldObject(const layout::Keys& keys, const storage::ObjectInfo& object, StoreSummary* summary);

// Reads the footer of every partition's last segment (one ranged read each, up to `parallelism`
// at a time) into newest_timestamp_ms. Returns the first error, after all reads finished.
Status ReadNewestTimestamps(storage::ObjectStore& store, StoreSummary* summary,
                            size_t parallelism = 8);

}  // namespace kb::catalog
