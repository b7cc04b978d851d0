// MemoryGauge: bytes of buffer memory the backup engine holds right now (block buffers and
// compressed blocks, of open segments and of sealed ones waiting for the store). Components add
// what they allocate and subtract what they free; the engine compares the total with
// backup.buffer_memory.
//
// Thread-safety: all methods may be called from any thread (one atomic counter).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace kb::backup {

class MemoryGauge {
 public:
  void Add(size_t bytes) {
    bytes_.fetch_add(static_cast<int64_t>(bytes), std::memory_order_relaxed);
  }
  void Sub(size_t bytes) {
    bytes_.fetch_sub(static_cast<int64_t>(bytes), std::memory_order_relaxed);
  }
  uint64_t bytes() const {
    const int64_t b = bytes_.load(std::memory_order_relaxed);
    return b > 0 ? static_cast<uint64_t>(b) : 0;
  }
  // The most ever held (for tests and the final log line).
  void NotePeak() {
    const int64_t b = bytes_.load(std::memory_order_relaxed);
    int64_t p = peak_.load(std::memory_order_relaxed);
    while (b > p && !peak_.compare_exchange_weak(p, b, std::memory_order_relaxed)) {
    }
  }
  uint64_t peak() const { return static_cast<uint64_t>(peak_.load(std::memory_order_relaxed)); }

 private:
  std::atomic<int64_t> bytes_{0};
  std::atomic<int64_t> peak_{0};
};

}  // namespace kb::backup
