// Error helpers shared by the segment decoders (segment_footer.cc, segment_decoder.cc). Internal.
//
// Thread-safety: pure functions.
#pragma once

#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "common/status.h"

namespace kb::format::internal {

// Fuzz builds (segment_fuzz) ignore checksum mismatches so that mutated inputs reach the parsers.
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
inline constexpr bool kVerifyChecksums = false;
#else
inline constexpr bool kVerifyChecksums = true;
#endif

inline std::string Num(uint64_t v) { return std::to_string(v); }
inline std::string SNum(int64_t v) { return std::to_string(v); }

inline std::string Hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof(buf), "0x%016" PRIx64, v);
  return buf;
}

inline std::string HexBytes(std::string_view bytes) {
  std::string out;
  char buf[4];
  for (unsigned char c : bytes) {
    std::snprintf(buf, sizeof(buf), "%02x", c);
    out += buf;
  }
  return out;
}

// Corruption about `object`; every message ends with the byte position it is about.
[[gnu::noinline]] inline Status Corrupt(std::string_view object, uint64_t at,
                                        const std::string& what) {
  return Status::Corruption(object, what + " at byte " + Num(at));
}

}  // namespace kb::format::internal
