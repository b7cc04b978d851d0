// BackupEngine's state for one assigned partition. Private to the engine (backup_engine*.cc).
//
// Offsets: `next` is the offset the next record is expected at (one past the last record taken,
// or where consumption started); the open segment covers [segment_start, writer.last_offset()].
// Segment ranges tile the partition: a segment starts where the previous segment or gap ended, so
// offsets removed by compaction or taken by transaction markers fall inside some range.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <utility>

#include "backup/backup_engine.h"
#include "format/segment_writer.h"

namespace kb::backup {

struct BackupEngine::Partition {
  PartitionId id;
  int64_t next = 0;
  int64_t segment_start = 0;
  // Created for the partition's first record and kept for its next segments (deferred mode: blocks
  // are compressed by the engine's CompressionPool, so an idle writer holds no buffer or zstd
  // context). writer->empty(): no open segment.
  std::optional<format::SegmentWriter> writer;
  std::chrono::steady_clock::time_point opened{};
  size_t accounted_bytes = 0;  // writer->buffered_bytes() as last added to the engine's total
  uint64_t segment_payload_bytes = 0;  // payload bytes of the open segment's records
  int64_t durable_next = 0;            // one past the last offset durable in the store
  // Sealed segments and gaps not yet durable: (end offset, when their first record was consumed;
  // nullopt for gaps).
  std::deque<std::pair<int64_t, std::optional<std::chrono::steady_clock::time_point>>> in_flight;
  // --once: the end offset when assigned (at the consumer's isolation level), and whether the
  // consumer's position reached it.
  int64_t once_target = 0;
  bool at_end = false;
  // The number of the batch during which the engine seeked or re-assigned the partition (0:
  // never): the rest of that batch's records of it were fetched before the move.
  uint64_t moved_in_batch = 0;
};

}  // namespace kb::backup
