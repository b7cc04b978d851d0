// `kafka-backup ls`: what a backup store holds, per topic and partition, from the store alone (no
// Kafka needed): the offsets and record timestamps its segments cover, records and bytes, the
// recorded gaps, the consumer group offset snapshots, and each topic's topic.json.
//
// Cost: one paged listing (store_catalog.h), one ranged read of the tail of every segment for its
// footer (up to `parallelism` at a time; SegmentReader::Open), and one Get per topic.json. Memory
// grows with the objects listed (the catalog), never with the segments' contents.
//
// Problems: every hole in the tiling of a partition's segment and gap ranges (offsets between two
// stored ranges that no segment and no gap record covers, e.g. a segment deleted from the middle;
// a restore would stop there) and every overlap, as `verify` finds them from the listing
// (ops/verify.h CheckTiling): named by the object after the hole and the missing offsets.
//
// Failure contract: a segment whose footer does not parse, a topic.json that does not decode and
// a hole or overlap are not errors of ListStore: they go into LsReport::problems (naming the key)
// and the rest of the report is still computed; the command then fails (exit code 1). Other store
// errors (network, credentials) stop ListStore and pass through with their subject. A bad or
// unknown --topic is InvalidArgument / NotFound naming it.
//
// Thread-safety: ListStore may run concurrently with anything else on the same (thread-safe)
// store; the report is a plain value.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "catalog/store_problem.h"
#include "common/status.h"
#include "layout/keys.h"
#include "layout/metadata.h"
#include "storage/object_store.h"

namespace kb::ops {

struct OffsetRange {
  int64_t start = 0;
  int64_t end = 0;  // inclusive
  friend bool operator==(const OffsetRange&, const OffsetRange&) = default;
};

// What ls shows of one partition, and (summed) of one topic.
struct LsTotals {
  uint64_t segments = 0;
  uint64_t records = 0;       // from the segments' footers
  uint64_t stored_bytes = 0;  // segment objects' sizes
  uint64_t gaps = 0;          // gap records
  uint64_t gap_offsets = 0;   // offsets they cover
  // Smallest and largest record timestamp of the segments (footers); nullopt when none was read.
  std::optional<int64_t> min_timestamp_ms;
  std::optional<int64_t> max_timestamp_ms;
  uint64_t offset_snapshots = 0;    // offset/history objects
  int64_t newest_snapshot_ms = -1;  // time of the newest of them; -1: none
};

struct LsPartition {
  std::string topic;
  int32_t partition = 0;
  // First record offset of the first segment (its key's start when its footer is unreadable) and
  // last record offset of the last segment; -1 when the partition has no segment.
  int64_t first_offset = -1;
  int64_t last_offset = -1;
  LsTotals totals;
  std::vector<OffsetRange> gaps;      // by offset
  bool has_consumers_offset = false;  // offset/consumers_offset exists
};

struct LsTopic {
  std::string topic;
  std::optional<layout::TopicMetadata> metadata;  // topic.json; nullopt when absent or unreadable
  uint64_t stored_partitions = 0;                 // partitions with at least one object
  LsTotals totals;
};

// An archived generation of a re-created topic (layout::Keys::Generation): read it with
// `--generation <generation>`.
struct LsGeneration {
  std::string topic;
  int64_t generation = 0;
  uint64_t objects = 0;
};

struct LsReport {
  std::vector<LsTopic> topics;            // by topic
  std::vector<LsGeneration> generations;  // by topic, then generation; only when no topic named
  std::vector<LsPartition> partitions;    // by topic, then partition
  std::vector<catalog::StoreProblem> problems;  // unreadable footers and topic.json, holes, sorted
  LsTotals totals;                              // of every topic shown
};

struct LsOptions {
  std::vector<std::string> topics;  // only these (each must be stored); empty: every topic
  size_t parallelism = 8;           // footer reads in flight
};

Result<LsReport> ListStore(storage::ObjectStore& store, const layout::Keys& keys,
                           const LsOptions& options);

// An aligned table (topic, partition, offsets, records, segments, size, oldest and newest record
// time, gaps, consumer group offsets), the gap ranges of partitions that have some, one summary
// line per topic (topic.json and totals), a total line, then the problems.
std::string FormatLsText(const LsReport& report);
// {"topics": [...], "partitions": [...], "problems": [...], "totals": {...}}: every field of the
// report; unknown
// times are null, gaps are [{"start": s, "end": e}].
std::string FormatLsJson(const LsReport& report);

}  // namespace kb::ops
