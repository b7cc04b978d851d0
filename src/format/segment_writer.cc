#include "format/segment_writer.h"

#include <lz4.h>
#include <xxhash.h>
#include <zstd.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <utility>

#include "format/block_codec.h"
#include "format/segment_seal.h"

namespace kb::format {
namespace {

using coding::EncodeFixed16;
using coding::EncodeFixed32;
using coding::EncodeFixed64;
using coding::EncodeVarint64;
using coding::VarintLength;

// Encoded length of a key / value / header value: 0 for null, size + 1 otherwise.
uint64_t NullableLength(const std::optional<std::string_view>& bytes) {
  return bytes ? bytes->size() + 1 : 0;
}

// Bytes of a record body that do not depend on the deltas: key, value and headers.
size_t FieldsSize(const RecordView& r) {
  size_t n = VarintLength(NullableLength(r.key)) + (r.key ? r.key->size() : 0) +
             VarintLength(NullableLength(r.value)) + (r.value ? r.value->size() : 0) +
             VarintLength(r.headers.size());
  for (const HeaderView& h : r.headers) {
    n += VarintLength(h.key.size()) + h.key.size() + VarintLength(NullableLength(h.value)) +
         (h.value ? h.value->size() : 0);
  }
  return n;
}

char* PutBytes(char* p, std::string_view bytes) {
  if (!bytes.empty()) std::memcpy(p, bytes.data(), bytes.size());
  return p + bytes.size();
}

char* PutNullable(char* p, const std::optional<std::string_view>& bytes) {
  p = EncodeVarint64(p, NullableLength(bytes));
  return bytes ? PutBytes(p, *bytes) : p;
}

}  // namespace

namespace internal {

size_t CompressedBound(Compression codec, size_t n) {
  if (codec == Compression::kLz4)
    return static_cast<size_t>(LZ4_compressBound(static_cast<int>(n)));
  return ZSTD_compressBound(n);
}

Result<size_t> CompressPayload(Compression codec, void* zstd_cctx, const char* src, size_t n,
                               char* dst, size_t capacity, std::string_view subject) {
  if (codec == Compression::kLz4) {
    // n <= kMaxBlockBytes (64 MiB), far below LZ4_MAX_INPUT_SIZE, so the ints do not overflow.
    const int size =
        LZ4_compress_default(src, dst, static_cast<int>(n), static_cast<int>(capacity));
    if (size <= 0) return Status::Permanent(subject, "LZ4 compression failed");
    return static_cast<size_t>(size);
  }
  const size_t size = ZSTD_compress2(static_cast<ZSTD_CCtx*>(zstd_cctx), dst, capacity, src, n);
  if (ZSTD_isError(size)) {
    return Status::Permanent(subject,
                             std::string("zstd compression failed: ") + ZSTD_getErrorName(size));
  }
  return size;
}

}  // namespace internal

Status ValidateWriterOptions(const WriterOptions& options) {
  if (options.codec != Compression::kNone && options.codec != Compression::kZstd &&
      options.codec != Compression::kLz4) {
    return Status::InvalidArgument(
        options.subject, "unknown codec " + std::to_string(static_cast<int>(options.codec)));
  }
  if (options.codec == Compression::kZstd &&
      (options.zstd_level < kMinZstdLevel || options.zstd_level > 19)) {
    return Status::InvalidArgument(
        options.subject, "zstd level " + std::to_string(options.zstd_level) +
                             " is out of range; use 0 (no compression), " +
                             std::to_string(kMinZstdLevel) + "..-1 (fast levels) or 1..19");
  }
  if (options.block_bytes < 1 || options.block_bytes > kMaxBlockBytes) {
    return Status::InvalidArgument(
        options.subject, "block size " + std::to_string(options.block_bytes) +
                             " bytes is out of range 1.." + std::to_string(kMaxBlockBytes));
  }
  return Status::OK();
}

void AppendFileHeader(std::string* out, uint16_t version) {
  char header[kFileHeaderSize] = {};
  std::memcpy(header, kMagic.data(), kMagic.size());
  EncodeFixed16(header + 8, version);
  EncodeFixed16(header + 10, static_cast<uint16_t>(~version));
  EncodeFixed32(header + 12, 0);  // reserved
  out->append(header, sizeof(header));
}

namespace {

// Writes the footer and trailer into `dst` (FooterAndTrailerSize bytes).
size_t FooterAndTrailerSize(const SegmentFooter& footer) {
  return kFooterFixedSize + kIndexEntrySize * footer.blocks.size() + kTrailerSize;
}

size_t FooterSize(const SegmentFooter& footer) {
  return kFooterFixedSize + kIndexEntrySize * footer.blocks.size();
}

void EncodeFooter(char* f, const SegmentFooter& footer) {
  EncodeFixed32(f, static_cast<uint32_t>(footer.blocks.size()));
  EncodeFixed32(f + 4, 0);  // reserved
  EncodeFixed64(f + 8, static_cast<uint64_t>(footer.first_offset));
  EncodeFixed64(f + 16, static_cast<uint64_t>(footer.last_offset));
  EncodeFixed64(f + 24, footer.record_count);
  EncodeFixed64(f + 32, static_cast<uint64_t>(footer.min_timestamp));
  EncodeFixed64(f + 40, static_cast<uint64_t>(footer.max_timestamp));
  char* e = f + kFooterFixedSize;
  for (const BlockIndexEntry& b : footer.blocks) {
    EncodeFixed64(e, static_cast<uint64_t>(b.first_offset));
    EncodeFixed64(e + 8, static_cast<uint64_t>(b.last_offset));
    EncodeFixed64(e + 16, static_cast<uint64_t>(b.min_timestamp));
    EncodeFixed64(e + 24, static_cast<uint64_t>(b.max_timestamp));
    EncodeFixed64(e + 32, b.position);
    EncodeFixed32(e + 40, b.length);
    EncodeFixed32(e + 44, b.record_count);
    e += kIndexEntrySize;
  }
}

void EncodeFooterAndTrailer(char* f, uint64_t footer_position, const SegmentFooter& footer,
                            uint16_t version) {
  const size_t footer_length = FooterSize(footer);
  EncodeFooter(f, footer);
  char* t = f + footer_length;
  EncodeFixed64(t, footer_position);
  EncodeFixed64(t + 8, footer_length);
  EncodeFixed64(t + 16, XXH3_64bits(f, footer_length));
  EncodeFixed32(t + 24, static_cast<uint32_t>(XXH3_64bits(t, 24)));
  EncodeFixed16(t + 28, version);
  EncodeFixed16(t + 30, static_cast<uint16_t>(~version));
  std::memcpy(t + 32, kMagic.data(), kMagic.size());
}

}  // namespace

void EncodeBlockHeader(char* block, uint32_t stored_size, Compression compression,
                       uint32_t uncompressed_size, uint32_t record_count, int64_t base_offset,
                       int64_t base_timestamp) {
  EncodeFixed32(block + 8, stored_size);
  EncodeFixed32(block + 12, uncompressed_size);
  EncodeFixed32(block + 16, record_count);
  block[20] = static_cast<char>(compression);
  block[21] = block[22] = block[23] = 0;  // reserved
  EncodeFixed64(block + 24, static_cast<uint64_t>(base_offset));
  EncodeFixed64(block + 32, static_cast<uint64_t>(base_timestamp));
  EncodeFixed64(block, XXH3_64bits(block + 8, kBlockHeaderSize - 8 + stored_size));
}

void AppendBlock(std::string* out, std::string_view stored_payload, Compression compression,
                 uint32_t uncompressed_size, uint32_t record_count, int64_t base_offset,
                 int64_t base_timestamp) {
  const size_t position = out->size();
  out->append(kBlockHeaderSize, '\0');
  out->append(stored_payload);
  EncodeBlockHeader(out->data() + position, static_cast<uint32_t>(stored_payload.size()),
                    compression, uncompressed_size, record_count, base_offset, base_timestamp);
}

void AppendFooterAndTrailer(std::string* out, const SegmentFooter& footer, uint16_t version) {
  AppendFooterAndTrailerAt(out, out->size(), footer, version);
}

void AppendFooterAndTrailerAt(std::string* out, uint64_t footer_position,
                              const SegmentFooter& footer, uint16_t version) {
  const size_t at = out->size();
  out->resize(at + FooterAndTrailerSize(footer));
  EncodeFooterAndTrailer(out->data() + at, footer_position, footer, version);
}

Status AppendSealedFooterAndTrailerAt(std::string* out, uint64_t footer_position,
                                      const SegmentFooter& footer, const crypto::Key& key,
                                      std::string_view segment_id, std::string_view bound_name,
                                      uint16_t version) {
  const size_t at = out->size();
  const size_t plain = FooterSize(footer);
  const size_t frame = plain + kFrameOverhead;
  out->resize(at + frame + kSealedTrailerSize);
  char* f = out->data() + at;
  EncodeFooter(f + kFrameHeaderSize, footer);
  KB_RETURN_IF_ERROR(SealFrame(key, FooterAad(segment_id, key.id, bound_name), f, plain));
  char* t = f + frame;
  std::memset(t, 0, kSealedTrailerSize);
  EncodeFixed64(t, footer_position);
  EncodeFixed64(t + 8, frame);
  EncodeFixed64(t + 16, XXH3_64bits(f, frame));
  std::memcpy(t + 24, segment_id.data(), kSegmentIdSize);
  std::memcpy(t + 40, key.check.data(), kKeyCheckSize);
  t[48] = 1;  // AES-256-GCM
  t[49] = static_cast<char>(key.id.size());
  std::memcpy(t + 52, key.id.data(), key.id.size());
  EncodeFixed32(t + 84, static_cast<uint32_t>(XXH3_64bits(t, 84)));
  EncodeFixed16(t + 88, version);
  EncodeFixed16(t + 90, static_cast<uint16_t>(~version));
  std::memcpy(t + 92, kMagic.data(), kMagic.size());
  return Status::OK();
}

void SegmentWriter::ZstdContextDeleter::operator()(void* cctx) const {
  ZSTD_freeCCtx(static_cast<ZSTD_CCtx*>(cctx));
}

Result<SegmentWriter> SegmentWriter::Create(WriterOptions options) {
  KB_RETURN_IF_ERROR(ValidateWriterOptions(options));
  SegmentWriter writer(std::move(options));
  KB_RETURN_IF_ERROR(writer.segment_id_status_);
  if (writer.codec_ == Compression::kZstd && !writer.deferred()) {
    ZSTD_CCtx* cctx = ZSTD_createCCtx();
    if (cctx == nullptr) {
      return Status::Permanent(writer.options_.subject, "cannot allocate a zstd context");
    }
    writer.cctx_.reset(cctx);
    const size_t rc =
        ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, writer.options_.zstd_level);
    if (ZSTD_isError(rc)) {
      return Status::Permanent(writer.options_.subject,
                               std::string("zstd rejected the level: ") + ZSTD_getErrorName(rc));
    }
  }
  return writer;
}

SegmentWriter::SegmentWriter(WriterOptions options) : options_(std::move(options)) {
  if (options_.keys) key_ = &options_.keys->current();
  codec_ = options_.codec == Compression::kZstd && options_.zstd_level == 0 ? Compression::kNone
                                                                            : options_.codec;
  version_ = SegmentVersion(key_ != nullptr, options_.codec == Compression::kLz4);
  Reset();
}
SegmentWriter::SegmentWriter(SegmentWriter&&) noexcept = default;
SegmentWriter& SegmentWriter::operator=(SegmentWriter&&) noexcept = default;
SegmentWriter::~SegmentWriter() = default;

void SegmentWriter::Reset() {
  out_.Truncate(0);
  if (deferred()) {  // the file header is laid out by PendingSegment::Assemble
    pending_.clear();
    settled_ = settled_bytes_ = unsettled_raw_bytes_ = 0;
  } else {
    AppendFileHeader(&out_);
  }
  if (key_ != nullptr) {
    segment_id_.assign(kSegmentIdSize, '\0');
    segment_id_status_ = crypto::RandomBytes(segment_id_.data(), segment_id_.size());
  }
  footer_ = SegmentFooter{};
  open_ = BlockIndexEntry{};
  open_header_count_ = 0;
  record_count_ = 0;
}

void SegmentWriter::AppendFileHeader(coding::StringBuilder* out) const {
  std::string header;
  format::AppendFileHeader(&header, version_);
  std::memcpy(out->Extend(header.size()), header.data(), header.size());
}

size_t SegmentWriter::buffered_bytes() const {
  const size_t blocks = footer_.blocks.size() + (open_.record_count > 0 ? 1 : 0);
  size_t closed = 0;
  if (deferred()) {
    // Blocks finish compressing roughly in order: move the done ones to the settled total.
    while (settled_ < pending_.size() && pending_[settled_]->done()) {
      settled_bytes_ += pending_[settled_]->size_estimate();
      unsettled_raw_bytes_ -= pending_[settled_]->raw_size;
      ++settled_;
    }
    closed = kFileHeaderSize + settled_bytes_ + unsettled_raw_bytes_;
  }
  if (key_ != nullptr) {
    return closed + out_.size() + kFooterFixedSize + kIndexEntrySize * blocks + kSealedTrailerSize +
           kFrameOverhead * (blocks + 1);
  }
  return closed + out_.size() + kFooterFixedSize + kIndexEntrySize * blocks + kTrailerSize;
}

Status SegmentWriter::Add(const Record& record) { return Add(record.View(&header_scratch_)); }

Status SegmentWriter::Add(const RecordView& r) {
  const std::string& subject = options_.subject;
  KB_RETURN_IF_ERROR(segment_id_status_);
  if (r.offset < 0) {
    return Status::InvalidArgument(subject,
                                   "record offset " + std::to_string(r.offset) + " is negative");
  }
  if (!empty() && r.offset <= last_offset_) {
    return Status::InvalidArgument(
        subject, "record offset " + std::to_string(r.offset) + " is not greater than offset " +
                     std::to_string(last_offset_) +
                     " before it; offsets must strictly increase within a segment");
  }
  if (static_cast<uint8_t>(r.timestamp_type) >
      static_cast<uint8_t>(TimestampType::kLogAppendTime)) {
    return Status::InvalidArgument(subject, "record at offset " + std::to_string(r.offset) +
                                                " has unknown timestamp type " +
                                                std::to_string(static_cast<int>(r.timestamp_type)));
  }
  const size_t fields = FieldsSize(r);
  auto body_size = [fields](uint64_t offset_delta, uint64_t timestamp_delta) {
    return 1 + VarintLength(offset_delta) + VarintLength(timestamp_delta) + fields;
  };
  auto encoded_size = [&body_size](uint64_t offset_delta, uint64_t timestamp_delta) {
    const size_t body = body_size(offset_delta, timestamp_delta);
    return VarintLength(body) + body;
  };
  // A record that opens a block has both deltas 0; that is the size the block limit applies to.
  if (encoded_size(0, 0) > kMaxBlockBytes) {
    return Status::InvalidArgument(
        subject, "record at offset " + std::to_string(r.offset) + " encodes to " +
                     std::to_string(encoded_size(0, 0)) + " bytes; the format's limit is " +
                     std::to_string(kMaxBlockBytes));
  }
  if (r.headers.size() > kMaxBlockHeaders) {
    return Status::InvalidArgument(subject, "record at offset " + std::to_string(r.offset) +
                                                " has " + std::to_string(r.headers.size()) +
                                                " headers; the format's limit is " +
                                                std::to_string(kMaxBlockHeaders));
  }
  uint64_t offset_delta = 0;
  uint64_t timestamp_delta = 0;
  bool close_open_block = false;
  if (open_.record_count > 0) {
    offset_delta = static_cast<uint64_t>(r.offset - open_.last_offset);
    timestamp_delta = coding::ZigZagEncode(static_cast<int64_t>(
        static_cast<uint64_t>(r.timestamp) - static_cast<uint64_t>(open_base_timestamp_)));
    const size_t open_bytes = out_.size() - open_position_ - kBlockHeaderSize;
    close_open_block =
        open_bytes + encoded_size(offset_delta, timestamp_delta) > options_.block_bytes ||
        open_.record_count >= kMaxBlockRecords ||
        open_header_count_ + r.headers.size() > kMaxBlockHeaders;
  }
  if (open_.record_count == 0 || close_open_block) {
    const size_t blocks = footer_.blocks.size() + (open_.record_count > 0 ? 1 : 0);
    if (blocks >= kMaxBlockCount) {
      return Status::InvalidArgument(subject, "segment already has " +
                                                  std::to_string(kMaxBlockCount) +
                                                  " blocks, the format's limit; finish it first");
    }
  }
  if (close_open_block) {
    KB_RETURN_IF_ERROR(FlushBlock());
    offset_delta = 0;
    timestamp_delta = 0;
  }
  if (open_.record_count == 0) {
    if (deferred()) {
      if (!out_.has_storage()) {
        out_.Adopt(options_.compressor->TakeBuffer(
            std::max(last_block_bytes_, kBlockHeaderSize + encoded_size(0, 0))));
      }
    } else if (record_count_ == 0) {
      out_.Reserve(size_hint_);  // the last segment's size, in one step
    }
    open_position_ = out_.size();
    ExtendOpen(kBlockHeaderSize);  // filled in by FlushBlock
    open_.first_offset = r.offset;
    open_.min_timestamp = r.timestamp;
    open_.max_timestamp = r.timestamp;
    open_base_timestamp_ = r.timestamp;
  }

  char* p = ExtendOpen(encoded_size(offset_delta, timestamp_delta));
  p = EncodeVarint64(p, body_size(offset_delta, timestamp_delta));
  *p++ = static_cast<char>(r.timestamp_type);
  p = EncodeVarint64(p, offset_delta);
  p = EncodeVarint64(p, timestamp_delta);
  p = PutNullable(p, r.key);
  p = PutNullable(p, r.value);
  p = EncodeVarint64(p, r.headers.size());
  for (const HeaderView& h : r.headers) {
    p = EncodeVarint64(p, h.key.size());
    p = PutBytes(p, h.key);
    p = PutNullable(p, h.value);
  }

  open_.last_offset = r.offset;
  open_.min_timestamp = std::min(open_.min_timestamp, r.timestamp);
  open_.max_timestamp = std::max(open_.max_timestamp, r.timestamp);
  ++open_.record_count;
  open_header_count_ += r.headers.size();
  if (record_count_ == 0) {
    first_offset_ = r.offset;
    min_timestamp_ = r.timestamp;
    max_timestamp_ = r.timestamp;
  }
  last_offset_ = r.offset;
  min_timestamp_ = std::min(min_timestamp_, r.timestamp);
  max_timestamp_ = std::max(max_timestamp_, r.timestamp);
  ++record_count_;
  return Status::OK();
}

Status SegmentWriter::FlushBlock() {
  if (open_.record_count == 0) return Status::OK();
  if (deferred()) {
    auto block = std::make_shared<PendingBlock>(options_.compressor);
    block->raw_size = out_.size();
    last_block_bytes_ = out_.size();
    block->raw = out_.TakeStorage();
    block->codec = codec_;
    block->level = codec_ == Compression::kZstd ? options_.zstd_level : 0;
    block->record_count = open_.record_count;
    block->base_offset = open_.first_offset;
    block->base_timestamp = open_base_timestamp_;
    block->subject = options_.subject;
    block->key = key_;
    block->segment_id = segment_id_;
    block->index = static_cast<uint32_t>(footer_.blocks.size());
    unsettled_raw_bytes_ += block->raw_size;
    footer_.blocks.push_back(open_);  // position and length are set by Assemble
    pending_.push_back(block);
    open_ = BlockIndexEntry{};
    open_header_count_ = 0;
    options_.compressor->Submit(std::move(block));
    return Status::OK();
  }
  const uint64_t position = open_position_;
  const size_t raw_size = out_.size() - position - kBlockHeaderSize;
  Compression compression = Compression::kNone;
  size_t stored_size = raw_size;
  if (codec_ != Compression::kNone) {
    const size_t bound = internal::CompressedBound(codec_, raw_size);
    compressed_.clear();
    compressed_.reserve(bound);
    const char* raw = out_.data() + position + kBlockHeaderSize;
    KB_ASSIGN_OR_RETURN(const size_t n,
                        internal::CompressPayload(codec_, cctx_.get(), raw, raw_size,
                                                  compressed_.data(), bound, options_.subject));
    if (n < raw_size) {  // otherwise keep the block as is: smaller and faster to read
      compression = codec_;
      stored_size = n;
      std::memcpy(out_.data() + position + kBlockHeaderSize, compressed_.data(), n);
      out_.Truncate(position + kBlockHeaderSize + n);
    }
  }
  EncodeBlockHeader(out_.data() + position, static_cast<uint32_t>(stored_size), compression,
                    static_cast<uint32_t>(raw_size), open_.record_count, open_.first_offset,
                    open_base_timestamp_);

  size_t length = kBlockHeaderSize + stored_size;
  if (key_ != nullptr) {  // into its frame
    out_.Extend(kFrameOverhead);
    char* b = out_.data() + position;
    std::memmove(b + kFrameHeaderSize, b, length);
    KB_RETURN_IF_ERROR(SealFrame(
        *key_, BlockAad(segment_id_, static_cast<uint32_t>(footer_.blocks.size())), b, length));
    length += kFrameOverhead;
  }
  open_.position = position;
  open_.length = static_cast<uint32_t>(length);
  footer_.blocks.push_back(open_);
  open_ = BlockIndexEntry{};
  open_header_count_ = 0;
  return Status::OK();
}

Result<std::string> SegmentWriter::Finish(std::string_view object_key) {
  if (deferred()) {
    KB_ASSIGN_OR_RETURN(PendingSegment segment, FinishPending(object_key));
    return segment.Assemble();
  }
  if (empty()) {
    return Status::InvalidArgument(options_.subject,
                                   "a segment must hold at least one record; nothing to finish");
  }
  if (key_ != nullptr && object_key.empty()) {
    return Status::InvalidArgument(options_.subject,
                                   "an encrypted segment is finished with its object key");
  }
  KB_RETURN_IF_ERROR(FlushBlock());

  footer_.first_offset = first_offset_;
  footer_.last_offset = last_offset_;
  footer_.record_count = record_count_;
  footer_.min_timestamp = min_timestamp_;
  footer_.max_timestamp = max_timestamp_;
  const uint64_t footer_position = out_.size();
  if (key_ != nullptr) {
    std::string tail;
    KB_RETURN_IF_ERROR(AppendSealedFooterAndTrailerAt(
        &tail, footer_position, footer_, *key_, segment_id_, BoundName(object_key), version_));
    std::memcpy(out_.Extend(tail.size()), tail.data(), tail.size());
  } else {
    EncodeFooterAndTrailer(out_.Extend(FooterAndTrailerSize(footer_)), footer_position, footer_,
                           version_);
  }
  size_hint_ = out_.size();
  std::string object = out_.Release();
  Reset();
  return object;
}

char* SegmentWriter::ExtendOpen(size_t n) {
  if (deferred() && out_.size() + n > out_.capacity()) {
    std::string bigger = options_.compressor->TakeBuffer(out_.size() + n);
    if (out_.size() > 0) std::memcpy(bigger.data(), out_.data(), out_.size());
    const size_t used = out_.size();
    options_.compressor->Release(out_.TakeStorage(), 0);
    out_.Adopt(std::move(bigger));
    out_.Extend(used);
  }
  return out_.Extend(n);
}

Result<PendingSegment> SegmentWriter::FinishPending(std::string_view object_key) {
  if (!deferred()) {
    return Status::InvalidArgument(options_.subject, "FinishPending needs a block compressor");
  }
  if (empty()) {
    return Status::InvalidArgument(options_.subject,
                                   "a segment must hold at least one record; nothing to finish");
  }
  if (key_ != nullptr && object_key.empty()) {
    return Status::InvalidArgument(options_.subject,
                                   "an encrypted segment is finished with its object key");
  }
  KB_RETURN_IF_ERROR(FlushBlock());
  PendingSegment segment;
  segment.subject = options_.subject;
  segment.version = version_;
  segment.key = key_;
  segment.segment_id = segment_id_;
  segment.bound_name = std::string(BoundName(object_key));
  segment.blocks = std::move(pending_);
  segment.footer = std::move(footer_);
  segment.footer.first_offset = first_offset_;
  segment.footer.last_offset = last_offset_;
  segment.footer.record_count = record_count_;
  segment.footer.min_timestamp = min_timestamp_;
  segment.footer.max_timestamp = max_timestamp_;
  pending_ = {};
  Reset();
  return segment;
}

}  // namespace kb::format
