// The constants and index structures of the backup segment format, versions 1 to 4. docs/format.md
// is the normative description of every byte; this header mirrors it and the two must agree.
//
// A segment is one object holding records of one Kafka partition in offset order:
//
//   file header (16) | block 0 | block 1 | ... | footer (48 + 48 per block) | trailer (40)
//
// Thread-safety: constants and plain values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kb::format {

// "\x89KBSEG\r\n": non-ASCII first byte, then a name, then CR LF to catch text-mode mangling.
inline constexpr std::string_view kMagic{"\x89KBSEG\r\n", 8};

// The newest version this code reads; readers accept 1..kFormatVersion. Writers write version 1
// for plain segments and version 2 for encrypted ones (docs/format.md, "Encrypted segments");
// segments whose blocks may be LZ4-compressed (compression 2) are version 3 (plain) and 4
// (encrypted), so that a reader from before LZ4 says "upgrade" instead of "corrupt".
inline constexpr uint16_t kFormatVersion = 4;
inline constexpr uint16_t kPlainFormatVersion = 1;
inline constexpr uint16_t kSealedFormatVersion = 2;
inline constexpr uint16_t kPlainLz4FormatVersion = 3;
inline constexpr uint16_t kSealedLz4FormatVersion = 4;

// True for the versions whose blocks and footer are sealed in frames (2 and 4).
constexpr bool IsSealedVersion(uint16_t version) {
  return version == kSealedFormatVersion || version == kSealedLz4FormatVersion;
}
// The version a writer gives a segment: encrypted or not, LZ4 blocks allowed or not.
constexpr uint16_t SegmentVersion(bool sealed, bool lz4) {
  if (lz4) return sealed ? kSealedLz4FormatVersion : kPlainLz4FormatVersion;
  return sealed ? kSealedFormatVersion : kPlainFormatVersion;
}

inline constexpr size_t kFileHeaderSize = 16;
inline constexpr size_t kBlockHeaderSize = 40;
inline constexpr size_t kFooterFixedSize = 48;
inline constexpr size_t kIndexEntrySize = 48;
inline constexpr size_t kTrailerSize = 40;         // version 1
inline constexpr size_t kSealedTrailerSize = 100;  // version 2
// Version 2 seals each block and the footer in a frame: checksum (8) | ciphertext length (4) |
// nonce (12) | ciphertext | tag (16).
inline constexpr size_t kFrameHeaderSize = 24;
inline constexpr size_t kFrameOverhead = kFrameHeaderSize + 16;
inline constexpr size_t kSegmentIdSize = 16;
inline constexpr size_t kKeyCheckSize = 8;

// Largest uncompressed block payload (and so the largest single record) a writer produces and a
// reader accepts; bounds the memory a hostile object can make a reader allocate.
inline constexpr size_t kMaxBlockBytes = size_t{64} << 20;

// A zstd frame of n bytes never decompresses to more than n * kMaxZstdExpansion bytes (each zstd
// block has a 3-byte header and yields at most 128 KiB); readers reject blocks claiming more.
inline constexpr size_t kMaxZstdExpansion = 43691;

// An LZ4 block of n bytes never decompresses to more than n * kMaxLz4Expansion bytes (each byte of
// a sequence yields at most 255 bytes: a match-length byte adds at most 255); readers reject blocks
// claiming more.
inline constexpr size_t kMaxLz4Expansion = 255;

// The smallest possible encoded record (length, attributes, offset delta, timestamp delta, key,
// value, header count: one byte each). Bounds a block's record count by its size.
inline constexpr size_t kMinRecordBytes = 7;

// Most blocks a segment may have (the footer then takes 48 MiB); bounds the index a reader builds.
inline constexpr size_t kMaxBlockCount = size_t{1} << 20;

// Most records, and most headers (summed over its records), one block may hold. Bound the memory
// a reader needs for the views of one decoded block.
inline constexpr size_t kMaxBlockRecords = size_t{1} << 20;
inline constexpr size_t kMaxBlockHeaders = size_t{1} << 20;

// A lower bound on the size of any segment: header + one block with a one-byte payload + a
// one-entry footer + trailer.
inline constexpr size_t kMinSegmentBytes =
    kFileHeaderSize + kBlockHeaderSize + 1 + kFooterFixedSize + kIndexEntrySize + kTrailerSize;

// Values of the block header's compression byte.
// kLz4: one raw LZ4 block (no LZ4 frame), only in segments of version 3 and 4.
enum class Compression : uint8_t { kNone = 0, kZstd = 1, kLz4 = 2 };

// Attributes byte of a record: bits 0-1 timestamp type, bits 2-7 zero.
inline constexpr uint8_t kTimestampTypeMask = 0x03;

// One footer index entry: where a block is and what it holds.
struct BlockIndexEntry {
  int64_t first_offset = 0;
  int64_t last_offset = 0;
  int64_t min_timestamp = 0;
  int64_t max_timestamp = 0;
  uint64_t position = 0;  // byte position of the block header in the object
  uint32_t length = 0;    // block header + stored payload, in bytes
  uint32_t record_count = 0;
  friend bool operator==(const BlockIndexEntry&, const BlockIndexEntry&) = default;
};

// The footer: the block index plus segment-wide facts (all checked against the index on parse).
struct SegmentFooter {
  int64_t first_offset = 0;
  int64_t last_offset = 0;
  uint64_t record_count = 0;
  int64_t min_timestamp = 0;
  int64_t max_timestamp = 0;
  std::vector<BlockIndexEntry> blocks;
  friend bool operator==(const SegmentFooter&, const SegmentFooter&) = default;
};

// What the trailer of an encrypted (version 2) segment says about its sealing.
struct SealInfo {
  std::string key_id;      // the key its blocks and footer are sealed with
  std::string key_check;   // kKeyCheckSize bytes: crypto::KeyCheck of that key
  std::string segment_id;  // kSegmentIdSize random bytes, bound into every frame
};

// What the trailer says about the footer.
struct FooterLocation {
  uint64_t position = 0;
  uint64_t length = 0;
  uint64_t checksum = 0;  // XXH3-64 of the footer bytes (version 2: of the footer's frame)
  uint16_t version = 0;
  std::optional<SealInfo> seal;  // version 2 only
};

}  // namespace kb::format
