// RestoreSelection: which records of the backup a restore brings back, and under which names —
// the command line of `kafka-backup restore` in typed form, checked before anything is read.
//
//   topics      names, or regular expressions (RE2 syntax: common/name_pattern.h) matched against
//               the whole name when the entry starts with '^'; empty = every topic in the store.
//   from/to     a time window on record timestamps, both ends inclusive (ms since the epoch).
//   offsets     per partition an inclusive source offset range; only with exactly one plain topic,
//               and then only the listed partitions are restored.
//   rename      source topic -> target topic; topics not renamed get target_prefix + their name.
//   exclude_keys  records whose key is in this set are left out (--exclude-keys FILE,
//               restore/excluded_keys.h); null: none. Shared, never copied.
//
// Describe() gives the canonical text a restore record keeps (PartitionRestoreRecord::selection):
// "all", "offsets:100-199", "time:1700000000000-1700003600000" ("time:1700000000000-" for an open
// end), "exclude-keys:<number of keys>:<sha256 of the key set>", or several of these joined by ','
// in that order. Two restores with the same text select the same records.
//
// Failure contract: Check / ParseOffsetsArg / ParseRenameArg return InvalidArgument naming the flag
// at fault (a --rename of a topic that --topic does not select is one: it would be ignored).
// Thread-safety: plain values and pure functions.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "restore/excluded_keys.h"

namespace kb::restore {

struct OffsetRange {
  int64_t first = 0;
  int64_t last = 0;  // inclusive
  friend bool operator==(const OffsetRange&, const OffsetRange&) = default;
};

struct RestoreSelection {
  std::vector<std::string> topics;
  std::optional<int64_t> from_ms;
  std::optional<int64_t> to_ms;
  std::map<int32_t, OffsetRange> offsets;  // partition -> range
  std::map<std::string, std::string> rename;
  std::string target_prefix;
  std::shared_ptr<const ExcludedKeys> exclude_keys;

  // Checks the combination (offsets need one plain topic, from <= to, ...) and every name.
  Status Check() const;

  bool has_time() const { return from_ms.has_value() || to_ms.has_value(); }
  int64_t from_or_min() const { return from_ms.value_or(INT64_MIN); }
  int64_t to_or_max() const { return to_ms.value_or(INT64_MAX); }

  // Whether `topic` is selected (any topic when `topics` is empty).
  bool MatchesTopic(const std::string& topic) const;
  // Whether only the partitions of `offsets` are restored, and which range of `partition`.
  std::optional<OffsetRange> RangeOf(int32_t partition) const;
  bool PartitionSelected(int32_t partition) const {
    return offsets.empty() || offsets.contains(partition);
  }
  // Whether a record passes the offset and time filters.
  bool Selects(int32_t partition, int64_t offset, int64_t timestamp) const;
  // Whether a record with this key is left out by exclude_keys (never a null key).
  bool Excludes(const std::optional<std::string_view>& key) const {
    return exclude_keys != nullptr && exclude_keys->Contains(key);
  }

  std::string TargetTopic(const std::string& source_topic) const;
  std::string Describe(int32_t partition) const;
};

// "<partition>=<first>-<last>" (the --offsets flag); adds to *out, naming the flag on error.
Status ParseOffsetsArg(std::string_view text, std::map<int32_t, OffsetRange>* out);
// "src=dst" (the --rename flag).
Status ParseRenameArg(std::string_view text, std::map<std::string, std::string>* out);

// Whether a pattern list entry (name or ^regex) matches `name`; the list entries must have passed
// CheckPatternList.
bool MatchesPattern(const std::string& pattern, const std::string& name);
Status CheckPatternList(const std::vector<std::string>& patterns, std::string_view flag);

}  // namespace kb::restore
