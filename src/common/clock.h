// Wall-clock time in milliseconds since the Unix epoch: what record timestamps, store metadata
// (detected_at_ms, updated_at_ms, first-seen times) and history keys use. Elapsed time and
// deadlines use std::chrono::steady_clock instead.
//
// Thread-safety: thread-safe. Never fails.
#pragma once

#include <chrono>
#include <cstdint>

namespace kb {

inline int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace kb
