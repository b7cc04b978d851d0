// StoreCatalog: every object of a backup store (or of some of its topics) that layout::Keys knows,
// grouped by topic and partition, from one paged listing and no other request. `ls` and `verify`
// start from it: the segment and gap ranges of a partition in offset order (for the tiling check
// and to pick the segments to read), its consumer group offset objects, and each topic.json.
//
// ReadFooters then reads the segments' footers, for their offsets, record counts and times.
//
// Cost: one List request per 1000 keys under the listed prefixes (ForEachStoredObject). Memory:
// one entry per object (key and size), so about 150 bytes per segment.
//
// Failure contract: store errors pass through unchanged; a topic name that is not a legal Kafka
// name is InvalidArgument; a named topic with nothing stored is NotFound naming the topic. Keys
// that layout::Keys does not classify are left out.
// Thread-safety: ListCatalog is a pure function over a thread-safe ObjectStore; the catalog is a
// plain value.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "catalog/store_position.h"
#include "catalog/store_problem.h"
#include "common/status.h"
#include "format/segment_layout.h"
#include "layout/keys.h"
#include "storage/object_store.h"

namespace kb::catalog {

// An offset/history/<time ms> object: the consumer group offsets as they were at `time_ms`.
struct OffsetSnapshot {
  std::string key;
  int64_t time_ms = 0;
};

struct PartitionObjects {
  std::vector<catalog::StoredRange> ranges;  // segments and gaps, by start offset, then end
  std::string consumers_offset_key;          // offset/consumers_offset; empty when absent
  std::vector<OffsetSnapshot> history;       // by time
};

struct TopicObjects {
  std::string metadata_key;         // topic.json; empty when absent
  std::string retention_state_key;  // retention.json; empty when absent
  std::map<int32_t, PartitionObjects> partitions;
};

// topic -> its objects.
using StoreCatalog = std::map<std::string, TopicObjects>;

// (topic, generation) -> objects of an archived generation (layout::Keys::Generation) seen in the
// listing; only a listing of the whole store (no topics named) sees them.
using ArchivedGenerations = std::map<std::pair<std::string, int64_t>, uint64_t>;

// Lists the whole store under keys.Root(), or only `topics` when non-empty (each must have
// objects). When `archived` is non-null, the archived generations met in the listing are counted
// into it.
Result<StoreCatalog> ListCatalog(storage::ObjectStore& store, const layout::Keys& keys,
                                 const std::vector<std::string>& topics,
                                 ArchivedGenerations* archived = nullptr);

// The segments (not the gaps) among a partition's ranges, in offset order.
std::vector<const catalog::StoredRange*> SegmentsOf(const PartitionObjects& partition);

// The footers of `segments`, block index left out, read with one ranged read each (up to
// `parallelism` at a time). A footer that cannot be read for a data problem (IsDataProblem) is
// nullopt and its problem is appended to *problems; any other error is returned once every read
// finished.
Result<std::vector<std::optional<format::SegmentFooter>>> ReadFooters(
    storage::ObjectStore& store, const std::vector<const catalog::StoredRange*>& segments,
    size_t parallelism, std::vector<StoreProblem>* problems);

// Adds one listed object to `catalog` (what ListCatalog does for each key); ranges and history are
// appended unsorted.
void AddToCatalog(const layout::Keys& keys, const storage::ObjectInfo& object,
                  StoreCatalog* catalog, ArchivedGenerations* archived = nullptr);

}  // namespace kb::catalog
