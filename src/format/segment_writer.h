// SegmentWriter builds one backup segment (docs/format.md) in memory: records of one partition in
// strictly increasing offset order go in through Add, and Finish returns the bytes of the whole
// object, ready for ObjectStore::Put.
//
// Records are packed into blocks of about WriterOptions::block_bytes uncompressed bytes (a block
// closes when the next record would overflow it; a record larger than that forms a block of its
// own), and each closed block is compressed right away, in place: the writer holds the compressed
// blocks so far plus the open block uncompressed, in one buffer sized from the previous segment so
// that it rarely grows. Blocks are compressed with zstd (the default), LZ4 or not at all
// (WriterOptions::codec); a block the codec cannot shrink is stored uncompressed. A writer with
// codec LZ4 writes segments of format version 3 (4 when encrypted), the others version 1 (2).
//
// Ownership: Add copies the record's bytes; the caller's buffers may be reused as soon as it
// returns. The writer owns its buffers and a zstd context (codec zstd); reuse one writer for many
// segments.
//
// Failure contract: Add returns InvalidArgument (and keeps the writer unchanged) for a record the
// format cannot hold: offset negative or not greater than the previous one, unknown timestamp
// type, an encoded record larger than kMaxBlockBytes, more than kMaxBlockHeaders headers, or a
// segment that already has kMaxBlockCount blocks. Finish returns InvalidArgument for a
// segment without records (the format has no empty segments); an internal zstd or LZ4 failure is
// Permanent. The subject of every error is WriterOptions::subject.
//
// Deferred compression (WriterOptions::compressor set): Add only encodes records; each closed
// block goes to the BlockCompressor (e.g. a pool of threads) in its own buffer, and the segment is
// finished with FinishPending, whose PendingSegment::Assemble (on any thread) waits for the blocks
// and lays out the object. The bytes are exactly those the in-place mode writes.
//
// Thread-safety: none; one writer per thread. A PendingSegment may move to another thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "crypto/key_ring.h"
#include "format/coding.h"
#include "format/record.h"
#include "format/segment_layout.h"

namespace kb::format {

class BlockCompressor;

struct WriterOptions {
  // With codec kZstd: 0 = store blocks uncompressed; kMinZstdLevel..-1 = zstd's fast levels;
  // 1..19 = zstd level. Not used with the other codecs.
  int zstd_level = 3;
  size_t block_bytes = size_t{256} << 10;  // target uncompressed block size, 1..kMaxBlockBytes
  std::string subject = "segment";         // names the segment in errors, e.g. "orders/3"
  // Deferred compression (see above) when set; must outlive the writer and its PendingSegments.
  BlockCompressor* compressor = nullptr;
  // Encryption at rest when set: segments are written in format version 2, every block and the
  // footer sealed with keys->current() (docs/format.md, "Encrypted segments").
  std::shared_ptr<const crypto::KeyRing> keys;
  // How blocks are compressed: kZstd (at zstd_level), kLz4 (one raw LZ4 block, default
  // acceleration; the segment is then format version 3, or 4 encrypted) or kNone.
  Compression codec = Compression::kZstd;
};

// The fastest zstd level WriterOptions accepts (zstd's "--fast=7").
inline constexpr int kMinZstdLevel = -7;

// A closed block on its way through a BlockCompressor. The writer fills the input fields and
// submits it; the compressor calls Compress (any thread) and then Done. Destroying the block gives
// its buffers back to the compressor (BlockCompressor::Release).
class PendingBlock {
 public:
  explicit PendingBlock(BlockCompressor* owner) : owner_(owner) {}
  ~PendingBlock();
  PendingBlock(const PendingBlock&) = delete;
  PendingBlock& operator=(const PendingBlock&) = delete;

  // Input. raw[0, kBlockHeaderSize) is room for the block header, raw[kBlockHeaderSize, raw_size)
  // the encoded records; raw.size() may be larger (a recycled buffer).
  std::string raw;
  size_t raw_size = 0;
  Compression codec = Compression::kNone;  // kNone = store as is
  int level = 0;                           // zstd level (codec kZstd), never 0
  uint32_t record_count = 0;
  int64_t base_offset = 0;
  int64_t base_timestamp = 0;
  std::string subject;
  // Encrypted segments: the key, the segment's id and this block's index (segment_seal.h).
  const crypto::Key* key = nullptr;
  std::string segment_id;
  uint32_t index = 0;

  // Compresses (zstd with `cctx`, a ZSTD_CCtx*, at `level`; LZ4; cctx is used by zstd only) and
  // writes the block header, then seals the block when `key` is set. A block the codec cannot
  // shrink (and is not sealed) stays in `raw`; otherwise `raw` is given back to the owner at once.
  // `scratch` is the caller's reusable output space.
  Status Compress(void* cctx, coding::Buffer* scratch);
  // Publishes the result of Compress (or a failure) to Wait and stored_size.
  void Done(Status status);
  // Blocks until Done; returns its status.
  Status Wait();
  bool done() const { return done_flag_.load(std::memory_order_acquire); }
  // False when Compress has nothing to compress (codec kNone): it only writes the header.
  bool compresses() const { return codec != Compression::kNone; }
  // Header + stored payload; valid after a successful Done.
  std::string_view stored() const;
  // The block as written to the object: stored(), inside its frame when sealed (frame header,
  // stored() encrypted in place, tag); valid after a successful Done. Appends 1 or 3 views.
  void AppendParts(std::vector<std::string_view>* parts) const;
  size_t object_bytes() const { return stored().size() + (sealed_ ? kFrameOverhead : 0); }
  // Bytes of the block in the object once done, else raw_size.
  size_t size_estimate() const { return done() ? object_bytes() : raw_size; }
  // Bytes held beyond `raw` (the compressed copy).
  size_t stored_capacity() const { return compressed_.capacity(); }

 private:
  Status Seal();  // stored() in place, when `key` is set

  BlockCompressor* owner_;
  // Header + compressed payload; empty when the block is stored as is.
  std::string compressed_;
  // Sealed blocks: stored() is ciphertext, between this frame header and tag.
  bool sealed_ = false;
  char frame_head_[kFrameHeaderSize] = {};
  char frame_tag_[kFrameOverhead - kFrameHeaderSize] = {};
  std::mutex mu_;
  std::condition_variable cv_;
  std::atomic<bool> done_flag_{false};
  Status status_;
};

// Where a deferred-mode SegmentWriter gets block buffers and sends closed blocks.
// Thread-safety: implementations must accept calls from any thread.
class BlockCompressor {
 public:
  virtual ~BlockCompressor() = default;
  // A buffer for an open block with room for at least `min_bytes`: its size() is the usable
  // space, contents unspecified.
  virtual std::string TakeBuffer(size_t min_bytes) = 0;
  // Takes the closed block; compresses it now or later on another thread, then calls Done.
  virtual void Submit(std::shared_ptr<PendingBlock> block) = 0;
  // From ~PendingBlock and PendingBlock::Compress: `raw` (possibly empty) comes back, and a
  // compressed copy of `stored_capacity` bytes (0 if none) was freed.
  virtual void Release(std::string raw, size_t stored_capacity) = 0;
};

// A finished segment whose blocks may still be compressing. Movable; Assemble on any thread.
struct PendingSegment {
  std::string subject;
  uint16_t version = kPlainFormatVersion;  // format version (segment_layout.h SegmentVersion)
  // Encrypted segments (see SealedSegment in segment_seal.h): key, segment id and bound name.
  const crypto::Key* key = nullptr;
  std::string segment_id;
  std::string bound_name;
  std::vector<std::shared_ptr<PendingBlock>> blocks;
  SegmentFooter footer;  // segment facts set; the blocks' position and length set by Assemble
  // Waits for every block, then returns the whole object (as SegmentWriter::Finish would) and
  // drops the blocks. A block's compression failure is returned. Assemble = WaitForBlocks, then
  // Build; a caller that counts memory can read object_size() in between.
  Result<std::string> Assemble();
  Status WaitForBlocks();
  size_t object_size() const;   // after WaitForBlocks
  Result<std::string> Build();  // after a successful WaitForBlocks
  // The object without copying it together (after a successful WaitForBlocks): the file header,
  // each block's stored bytes in place, then the footer and trailer. Header and footer are built
  // into `frame`; the views are valid while `frame` and this PendingSegment's blocks live
  // (ObjectStore::PutParts writes them).
  Result<std::vector<std::string_view>> Parts(std::string* frame);
};

// Checks the ranges documented in WriterOptions.
Status ValidateWriterOptions(const WriterOptions& options);

// Low-level pieces SegmentWriter is made of, for tools and tests that craft segments byte by byte.
// They append exactly the bytes docs/format.md describes and check nothing.
void AppendFileHeader(std::string* out, uint16_t version = kPlainFormatVersion);
// A block header (checksum included) followed by `stored_payload`.
void AppendBlock(std::string* out, std::string_view stored_payload, Compression compression,
                 uint32_t uncompressed_size, uint32_t record_count, int64_t base_offset,
                 int64_t base_timestamp);
// Fills the block header at `block` (kBlockHeaderSize bytes, followed by `stored_size` bytes of
// stored payload), checksum included.
void EncodeBlockHeader(char* block, uint32_t stored_size, Compression compression,
                       uint32_t uncompressed_size, uint32_t record_count, int64_t base_offset,
                       int64_t base_timestamp);
// The footer for `footer` (its position is out->size()) followed by the trailer.
void AppendFooterAndTrailer(std::string* out, const SegmentFooter& footer,
                            uint16_t version = kPlainFormatVersion);
// The same bytes for a footer at `footer_position` of an object that is not `out` (one written
// in parts: PendingSegment::Parts).
void AppendFooterAndTrailerAt(std::string* out, uint64_t footer_position,
                              const SegmentFooter& footer, uint16_t version = kPlainFormatVersion);
// Version 2: the footer sealed in its frame at `footer_position`, then the 100-byte trailer.
// Version 4 (LZ4 blocks allowed) is the same with `version` 4.
Status AppendSealedFooterAndTrailerAt(std::string* out, uint64_t footer_position,
                                      const SegmentFooter& footer, const crypto::Key& key,
                                      std::string_view segment_id, std::string_view bound_name,
                                      uint16_t version = kSealedFormatVersion);

class SegmentWriter {
 public:
  static Result<SegmentWriter> Create(WriterOptions options);

  SegmentWriter(SegmentWriter&&) noexcept;
  SegmentWriter& operator=(SegmentWriter&&) noexcept;
  ~SegmentWriter();

  Status Add(const RecordView& record);
  Status Add(const Record& record);

  // Records added since the writer was created or last finished.
  uint64_t record_count() const { return record_count_; }
  bool empty() const { return record_count_ == 0; }
  // Size the object would have if finished now (exact for closed blocks, the open block counted
  // uncompressed); use it to decide when to roll to a new segment.
  size_t buffered_bytes() const;
  // Offsets of the first and last record added; -1 when empty.
  int64_t first_offset() const { return empty() ? -1 : first_offset_; }
  int64_t last_offset() const { return empty() ? -1 : last_offset_; }

  // Closes the last block, appends footer and trailer, and returns the whole object. The writer is
  // then empty and ready for the next segment. In deferred mode this waits for the compressor.
  // `object_key` is the key the segment will be stored under; an encrypted segment's footer is
  // bound to it (InvalidArgument when encrypting without it).
  Result<std::string> Finish(std::string_view object_key = {});
  // Deferred mode only (InvalidArgument otherwise): closes the last block and returns the segment
  // without waiting for its blocks; the writer is then empty and ready for the next segment.
  Result<PendingSegment> FinishPending(std::string_view object_key = {});

 private:
  struct ZstdContextDeleter {
    void operator()(void* cctx) const;
  };

  explicit SegmentWriter(WriterOptions options);
  Status FlushBlock();
  void Reset();
  // out_.Extend, except that in deferred mode a full buffer is swapped for a larger one from the
  // compressor (buffers are recycled, never regrown in place).
  char* ExtendOpen(size_t n);
  void AppendFileHeader(coding::StringBuilder* out) const;

  WriterOptions options_;
  std::unique_ptr<void, ZstdContextDeleter> cctx_;  // ZSTD_CCtx; null unless compressing with zstd
  // The codec blocks are compressed with (kNone for codec kZstd at level 0), and the version.
  Compression codec_ = Compression::kNone;
  uint16_t version_ = kPlainFormatVersion;

  bool deferred() const { return options_.compressor != nullptr; }

  // The object so far: file header, closed blocks and the open block (its header space, then its
  // records uncompressed). A closed block is compressed in place. Deferred mode: only the open
  // block, in a buffer from the compressor.
  coding::StringBuilder out_;
  // Deferred mode: the closed blocks, and a running total of their sizes (stored size for the
  // first `settled_` blocks, which are done; raw size for the rest).
  std::vector<std::shared_ptr<PendingBlock>> pending_;
  mutable size_t settled_ = 0;
  mutable size_t settled_bytes_ = 0;
  mutable size_t unsettled_raw_bytes_ = 0;
  size_t last_block_bytes_ = 0;  // raw size of the previous block: the next one starts that big
  size_t size_hint_ = 0;        // size of the last finished segment; reserved up front for the next
  SegmentFooter footer_;        // index of the closed blocks; segment facts are set by Finish
  uint64_t open_position_ = 0;  // where the open block's header goes
  BlockIndexEntry open_;        // facts about the open block (position/length unset)
  int64_t open_base_timestamp_ = 0;
  size_t open_header_count_ = 0;
  coding::Buffer compressed_;  // compressor output scratch
  std::vector<HeaderView> header_scratch_;

  uint64_t record_count_ = 0;
  int64_t first_offset_ = 0;
  int64_t last_offset_ = 0;
  int64_t min_timestamp_ = 0;
  int64_t max_timestamp_ = 0;

  const crypto::Key* key_ = nullptr;  // options_.keys->current() when encrypting
  std::string segment_id_;            // random, drawn for each segment when encrypting
  Status segment_id_status_;          // failure to draw it (reported by Add)
};

}  // namespace kb::format
