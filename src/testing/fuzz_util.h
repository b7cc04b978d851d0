// Helpers shared by the libFuzzer targets (*_fuzz.cc, built with -DKB_BUILD_FUZZ=ON and run by
// scripts/fuzz.sh): a contract violation aborts with a message (libFuzzer then saves the input),
// error statuses are checked against the codes a decoder may return, and the seed corpus is
// written by the target itself when KB_FUZZ_WRITE_SEEDS=<dir> is set (see WriteSeedsIfAsked).
//
// Multi-decoder targets dispatch on the first input byte (Selector): byte % n picks the decoder,
// the rest of the input is what that decoder reads, and each seed starts with its decoder's byte.
//
// Header-only, so that fuzz targets need no test library. Not thread-safe (fuzz targets are not).
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>

#include "common/status.h"

namespace kb::fuzz {

// Aborts: libFuzzer reports the crash and keeps the input under its artifact prefix.
[[noreturn]] inline void Fail(std::string_view what, std::string_view detail = {}) {
  std::fprintf(stderr, "contract violated: %.*s: %.*s\n", static_cast<int>(what.size()),
               what.data(), static_cast<int>(detail.size()), detail.data());
  std::abort();
}

// A failed status must have one of `codes` and (with need_subject) name a subject; OK passes.
inline void CheckError(std::string_view what, const Status& s,
                       std::initializer_list<Status::Code> codes, bool need_subject = true) {
  if (s.ok()) return;
  for (Status::Code c : codes) {
    if (s.code() == c) {
      if (need_subject && s.subject().empty()) {
        Fail(what, "error without a subject: " + s.ToString());
      }
      return;
    }
  }
  Fail(what, "unexpected error code: " + s.ToString());
}

// Writes seed inputs, one file each, into a directory.
class SeedWriter {
 public:
  explicit SeedWriter(std::string dir) : dir_(std::move(dir)) {}
  // A seed for the decoder that `selector` picks (see Selector); selector < 0: no selector byte.
  void Put(int selector, std::string_view bytes) {
    std::string data;
    if (selector >= 0) data.push_back(static_cast<char>(selector));
    data.append(bytes);
    std::ofstream out(dir_ + "/seed-" + std::to_string(count_++), std::ios::binary);
    out << data;
    if (!out) Fail("writing a seed", dir_);
  }
  int count() const { return count_; }

 private:
  std::string dir_;
  int count_ = 0;
};

// Call from LLVMFuzzerInitialize: with KB_FUZZ_WRITE_SEEDS=<dir> set, writes the seeds and exits.
inline void WriteSeedsIfAsked(const std::function<void(SeedWriter&)>& write) {
  const char* dir = std::getenv("KB_FUZZ_WRITE_SEEDS");
  if (dir == nullptr) return;
  SeedWriter w(dir);
  write(w);
  std::fprintf(stderr, "wrote %d seeds to %s\n", w.count(), dir);
  std::exit(0);
}

// The first byte of a multi-decoder target's input picks the decoder; the rest is its input.
struct Selector {
  int index = -1;  // -1: empty input
  std::string_view rest;
};
inline Selector Select(const uint8_t* data, size_t size, int n) {
  if (size == 0) return {};
  return {data[0] % n, std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1)};
}

}  // namespace kb::fuzz
