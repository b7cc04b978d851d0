#include "format/coding.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace kb::format::coding {
namespace {

TEST(CodingTest, FixedWidthIsLittleEndian) {
  char buf[8];
  EncodeFixed16(buf, 0x0102);
  EXPECT_EQ(std::string(buf, 2), std::string("\x02\x01", 2));
  EncodeFixed32(buf, 0x01020304);
  EXPECT_EQ(std::string(buf, 4), std::string("\x04\x03\x02\x01", 4));
  EncodeFixed64(buf, 0x0102030405060708ULL);
  EXPECT_EQ(std::string(buf, 8), std::string("\x08\x07\x06\x05\x04\x03\x02\x01", 8));
  EXPECT_EQ(DecodeFixed64(buf), 0x0102030405060708ULL);
  EncodeFixed64(buf, ~0ULL);
  EXPECT_EQ(DecodeFixed64(buf), ~0ULL);
  EXPECT_EQ(DecodeFixed32(buf), 0xffffffffu);
  EXPECT_EQ(DecodeFixed16(buf), 0xffff);
}

TEST(CodingTest, ZigZagMapsSmallMagnitudesToSmallNumbers) {
  EXPECT_EQ(ZigZagEncode(0), 0u);
  EXPECT_EQ(ZigZagEncode(-1), 1u);
  EXPECT_EQ(ZigZagEncode(1), 2u);
  EXPECT_EQ(ZigZagEncode(-2), 3u);
  EXPECT_EQ(ZigZagEncode(std::numeric_limits<int64_t>::max()), ~1ULL);
  EXPECT_EQ(ZigZagEncode(std::numeric_limits<int64_t>::min()), ~0ULL);
  for (int64_t v : {int64_t{0}, int64_t{1}, int64_t{-1}, int64_t{123456789}, int64_t{-987654321},
                    std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()}) {
    EXPECT_EQ(ZigZagDecode(ZigZagEncode(v)), v);
  }
}

TEST(CodingTest, VarintRoundTripsAndLengths) {
  std::vector<uint64_t> values = {0, 1, 127, 128, 255, 300, 16383, 16384, ~0ULL, 1ULL << 63};
  for (int shift = 0; shift < 64; ++shift) values.push_back((1ULL << shift) - 1);
  for (uint64_t v : values) {
    char buf[kMaxVarint64Bytes];
    char* end = EncodeVarint64(buf, v);
    ASSERT_EQ(static_cast<size_t>(end - buf), VarintLength(v)) << v;
    uint64_t decoded = 0;
    EXPECT_EQ(DecodeVarint64(buf, end, &decoded), end) << v;
    EXPECT_EQ(decoded, v);
    // Any truncation is detected.
    for (char* limit = buf; limit < end; ++limit) {
      EXPECT_EQ(DecodeVarint64(buf, limit, &decoded), nullptr) << v;
    }
  }
  EXPECT_EQ(VarintLength(~0ULL), 10u);
  char buf[kMaxVarint64Bytes];
  EXPECT_EQ(EncodeVarint64(buf, 300) - buf, 2);
  EXPECT_EQ(std::string(buf, 2), std::string("\xac\x02", 2));
}

TEST(CodingTest, VarintRejectsOverlongAndOverflowingInput) {
  uint64_t v;
  // 11 bytes of continuation.
  const std::string eleven(11, '\x80');
  EXPECT_EQ(DecodeVarint64(eleven.data(), eleven.data() + eleven.size(), &v), nullptr);
  // 10th byte carrying more than bit 63.
  std::string overflow(9, '\xff');
  overflow += '\x02';
  EXPECT_EQ(DecodeVarint64(overflow.data(), overflow.data() + overflow.size(), &v), nullptr);
  overflow.back() = '\x01';
  EXPECT_EQ(DecodeVarint64(overflow.data(), overflow.data() + overflow.size(), &v),
            overflow.data() + overflow.size());
  EXPECT_EQ(v, ~0ULL);
  // Empty input.
  EXPECT_EQ(DecodeVarint64(eleven.data(), eleven.data(), &v), nullptr);
}

TEST(CodingTest, BufferGrowsKeepingContents) {
  Buffer b;
  EXPECT_EQ(b.size(), 0u);
  std::memcpy(b.Extend(3), "abc", 3);
  for (int i = 0; i < 1000; ++i) *b.Extend(1) = static_cast<char>('0' + i % 10);
  ASSERT_EQ(b.size(), 1003u);
  EXPECT_EQ(std::string(b.data(), 4), "abc0");
  EXPECT_EQ(b.data()[1002], '9');
  b.clear();
  EXPECT_EQ(b.size(), 0u);
}

}  // namespace
}  // namespace kb::format::coding
