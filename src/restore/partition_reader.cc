#include "restore/partition_reader.h"

#include <algorithm>

#include "catalog/store_problem.h"

namespace kb::restore {

class PartitionReader::BlockPool : public std::enable_shared_from_this<BlockPool> {
 public:
  // A block to decode into: a released one when there is one, else a new one. Its deleter gives
  // it back to this pool (which it keeps alive).
  std::shared_ptr<format::DecodedBlock> Take() {
    std::unique_ptr<format::DecodedBlock> b;
    {
      std::lock_guard lock(mu_);
      if (!free_.empty()) {
        b = std::move(free_.back());
        free_.pop_back();
      }
    }
    if (!b) b = std::make_unique<format::DecodedBlock>();
    return std::shared_ptr<format::DecodedBlock>(
        b.release(), [pool = shared_from_this()](format::DecodedBlock* p) { pool->Give(p); });
  }

 private:
  static constexpr size_t kMaxFree = 8;
  void Give(format::DecodedBlock* p) {
    std::unique_ptr<format::DecodedBlock> b(p);
    std::lock_guard lock(mu_);
    if (free_.size() < kMaxFree) free_.push_back(std::move(b));
  }
  std::mutex mu_;
  std::vector<std::unique_ptr<format::DecodedBlock>> free_;
};

PartitionReader::PartitionReader(const PartitionPlan& plan, const RestoreSelection& selection,
                                 bool skip_corrupt)
    : plan_(plan),
      selection_(selection),
      skip_corrupt_(skip_corrupt),
      pool_(std::make_shared<BlockPool>()) {}

Result<bool> PartitionReader::LoadNextBlock() {
  while (segment_ < plan_.segments.size()) {
    const SegmentPlan& seg = plan_.segments[segment_];
    if (next_block_ >= seg.blocks.size()) {
      ++segment_;
      next_block_ = 0;
      continue;
    }
    const size_t index = seg.blocks[next_block_++];
    const format::BlockIndexEntry& entry = seg.reader->footer().blocks[index];
    if (entry.last_offset <= after_) continue;  // already restored: not even read
    std::shared_ptr<format::DecodedBlock> block = pool_->Take();
    record_ = 0;
    Status s = seg.reader->ReadBlock(index, block.get());
    block_ = std::move(block);
    if (s.ok()) {
      bytes_read_ += entry.length;
      return true;
    }
    if (!catalog::IsDataProblem(s)) return s;
    const OffsetRange allowed =
        selection_.RangeOf(plan_.partition).value_or(OffsetRange{0, INT64_MAX});
    const int64_t first = std::max({entry.first_offset, allowed.first, after_ + 1});
    const int64_t last = std::min(entry.last_offset, allowed.last);
    if (!skip_corrupt_) {
      return Status::Corruption(
          seg.key, "block of offsets " + std::to_string(entry.first_offset) + "-" +
                       std::to_string(entry.last_offset) + " of " + plan_.source_topic + "/" +
                       std::to_string(plan_.partition) + " cannot be read: " + s.ToString());
    }
    skipped_.push_back({first, last, seg.key, s.ToString()});
  }
  return false;
}

Result<const format::RecordView*> PartitionReader::Next() {
  for (;;) {
    while (block_ != nullptr && record_ < block_->size()) {
      const format::RecordView& r = (*block_)[record_++];
      if (r.offset <= after_) continue;
      if (!selection_.Selects(plan_.partition, r.offset, r.timestamp)) continue;
      if (selection_.Excludes(r.key)) {
        ++excluded_;
        continue;
      }
      return &r;
    }
    KB_ASSIGN_OR_RETURN(bool loaded, LoadNextBlock());
    if (!loaded) return static_cast<const format::RecordView*>(nullptr);
  }
}

}  // namespace kb::restore
