// Round trips through SegmentWriter and DecodeSegment: every record attribute survives exactly.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "format/coding.h"
#include "format/format_testing.h"
#include "format/segment_decoder.h"
#include "format/segment_writer.h"

namespace kb::format {

// gtest prints records readably (bytes escaped, long values abbreviated).
void PrintTo(const Record& r, std::ostream* os) { *os << testing::DebugString(r); }

namespace {

using ::testing::HasSubstr;

constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
const char kKey[] = "test/0/00000000000000000000-00000000000000000009";

Record Rec(int64_t offset, std::optional<std::string> key, std::optional<std::string> value,
           std::vector<Header> headers = {}, int64_t ts = 1'700'000'000'000,
           TimestampType type = TimestampType::kCreateTime) {
  return Record{offset, ts, type, std::move(key), std::move(value), std::move(headers)};
}

// Writes, decodes, compares; returns the decoded segment for further checks.
DecodedSegment RoundTrip(const std::vector<Record>& records, WriterOptions options = {},
                         std::string* bytes_out = nullptr) {
  Result<std::string> bytes = testing::BuildSegment(records, options);
  EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
  if (!bytes.ok()) return {};
  Result<DecodedSegment> decoded = DecodeSegment(kKey, *bytes);
  EXPECT_TRUE(decoded.ok()) << decoded.status().ToString();
  if (!decoded.ok()) return {};
  EXPECT_TRUE(VerifySegment(kKey, *bytes).ok());
  std::vector<Record> got = decoded->ToRecords();
  EXPECT_EQ(got.size(), records.size());
  for (size_t i = 0; i < std::min(got.size(), records.size()); ++i) {
    EXPECT_EQ(got[i], records[i]) << "record " << i;
  }
  const SegmentFooter& f = decoded->footer;
  EXPECT_EQ(f.record_count, records.size());
  if (!records.empty()) {
    EXPECT_EQ(f.first_offset, records.front().offset);
    EXPECT_EQ(f.last_offset, records.back().offset);
    auto [lo, hi] = std::minmax_element(
        records.begin(), records.end(),
        [](const Record& a, const Record& b) { return a.timestamp < b.timestamp; });
    EXPECT_EQ(f.min_timestamp, lo->timestamp);
    EXPECT_EQ(f.max_timestamp, hi->timestamp);
  }
  if (bytes_out != nullptr) *bytes_out = std::move(*bytes);
  return std::move(decoded).value();
}

// Fields of the block header of `entry` in `bytes`.
uint32_t UncompressedSize(const std::string& bytes, const BlockIndexEntry& entry) {
  return coding::DecodeFixed32(bytes.data() + entry.position + 12);
}
Compression BlockCompression(const std::string& bytes, const BlockIndexEntry& entry) {
  return static_cast<Compression>(bytes[entry.position + 20]);
}

TEST(SegmentRoundTripTest, NullAndEmptyKeysAndValuesStayDistinct) {
  RoundTrip({Rec(0, std::nullopt, std::nullopt), Rec(1, "", ""), Rec(2, std::nullopt, ""),
             Rec(3, "", std::nullopt), Rec(4, "k", "v")});
}

TEST(SegmentRoundTripTest, TombstoneKeepsKeyAndNullValue) {
  DecodedSegment s = RoundTrip({Rec(7, "user-1", "{}"), Rec(8, "user-1", std::nullopt)});
  ASSERT_EQ(s.blocks.size(), 1u);
  EXPECT_FALSE(s.blocks[0][1].value.has_value());
  EXPECT_EQ(*s.blocks[0][1].key, "user-1");
}

TEST(SegmentRoundTripTest, HeadersKeepOrderDuplicatesEmptyKeysAndNullValues) {
  std::vector<Header> headers = {{"a", "1"},          {"a", "2"}, {"", "empty key"},
                                 {"n", std::nullopt}, {"e", ""},  {"a", std::nullopt},
                                 {"", std::nullopt}};
  DecodedSegment s =
      RoundTrip({Rec(0, "k", "v", headers), Rec(1, "k", "v"), Rec(2, "k", "v", headers)});
  ASSERT_EQ(s.blocks.size(), 1u);
  EXPECT_EQ(s.blocks[0][0].headers.size(), headers.size());
  EXPECT_TRUE(s.blocks[0][1].headers.empty());
  EXPECT_FALSE(s.blocks[0][2].headers[3].value.has_value());
  EXPECT_EQ(*s.blocks[0][2].headers[4].value, "");
}

TEST(SegmentRoundTripTest, ExtremeTimestampsAndAllTimestampTypes) {
  std::vector<Record> records;
  const int64_t timestamps[] = {0, -1, kMin, kMax, 1, kMin + 1, kMax - 1, -1'000'000'000'000};
  int64_t offset = 0;
  for (int64_t ts : timestamps) {
    for (auto type : {TimestampType::kNotAvailable, TimestampType::kCreateTime,
                      TimestampType::kLogAppendTime}) {
      records.push_back(Rec(offset++, "k", "v", {}, ts, type));
    }
  }
  DecodedSegment s = RoundTrip(records);
  EXPECT_EQ(s.footer.min_timestamp, kMin);
  EXPECT_EQ(s.footer.max_timestamp, kMax);
}

TEST(SegmentRoundTripTest, NonContiguousOffsets) {
  DecodedSegment s = RoundTrip({Rec(5, "a", "1"), Rec(6, "b", "2"), Rec(100, "c", "3"),
                                Rec(100'000'000'000, "d", "4"), Rec(100'000'000'001, "e", "5")});
  EXPECT_EQ(s.footer.first_offset, 5);
  EXPECT_EQ(s.footer.last_offset, 100'000'000'001);
}

TEST(SegmentRoundTripTest, OffsetsNearInt64Max) {
  RoundTrip(
      {Rec(0, "a", "1"), Rec(kMax - 2, "b", "2"), Rec(kMax - 1, "c", "3"), Rec(kMax, "d", "4")});
  RoundTrip({Rec(kMax, "only", "one")});
}

TEST(SegmentRoundTripTest, BinaryBytesIncludingNul) {
  std::string all;
  for (int c = 0; c < 256; ++c) all += static_cast<char>(c);
  RoundTrip({Rec(0, std::string("\0k\0", 3), all, {{std::string("\0", 1), all}}),
             Rec(1, all, std::string(1000, '\0'))});
}

TEST(SegmentRoundTripTest, TenMiBValueFormsItsOwnBlock) {
  std::string big(10 << 20, 'x');
  for (size_t i = 0; i < big.size(); i += 4096) big[i] = static_cast<char>(i / 4096);
  for (int level : {0, 1, 3}) {
    WriterOptions options;
    options.zstd_level = level;
    std::string bytes;
    DecodedSegment s = RoundTrip(
        {Rec(0, "small", "before"), Rec(1, "big", big), Rec(2, "small", "after")}, options, &bytes);
    ASSERT_EQ(s.blocks.size(), 3u) << "level " << level;
    EXPECT_EQ(s.footer.blocks[1].record_count, 1u);
    EXPECT_GT(UncompressedSize(bytes, s.footer.blocks[1]), 10u << 20);
  }
}

class SegmentLevelTest : public ::testing::TestWithParam<int> {};

TEST_P(SegmentLevelTest, RandomRecordsRoundTripAtEveryLevel) {
  WriterOptions options;
  options.zstd_level = GetParam();
  options.block_bytes = 16 << 10;
  std::string bytes;
  DecodedSegment s = RoundTrip(testing::RandomRecords(42, 500), options, &bytes);
  EXPECT_GT(s.blocks.size(), 3u);
  for (const BlockIndexEntry& e : s.footer.blocks) {
    if (GetParam() == 0) {
      EXPECT_EQ(BlockCompression(bytes, e), Compression::kNone);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Levels, SegmentLevelTest, ::testing::Values(-7, -3, -1, 0, 1, 3, 19));

// Every codec setting: which block compressions it may write and which format version.
struct CodecCase {
  const char* name;
  Compression codec;
  int level;
  Compression compresses_to;  // what a compressible block becomes
  uint16_t version;
};
constexpr CodecCase kCodecCases[] = {
    {"zstd3", Compression::kZstd, 3, Compression::kZstd, kPlainFormatVersion},
    {"zstd_fast1", Compression::kZstd, -1, Compression::kZstd, kPlainFormatVersion},
    {"zstd_fast7", Compression::kZstd, -7, Compression::kZstd, kPlainFormatVersion},
    {"zstd0", Compression::kZstd, 0, Compression::kNone, kPlainFormatVersion},
    {"lz4", Compression::kLz4, 0, Compression::kLz4, kPlainLz4FormatVersion},
    {"none", Compression::kNone, 3, Compression::kNone, kPlainFormatVersion},
};

class SegmentCodecTest : public ::testing::TestWithParam<CodecCase> {
 protected:
  WriterOptions Options(size_t block_bytes = size_t{256} << 10) const {
    WriterOptions o;
    o.codec = GetParam().codec;
    o.zstd_level = GetParam().level;
    o.block_bytes = block_bytes;
    return o;
  }
};

TEST_P(SegmentCodecTest, CompressibleRecordsRoundTripInTheCodec) {
  std::string bytes;
  const std::vector<Record> records = testing::JsonLikeRecords(1, 2000, 500);
  DecodedSegment s = RoundTrip(records, Options(16 << 10), &bytes);
  EXPECT_EQ(s.version, GetParam().version);
  ASSERT_GT(s.footer.blocks.size(), 3u);
  for (const BlockIndexEntry& e : s.footer.blocks) {
    EXPECT_EQ(BlockCompression(bytes, e), GetParam().compresses_to) << "block at " << e.position;
  }
  WriterOptions stored = Options(16 << 10);
  stored.codec = Compression::kNone;
  auto uncompressed = testing::BuildSegment(records, stored);
  ASSERT_TRUE(uncompressed.ok());
  if (GetParam().compresses_to != Compression::kNone) {
    EXPECT_LT(bytes.size(), uncompressed->size() * 3 / 4);
  } else {
    EXPECT_EQ(bytes, *uncompressed);
  }
}

TEST_P(SegmentCodecTest, RandomRecordsAndIncompressibleBlocks) {
  std::string bytes;
  DecodedSegment s = RoundTrip(testing::RandomRecords(42, 500), Options(16 << 10), &bytes);
  EXPECT_GT(s.blocks.size(), 3u);
  for (const BlockIndexEntry& e : s.footer.blocks) {
    const Compression c = BlockCompression(bytes, e);
    EXPECT_TRUE(c == Compression::kNone || c == GetParam().compresses_to);
  }
  // Random bytes do not compress: the block is stored as is, in any codec.
  std::string noise;
  uint64_t x = 88172645463325252ULL;
  for (int i = 0; i < 4000; ++i) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    noise += static_cast<char>(x);
  }
  s = RoundTrip({Rec(0, std::nullopt, noise)}, Options(), &bytes);
  EXPECT_EQ(BlockCompression(bytes, s.footer.blocks[0]), Compression::kNone);
  EXPECT_EQ(s.version, GetParam().version);
}

TEST_P(SegmentCodecTest, TenMiBValueAndTinyBlocks) {
  std::string big(10 << 20, 'x');
  for (size_t i = 0; i < big.size(); i += 4096) big[i] = static_cast<char>(i / 4096);
  std::string bytes;
  DecodedSegment s = RoundTrip(
      {Rec(0, "small", "before"), Rec(1, "big", big), Rec(2, "small", "after")}, Options(), &bytes);
  ASSERT_EQ(s.blocks.size(), 3u);
  EXPECT_EQ(BlockCompression(bytes, s.footer.blocks[1]), GetParam().compresses_to);
  for (uint64_t seed = 1; seed <= 10; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    RoundTrip(testing::RandomRecords(seed, 1 + (seed * 37) % 400, 1 + (seed * 101) % 5000),
              Options(size_t{1} << (6 + seed % 12)));
  }
}

INSTANTIATE_TEST_SUITE_P(Codecs, SegmentCodecTest, ::testing::ValuesIn(kCodecCases),
                         [](const ::testing::TestParamInfo<CodecCase>& param) {
                           return std::string(param.param.name);
                         });

TEST(SegmentRoundTripTest, CompressibleBlocksAreZstdAndIncompressibleStored) {
  WriterOptions options;
  options.zstd_level = 3;
  std::string bytes;
  DecodedSegment s = RoundTrip(testing::JsonLikeRecords(1, 200, 500), options, &bytes);
  ASSERT_EQ(s.footer.blocks.size(), 1u);
  EXPECT_EQ(BlockCompression(bytes, s.footer.blocks[0]), Compression::kZstd);
  EXPECT_LT(bytes.size(), 200u * 500 / 2);

  // Random bytes do not compress: the block is stored as is.
  std::string noise;
  uint64_t x = 88172645463325252ULL;
  for (int i = 0; i < 4000; ++i) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    noise += static_cast<char>(x);
  }
  s = RoundTrip({Rec(0, std::nullopt, noise)}, options, &bytes);
  EXPECT_EQ(BlockCompression(bytes, s.footer.blocks[0]), Compression::kNone);
}

TEST(SegmentRoundTripTest, TinyBlockSizeGivesOneBlockPerRecord) {
  WriterOptions options;
  options.block_bytes = 1;
  std::vector<Record> records = testing::RandomRecords(7, 50);
  DecodedSegment s = RoundTrip(records, options);
  ASSERT_EQ(s.blocks.size(), records.size());
  for (size_t i = 0; i < records.size(); ++i) {
    EXPECT_EQ(s.footer.blocks[i].first_offset, records[i].offset);
    EXPECT_EQ(s.footer.blocks[i].last_offset, records[i].offset);
  }
}

TEST(SegmentRoundTripTest, BlocksCloseBeforeExceedingTheTargetSize) {
  for (size_t block_bytes : {100u, 1000u, 5000u}) {
    WriterOptions options;
    options.block_bytes = block_bytes;
    options.zstd_level = 1;
    std::string bytes;
    DecodedSegment s = RoundTrip(testing::RandomRecords(3, 300, 700), options, &bytes);
    for (size_t i = 0; i < s.footer.blocks.size(); ++i) {
      const BlockIndexEntry& e = s.footer.blocks[i];
      if (e.record_count > 1) {
        EXPECT_LE(UncompressedSize(bytes, e), block_bytes);
      }
      // A block closed early only if the next record would not have fit. (40 + 6 per header
      // bounds the record's encoding overhead over its payload for these small records.)
      if (i + 1 < s.footer.blocks.size()) {
        const RecordView& next = s.blocks[i + 1][0];
        EXPECT_GT(UncompressedSize(bytes, e) + PayloadBytes(next) + 40 + 6 * next.headers.size(),
                  block_bytes);
      }
    }
  }
}

TEST(SegmentRoundTripTest, SingleRecordSegment) {
  DecodedSegment s =
      RoundTrip({Rec(42, "k", "v", {{"h", "x"}}, -5, TimestampType::kLogAppendTime)});
  ASSERT_EQ(s.footer.blocks.size(), 1u);
  EXPECT_EQ(s.footer.first_offset, 42);
  EXPECT_EQ(s.footer.last_offset, 42);
}

TEST(SegmentRoundTripTest, RandomizedRoundTripsWithFixedSeeds) {
  for (uint64_t seed = 1; seed <= 30; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    WriterOptions options;
    options.zstd_level = static_cast<int>(seed % 4);
    options.block_bytes = size_t{1} << (6 + seed % 12);
    RoundTrip(testing::RandomRecords(seed, 1 + (seed * 37) % 400, 1 + (seed * 101) % 5000,
                                     static_cast<int64_t>(seed * seed * 1000)),
              options);
  }
}

TEST(SegmentWriterTest, ZeroRecordsIsInvalidArgument) {
  Result<SegmentWriter> w = SegmentWriter::Create({});
  ASSERT_TRUE(w.ok());
  Result<std::string> r = w->Finish();
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsInvalidArgument());
  EXPECT_THAT(r.status().message(), HasSubstr("at least one record"));
}

TEST(SegmentWriterTest, RejectsOffsetsThatDoNotIncrease) {
  WriterOptions options;
  options.subject = "orders/3";
  Result<SegmentWriter> w = SegmentWriter::Create(options);
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE(w->Add(Rec(10, "k", "v")).ok());
  Status same = w->Add(Rec(10, "k", "v"));
  EXPECT_TRUE(same.IsInvalidArgument());
  EXPECT_EQ(same.subject(), "orders/3");
  EXPECT_THAT(same.message(), HasSubstr("offset 10 is not greater than offset 10"));
  EXPECT_TRUE(w->Add(Rec(9, "k", "v")).IsInvalidArgument());
  EXPECT_TRUE(w->Add(Rec(11, "k", "v")).ok());  // the writer is still usable
  EXPECT_EQ(w->record_count(), 2u);
}

TEST(SegmentWriterTest, RejectsNegativeOffsetAndUnknownTimestampType) {
  Result<SegmentWriter> w = SegmentWriter::Create({});
  ASSERT_TRUE(w.ok());
  EXPECT_TRUE(w->Add(Rec(-1, "k", "v")).IsInvalidArgument());
  Record bad = Rec(0, "k", "v");
  bad.timestamp_type = static_cast<TimestampType>(3);
  EXPECT_TRUE(w->Add(bad).IsInvalidArgument());
  EXPECT_TRUE(w->empty());
}

TEST(SegmentWriterTest, RejectsRecordLargerThanTheBlockLimit) {
  Result<SegmentWriter> w = SegmentWriter::Create({});
  ASSERT_TRUE(w.ok());
  Status s = w->Add(Rec(0, std::nullopt, std::string(kMaxBlockBytes, 'x')));
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_THAT(s.message(), HasSubstr("limit"));
}

TEST(SegmentWriterTest, RejectsBadOptions) {
  for (int level : {kMinZstdLevel - 1, 20}) {
    WriterOptions o;
    o.zstd_level = level;
    Status s = SegmentWriter::Create(o).status();
    EXPECT_TRUE(s.IsInvalidArgument()) << level;
    EXPECT_THAT(s.message(), HasSubstr("-7..-1 (fast levels) or 1..19"));
  }
  WriterOptions unknown;
  unknown.codec = static_cast<Compression>(3);
  EXPECT_TRUE(SegmentWriter::Create(unknown).status().IsInvalidArgument());
  WriterOptions lz4;  // the zstd level does not apply to LZ4
  lz4.codec = Compression::kLz4;
  lz4.zstd_level = 99;
  EXPECT_TRUE(SegmentWriter::Create(lz4).ok());
  for (size_t block_bytes : {size_t{0}, kMaxBlockBytes + 1}) {
    WriterOptions o;
    o.block_bytes = block_bytes;
    EXPECT_TRUE(SegmentWriter::Create(o).status().IsInvalidArgument()) << block_bytes;
  }
}

TEST(SegmentWriterTest, ReportsOffsetsAndSizeAndIsReusableAfterFinish) {
  WriterOptions options;
  options.zstd_level = 0;  // buffered_bytes is exact without compression
  options.block_bytes = 300;
  Result<SegmentWriter> w = SegmentWriter::Create(options);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->first_offset(), -1);
  EXPECT_EQ(w->last_offset(), -1);
  std::vector<Record> records = testing::RandomRecords(11, 40, 100, 1000);
  for (const Record& r : records) ASSERT_TRUE(w->Add(r).ok());
  EXPECT_EQ(w->first_offset(), 1000);
  EXPECT_EQ(w->last_offset(), records.back().offset);
  EXPECT_EQ(w->record_count(), 40u);
  const size_t predicted = w->buffered_bytes();
  Result<std::string> first = w->Finish();
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->size(), predicted);
  EXPECT_TRUE(w->empty());
  EXPECT_EQ(w->first_offset(), -1);

  // A second segment from the same writer is independent of the first.
  for (const Record& r : records) ASSERT_TRUE(w->Add(r).ok());
  Result<std::string> second = w->Finish();
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*first, *second);
}

TEST(DecodedBlockTest, LowerBoundFindsOffsets) {
  DecodedSegment s = RoundTrip({Rec(10, "a", "1"), Rec(20, "b", "2"), Rec(30, "c", "3")});
  const DecodedBlock& b = s.blocks[0];
  EXPECT_EQ(b.LowerBound(0), 0u);
  EXPECT_EQ(b.LowerBound(10), 0u);
  EXPECT_EQ(b.LowerBound(11), 1u);
  EXPECT_EQ(b.LowerBound(30), 2u);
  EXPECT_EQ(b.LowerBound(31), 3u);
  EXPECT_EQ(b.payload_bytes(), 6u);
}

TEST(BlockIndexTest, FindBlocksByOffsetAndTime) {
  WriterOptions options;
  options.block_bytes = 1;  // one block per record
  std::vector<Record> records = {Rec(10, "a", "1", {}, 500), Rec(20, "b", "2", {}, 100),
                                 Rec(30, "c", "3", {}, 300), Rec(40, "d", "4", {}, 200)};
  DecodedSegment s = RoundTrip(records, options);
  const SegmentFooter& f = s.footer;
  auto range = [&f](int64_t a, int64_t b) {
    BlockRange r = FindBlocksByOffset(f, a, b);
    return std::make_pair(r.begin, r.end);
  };
  EXPECT_EQ(range(0, 9), std::make_pair(size_t{0}, size_t{0}));
  EXPECT_EQ(range(10, 10), std::make_pair(size_t{0}, size_t{1}));
  EXPECT_EQ(range(11, 19), std::make_pair(size_t{1}, size_t{1}));  // a gap: empty
  EXPECT_EQ(range(15, 35), std::make_pair(size_t{1}, size_t{3}));
  EXPECT_EQ(range(0, kMax), std::make_pair(size_t{0}, size_t{4}));
  EXPECT_EQ(range(41, kMax), std::make_pair(size_t{4}, size_t{4}));
  EXPECT_EQ(FindBlocksByTime(f, 150, 350), (std::vector<size_t>{2, 3}));
  EXPECT_EQ(FindBlocksByTime(f, kMin, kMax), (std::vector<size_t>{0, 1, 2, 3}));
  EXPECT_TRUE(FindBlocksByTime(f, 501, kMax).empty());
}

TEST(BlockIndexTest, TimeLookupFindsEveryRecordInTheWindow) {
  WriterOptions options;
  options.block_bytes = 2000;
  std::vector<Record> records = testing::RandomRecords(5, 400, 300);
  DecodedSegment s = RoundTrip(records, options);
  const int64_t from = 1'700'000'010'000;
  const int64_t to = 1'700'000'060'000;
  std::vector<size_t> blocks = FindBlocksByTime(s.footer, from, to);
  std::vector<int64_t> found;
  for (size_t b : blocks) {
    for (const RecordView& r : s.blocks[b].records()) {
      if (r.timestamp >= from && r.timestamp <= to) found.push_back(r.offset);
    }
  }
  std::vector<int64_t> expected;
  for (const Record& r : records) {
    if (r.timestamp >= from && r.timestamp <= to) expected.push_back(r.offset);
  }
  EXPECT_FALSE(expected.empty());
  EXPECT_EQ(found, expected);
  EXPECT_LT(blocks.size(), s.blocks.size());
}

}  // namespace
}  // namespace kb::format
