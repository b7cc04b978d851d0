// PartitionReader: the selected records of one planned partition, one at a time, in offset order —
// the restore's only way of reading records. It reads the plan's chosen blocks one after the other
// (one ranged read each) into decoded blocks that are shared (block()): the caller may keep a block
// alive after the reader moved on (the restore producer pins it until the records taken from it
// are delivered, so that it sends them without copying). The reader itself holds one block at a
// time; blocks released by everyone go back to a small free list of the reader and are reused (no
// new allocation, no page faults per block). Memory: one block (<= the segment's block size,
// 256 KiB by default) plus whatever the caller pins.
//
// Records of a chosen block are filtered by the selection (offset range, time window), so a block
// that a time window cuts through yields only the records inside the window; a selected record
// whose key the selection excludes (RestoreSelection::exclude_keys) is passed over and counted in
// excluded() (records passed over by SkipThrough are not counted). SkipThrough(o) moves
// past every record with offset <= o without reading blocks that end at or before o (resume).
//
// Corruption: a block that cannot be read or decoded for a data problem (Corruption /
// NotImplemented) fails Next() with Corruption naming the segment key and the block's offsets,
// unless `skip_corrupt`: then the block's offsets (clipped to the selection) are recorded in
// skipped() and reading goes on with the next block. Other store errors pass through.
//
// Ownership: borrows the plan (which must outlive the reader). Thread-safety: one thread at a time;
// different readers (partitions) may run concurrently.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "common/status.h"
#include "format/segment_decoder.h"
#include "restore/plan.h"
#include "restore/selection.h"

namespace kb::restore {

class PartitionReader {
 public:
  PartitionReader(const PartitionPlan& plan, const RestoreSelection& selection, bool skip_corrupt);

  // The next selected record, or nullptr at the end. The view and the bytes it points to are
  // valid while block() (the block it was taken from) is held: until the next call unless the
  // caller keeps a copy of block().
  Result<const format::RecordView*> Next();
  // The block holding the record the last Next() returned (shared; safe to release on any thread).
  const std::shared_ptr<const format::DecodedBlock>& block() const { return block_; }

  // From now on, records with offset <= `offset` are passed over.
  void SkipThrough(int64_t offset) { after_ = std::max(after_, offset); }

  uint64_t bytes_read() const { return bytes_read_; }  // block bytes fetched from the store
  const std::vector<SkippedRange>& skipped() const { return skipped_; }
  // Selected records left out for their key (exclude_keys) so far.
  uint64_t excluded() const { return excluded_; }

 private:
  // Loads the next chosen block that may hold a record after after_; false at the end.
  Result<bool> LoadNextBlock();

  const PartitionPlan& plan_;
  const RestoreSelection& selection_;
  const bool skip_corrupt_;
  int64_t after_ = -1;
  size_t segment_ = 0;     // index into plan_.segments
  size_t next_block_ = 0;  // index into plan_.segments[segment_].blocks
  // Decoded blocks no longer used by anyone, for reuse; shared with the blocks' deleters, which
  // may run on other threads (the producer's delivery reports).
  class BlockPool;
  std::shared_ptr<BlockPool> pool_;
  std::shared_ptr<const format::DecodedBlock> block_;
  size_t record_ = 0;  // next record of block_
  uint64_t bytes_read_ = 0;
  uint64_t excluded_ = 0;
  std::vector<SkippedRange> skipped_;
};

}  // namespace kb::restore
