#include "backup/compression_pool.h"

#include <zstd.h>

#include <algorithm>

#include "format/segment_layout.h"

namespace kb::backup {
namespace {

struct CctxDeleter {
  void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
};

}  // namespace

constexpr size_t kSmallestClass = size_t{8} << 10;

format::Compression SegmentCodec(BackupConfig::Codec codec) {
  switch (codec) {
    case BackupConfig::Codec::kZstd:
      return format::Compression::kZstd;
    case BackupConfig::Codec::kLz4:
      return format::Compression::kLz4;
    case BackupConfig::Codec::kNone:
      break;
  }
  return format::Compression::kNone;
}

CompressionPool::CompressionPool(Options options, MemoryGauge* gauge)
    : options_(options),
      // A block closes before a record would overflow it; only a record larger than a block
      // needs more, and gets a buffer of its own.
      buffer_bytes_(format::kBlockHeaderSize + options.block_bytes),
      gauge_(gauge) {
  size_t classes = 1;
  for (size_t c = kSmallestClass; c < buffer_bytes_; c *= 2) ++classes;
  free_.resize(classes);
  for (int i = 0; i < options_.threads; ++i) workers_.emplace_back([this] { Work(); });
}

CompressionPool::~CompressionPool() {
  std::deque<std::shared_ptr<format::PendingBlock>> dropped;
  {
    std::unique_lock<std::mutex> lock(mu_);
    stopping_ = true;
    dropped.swap(queue_);
  }
  work_cv_.notify_all();
  space_cv_.notify_all();
  for (std::thread& t : workers_) t.join();
  for (auto& block : dropped) {
    block->Done(Status::Cancelled(block->subject, "the compression pool was shut down"));
  }
  dropped.clear();  // their buffers come back through Release
  std::lock_guard<std::mutex> lock(mu_);
  gauge_->Sub(free_bytes_);
  free_.clear();
  free_bytes_ = 0;
}

size_t CompressionPool::ClassSize(size_t min_bytes) const {
  if (min_bytes > buffer_bytes_) return min_bytes;  // a record larger than a block
  size_t c = kSmallestClass;
  while (c < min_bytes) c *= 2;
  return std::min(c, buffer_bytes_);
}

size_t CompressionPool::free_bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return free_bytes_;
}

void CompressionPool::FreeIdleDownTo(size_t keep) {
  for (auto& list : free_) {
    while (!list.empty() && free_bytes_ > keep) {
      const size_t size = list.back().size();
      list.pop_back();
      free_bytes_ -= size;
      gauge_->Sub(size);
    }
  }
}

void CompressionPool::TrimIdle() {
  std::lock_guard<std::mutex> lock(mu_);
  FreeIdleDownTo(reused_bytes_);
  reused_bytes_ = 0;
}

std::string CompressionPool::TakeBuffer(size_t min_bytes) {
  const size_t size = ClassSize(min_bytes);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (size <= buffer_bytes_) {
      // The smallest idle buffer that is large enough.
      for (auto& list : free_) {
        if (!list.empty() && list.back().size() >= size) {
          std::string b = std::move(list.back());
          list.pop_back();
          free_bytes_ -= b.size();
          reused_bytes_ += b.size();
          return b;
        }
      }
    }
    // Make room within idle_limit for the new buffer.
    const uint64_t total = gauge_->bytes() + size;
    if (total > options_.idle_limit) {
      const uint64_t over = total - options_.idle_limit;
      FreeIdleDownTo(free_bytes_ > over ? free_bytes_ - over : 0);
    }
  }
  gauge_->Add(size);
  gauge_->NotePeak();
  // Zero-filled once here; from then on the buffer is reused without clearing.
  return std::string(size, '\0');
}

void CompressionPool::Release(std::string raw, size_t stored_capacity) {
  if (stored_capacity > 0) gauge_->Sub(stored_capacity);
  if (raw.empty()) return;
  const size_t size = raw.size();
  if (size <= buffer_bytes_) {
    std::lock_guard<std::mutex> lock(mu_);
    // The gauge counts this buffer already: keeping it idle adds nothing.
    if (!stopping_ && gauge_->bytes() <= options_.idle_limit) {
      size_t cls = 0;
      for (size_t c = kSmallestClass; c < size && cls + 1 < free_.size(); c *= 2) ++cls;
      free_[cls].push_back(std::move(raw));
      free_bytes_ += size;
      return;
    }
  }
  gauge_->Sub(size);
}

void CompressionPool::Submit(std::shared_ptr<format::PendingBlock> block) {
  if (!block->compresses() || options_.threads == 0) {
    thread_local std::unique_ptr<ZSTD_CCtx, CctxDeleter> cctx;
    thread_local format::coding::Buffer scratch;
    const bool zstd = block->codec == format::Compression::kZstd;
    if (zstd && !cctx) cctx.reset(ZSTD_createCCtx());
    Status s = zstd && !cctx ? Status::Permanent(block->subject, "cannot allocate a zstd context")
                             : block->Compress(cctx.get(), &scratch);
    gauge_->Add(block->stored_capacity());
    gauge_->NotePeak();
    block->Done(std::move(s));
    return;
  }
  {
    std::unique_lock<std::mutex> lock(mu_);
    space_cv_.wait(lock, [this] { return stopping_ || queue_.size() < options_.max_queued; });
    if (!stopping_) {
      queue_.push_back(std::move(block));
      work_cv_.notify_one();
      return;
    }
  }
  block->Done(Status::Cancelled(block->subject, "the compression pool was shut down"));
}

size_t CompressionPool::backlog() const {
  std::lock_guard<std::mutex> lock(mu_);
  return queue_.size() + running_;
}

void CompressionPool::Work() {
  std::unique_ptr<ZSTD_CCtx, CctxDeleter> cctx(ZSTD_createCCtx());
  format::coding::Buffer scratch;
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    work_cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (stopping_) return;
    std::shared_ptr<format::PendingBlock> block = std::move(queue_.front());
    queue_.pop_front();
    ++running_;
    space_cv_.notify_one();
    lock.unlock();
    Status s = cctx ? block->Compress(cctx.get(), &scratch)
                    : Status::Permanent(block->subject, "cannot allocate a zstd context");
    gauge_->Add(block->stored_capacity());
    gauge_->NotePeak();
    block->Done(std::move(s));
    block.reset();
    lock.lock();
    --running_;
  }
}

}  // namespace kb::backup
