// TopicFilter: which topics the backup daemon copies (backup.topics / backup.exclude /
// backup.include_internal). Entries are exact topic names, or regular expressions (RE2 syntax,
// matched against the whole name: common/name_pattern.h) when they start with '^'. A topic is
// selected when an include entry matches it, no exclude entry does, and it is not internal (name
// starting with "__") unless internal topics were asked for — an internal topic named explicitly is
// selected too.
//
// Thread-safety: immutable after Make(); Matches may be called concurrently.
#pragma once

#include <string>
#include <vector>

#include "common/name_pattern.h"
#include "common/status.h"
#include "config/config.h"

namespace kb {

class TopicFilter {
 public:
  static Result<TopicFilter> Make(const BackupConfig& cfg);

  bool Matches(const std::string& topic) const;
  // The subset of `topics` that matches, sorted.
  std::vector<std::string> Select(const std::vector<std::string>& topics) const;
  // The include entries that are exact names (not regular expressions) and that Matches.
  std::vector<std::string> ExactNames() const;

 private:
  static Result<std::vector<NamePattern>> Compile(const std::vector<std::string>& entries,
                                                  const std::string& key);

  std::vector<NamePattern> include_;
  std::vector<NamePattern> exclude_;
  bool include_internal_ = false;
};

}  // namespace kb
