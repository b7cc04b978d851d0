#include "catalog/store_position.h"

#include <algorithm>

namespace kb::catalog {

Result<std::vector<StoredRange>> ListPartitionRanges(storage::ObjectStore& store,
                                                     const layout::Keys& keys,
                                                     const std::string& topic, int32_t partition) {
  KB_ASSIGN_OR_RETURN(auto objects,
                      storage::ListAll(store, keys.PartitionPrefix(topic, partition)));
  std::vector<StoredRange> out;
  for (const storage::ObjectInfo& o : objects) {
    layout::KeyKind kind = keys.Classify(o.key);
    if (kind != layout::KeyKind::kSegment && kind != layout::KeyKind::kGap) continue;
    bool gap = kind == layout::KeyKind::kGap;
    KB_ASSIGN_OR_RETURN(layout::SegmentKey k,
                        gap ? keys.ParseGap(o.key) : keys.ParseSegment(o.key));
    out.push_back({k.start_offset, k.end_offset, gap, o.key, o.size});
  }
  std::sort(out.begin(), out.end(),
            [](const StoredRange& a, const StoredRange& b) { return a.start < b.start; });
  return out;
}

Result<std::optional<int64_t>> NextOffsetInStore(storage::ObjectStore& store,
                                                 const layout::Keys& keys, const std::string& topic,
                                                 int32_t partition) {
  KB_ASSIGN_OR_RETURN(auto ranges, ListPartitionRanges(store, keys, topic, partition));
  std::optional<int64_t> next;
  for (const StoredRange& r : ranges) next = std::max(next.value_or(0), r.end + 1);
  return next;
}

}  // namespace kb::catalog
