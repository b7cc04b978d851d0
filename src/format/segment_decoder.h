// Decoding and verification of backup segments (docs/format.md): pure functions over bytes that a
// reader got however it liked (one Get, ranged reads, a file).
//
// A ranged reader (see segment_reader.h) reads the kTrailerSize-byte trailer, ParseTrailer ->
// where the footer is; reads the footer, ParseFooter -> the block index; picks blocks with
// FindBlocksByOffset / FindBlocksByTime; reads each and decodes it with DecodedBlock::Decode.
// DecodeSegment / VerifySegment do all of that over a whole object in memory, plus the file header.
//
// Ownership: decoded RecordViews point into the DecodedBlock (decompressed blocks) or into the
// bytes passed to Decode (uncompressed blocks): both must outlive the views (DecodeOwned and
// DecodeSegment keep their own copy of the bytes). Reuse one DecodedBlock per thread to decode
// many blocks without allocating.
//
// Failure contract: the decoder never reads outside the given bytes, whatever they are. Parsing the
// footer allocates at most the index (bounded by the footer's size); decoding a block allocates at
// most its payload (<= kMaxBlockBytes, and <= kMaxZstdExpansion x its stored size for zstd,
// kMaxLz4Expansion x for LZ4) plus the record and header views (<= kMaxBlockRecords /
// kMaxBlockHeaders); VerifySegment needs one block at a time. DecodeSegment keeps every block, so
// its memory grows with the segment's uncompressed size: use VerifySegment or block-by-block
// decoding on untrusted input. Anything that is not a well-formed segment is Status::Corruption
// whose subject is `object` (the object key) and whose message says what is wrong and the byte
// position in the object ("... at byte 4096"). Exception: a segment of a newer format version is
// NotImplemented ("segment format version 5 is newer than this kafka-backup supports (4); upgrade
// kafka-backup"). InvalidArgument means the caller passed inconsistent arguments (e.g. a trailer
// slice that is not kTrailerSize bytes).
//
// Thread-safety: the functions are pure; a DecodedBlock is not shared between threads.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "crypto/key_ring.h"
#include "format/coding.h"
#include "format/record.h"
#include "format/segment_layout.h"

namespace kb::format {

// Checks the kFileHeaderSize bytes at the start of an object (only a whole-object reader needs to).
// Returns the format version.
Result<uint16_t> ParseFileHeader(std::string_view object, std::string_view header_bytes);

// `tail` is the end of an object of `object_size` bytes: at least its trailer (kTrailerSize bytes
// in version 1, kSealedTrailerSize in version 2; the last 12 bytes say which), or more.
Result<FooterLocation> ParseTrailer(std::string_view object, std::string_view tail,
                                    uint64_t object_size);

// `footer_bytes` are the location.length bytes at location.position. Verifies the checksum, that
// the index entries are ordered, do not overlap and tile the object from the file header to the
// footer, and that the segment-wide facts agree with them.
Result<SegmentFooter> ParseFooter(std::string_view object, std::string_view footer_bytes,
                                  const FooterLocation& location);

// A footer and, for an encrypted segment, the key of `keys` its frames open with.
struct OpenedFooter {
  SegmentFooter footer;
  const crypto::Key* key = nullptr;  // null for a plain segment
};

// ParseFooter for any version: an encrypted footer is checked against the trailer's checksum and
// key check, opened with the key it names and parsed. `keys` may be null (no encryption
// configured): then an encrypted footer is FailedPrecondition naming the object and key id.
Result<OpenedFooter> ReadFooter(std::string_view object, std::string footer_bytes,
                                const FooterLocation& location, const crypto::KeyRing* keys);

// Opens the frame of block `index` of an encrypted segment in place: on success *bytes holds the
// version-1 block, to be decoded with the returned entry (position and length of that block).
Result<BlockIndexEntry> OpenBlock(std::string_view object, const BlockIndexEntry& entry,
                                  size_t index, const SealInfo& seal, const crypto::Key& key,
                                  std::string* bytes);

// The records of one block. Reusable: Decode replaces the contents and keeps the buffers.
class DecodedBlock {
 public:
  DecodedBlock() = default;
  DecodedBlock(DecodedBlock&&) noexcept = default;
  DecodedBlock& operator=(DecodedBlock&&) noexcept = default;

  // Decodes the block `entry` describes from its `block_bytes` (exactly entry.length bytes) and
  // checks it against the entry. On error the block is left empty.
  Status Decode(std::string_view object, const BlockIndexEntry& entry,
                std::string_view block_bytes);
  // Same, keeping `block_bytes` inside this object (for blocks read from a store).
  Status DecodeOwned(std::string_view object, const BlockIndexEntry& entry,
                     std::string block_bytes);

  std::span<const RecordView> records() const { return records_; }
  size_t size() const { return records_.size(); }
  bool empty() const { return records_.empty(); }
  const RecordView& operator[](size_t i) const { return records_[i]; }
  // Index of the first record whose offset is >= `offset`; size() when there is none.
  size_t LowerBound(int64_t offset) const;
  // Number of record payload bytes (PayloadBytes summed) in the block.
  size_t payload_bytes() const;

 private:
  Status DecodeRecords(std::string_view object, const BlockIndexEntry& entry,
                       int64_t base_timestamp, std::string_view payload);

  std::string owned_;       // block bytes kept by DecodeOwned
  coding::Buffer payload_;  // decompressed payload
  std::vector<RecordView> records_;
  std::vector<HeaderView> headers_;
  std::vector<uint32_t> header_counts_;
};

// A whole segment, decoded and verified. Self-contained: the views point into `blocks` only (the
// blocks are copied out of the bytes given to DecodeSegment, which may go away). Convenient for
// tools and tests; a restore decodes block by block with DecodedBlock instead.
struct DecodedSegment {
  uint16_t version = 0;
  SegmentFooter footer;
  std::vector<DecodedBlock> blocks;

  uint64_t record_count() const { return footer.record_count; }
  std::vector<Record> ToRecords() const;
};

// `keys` (may be null) opens encrypted segments.
Result<DecodedSegment> DecodeSegment(std::string_view object, std::string_view bytes,
                                     const crypto::KeyRing* keys = nullptr);

// Checks every byte of a segment (DecodeSegment without keeping the records); every tag of an
// encrypted one, which needs its key in `keys`.
Status VerifySegment(std::string_view object, std::string_view bytes,
                     const crypto::KeyRing* keys = nullptr);

// What can be checked of an encrypted segment without its key: file header, trailer, and that the
// frames tile the object from the file header to the footer, each with a matching checksum. For a
// plain segment the same as VerifySegment. Returns true when the segment is encrypted.
Result<bool> VerifySegmentStructure(std::string_view object, std::string_view bytes);

// True when the object's trailer says it is encrypted (format version 2); `tail` as ParseTrailer's.
// Reads only the last 12 bytes; false when they are not a valid trailer end.
bool LooksEncrypted(std::string_view tail);

// Blocks [begin, end) that may hold offsets in [first, last] (index order = offset order).
struct BlockRange {
  size_t begin = 0;
  size_t end = 0;
  bool empty() const { return begin >= end; }
  size_t size() const { return empty() ? 0 : end - begin; }
};
BlockRange FindBlocksByOffset(const SegmentFooter& footer, int64_t first, int64_t last);

// Blocks whose [min_timestamp, max_timestamp] overlaps [from_ms, to_ms], in index order. Record
// timestamps need not increase with offsets, so this is not a contiguous range in general.
std::vector<size_t> FindBlocksByTime(const SegmentFooter& footer, int64_t from_ms, int64_t to_ms);

}  // namespace kb::format
