// SegmentWriter builds one backup segment (docs/format.md) in memory: records of one partition in
// strictly increasing offset order go in through Add, and Finish returns the bytes of the whole
// object, ready for ObjectStore::Put.
//
// Records are packed into blocks of about WriterOptions::block_bytes uncompressed bytes (a block
// closes when the next record would overflow it; a record larger than that forms a block of its
// own), and each closed block is compressed right away, in place: the writer holds the compressed
// blocks so far plus the open block uncompressed, in one buffer sized from the previous segment so
// that it rarely grows. A block that zstd cannot shrink is stored uncompressed.
//
// Ownership: Add copies the record's bytes; the caller's buffers may be reused as soon as it
// returns. The writer owns its buffers and a zstd context; reuse one writer for many segments.
//
// Failure contract: Add returns InvalidArgument (and keeps the writer unchanged) for a record the
// format cannot hold: offset negative or not greater than the previous one, unknown timestamp
// type, an encoded record larger than kMaxBlockBytes, more than kMaxBlockHeaders headers, or a
// segment that already has kMaxBlockCount blocks. Finish returns InvalidArgument for a
// segment without records (the format has no empty segments); an internal zstd failure is
// Permanent. The subject of every error is WriterOptions::subject.
//
// Thread-safety: none; one writer per thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "format/coding.h"
#include "format/record.h"
#include "format/segment_layout.h"

namespace kb::format {

struct WriterOptions {
  int zstd_level = 3;                      // 0 = store blocks uncompressed; 1..19 = zstd level
  size_t block_bytes = size_t{256} << 10;  // target uncompressed block size, 1..kMaxBlockBytes
  std::string subject = "segment";         // names the segment in errors, e.g. "orders/3"
};

// Checks the ranges documented in WriterOptions.
Status ValidateWriterOptions(const WriterOptions& options);

// Low-level pieces SegmentWriter is made of, for tools and tests that craft segments byte by byte.
// They append exactly the bytes docs/format.md describes and check nothing.
void AppendFileHeader(std::string* out, uint16_t version = kFormatVersion);
// A block header (checksum included) followed by `stored_payload`.
void AppendBlock(std::string* out, std::string_view stored_payload, Compression compression,
                 uint32_t uncompressed_size, uint32_t record_count, int64_t base_offset,
                 int64_t base_timestamp);
// The footer for `footer` (its position is out->size()) followed by the trailer.
void AppendFooterAndTrailer(std::string* out, const SegmentFooter& footer,
                            uint16_t version = kFormatVersion);

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
  // then empty and ready for the next segment.
  Result<std::string> Finish();

 private:
  struct ZstdContextDeleter {
    void operator()(void* cctx) const;
  };

  explicit SegmentWriter(WriterOptions options);
  Status FlushBlock();
  void Reset();
  static void AppendFileHeader(coding::StringBuilder* out);

  WriterOptions options_;
  std::unique_ptr<void, ZstdContextDeleter> cctx_;  // ZSTD_CCtx; null when zstd_level == 0

  // The object so far: file header, closed blocks and the open block (its header space, then its
  // records uncompressed). A closed block is compressed in place.
  coding::StringBuilder out_;
  size_t size_hint_ = 0;        // size of the last finished segment; reserved up front for the next
  SegmentFooter footer_;        // index of the closed blocks; segment facts are set by Finish
  uint64_t open_position_ = 0;  // where the open block's header goes
  BlockIndexEntry open_;        // facts about the open block (position/length unset)
  int64_t open_base_timestamp_ = 0;
  size_t open_header_count_ = 0;
  coding::Buffer compressed_;  // zstd output scratch
  std::vector<HeaderView> header_scratch_;

  uint64_t record_count_ = 0;
  int64_t first_offset_ = 0;
  int64_t last_offset_ = 0;
  int64_t min_timestamp_ = 0;
  int64_t max_timestamp_ = 0;
};

}  // namespace kb::format
