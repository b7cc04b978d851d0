// Helpers shared by the corruption tests (segment_corruption_test.cc, block_corruption_test.cc).
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"
#include "format/segment_decoder.h"

namespace kb::format::corruption_test {

inline constexpr char kObject[] = "backups/orders/3/00000000000000000000-00000000000000000299";

inline Status Decode(std::string_view bytes) { return DecodeSegment(kObject, bytes).status(); }

// `s` is Corruption about kObject, mentions `what` and says "at byte <at>".
inline void ExpectCorruption(const Status& s, const std::string& what, uint64_t at) {
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_EQ(s.subject(), kObject);
  EXPECT_THAT(s.message(), ::testing::HasSubstr(what));
  EXPECT_THAT(s.message(), ::testing::HasSubstr("at byte " + std::to_string(at))) << s.message();
}

inline std::string FlipBit(std::string bytes, size_t byte, int bit = 0) {
  bytes[byte] = static_cast<char>(bytes[byte] ^ (1 << bit));
  return bytes;
}

}  // namespace kb::format::corruption_test
