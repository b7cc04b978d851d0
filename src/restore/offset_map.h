// OffsetMap: for one restored partition, where every restored record went — original (source)
// offset -> new (target) offset — kept compact as runs, and the exact consumer-group translation
// built on it (requirement 7 of the founding requirements).
//
// A run maps source offsets [s, s+n) to target offsets [t, t+n). Records restored in order extend
// the last run while both sides stay contiguous; a hole on the source side (compaction,
// transaction markers, aborted records, retention gaps) starts a new run. A topic without holes
// restored into an empty partition is a single run.
//
// Group translation: a committed offset N (the next record the group would read) becomes the
// target offset of the first restored record whose source offset is >= N, or the end of the
// restored data if there is none. This is exact through holes; for a source starting at 0 with no
// holes restored into an empty target it equals the founding design's min(N, totalRecords).
//
// Encoding (JSON, stored durably by restore; see docs/format.md):
//   {"format_version": 1, "target_start": T0, "runs": [[s, t, n], ...]}
//
// Thread-safety: a value type; const methods may be called concurrently.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace kb::restore {

struct OffsetRun {
  int64_t source_start = 0;
  int64_t target_start = 0;
  int64_t count = 0;
  friend bool operator==(const OffsetRun&, const OffsetRun&) = default;
};

class OffsetMap {
 public:
  static constexpr int kFormatVersion = 1;

  // `target_start`: the target partition's end offset when the restore began (where the first
  // restored record lands, and the translation of every offset if nothing is restored).
  explicit OffsetMap(int64_t target_start = 0) : target_start_(target_start) {}

  // Records one restored record. Both offsets must be greater than the previous ones;
  // InvalidArgument otherwise.
  Status Append(int64_t source, int64_t target);
  // Records `count` (>= 1) records with consecutive offsets on both sides; same rules as Append.
  Status AppendRun(int64_t source, int64_t target, int64_t count);

  // The target offset of the record restored from `source`; nullopt if none was.
  std::optional<int64_t> Lookup(int64_t source) const;
  // Where a consumer group that committed `committed` on the source must resume on the target.
  int64_t TranslateCommitted(int64_t committed) const;

  int64_t target_start() const { return target_start_; }
  // One past the last restored record's target offset (target_start when nothing was restored).
  int64_t target_end() const;
  int64_t record_count() const;
  const std::vector<OffsetRun>& runs() const { return runs_; }

  std::string Encode() const;
  // Corruption naming `key` for malformed input; NotImplemented for a newer format_version.
  static Result<OffsetMap> Decode(std::string_view key, std::string_view json);

  // One line per run: "source_start,source_end,target_start,target_end" (ends inclusive), with a
  // header line.
  std::string ToCsv() const;

  friend bool operator==(const OffsetMap&, const OffsetMap&) = default;

 private:
  int64_t target_start_ = 0;
  std::vector<OffsetRun> runs_;
};

}  // namespace kb::restore
