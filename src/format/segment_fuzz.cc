// libFuzzer target for the segment decoders: whatever the bytes, DecodeSegment, ParseTrailer,
// ParseFooter and DecodedBlock::Decode must return (no crash, no out-of-bounds access, no
// unbounded allocation: ASan/UBSan and libFuzzer's -rss_limit_mb watch), and every failure must be
// Corruption naming the object and a byte position, or NotImplemented for a newer version.
// Whatever decodes must re-encode to the same records.
//
// Built with clang only (-DKB_BUILD_FUZZ=ON) against kb_format_fuzzing, a copy of the library that
// ignores checksum mismatches so mutations reach the parsers behind them. scripts/fuzz.sh runs it.
//
// Seed mode: with KB_FUZZ_WRITE_SEEDS=<dir> in the environment the binary writes a corpus of valid
// segments into <dir> and exits instead of fuzzing.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "format/format_testing.h"
#include "format/segment_decoder.h"
#include "format/segment_writer.h"

namespace {

using namespace kb::format;  // NOLINT(google-build-using-namespace): a fuzz harness

constexpr char kObject[] = "fuzz/topic/0/00000000000000000000-00000000000000000009";

[[noreturn]] void Fail(const char* what, const kb::Status& s) {
  std::fprintf(stderr, "contract violated: %s: %s\n", what, s.ToString().c_str());
  std::abort();
}

// Failures must be Corruption with the object as subject and a byte position, or a newer version.
void CheckFailure(const char* what, const kb::Status& s) {
  if (s.ok()) return;
  if (s.code() == kb::Status::Code::kNotImplemented &&
      s.message().find("upgrade kafka-backup") != std::string::npos) {
    return;
  }
  if (!s.IsCorruption() || s.subject() != kObject ||
      s.message().find("at byte ") == std::string::npos) {
    Fail(what, s);
  }
}

void WriteSeeds(const char* dir) {
  int n = 0;
  auto put = [&](const std::vector<Record>& records, WriterOptions options) {
    auto bytes = testing::BuildSegment(records, options);
    if (!bytes.ok()) Fail("building a seed", bytes.status());
    std::ofstream(std::string(dir) + "/seed-" + std::to_string(n++), std::ios::binary) << *bytes;
  };
  for (uint64_t seed = 1; seed <= 12; ++seed) {
    WriterOptions options;
    options.zstd_level = static_cast<int>(seed % 3);  // none, 1, 2
    options.block_bytes = size_t{64} << (seed % 5);
    put(testing::RandomRecords(seed, 1 + seed % 7, 40, static_cast<int64_t>(seed) * 1000), options);
  }
  put(testing::JsonLikeRecords(1, 5, 120), {.zstd_level = 3, .block_bytes = 300});
  put(testing::JsonLikeRecords(2, 1, 60), {.zstd_level = 0});
  // LZ4 blocks (version 3) and zstd's fast levels, so that mutations reach the LZ4 decoder.
  for (uint64_t seed = 1; seed <= 6; ++seed) {
    put(testing::JsonLikeRecords(seed, 1 + seed % 5, 40 + 20 * seed),
        {.block_bytes = size_t{64} << (seed % 4), .codec = Compression::kLz4});
  }
  put(testing::RandomRecords(3, 4, 40, 0), {.block_bytes = 128, .codec = Compression::kLz4});
  put(testing::JsonLikeRecords(4, 5, 120), {.zstd_level = -3, .block_bytes = 300});
  std::fprintf(stderr, "wrote %d seed segments to %s\n", n, dir);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  if (const char* dir = std::getenv("KB_FUZZ_WRITE_SEEDS")) {
    WriteSeeds(dir);
    std::exit(0);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);

  // Whole object, block by block (memory bounded by one block).
  const kb::Status verified = VerifySegment(kObject, bytes);
  CheckFailure("VerifySegment", verified);

  // Whole object, all blocks kept: memory grows with the uncompressed size, up to 64 MiB per block
  // even for tiny zstd frames, so only small inputs (at most a few such blocks) go this way.
  if (size <= 16384) {
    auto segment = DecodeSegment(kObject, bytes);
    CheckFailure("DecodeSegment", segment.status());
    if (segment.ok() != verified.ok()) Fail("VerifySegment and DecodeSegment disagree", verified);
    if (segment.ok()) {
      const std::vector<Record> records = segment->ToRecords();
      if (records.size() != segment->footer.record_count) Fail("record count", kb::Status());
      auto again = testing::BuildSegment(records, {.zstd_level = 0});
      if (!again.ok()) Fail("re-encoding decoded records", again.status());
      auto redecoded = DecodeSegment(kObject, *again);
      if (!redecoded.ok()) Fail("decoding re-encoded records", redecoded.status());
      if (redecoded->ToRecords() != records) Fail("round trip changed records", kb::Status());
    }
  }

  // The ranged-reader path: trailer, footer, then each block on its own.
  if (size < kTrailerSize) return 0;
  // The longest trailer (version 2 and 4), or the whole object when shorter.
  auto location =
      ParseTrailer(kObject, bytes.substr(size - std::min(size, kSealedTrailerSize)), size);
  CheckFailure("ParseTrailer", location.status());
  if (!location.ok()) return 0;
  auto footer = ParseFooter(kObject, bytes.substr(location->position, location->length), *location);
  CheckFailure("ParseFooter", footer.status());
  if (!footer.ok()) return 0;
  DecodedBlock block;
  for (const BlockIndexEntry& entry : footer->blocks) {
    CheckFailure("DecodedBlock::Decode",
                 block.Decode(kObject, entry, bytes.substr(entry.position, entry.length)));
  }
  return 0;
}
