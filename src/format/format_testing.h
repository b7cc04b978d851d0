// Record generators shared by the format's tests, benchmark and fuzz seed corpus. Deterministic:
// the same seed gives the same records on every platform (only the raw std::mt19937_64 stream is
// used, no std distributions).
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "format/record.h"
#include "format/segment_writer.h"

namespace kb::format::testing {

// Records exercising every attribute edge case at random: null / empty / binary keys and values,
// headers (none, many, duplicate keys, empty keys, null values), timestamps including 0, -1,
// INT64_MIN and INT64_MAX, all timestamp types, offset gaps of 1 to millions. Values are up to
// `max_value_bytes` long. Offsets start at `first_offset` and strictly increase.
std::vector<Record> RandomRecords(uint64_t seed, size_t count, size_t max_value_bytes = 2000,
                                  int64_t first_offset = 0);

// Realistic-ish event records for benchmarks: a JSON object of about `value_bytes` bytes (ids,
// enum-like strings, numbers, URLs, hex session ids, and free text from a small vocabulary, with
// random choices everywhere, so zstd compresses it roughly 3-6x like real event data), a 16-byte
// key ("user-" + digits), two headers, CreateTime timestamps a few ms apart, contiguous offsets.
std::vector<Record> JsonLikeRecords(uint64_t seed, size_t count, size_t value_bytes);

// Writes `records` into one segment.
Result<std::string> BuildSegment(const std::vector<Record>& records, WriterOptions options = {});

// One line describing a record, bytes escaped; for test failure messages.
std::string DebugString(const Record& record);

}  // namespace kb::format::testing
