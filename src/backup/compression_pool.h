// CompressionPool: compresses closed segment blocks on worker threads so that the consume thread
// only encodes records (format::BlockCompressor for SegmentWriter's deferred mode), and recycles
// the blocks' raw buffers so that no segment regrows (and zero-fills) its buffers.
//
// Memory: every buffer the pool hands out or keeps, and every compressed copy of a block while it
// lives, is counted in the MemoryGauge given at construction (added when allocated, subtracted
// when freed), so the gauge is the real size of that memory, not a sum of record sizes.
// Buffers come in size classes: powers of two from 8 KiB up to a full block (block_bytes plus the
// block header), so a quiet partition's open block holds a small buffer and a busy one's a full
// one; a record larger than a block gets a buffer of its own size, freed after use. A released
// buffer is kept idle for reuse while everything the gauge counts stays within `idle_limit`
// bytes, else freed; a buffer allocated anew frees idle ones first to stay within that limit. So
// a backup at codec none, whose segments hold their raw blocks until written and give back
// hundreds at once, builds the next segments in the same memory instead of allocating,
// zero-filling and page-faulting it again. TrimIdle, called periodically, frees what the period
// did not reuse, so that memory goes back once the load drops. Submit blocks while `max_queued`
// blocks wait for a worker: consuming cannot run ahead of compression by more.
//
// threads == 0 compresses on the caller's thread inside Submit. Blocks with codec none (or zstd
// level 0) are always finished inside Submit: there is nothing to hand off. Blocks carry their
// codec (zstd at any level, LZ4), so one pool serves writers of any codec.
//
// Failure contract: a compression error is delivered through the block (PendingBlock::Wait, so
// PendingSegment::Assemble); blocks still queued at destruction fail with Aborted.
//
// Thread-safety: all methods may be called from any thread. Destroy the pool only after every
// PendingSegment it served was assembled or dropped.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "backup/memory_gauge.h"
#include "config/config.h"
#include "format/segment_writer.h"

namespace kb::backup {

// The writer codec for backup.segment.codec (WriterOptions::codec).
format::Compression SegmentCodec(BackupConfig::Codec codec);

class CompressionPool : public format::BlockCompressor {
 public:
  struct Options {
    int threads = 2;
    size_t block_bytes = size_t{256} << 10;  // backup.segment.block_bytes
    size_t max_queued = 8;                   // blocks waiting for a worker before Submit blocks
    // Idle buffers are kept while the gauge (idle buffers included) stays within this.
    size_t idle_limit = size_t{2} << 20;
  };
  CompressionPool(Options options, MemoryGauge* gauge);
  ~CompressionPool() override;
  CompressionPool(const CompressionPool&) = delete;
  CompressionPool& operator=(const CompressionPool&) = delete;

  std::string TakeBuffer(size_t min_bytes) override;
  void Submit(std::shared_ptr<format::PendingBlock> block) override;
  void Release(std::string raw, size_t stored_capacity) override;

  // Blocks queued or being compressed.
  size_t backlog() const;
  // The size of a full block buffer, and of the buffer TakeBuffer returns for `min_bytes`.
  size_t buffer_bytes() const { return buffer_bytes_; }
  size_t ClassSize(size_t min_bytes) const;
  // Idle buffers kept for reuse, in bytes (counted in the gauge: subtract them to get the memory
  // in use).
  size_t free_bytes() const;
  // Frees idle buffers beyond the bytes TakeBuffer reused from them since the previous call (the
  // backup engine calls it every 10 s): a burst's buffers are kept while they are being reused
  // and given back once they are not.
  void TrimIdle();

 private:
  void Work();
  // Frees idle buffers, smallest first, until at most `keep` bytes are idle. Called with mu_ held.
  void FreeIdleDownTo(size_t keep);

  const Options options_;
  const size_t buffer_bytes_;
  MemoryGauge* gauge_;
  mutable std::mutex mu_;
  std::condition_variable work_cv_;   // workers wait for blocks
  std::condition_variable space_cv_;  // Submit waits for room in the queue
  std::deque<std::shared_ptr<format::PendingBlock>> queue_;
  size_t running_ = 0;
  std::vector<std::vector<std::string>> free_;  // by size class, smallest first
  size_t free_bytes_ = 0;
  size_t reused_bytes_ = 0;  // taken from the idle buffers since the last TrimIdle
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace kb::backup
