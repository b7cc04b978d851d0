// What the store already holds for one partition: its segment and gap ranges, and from them the
// next offset to back up. The store, not Kafka's committed offset, is the source of truth on
// (re)start: a segment that was written but whose offset commit was lost (crash between the two)
// is never written again, so the store never holds two objects covering the same offset.
//
// Thread-safety: pure functions over a thread-safe ObjectStore.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "layout/keys.h"
#include "storage/object_store.h"

namespace kb::catalog {

struct StoredRange {
  int64_t start = 0;
  int64_t end = 0;  // inclusive
  bool is_gap = false;
  std::string key;
  uint64_t size = 0;
};

// Segments and gaps of the partition, sorted by start offset.
Result<std::vector<StoredRange>> ListPartitionRanges(storage::ObjectStore& store,
                                                     const layout::Keys& keys,
                                                     const std::string& topic, int32_t partition);

// One past the highest offset covered by a segment or gap; nullopt when the store holds none.
Result<std::optional<int64_t>> NextOffsetInStore(storage::ObjectStore& store,
                                                 const layout::Keys& keys, const std::string& topic,
                                                 int32_t partition);

}  // namespace kb::catalog
