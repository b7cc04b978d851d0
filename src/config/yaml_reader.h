// YamlMapReader: typed, path-aware reads from one YAML mapping, with unknown-key detection.
//
// Each Get* call marks its key as known; Finish() reports the first key that no call asked for,
// with its full dotted path, so a typo in a config file is an error rather than a silently ignored
// setting. Scalar values are ${VAR}-expanded before conversion.
//
// Not thread-safe; lives for the duration of one parse.
#pragma once

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/status.h"
#include "config/env_expand.h"

namespace kb {

class YamlMapReader {
 public:
  // `node` must be a map or null (an absent section reads as empty). `path` is its dotted path.
  static Result<YamlMapReader> Make(const YAML::Node& node, std::string path, const EnvLookup* env);

  Result<std::optional<std::string>> GetString(const std::string& key);
  Result<std::optional<bool>> GetBool(const std::string& key);
  Result<std::optional<int64_t>> GetInt(const std::string& key, int64_t min, int64_t max);
  // A YAML sequence of scalars (a single scalar is accepted as a one-element list).
  Result<std::optional<std::vector<std::string>>> GetStringList(const std::string& key);
  // Sizes ("64MiB") and durations ("30s"), see config/units.h; bounds are checked.
  Result<std::optional<uint64_t>> GetBytes(const std::string& key, uint64_t min, uint64_t max);
  Result<std::optional<std::chrono::milliseconds>> GetDuration(const std::string& key,
                                                               std::chrono::milliseconds min,
                                                               std::chrono::milliseconds max);
  // A nested mapping; absent reads as an empty reader.
  Result<YamlMapReader> GetMap(const std::string& key);
  bool Has(const std::string& key) const;

  // A mapping of scalars returned verbatim (after expansion); used for the kafka: section.
  Result<std::vector<std::pair<std::string, std::string>>> AllScalars();

  // Error for the first key never asked for.
  Status Finish() const;

  std::string PathOf(const std::string& key) const {
    return path_.empty() ? key : path_ + "." + key;
  }

 private:
  YamlMapReader(YAML::Node node, std::string path, const EnvLookup* env)
      : node_(std::move(node)), path_(std::move(path)), env_(env) {}
  Result<std::optional<std::string>> Scalar(const std::string& key);

  YAML::Node node_;
  std::string path_;
  const EnvLookup* env_;
  std::set<std::string> known_;
};

}  // namespace kb
