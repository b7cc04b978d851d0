// OffsetMapStore: where a restore keeps, per restored partition, its offset map and progress —
// durably, in the backup store, so that it outlives the restore (`kafka-backup offsets translate`
// / `export`, consumer group translation) and lets a killed restore resume.
//
// One record per (source topic, partition, target cluster id, target topic), stored under
// layout::Keys::RestoreOffsetMap (see docs/format.md):
//
//   {"format_version": 1, "source_topic": "orders", "partition": 0,
//    "cluster_id": "MkU3OEVBNTcwNTJENDM2Qg", "target_topic": "orders",
//    "selection": "all", "complete": false, "updated_at_ms": 1700000000000,
//    "offset_map": {"format_version": 1, "target_start": 0, "runs": [[0, 0, 1000]]}}
//
// A reshaping restore (`restore --partitions N`) sends the records of one source partition to
// several target partitions: its record is format_version 2, with "target_partitions": N and,
// instead of "offset_map", "offset_maps": one map per target partition (by number, as a JSON
// object key), each from this source partition's offsets to that target partition's offsets:
//
//   {"format_version": 2, ..., "target_partitions": 7,
//    "offset_maps": {"0": {"format_version": 1, "target_start": 0, "runs": [[3, 0, 1], ...]},
//                    ...}}
//
// A record without reshaping is still written as format_version 1 (readable by older versions).
//
// `selection` is the restore's canonical description of which records of the partition it
// restores (all, a time window, an offset range); a restore that finds a record with another
// selection must not resume it as if it were its own. `complete` is true once every selected record
// is in the target. The map covers every record known to be in the target; while a restore runs
// it lags the target by at most one checkpoint interval (the restore reconciles the difference on
// resume).
//
// `configs_after_restore` (optional; absent when empty) names topic configs this restore still has
// to set on the target topic once every planned partition of it is complete: a restore that
// created the target with message.timestamp.type=CreateTime for a backup whose topic.json says
// LogAppendTime saves {"message.timestamp.type": "LogAppendTime"} in the records of every
// partition of that target before creating it, and removes it again after the switch. A rerun
// that finds it knows the target is its own and still owes the switch (restore/restorer.h).
//
// Ownership: keeps a pointer to the store, which must outlive it.
// Failure contract: store errors pass through; a stored record that does not parse, or whose
// fields disagree with its key, is Corruption naming the key; a newer format_version is
// NotImplemented.
// Thread-safety: as thread-safe as the store (no state of its own).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "layout/keys.h"
#include "restore/offset_map.h"
#include "storage/object_store.h"

namespace kb::restore {

struct PartitionRestoreRecord {
  static constexpr int kFormatVersion = 2;
  std::string source_topic;
  int32_t partition = 0;
  std::string cluster_id;  // the target cluster's id
  std::string target_topic;
  std::string selection;  // e.g. "all", "time:1700000000000-1700003600000", "offsets:100-199"
  bool complete = false;
  int64_t updated_at_ms = 0;
  OffsetMap map;  // without reshaping: target partition = source partition
  // With reshaping (target_partitions > 0): the map of each target partition 0..N-1; `map` is then
  // unused (empty).
  int32_t target_partitions = 0;
  std::map<int32_t, OffsetMap> target_maps;
  bool reshaped() const { return target_partitions > 0; }
  std::map<std::string, std::string> configs_after_restore;  // see above
  friend bool operator==(const PartitionRestoreRecord&, const PartitionRestoreRecord&) = default;
};

std::string EncodeRestoreRecord(const PartitionRestoreRecord& record);
// `key` is where the JSON was read from: named in errors, and checked against the JSON's fields.
Result<PartitionRestoreRecord> DecodeRestoreRecord(const layout::Keys& keys, std::string_view key,
                                                   std::string_view json);

class OffsetMapStore {
 public:
  OffsetMapStore(storage::ObjectStore* store, layout::Keys keys)
      : store_(store), keys_(std::move(keys)) {}

  // Writes (replaces) the record; durable when OK is returned. InvalidArgument for a record whose
  // names cannot form a key (illegal topic name, cluster id, negative partition).
  Status Save(const PartitionRestoreRecord& record);

  // The record of that restore, or nullopt if there is none.
  Result<std::optional<PartitionRestoreRecord>> Load(const std::string& source_topic,
                                                     int32_t partition,
                                                     const std::string& cluster_id,
                                                     const std::string& target_topic);

  // Every restore recorded for a source partition (any cluster, any target topic), in key order.
  Result<std::vector<PartitionRestoreRecord>> List(const std::string& source_topic,
                                                   int32_t partition);

 private:
  storage::ObjectStore* store_;
  layout::Keys keys_;
};

}  // namespace kb::restore
