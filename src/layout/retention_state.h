// The two JSON objects of a store that record work in progress rather than backed-up data
// (specified in docs/format.md part 1):
//
//   <prefix>/<topic>/retention.json   RetentionState: what retention propagation (ops/retention.h)
//       has seen of the topic between rounds: since when it has been missing from the cluster, and
//       since when each segment or gap range has been expired (below the partition's log start
//       offset). Grace periods count from these times, so a restart does not reset them.
//   <prefix>/@generations/moving/<topic>.json   GenerationMove: the plan of moving a topic's
//       objects to an archived generation (backup/generations.h); present only while a move is
//       unfinished, so that a crash mid-move is finished on restart.
//
// Decoders are strict: malformed JSON, wrong types or a newer format_version are Corruption /
// NotImplemented naming the key; they never throw.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace kb::layout {

struct RetentionState {
  static constexpr int kFormatVersion = 1;
  struct Expired {
    int64_t start = 0;  // the range's offsets (a segment or a gap record), inclusive
    int64_t end = 0;
    int64_t first_seen_ms = 0;  // when a round first saw end < the partition's log start offset
    friend bool operator==(const Expired&, const Expired&) = default;
  };
  // When a round first saw the topic absent from the cluster; nullopt while it exists.
  std::optional<int64_t> missing_since_ms;
  std::map<int32_t, std::vector<Expired>> expired;  // partition -> ranges, by start
  friend bool operator==(const RetentionState&, const RetentionState&) = default;
};

std::string EncodeRetentionState(const RetentionState& state);
Result<RetentionState> DecodeRetentionState(std::string_view key, std::string_view json);

struct GenerationMove {
  static constexpr int kFormatVersion = 1;
  std::string topic;
  int64_t generation = 0;  // the archive: Keys::Generation(generation)
  std::string reason;      // why the topic's objects are being archived (for the logs)
  int64_t started_at_ms = 0;
  // The objects to move, relative to the topic's prefix ("0/00000000000000000000-...").
  std::vector<std::string> objects;
  friend bool operator==(const GenerationMove&, const GenerationMove&) = default;
};

std::string EncodeGenerationMove(const GenerationMove& move);
Result<GenerationMove> DecodeGenerationMove(std::string_view key, std::string_view json);

}  // namespace kb::layout
