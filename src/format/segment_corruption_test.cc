// Every way a segment can be damaged as a whole (magic, version, flipped bits anywhere, truncation,
// footer and trailer inconsistencies) is reported as Corruption naming the object and the byte
// position, and never crashes (this file runs under ASan/UBSan). Damage inside blocks that needs
// crafting: block_corruption_test.cc.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <xxhash.h>

#include <cstdint>
#include <string>
#include <utility>

#include "format/coding.h"
#include "format/corruption_test_util.h"
#include "format/format_testing.h"
#include "format/segment_decoder.h"
#include "format/segment_writer.h"

namespace kb::format {
namespace {

using corruption_test::Decode;
using corruption_test::ExpectCorruption;
using corruption_test::FlipBit;
using corruption_test::kObject;
using ::testing::HasSubstr;

// 300 JSON-like records in zstd blocks of 4 KiB: several blocks, each compressed.
const std::string& Reference() {
  static const std::string* bytes = [] {
    WriterOptions options;
    options.block_bytes = 4096;
    options.zstd_level = 3;
    auto r = testing::BuildSegment(testing::JsonLikeRecords(9, 300, 150), options);
    return new std::string(std::move(r).value());
  }();
  return *bytes;
}

SegmentFooter FooterOf(const std::string& bytes) {
  auto loc = ParseTrailer(kObject, std::string_view(bytes).substr(bytes.size() - kTrailerSize),
                          bytes.size());
  EXPECT_TRUE(loc.ok()) << loc.status().ToString();
  auto footer =
      ParseFooter(kObject, std::string_view(bytes).substr(loc->position, loc->length), *loc);
  EXPECT_TRUE(footer.ok()) << footer.status().ToString();
  return *footer;
}

uint64_t FooterPosition(const std::string& bytes) {
  return coding::DecodeFixed64(bytes.data() + bytes.size() - kTrailerSize);
}

// The segment with its footer replaced by `footer` (checksums recomputed).
std::string WithFooter(const std::string& bytes, const SegmentFooter& footer) {
  std::string out = bytes.substr(0, FooterPosition(bytes));
  AppendFooterAndTrailer(&out, footer);
  return out;
}

TEST(SegmentCorruptionTest, ReferenceDecodes) {
  ASSERT_TRUE(Decode(Reference()).ok()) << Decode(Reference()).ToString();
  EXPECT_GT(FooterOf(Reference()).blocks.size(), 3u);
}

// --- whole object ------------------------------------------------------------------------------

TEST(SegmentCorruptionTest, EmptyObject) { ExpectCorruption(Decode(""), "empty", 0); }

TEST(SegmentCorruptionTest, NotASegment) {
  ExpectCorruption(Decode(std::string(500, 'x')), "bad magic in the trailer", 492);
}

TEST(SegmentCorruptionTest, BadMagicInFileHeader) {
  std::string bytes = Reference();
  bytes[1] = 'X';
  ExpectCorruption(Decode(bytes), "bad magic in the file header", 0);
}

TEST(SegmentCorruptionTest, BadMagicInTrailer) {
  std::string bytes = Reference();
  bytes[bytes.size() - 1] = 'X';
  ExpectCorruption(Decode(bytes), "bad magic in the trailer", bytes.size() - 8);
}

TEST(SegmentCorruptionTest, NewerVersionIsRejectedWithUpgradeMessage) {
  std::string bytes = Reference();
  coding::EncodeFixed16(bytes.data() + bytes.size() - 12, 5);
  coding::EncodeFixed16(bytes.data() + bytes.size() - 10, static_cast<uint16_t>(~5));
  Status s = Decode(bytes);
  EXPECT_EQ(s.code(), Status::Code::kNotImplemented) << s.ToString();
  EXPECT_EQ(s.subject(), kObject);
  EXPECT_EQ(s.message(),
            "segment format version 5 is newer than this kafka-backup supports (4); upgrade "
            "kafka-backup");
}

// Versions 3 and 4 are versions 1 and 2 with LZ4 blocks allowed: a version-1 segment relabelled
// 3 in both places is still read; one whose header and trailer disagree is corrupt.
TEST(SegmentCorruptionTest, Version3IsVersion1WithLz4Allowed) {
  std::string bytes = Reference();
  coding::EncodeFixed16(bytes.data() + 8, 3);
  coding::EncodeFixed16(bytes.data() + 10, static_cast<uint16_t>(~3));
  ExpectCorruption(Decode(bytes), "file header says format version 3, trailer says 1", 8);
  // The trailer checksum does not cover the version: relabel it too.
  coding::EncodeFixed16(bytes.data() + bytes.size() - 12, 3);
  coding::EncodeFixed16(bytes.data() + bytes.size() - 10, static_cast<uint16_t>(~3));
  auto segment = DecodeSegment(kObject, bytes);
  ASSERT_TRUE(segment.ok()) << segment.status().ToString();
  EXPECT_EQ(segment->version, 3);
}

TEST(SegmentCorruptionTest, NewerVersionInFileHeader) {
  std::string bytes = Reference();
  coding::EncodeFixed16(bytes.data() + 8, 5);
  coding::EncodeFixed16(bytes.data() + 10, static_cast<uint16_t>(~5));
  EXPECT_EQ(Decode(bytes).code(), Status::Code::kNotImplemented);
}

TEST(SegmentCorruptionTest, VersionZeroIsCorruption) {
  std::string bytes = Reference();
  coding::EncodeFixed16(bytes.data() + bytes.size() - 12, 0);
  coding::EncodeFixed16(bytes.data() + bytes.size() - 10, 0xffff);
  ExpectCorruption(Decode(bytes), "invalid segment format version 0", bytes.size() - 12);
}

TEST(SegmentCorruptionTest, FlippedVersionBitIsCorruptionNotNewerVersion) {
  std::string bytes = FlipBit(Reference(), Reference().size() - 12, 1);  // version 1 -> 3
  ExpectCorruption(Decode(bytes), "damaged version field in the trailer", bytes.size() - 12);
  bytes = FlipBit(Reference(), 8, 2);
  ExpectCorruption(Decode(bytes), "damaged version field in the file header", 8);
}

TEST(SegmentCorruptionTest, ReservedFileHeaderBytesNotZero) {
  ExpectCorruption(Decode(FlipBit(Reference(), 13)), "reserved file header field", 12);
}

// --- flipped bits ------------------------------------------------------------------------------

TEST(SegmentCorruptionTest, FlippedBitInBlockPayload) {
  const BlockIndexEntry b = FooterOf(Reference()).blocks[1];
  std::string bytes = FlipBit(Reference(), b.position + kBlockHeaderSize + b.length / 2, 3);
  ExpectCorruption(Decode(bytes), "block checksum mismatch", b.position);
}

TEST(SegmentCorruptionTest, FlippedBitInBlockHeader) {
  const BlockIndexEntry b = FooterOf(Reference()).blocks[1];
  for (size_t i = 0; i < kBlockHeaderSize; ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      SCOPED_TRACE("byte " + std::to_string(i) + " bit " + std::to_string(bit));
      ExpectCorruption(Decode(FlipBit(Reference(), b.position + i, bit)), "block checksum",
                       b.position);
    }
  }
}

TEST(SegmentCorruptionTest, FlippedBitInFooter) {
  const uint64_t footer_at = FooterPosition(Reference());
  for (uint64_t at : {footer_at, footer_at + 9, footer_at + kFooterFixedSize + 33}) {
    ExpectCorruption(Decode(FlipBit(Reference(), at, 5)), "footer checksum mismatch", footer_at);
  }
}

TEST(SegmentCorruptionTest, FlippedBitInTrailer) {
  const size_t trailer_at = Reference().size() - kTrailerSize;
  for (size_t i = 0; i < kTrailerSize; ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      Status s = Decode(FlipBit(Reference(), trailer_at + i, bit));
      EXPECT_TRUE(s.IsCorruption()) << "byte " << i << " bit " << bit << ": " << s.ToString();
      EXPECT_THAT(s.message(), HasSubstr("at byte"));
    }
  }
}

TEST(SegmentCorruptionTest, BadBlockChecksum) {
  const BlockIndexEntry b = FooterOf(Reference()).blocks[0];
  std::string bytes = Reference();
  coding::EncodeFixed64(bytes.data() + b.position, 0x1234);
  ExpectCorruption(Decode(bytes), "block checksum mismatch (stored 0x0000000000001234", b.position);
}

// Every single-bit flip anywhere in a small segment, compressed or not, is caught.
TEST(SegmentCorruptionTest, EveryBitFlipIsDetected) {
  for (int level : {0, 3, -1, 100}) {  // 100: LZ4
    WriterOptions options;
    options.zstd_level = level == 100 ? 0 : level;
    options.codec = level == 100 ? Compression::kLz4 : Compression::kZstd;
    options.block_bytes = 200;
    auto r = testing::BuildSegment(testing::JsonLikeRecords(3, 4, 90), options);
    ASSERT_TRUE(r.ok());
    const std::string& bytes = *r;
    for (size_t i = 0; i < bytes.size(); ++i) {
      for (int bit = 0; bit < 8; ++bit) {
        Status s = Decode(FlipBit(bytes, i, bit));
        ASSERT_TRUE(s.IsCorruption())
            << "level " << level << " byte " << i << " bit " << bit << ": " << s.ToString();
      }
    }
  }
}

// --- truncation --------------------------------------------------------------------------------

TEST(SegmentCorruptionTest, TruncatedInsideFileHeader) {
  ExpectCorruption(Decode(Reference().substr(0, 10)), "too short for the 40-byte trailer", 10);
}

TEST(SegmentCorruptionTest, TruncatedInsideBlock) {
  const BlockIndexEntry b = FooterOf(Reference()).blocks[2];
  Status s = Decode(Reference().substr(0, b.position + 100));
  ExpectCorruption(s, "bad magic in the trailer", b.position + 100 - 8);
  EXPECT_THAT(s.message(), HasSubstr("truncated"));
}

TEST(SegmentCorruptionTest, TruncatedInsideFooter) {
  const size_t n = FooterPosition(Reference()) + 30;
  ExpectCorruption(Decode(Reference().substr(0, n)), "bad magic in the trailer", n - 8);
}

TEST(SegmentCorruptionTest, TruncatedInsideTrailer) {
  const size_t n = Reference().size() - 5;
  ExpectCorruption(Decode(Reference().substr(0, n)), "bad magic in the trailer", n - 8);
}

TEST(SegmentCorruptionTest, EveryTruncationIsDetected) {
  auto r = testing::BuildSegment(testing::JsonLikeRecords(4, 6, 80), {.block_bytes = 200});
  ASSERT_TRUE(r.ok());
  for (size_t n = 0; n < r->size(); ++n) {
    ASSERT_TRUE(Decode(r->substr(0, n)).IsCorruption()) << n;
  }
}

TEST(SegmentCorruptionTest, TrailingGarbage) {
  ExpectCorruption(Decode(Reference() + "x"), "bad magic in the trailer", Reference().size() - 7);
}

// --- footer ------------------------------------------------------------------------------------

TEST(SegmentCorruptionTest, FooterEntriesOutOfOrder) {
  SegmentFooter f = FooterOf(Reference());
  // Swap the offsets of entries 1 and 2 (positions stay valid).
  std::swap(f.blocks[1].first_offset, f.blocks[2].first_offset);
  std::swap(f.blocks[1].last_offset, f.blocks[2].last_offset);
  ExpectCorruption(Decode(WithFooter(Reference(), f)), "index entry 2: first offset",
                   FooterPosition(Reference()) + kFooterFixedSize + 2 * kIndexEntrySize);
}

TEST(SegmentCorruptionTest, FooterEntriesOverlap) {
  SegmentFooter f = FooterOf(Reference());
  f.blocks[1].first_offset = f.blocks[0].last_offset;
  ExpectCorruption(Decode(WithFooter(Reference(), f)), "entries out of order or overlapping",
                   FooterPosition(Reference()) + kFooterFixedSize + kIndexEntrySize);
}

TEST(SegmentCorruptionTest, FooterEntryPointsOutsideTheObject) {
  SegmentFooter f = FooterOf(Reference());
  f.blocks.back().length = 1'000'000;
  Status s = Decode(WithFooter(Reference(), f));
  ExpectCorruption(s, "runs past the footer",
                   FooterPosition(Reference()) + kFooterFixedSize +
                       (f.blocks.size() - 1) * kIndexEntrySize + 40);
}

TEST(SegmentCorruptionTest, FooterEntryLeavesAGapBetweenBlocks) {
  SegmentFooter f = FooterOf(Reference());
  f.blocks[1].position += 1;
  ExpectCorruption(Decode(WithFooter(Reference(), f)), "should be",
                   FooterPosition(Reference()) + kFooterFixedSize + kIndexEntrySize + 32);
}

TEST(SegmentCorruptionTest, FooterIndexDoesNotCoverAllBlocks) {
  SegmentFooter f = FooterOf(Reference());
  f.blocks.pop_back();
  f.last_offset = f.blocks.back().last_offset;
  f.record_count = 0;
  for (const auto& b : f.blocks) f.record_count += b.record_count;
  ExpectCorruption(Decode(WithFooter(Reference(), f)), "unindexed bytes",
                   FooterOf(Reference()).blocks.back().position);
}

TEST(SegmentCorruptionTest, FooterFactsDisagreeWithIndex) {
  SegmentFooter f = FooterOf(Reference());
  f.record_count += 1;
  ExpectCorruption(Decode(WithFooter(Reference(), f)), "disagree with the block index",
                   FooterPosition(Reference()) + 8);
  f = FooterOf(Reference());
  f.max_timestamp += 1;
  ExpectCorruption(Decode(WithFooter(Reference(), f)), "disagree with the block index",
                   FooterPosition(Reference()) + 8);
}

TEST(SegmentCorruptionTest, FooterEntryWithoutRecordsOrWithImpossibleOffsets) {
  SegmentFooter f = FooterOf(Reference());
  f.blocks[0].record_count = 0;
  ExpectCorruption(Decode(WithFooter(Reference(), f)), "record count 0",
                   FooterPosition(Reference()) + kFooterFixedSize + 44);
  f = FooterOf(Reference());
  f.blocks[0].last_offset = f.blocks[0].first_offset + 1;  // cannot hold its records
  ExpectCorruption(Decode(WithFooter(Reference(), f)), "cannot hold",
                   FooterPosition(Reference()) + kFooterFixedSize);
  f = FooterOf(Reference());
  std::swap(f.blocks[0].min_timestamp, f.blocks[0].max_timestamp);
  ExpectCorruption(Decode(WithFooter(Reference(), f)), "min timestamp",
                   FooterPosition(Reference()) + kFooterFixedSize + 16);
}

TEST(SegmentCorruptionTest, FooterWithZeroBlocks) {
  std::string out;
  AppendFileHeader(&out);
  out += std::string(200, '\0');  // room for a block so that only the footer is wrong
  AppendFooterAndTrailer(&out, SegmentFooter{});
  Status s = Decode(out);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
}

TEST(SegmentCorruptionTest, FooterLengthInTrailerWrong) {
  std::string bytes = Reference();
  char* t = bytes.data() + bytes.size() - kTrailerSize;
  coding::EncodeFixed64(t + 8, coding::DecodeFixed64(t + 8) + kIndexEntrySize);
  coding::EncodeFixed32(t + 24, static_cast<uint32_t>(XXH3_64bits(t, 24)));
  ExpectCorruption(Decode(bytes), "does not end where the trailer starts",
                   bytes.size() - kTrailerSize);
}

// --- API misuse and block-level entry points ----------------------------------------------------

TEST(SegmentCorruptionTest, DecodeBlockChecksTheBytesAgainstItsEntry) {
  const SegmentFooter f = FooterOf(Reference());
  const BlockIndexEntry& e = f.blocks[1];
  DecodedBlock block;
  std::string_view all(Reference());
  ASSERT_TRUE(block.Decode(kObject, e, all.substr(e.position, e.length)).ok());
  EXPECT_FALSE(block.empty());
  ExpectCorruption(block.Decode(kObject, e, all.substr(e.position, e.length - 1)), "truncated",
                   e.position + e.length - 1);
  EXPECT_TRUE(block.empty());  // failed decodes leave no half-decoded records
  ExpectCorruption(block.Decode(kObject, f.blocks[2], all.substr(e.position, f.blocks[2].length)),
                   "", f.blocks[2].position);
}

TEST(SegmentCorruptionTest, ParseTrailerWantsExactlyTheTrailer) {
  EXPECT_TRUE(ParseTrailer(kObject, "short", 1000).status().IsInvalidArgument());
}

}  // namespace
}  // namespace kb::format
