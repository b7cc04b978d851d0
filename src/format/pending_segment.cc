// PendingBlock and PendingSegment: SegmentWriter's deferred-compression mode (segment_writer.h).
#include <zstd.h>

#include <cstring>
#include <string>
#include <utility>

#include "format/block_codec.h"
#include "format/segment_seal.h"
#include "format/segment_writer.h"

namespace kb::format {

PendingBlock::~PendingBlock() {
  if (owner_ != nullptr) owner_->Release(std::move(raw), compressed_.capacity());
}

Status PendingBlock::Compress(void* cctx, coding::Buffer* scratch) {
  const size_t payload = raw_size - kBlockHeaderSize;
  if (codec != Compression::kNone) {
    if (codec == Compression::kZstd) {
      auto* zcctx = static_cast<ZSTD_CCtx*>(cctx);
      size_t rc = ZSTD_CCtx_setParameter(zcctx, ZSTD_c_compressionLevel, level);
      if (ZSTD_isError(rc)) {
        return Status::Permanent(subject,
                                 std::string("zstd rejected the level: ") + ZSTD_getErrorName(rc));
      }
    }
    const size_t bound = internal::CompressedBound(codec, payload);
    scratch->clear();
    char* out = scratch->Extend(kBlockHeaderSize + bound);
    KB_ASSIGN_OR_RETURN(const size_t n,
                        internal::CompressPayload(codec, cctx, raw.data() + kBlockHeaderSize,
                                                  payload, out + kBlockHeaderSize, bound, subject));
    if (n < payload) {  // otherwise keep the block as is: smaller and faster to read
      EncodeBlockHeader(out, static_cast<uint32_t>(n), codec, static_cast<uint32_t>(payload),
                        record_count, base_offset, base_timestamp);
      compressed_.assign(out, kBlockHeaderSize + n);
      if (owner_ != nullptr) owner_->Release(std::move(raw), 0);
      raw = std::string();
      return Seal();
    }
  }
  EncodeBlockHeader(raw.data(), static_cast<uint32_t>(payload), Compression::kNone,
                    static_cast<uint32_t>(payload), record_count, base_offset, base_timestamp);
  return Seal();
}

Status PendingBlock::Seal() {
  if (key == nullptr) return Status::OK();
  char* block = compressed_.empty() ? raw.data() : compressed_.data();
  const size_t n = compressed_.empty() ? raw_size : compressed_.size();
  KB_RETURN_IF_ERROR(
      SealFrameParts(*key, BlockAad(segment_id, index), frame_head_, block, n, frame_tag_));
  sealed_ = true;
  return Status::OK();
}

void PendingBlock::AppendParts(std::vector<std::string_view>* parts) const {
  if (!sealed_) {
    parts->push_back(stored());
    return;
  }
  parts->push_back(std::string_view(frame_head_, sizeof(frame_head_)));
  parts->push_back(stored());
  parts->push_back(std::string_view(frame_tag_, sizeof(frame_tag_)));
}

void PendingBlock::Done(Status status) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    status_ = std::move(status);
    done_flag_.store(true, std::memory_order_release);
  }
  cv_.notify_all();
}

Status PendingBlock::Wait() {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [this] { return done_flag_.load(std::memory_order_acquire); });
  return status_;
}

std::string_view PendingBlock::stored() const {
  if (!compressed_.empty()) return compressed_;
  return std::string_view(raw.data(), raw_size);
}

Result<std::string> PendingSegment::Assemble() {
  KB_RETURN_IF_ERROR(WaitForBlocks());
  return Build();
}

Status PendingSegment::WaitForBlocks() {
  for (const auto& block : blocks) KB_RETURN_IF_ERROR(block->Wait());
  return Status::OK();
}

size_t PendingSegment::object_size() const {
  size_t total = kFileHeaderSize + kFooterFixedSize + kIndexEntrySize * footer.blocks.size() +
                 (key != nullptr ? kFrameOverhead + kSealedTrailerSize : kTrailerSize);
  for (const auto& block : blocks) total += block->object_bytes();
  return total;
}

Result<std::vector<std::string_view>> PendingSegment::Parts(std::string* frame) {
  frame->clear();
  format::AppendFileHeader(frame, version);
  const size_t header = frame->size();
  uint64_t position = header;
  for (size_t i = 0; i < blocks.size(); ++i) {
    const size_t length = blocks[i]->object_bytes();
    footer.blocks[i].position = position;
    footer.blocks[i].length = static_cast<uint32_t>(length);
    position += length;
  }
  if (key != nullptr) {
    KB_RETURN_IF_ERROR(AppendSealedFooterAndTrailerAt(frame, position, footer, *key, segment_id,
                                                      bound_name, version));
  } else {
    AppendFooterAndTrailerAt(frame, position, footer, version);
  }
  std::vector<std::string_view> parts;
  parts.reserve(3 * blocks.size() + 2);
  parts.push_back(std::string_view(*frame).substr(0, header));
  for (const auto& block : blocks) block->AppendParts(&parts);
  parts.push_back(std::string_view(*frame).substr(header));
  return parts;
}

Result<std::string> PendingSegment::Build() {
  std::string frame;
  KB_ASSIGN_OR_RETURN(const std::vector<std::string_view> parts, Parts(&frame));
  std::string object;
  object.reserve(object_size());
  for (std::string_view part : parts) object.append(part);
  blocks.clear();  // gives their buffers back
  return object;
}

}  // namespace kb::format
