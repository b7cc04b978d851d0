// Damage inside a block that its checksum would hide: each case crafts a block with the defect and
// a valid checksum (AppendBlock / AppendFooterAndTrailer), so the check under test must catch it.
// Every case is Corruption naming the object and a byte position; none crashes (ASan/UBSan).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <lz4.h>
#include <xxhash.h>
#include <zstd.h>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <utility>

#include "format/coding.h"
#include "format/corruption_test_util.h"
#include "format/segment_decoder.h"
#include "format/segment_writer.h"

namespace kb::format {
namespace {

using corruption_test::Decode;
using corruption_test::ExpectCorruption;
using corruption_test::kObject;
using ::testing::HasSubstr;

// --- crafting blocks byte by byte --------------------------------------------------------------

std::string V(uint64_t v) {
  char buf[coding::kMaxVarint64Bytes];
  return std::string(buf, coding::EncodeVarint64(buf, v));
}
std::string Nullable(std::optional<std::string_view> s) {
  return s ? V(s->size() + 1) + std::string(*s) : V(0);
}

struct RecordSpec {
  uint64_t offset_delta = 0;
  int64_t timestamp_delta = 0;
  uint8_t attributes = 1;
  std::string key = "k";
  std::string value = "v";
  std::string headers = V(0);      // header count + headers, already encoded
  std::string extra;               // bytes appended to the body
  std::optional<uint64_t> length;  // overrides the record length prefix
};

std::string EncodeRecord(const RecordSpec& r) {
  std::string body = std::string(1, static_cast<char>(r.attributes)) + V(r.offset_delta) +
                     V(coding::ZigZagEncode(r.timestamp_delta)) + Nullable(r.key) +
                     Nullable(r.value) + r.headers + r.extra;
  return V(r.length.value_or(body.size())) + body;
}

constexpr int64_t kBaseOffset = 100;
constexpr int64_t kBaseTimestamp = 1000;

struct Craft {
  std::string payload;  // uncompressed block payload
  uint32_t record_count = 1;
  int64_t last_offset = kBaseOffset;
  Compression compression = Compression::kNone;
  std::optional<std::string> stored;  // stored payload; default: payload (or its zstd frame)
  std::optional<uint32_t> uncompressed_size;
  std::optional<uint32_t> header_record_count;
  int64_t base_offset = kBaseOffset;
  uint8_t reserved = 0;
  uint16_t version = kPlainFormatVersion;
};

std::string Compress(std::string_view raw) {
  std::string out(ZSTD_compressBound(raw.size()), '\0');
  out.resize(ZSTD_compress(out.data(), out.size(), raw.data(), raw.size(), 3));
  return out;
}

std::string CompressLz4(std::string_view raw) {
  std::string out(LZ4_compressBound(static_cast<int>(raw.size())), '\0');
  out.resize(static_cast<size_t>(LZ4_compress_default(
      raw.data(), out.data(), static_cast<int>(raw.size()), static_cast<int>(out.size()))));
  return out;
}

std::string Stored(const std::string& payload, Compression compression) {
  switch (compression) {
    case Compression::kZstd:
      return Compress(payload);
    case Compression::kLz4:
      return CompressLz4(payload);
    case Compression::kNone:
      break;
  }
  return payload;
}

// A one-block segment around `c.payload`, with every checksum valid.
std::string CraftSegment(const Craft& c) {
  std::string out;
  AppendFileHeader(&out, c.version);
  BlockIndexEntry e;
  e.first_offset = kBaseOffset;
  e.last_offset = c.last_offset;
  e.min_timestamp = e.max_timestamp = kBaseTimestamp;
  e.record_count = c.record_count;
  e.position = out.size();
  std::string stored = c.stored ? *c.stored : Stored(c.payload, c.compression);
  AppendBlock(&out, stored, c.compression,
              c.uncompressed_size.value_or(static_cast<uint32_t>(c.payload.size())),
              c.header_record_count.value_or(c.record_count), c.base_offset, kBaseTimestamp);
  if (c.reserved != 0) {  // set a reserved byte and re-seal the block checksum
    out[e.position + 21] = static_cast<char>(c.reserved);
    coding::EncodeFixed64(out.data() + e.position,
                          XXH3_64bits(out.data() + e.position + 8, out.size() - e.position - 8));
  }
  e.length = static_cast<uint32_t>(out.size() - e.position);
  SegmentFooter f;
  f.first_offset = e.first_offset;
  f.last_offset = e.last_offset;
  f.record_count = e.record_count;
  f.min_timestamp = e.min_timestamp;
  f.max_timestamp = e.max_timestamp;
  f.blocks = {e};
  AppendFooterAndTrailer(&out, f, c.version);
  return out;
}

constexpr uint64_t kBlockAt = kFileHeaderSize;  // position of the crafted block
constexpr uint64_t kPayloadAt = kFileHeaderSize + kBlockHeaderSize;

TEST(BlockCorruptionTest, ControlDecodes) {
  Craft c;
  c.payload = EncodeRecord({}) + EncodeRecord({.offset_delta = 5, .timestamp_delta = 0});
  c.record_count = 2;
  c.last_offset = kBaseOffset + 5;
  ASSERT_TRUE(Decode(CraftSegment(c)).ok()) << Decode(CraftSegment(c)).ToString();
  c.compression = Compression::kZstd;
  ASSERT_TRUE(Decode(CraftSegment(c)).ok()) << Decode(CraftSegment(c)).ToString();
  c.compression = Compression::kLz4;
  c.version = kPlainLz4FormatVersion;
  ASSERT_TRUE(Decode(CraftSegment(c)).ok()) << Decode(CraftSegment(c)).ToString();
}

// --- record encoding ---------------------------------------------------------------------------

TEST(BlockCorruptionTest, RecordLengthPastBlockEnd) {
  Craft c;
  c.payload = EncodeRecord({.length = 200});
  ExpectCorruption(Decode(CraftSegment(c)),
                   "record 0 (uncompressed byte 0): record length runs past the block end",
                   kBlockAt);
}

TEST(BlockCorruptionTest, HeaderCountTooLarge) {
  Craft c;
  c.payload = EncodeRecord({.headers = V(1000) + V(1) + "a" + V(0)});
  ExpectCorruption(Decode(CraftSegment(c)), "header count too large", kBlockAt);
}

TEST(BlockCorruptionTest, KeyLengthPastRecordEnd) {
  Craft c;
  c.payload = EncodeRecord({.key = "key"});
  c.payload[4] = 20;  // length, attributes, offset delta, timestamp delta, then key length + 1
  ExpectCorruption(Decode(CraftSegment(c)), "key length runs past the record", kBlockAt);
}

TEST(BlockCorruptionTest, ValueLengthPastRecordEnd) {
  Craft c;
  c.payload = EncodeRecord({.key = "", .value = "value"});
  c.payload[5] = 100;
  ExpectCorruption(Decode(CraftSegment(c)), "value length runs past the record", kBlockAt);
}

TEST(BlockCorruptionTest, HeaderKeyAndValuePastRecordEnd) {
  Craft c;
  c.payload = EncodeRecord({.headers = V(1) + V(9) + "k" + V(2) + "v"});
  ExpectCorruption(Decode(CraftSegment(c)), "header key runs past the record", kBlockAt);
  c.payload = EncodeRecord({.headers = V(1) + V(1) + "k" + V(9) + "v"});
  ExpectCorruption(Decode(CraftSegment(c)), "header value runs past the record", kBlockAt);
}

TEST(BlockCorruptionTest, MalformedVarint) {
  Craft c;
  c.payload = EncodeRecord({.offset_delta = 0}) + std::string(12, '\xff');
  c.record_count = 2;
  c.last_offset = kBaseOffset + 1;
  c.payload += std::string(2, '\0');
  ExpectCorruption(Decode(CraftSegment(c)), "record 1", kBlockAt);
}

TEST(BlockCorruptionTest, BadAttributes) {
  Craft c;
  c.payload = EncodeRecord({.attributes = 3});
  ExpectCorruption(Decode(CraftSegment(c)), "bad attributes byte", kBlockAt);
  c.payload = EncodeRecord({.attributes = 0x11});
  ExpectCorruption(Decode(CraftSegment(c)), "bad attributes byte", kBlockAt);
}

TEST(BlockCorruptionTest, RecordWithBytesAfterItsFields) {
  Craft c;
  c.payload = EncodeRecord({.extra = "zz"});
  ExpectCorruption(Decode(CraftSegment(c)), "record has bytes after its last field", kBlockAt);
}

TEST(BlockCorruptionTest, FewerRecordsThanTheBlockClaims) {
  Craft c;
  c.payload = EncodeRecord({.value = std::string(20, 'v')}) +
              EncodeRecord({.offset_delta = 1, .value = std::string(20, 'v')});
  c.record_count = 3;
  c.last_offset = kBaseOffset + 2;
  ExpectCorruption(Decode(CraftSegment(c)), "record 2", kBlockAt);
}

TEST(BlockCorruptionTest, BytesAfterTheLastRecord) {
  Craft c;
  c.payload = EncodeRecord({}) + std::string(10, '\0');
  ExpectCorruption(Decode(CraftSegment(c)), "10 bytes after the last of 1 records", kBlockAt);
}

TEST(BlockCorruptionTest, OffsetDeltasMustIncrease) {
  Craft c;
  c.payload = EncodeRecord({}) + EncodeRecord({.offset_delta = 0});
  c.record_count = 2;
  c.last_offset = kBaseOffset + 1;
  ExpectCorruption(Decode(CraftSegment(c)), "offset delta must be 0 for the first", kBlockAt);
  c.payload = EncodeRecord({.offset_delta = 1});
  c.record_count = 1;
  c.last_offset = kBaseOffset;
  ExpectCorruption(Decode(CraftSegment(c)), "offset delta must be 0 for the first", kBlockAt);
}

TEST(BlockCorruptionTest, FirstTimestampDeltaMustBeZero) {
  Craft c;
  c.payload = EncodeRecord({.timestamp_delta = 4});
  ExpectCorruption(Decode(CraftSegment(c)), "timestamp delta is not 0", kBlockAt);
}

TEST(BlockCorruptionTest, OffsetOverflow) {
  Craft c;
  c.payload = EncodeRecord({}) + EncodeRecord({.offset_delta = ~0ULL >> 1});
  c.record_count = 2;
  c.last_offset = std::numeric_limits<int64_t>::max();
  ExpectCorruption(Decode(CraftSegment(c)), "offset overflows", kBlockAt);
}

TEST(BlockCorruptionTest, RecordsDisagreeWithTheIndexEntry) {
  Craft c;
  c.payload = EncodeRecord({}) + EncodeRecord({.offset_delta = 7});
  c.record_count = 2;
  c.last_offset = kBaseOffset + 6;  // records end at +7
  ExpectCorruption(Decode(CraftSegment(c)), "but its index entry says", kBlockAt);
}

// --- block header ------------------------------------------------------------------------------

TEST(BlockCorruptionTest, RecordCountImpossibleForTheBlockSize) {
  Craft c;
  c.payload = EncodeRecord({});
  c.record_count = 1000;
  c.last_offset = kBaseOffset + 999;
  ExpectCorruption(Decode(CraftSegment(c)), "block record count 1000", kBlockAt + 16);
}

TEST(BlockCorruptionTest, BlockRecordCountDisagreesWithIndex) {
  Craft c;
  c.payload = EncodeRecord({});
  c.header_record_count = 2;
  ExpectCorruption(Decode(CraftSegment(c)), "(index says 1)", kBlockAt + 16);
}

TEST(BlockCorruptionTest, UnknownCompression) {
  Craft c;
  c.payload = EncodeRecord({});
  c.compression = static_cast<Compression>(7);
  ExpectCorruption(Decode(CraftSegment(c)), "unknown block compression 7", kBlockAt + 20);
}

TEST(BlockCorruptionTest, ReservedBlockHeaderBytesNotZero) {
  Craft c;
  c.payload = EncodeRecord({});
  c.reserved = 1;
  ExpectCorruption(Decode(CraftSegment(c)), "reserved block header bytes", kBlockAt + 21);
}

TEST(BlockCorruptionTest, BlockBaseOffsetDisagreesWithIndex) {
  Craft c;
  c.payload = EncodeRecord({});
  c.base_offset = kBaseOffset + 1;
  ExpectCorruption(Decode(CraftSegment(c)), "block base offset 101 but index says 100",
                   kBlockAt + 24);
}

TEST(BlockCorruptionTest, UncompressedSizeAboveTheLimitIsRejectedBeforeAllocating) {
  Craft c;
  c.payload = EncodeRecord({});
  c.compression = Compression::kZstd;
  c.uncompressed_size = static_cast<uint32_t>(kMaxBlockBytes + 1);
  ExpectCorruption(Decode(CraftSegment(c)), "exceeds the limit", kBlockAt + 12);
}

TEST(BlockCorruptionTest, ZstdFrameDecompressesToDifferentSizeThanClaimed) {
  Craft c;
  c.payload = EncodeRecord({});
  c.compression = Compression::kZstd;
  c.uncompressed_size = static_cast<uint32_t>(c.payload.size() + 1);
  ExpectCorruption(Decode(CraftSegment(c)),
                   "zstd frame declares " + std::to_string(c.payload.size()) +
                       " bytes but the block header says " + std::to_string(c.payload.size() + 1),
                   kPayloadAt);
}

TEST(BlockCorruptionTest, ZstdFrameWithoutContentSize) {
  Craft c;
  c.payload = EncodeRecord({});
  c.compression = Compression::kZstd;
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_contentSizeFlag, 0);
  std::string frame(ZSTD_compressBound(c.payload.size()), '\0');
  frame.resize(
      ZSTD_compress2(cctx, frame.data(), frame.size(), c.payload.data(), c.payload.size()));
  ZSTD_freeCCtx(cctx);
  c.stored = frame;
  ExpectCorruption(Decode(CraftSegment(c)), "does not declare its content size", kPayloadAt);
}

TEST(BlockCorruptionTest, ZstdFrameClaimingMoreThanItCanHoldIsRejectedBeforeAllocating) {
  // A valid frame header declaring 60 MB, with one tiny block: no real frame of that size exists.
  Craft c;
  c.payload = EncodeRecord({});
  c.compression = Compression::kZstd;
  const uint32_t claimed = 60'000'000;
  std::string frame(ZSTD_compressBound(claimed), '\0');
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  ZSTD_CCtx_setPledgedSrcSize(cctx, claimed);
  ZSTD_outBuffer out{frame.data(), frame.size(), 0};
  ZSTD_inBuffer in{c.payload.data(), c.payload.size(), 0};
  ZSTD_compressStream2(cctx, &out, &in, ZSTD_e_flush);  // frame header + one block, not finished
  ZSTD_freeCCtx(cctx);
  frame.resize(out.pos);
  ASSERT_EQ(ZSTD_getFrameContentSize(frame.data(), frame.size()), claimed);
  c.stored = frame;
  c.uncompressed_size = claimed;
  c.record_count = 1;
  ExpectCorruption(Decode(CraftSegment(c)), "cannot decompress to 60000000 bytes", kPayloadAt);
}

TEST(BlockCorruptionTest, TwoZstdFramesInOneBlock) {
  Craft c;
  c.payload = EncodeRecord({});
  c.compression = Compression::kZstd;
  c.stored = Compress(c.payload) + Compress("");
  ExpectCorruption(Decode(CraftSegment(c)), "not exactly one zstd frame", kPayloadAt);
}

TEST(BlockCorruptionTest, DamagedZstdFrame) {
  Craft c;
  c.payload = std::string(1000, 'a');
  c.compression = Compression::kZstd;
  std::string frame = Compress(c.payload);
  frame[frame.size() - 2] ^= 0x5a;
  c.stored = frame;
  Status s = Decode(CraftSegment(c));
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_THAT(s.message(), HasSubstr("at byte"));
}

TEST(BlockCorruptionTest, StoredBlockSizeDisagreesWithClaim) {
  Craft c;
  c.payload = EncodeRecord({});
  c.uncompressed_size = 50;
  ExpectCorruption(
      Decode(CraftSegment(c)),
      "uncompressed block stores " + std::to_string(c.payload.size()) + " bytes but claims 50",
      kBlockAt + 12);
}

// --- LZ4 blocks (compression 2) ----------------------------------------------------------------

// Several records of compressible text, as an LZ4 block in a version-3 segment.
Craft Lz4Craft() {
  Craft c;
  c.compression = Compression::kLz4;
  c.version = kPlainLz4FormatVersion;
  c.record_count = 20;
  for (uint32_t i = 0; i < c.record_count; ++i) {
    c.payload +=
        EncodeRecord({.offset_delta = i == 0 ? 0u : 1u,
                      .value = "{\"id\": " + std::to_string(i) + ", \"name\": \"abcabc\"}"});
  }
  c.last_offset = kBaseOffset + c.record_count - 1;
  return c;
}

TEST(BlockCorruptionTest, Lz4ControlDecodesInEveryVersion) {
  Craft c = Lz4Craft();
  ASSERT_LT(CompressLz4(c.payload).size(), c.payload.size());
  for (uint16_t version : {kPlainFormatVersion, kPlainLz4FormatVersion}) {
    c.version = version;
    Status s = Decode(CraftSegment(c));
    EXPECT_TRUE(s.ok()) << version << ": " << s.ToString();
  }
}

TEST(BlockCorruptionTest, Lz4BlockDecompressesToLessThanClaimed) {
  Craft c = Lz4Craft();
  c.uncompressed_size = static_cast<uint32_t>(c.payload.size() + 1);
  ExpectCorruption(Decode(CraftSegment(c)),
                   "LZ4 block decompressed to " + std::to_string(c.payload.size()) +
                       " bytes, block header says " + std::to_string(c.payload.size() + 1),
                   kPayloadAt);
}

TEST(BlockCorruptionTest, Lz4BlockDecompressesToMoreThanClaimed) {
  Craft c = Lz4Craft();
  c.uncompressed_size = static_cast<uint32_t>(c.payload.size() - 1);
  ExpectCorruption(Decode(CraftSegment(c)), "LZ4 cannot decompress the block", kPayloadAt);
}

TEST(BlockCorruptionTest, TruncatedLz4Block) {
  Craft c = Lz4Craft();
  const std::string full = CompressLz4(c.payload);
  for (size_t cut : {size_t{1}, size_t{2}, size_t{5}, full.size() / 2, full.size() - 1}) {
    SCOPED_TRACE("cut " + std::to_string(cut));
    c.stored = full.substr(0, full.size() - cut);
    ExpectCorruption(Decode(CraftSegment(c)), "LZ4", kPayloadAt);
  }
}

TEST(BlockCorruptionTest, Lz4BlockWithTrailingBytes) {
  Craft c = Lz4Craft();
  c.stored = CompressLz4(c.payload) + "xyz";
  ExpectCorruption(Decode(CraftSegment(c)), "LZ4 cannot decompress the block", kPayloadAt);
}

TEST(BlockCorruptionTest, Lz4BlockClaimingMoreThanItCanHoldIsRejectedBeforeAllocating) {
  // 100 stored bytes can hold at most 25500 decompressed ones.
  Craft c = Lz4Craft();
  c.stored = std::string(100, '\0');
  c.uncompressed_size = 60'000'000;
  ExpectCorruption(Decode(CraftSegment(c)),
                   "an LZ4 block of 100 bytes cannot decompress to 60000000", kPayloadAt);
  c.uncompressed_size = 100 * 255 + 1;
  ExpectCorruption(Decode(CraftSegment(c)), "cannot decompress to 25501", kPayloadAt);
}

// Whatever the damage to the LZ4 data behind a valid checksum: Corruption at the block, or a
// payload that still parses as the records (LZ4 has no checksum of its own; the block checksum
// is what catches such a change in a real segment). Never a crash or a read out of bounds.
TEST(BlockCorruptionTest, EveryBitFlipInAnLz4BlockIsSafe) {
  Craft c = Lz4Craft();
  const std::string full = CompressLz4(c.payload);
  size_t caught = 0;
  for (size_t i = 0; i < full.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string stored = full;
      stored[i] = static_cast<char>(stored[i] ^ (1 << bit));
      c.stored = stored;
      Status s = Decode(CraftSegment(c));
      if (s.ok()) continue;
      ASSERT_TRUE(s.IsCorruption()) << "byte " << i << " bit " << bit << ": " << s.ToString();
      EXPECT_EQ(s.subject(), kObject);
      // The LZ4 data (at the payload) or the records decoded from it (at the block).
      EXPECT_THAT(s.message(),
                  ::testing::AnyOf(HasSubstr("at byte " + std::to_string(kBlockAt)),
                                   HasSubstr("at byte " + std::to_string(kPayloadAt))));
      ++caught;
    }
  }
  EXPECT_GT(caught, full.size() * 8 / 2) << "most flips break the LZ4 data or the records";
}

TEST(BlockCorruptionTest, UnknownCompressionIsRejected) {
  Craft c = Lz4Craft();
  c.stored = CompressLz4(c.payload);
  c.compression = static_cast<Compression>(3);
  ExpectCorruption(Decode(CraftSegment(c)), "unknown block compression 3", kBlockAt + 20);
}

}  // namespace
}  // namespace kb::format
