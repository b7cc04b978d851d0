// Human-friendly sizes and durations in the config file: "64MiB", "512KiB", "1GB", "1048576";
// "500ms", "30s", "5m", "2h", "7d". Errors name the config key.
//
// Thread-safety: pure functions.
#pragma once

#include <chrono>
#include <cstdint>
#include <string_view>

#include "common/status.h"

namespace kb {

// Bytes: an integer with an optional suffix B, KB/MB/GB/TB (powers of 1000) or KiB/MiB/GiB/TiB
// (powers of 1024).
Result<uint64_t> ParseBytes(std::string_view text, std::string_view config_key);

// Duration: an integer with a suffix ms, s, m, h or d. A bare integer is rejected (ambiguous).
Result<std::chrono::milliseconds> ParseDuration(std::string_view text, std::string_view config_key);

}  // namespace kb
