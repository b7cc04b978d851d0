// RestorePlan: what a restore will read, decided from one listing of the store, the topics'
// topic.json and the footers of the segments that may hold selected records — before any record
// is read or written. --dry-run prints it; the restore executes it partition by partition.
//
// Per partition the plan keeps, in offset order, the segments whose key range meets the offset
// selection, each with its opened SegmentReader (the footer index) and the blocks that may hold
// selected records (by offset range, and by [min, max] timestamp for a time window). Only those
// blocks are ever read: a one-hour window of a day-long backup reads every footer once and then
// about 1/24 of the blocks. Record counts are exact when whole blocks are selected and an upper
// bound when a time window cuts through a block or keys are excluded (PartitionPlan::count_exact).
//
// Partitions: 0 .. topic.json's partition count - 1 (an empty partition is planned as empty), plus
// any other partition that has objects; with an offsets selection, only the listed ones.
//
// Holes: offsets between two stored ranges of a partition that no segment and no gap record covers
// (layout/tiling.h; e.g. a segment deleted from the middle of the backup) are data the backup lost
// without saying why. When the selection crosses one (its offsets, clipped to the offset
// selection; with a time window, unless the record times of the segments on either side of the
// hole put it outside the window), the partition's plan gets a Corruption error naming the topic,
// partition and every such range [first, last + 1), and nothing of the partition is restored; with
// skip_corrupt the hole is restored around and reported exactly as a retention gap (in `gaps`, and
// in `holes` to tell it apart), so that group translation treats it as one.
//
// Failure contract: store errors of the listing and of topic.json pass through (a named topic with
// nothing stored is NotFound); a hole, or a segment whose footer cannot be read for a data
// problem, does not fail the plan: it is recorded in its partition (PartitionPlan::error, naming
// the partition or object key and the offsets), or with skip_corrupt as a gap or skipped range.
// A topic.json that cannot be decoded does not fail the plan either (TopicPlan::metadata_error):
// without PlanOptions::require_target_exists every partition of that topic gets a Corruption
// error naming the key (the topic could not be created as it was); with it the topic is planned
// from its stored objects and the restore only warns (an existing target does not need it). A
// --rename of a topic not restored, or a --target-prefix that applies to no topic, is
// InvalidArgument naming the flag and the topic.
// Ownership: the plan owns its SegmentReaders, which keep a pointer to the store: the store must
// outlive the plan. Thread-safety: a plan is read-only after PlanRestore; its readers may be used
// from several threads.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "format/segment_reader.h"
#include "layout/keys.h"
#include "layout/metadata.h"
#include "restore/selection.h"
#include "storage/object_store.h"

namespace kb::restore {

// Source offsets that will not be restored because their bytes are damaged (--skip-corrupt).
struct SkippedRange {
  int64_t first = 0;
  int64_t last = 0;
  std::string key;     // the segment
  std::string reason;  // the Status text
};

struct SegmentPlan {
  std::string key;
  uint64_t size = 0;
  int64_t start = 0;  // offsets from the key, inclusive
  int64_t end = 0;
  std::shared_ptr<const format::SegmentReader> reader;
  std::vector<size_t> blocks;  // chosen blocks, in index (= offset) order
};

struct PartitionPlan {
  std::string source_topic;
  int32_t partition = 0;
  std::string target_topic;
  std::string selection;  // RestoreSelection::Describe
  std::vector<SegmentPlan> segments;
  std::vector<SkippedRange> skipped;  // footers that could not be read (skip_corrupt)
  std::vector<OffsetRange> gaps;      // gap objects (retention) meeting the selection, and holes
                                      // with skip_corrupt; by offset
  std::vector<OffsetRange> holes;     // offsets in no segment and no gap object (see above)
  uint64_t records = 0;               // records in the chosen blocks (see count_exact)
  bool count_exact = true;    // false when a time window cuts through a block, or with exclude_keys
  uint64_t stored_bytes = 0;  // bytes of the chosen blocks in the store
  int64_t min_timestamp = INT64_MAX;  // over the chosen blocks
  int64_t max_timestamp = INT64_MIN;
  // Whether the source offsets of the chosen blocks are contiguous (no hole between or inside
  // them) and whole blocks are selected without exclude_keys: then the offset map of a fresh
  // restore is predictable.
  bool contiguous = true;
  int64_t first_offset = -1;  // of the chosen blocks (after the offset selection); -1: none
  int64_t last_offset = -1;
  Status error;  // a hole or a footer that could not be read (without skip_corrupt)
};

struct TopicPlan {
  std::string source_topic;
  std::string target_topic;
  std::optional<layout::TopicMetadata> metadata;  // topic.json; nullopt when absent or unreadable
  std::string metadata_key;                       // the topic.json that could not be decoded
  Status metadata_error;                          // why (Corruption naming metadata_key)
  int32_t partition_count = 0;                    // backed-up partitions (see above)
  std::vector<PartitionPlan> partitions;          // by partition number
};

struct RestorePlan {
  std::vector<TopicPlan> topics;  // by source topic name
  uint64_t footer_bytes = 0;      // read while planning
};

struct PlanOptions {
  bool skip_corrupt = false;
  // The targets must exist (--require-target-exists): an unreadable topic.json is then no error.
  bool require_target_exists = false;
  size_t parallelism = 8;  // footers read at once
  // Bytes read from the end of a segment to get its trailer and footer in one request (a larger
  // footer costs a second request).
  size_t footer_read_bytes = 64 << 10;
};

Result<RestorePlan> PlanRestore(storage::ObjectStore& store, const layout::Keys& keys,
                                const RestoreSelection& selection, const PlanOptions& options);

}  // namespace kb::restore
