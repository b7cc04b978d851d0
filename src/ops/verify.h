// `kafka-backup verify`: reads back what a backup store holds and checks it, from the store (Kafka
// is optional: see check_catalog), reporting every problem with the object key and the offsets at
// fault:
//
//   * segments -- every one, or a sample per partition, or those whose footer time range overlaps
//     a window: one Get each, format::VerifySegment (every checksum, the block index, every
//     record; docs/format.md "What a reader must check"), and the key against the footer: no
//     record before the key's start, and the last record at the key's end offset;
//   * the tiling of every partition's segment and gap keys (from the listing, whatever segments
//     are selected): each range starts one past the end of the previous one; a hole or an overlap
//     is a problem;
//   * every gap record, consumers_offset and offset/history object, every topic.json and every
//     retention.json decodes (layout/metadata.h, layout/retention_state.h); a topic with stored
//     partitions but no topic.json is a problem.
//   * The first offset of a partition may be anything as far as the store can tell: retention
//     (ops/retention.h) deletes the oldest ranges of a partition, and a backup starts at the log
//     start offset it found. With check_catalog (Kafka reachable) it is compared with the log
//     start offset: Kafka holding offsets below the store's first one is a problem.
//     Archived generations (layout::Keys::Generation) are not part of the listed layout; verify
//     one with a Keys of its own (`--generation N`).
//
// Cost: one paged listing; one Get per selected segment and per JSON object, `parallelism` at a
// time; with a time window, first one ranged read of the footer of each segment of the listed
// partitions. Memory: the catalog (store_catalog.h) plus about `parallelism` segments, each read
// whole, checked in place and dropped.
//
// Failure contract: problems are findings, not errors: VerifyStore returns OK with every problem
// in the report (the command turns them into a Corruption status). An error reading the store
// other than NotFound (permissions, or the network after the retry layer gave up) stops the run:
// no new read starts and the error is returned. Bad options are InvalidArgument naming the flag.
//
// Thread-safety: VerifyStore runs up to `parallelism` threads of its own on a thread-safe store;
// `on_progress` is called from them, one call at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "catalog/store_catalog.h"
#include "catalog/store_position.h"
#include "catalog/store_problem.h"
#include "common/status.h"
#include "layout/keys.h"
#include "ops/cluster_check.h"
#include "storage/object_store.h"

namespace kb::ops {

struct VerifyProgress {
  uint64_t segments_done = 0;
  uint64_t segments_total = 0;  // selected for reading
  uint64_t bytes_done = 0;      // of segments read
  uint64_t problems = 0;        // found so far
  double seconds = 0;           // since the first read
};

// "verified 120/400 segments, 1.2 GiB, 350.0 MiB/s" (plus ", 2 problems" when there are some).
std::string FormatVerifyProgress(const VerifyProgress& progress);

struct VerifyOptions {
  std::vector<std::string> topics;  // only these (each must be stored); empty: every topic
  size_t parallelism = 4;           // reads in flight, >= 1
  // 0: every segment. Otherwise at most this many segments per partition (after the time
  // window), evenly spaced from the first to the last (SampleEvenly).
  size_t sample = 0;
  // Only segments whose footer's [min, max] record timestamp overlaps [from_ms, to_ms]; a bound
  // left out is open.
  std::optional<int64_t> from_ms;
  std::optional<int64_t> to_ms;
  std::function<void(const VerifyProgress&)> on_progress;  // after each segment; may be empty
  // When set, called once with the listing; its problems join the report and its notes are
  // printed with it (the command passes ops/cluster_check.h's CompareWithCluster when Kafka is
  // configured). An error it returns is noted, not fatal: verify needs no Kafka.
  std::function<Result<ClusterCheck>(const catalog::StoreCatalog&)> check_catalog;
};

struct VerifyReport {
  uint64_t topics = 0;
  uint64_t partitions = 0;
  uint64_t segments_listed = 0;    // in the listed partitions
  uint64_t segments_verified = 0;  // read and checked (the selection)
  uint64_t bytes_verified = 0;
  uint64_t records_verified = 0;
  uint64_t objects_verified = 0;  // JSON objects: topic.json, retention.json, gap, offsets
  // Encrypted segments (among segments_verified) and how many of them were checked without their
  // key (structure and checksums only: storage.encryption lacks the key ids in missing_key_ids).
  uint64_t segments_encrypted = 0;
  uint64_t segments_structure_only = 0;
  std::set<std::string> missing_key_ids;
  // Encrypted JSON objects that could not be opened (no key, or another key under its id); the
  // first such error is in `notes`.
  uint64_t objects_not_opened = 0;
  double seconds = 0;
  std::vector<catalog::StoreProblem> problems;  // sorted by key
  // From check_catalog: partitions whose first offset was compared with Kafka's log start, and
  // what was not compared (or why nothing was).
  uint64_t partitions_compared = 0;
  std::vector<std::string> notes;
};

Result<VerifyReport> VerifyStore(storage::ObjectStore& store, const layout::Keys& keys,
                                 const VerifyOptions& options);

// Every problem on a line of its own, then a summary line ("verified 3 of 10 segments (...) and
// 12 other objects of 1 topic, 2 partitions in 0.4 s: 2 problems").
std::string FormatVerifyText(const VerifyReport& report);
// The report as one JSON object: {"ok": bool, "topics", "partitions", "segments_listed",
// "segments_verified", "bytes_verified", "records_verified", "objects_verified",
// "segments_encrypted", "segments_structure_only", "missing_key_ids": [...],
// "objects_not_opened", "partitions_compared", "seconds", "problems": [{"key", "start", "end",
// "message"}], "notes": [...]} (start/end -1 when a problem is not about offsets).
std::string FormatVerifyJson(const VerifyReport& report);

// The pure steps of VerifyStore, for tests.
//
// Problems in the tiling of one partition's ranges (sorted by start, as in the catalog): holes
// (named by the range after them, with the missing offsets) and overlaps (named by the later
// range, with the offsets it shares with an earlier one). The check itself is layout/tiling.h,
// which restore shares; `ls` reports the same problems.
std::vector<catalog::StoreProblem> CheckTiling(const std::vector<catalog::StoredRange>& ranges);
// Indices of `sample` of `count` segments, evenly spaced and always including the last (and the
// first when sample >= 2); every index when sample is 0 or >= count.
std::vector<size_t> SampleEvenly(size_t count, size_t sample);

}  // namespace kb::ops
