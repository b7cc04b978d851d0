#include "config/yaml_reader.h"

#include <charconv>

#include "config/units.h"

namespace kb {
namespace {

// The name of a mapping key: a non-empty scalar. A list, mapping, null or empty key ("[a, b]: 1",
// "? {a: 1}", "~: 1", "'': 1") is an error naming `path` (the mapping), not an exception from
// YAML::Node::as or an error naming nothing.
Result<std::string> KeyName(const YAML::Node& key, const std::string& path) {
  if (!key.IsScalar() || key.Scalar().empty()) {
    return Status::InvalidArgument(path.empty() ? "<top level>" : path,
                                   "has a key that is not a plain name");
  }
  return key.Scalar();
}

}  // namespace

Result<YamlMapReader> YamlMapReader::Make(const YAML::Node& node, std::string path,
                                          const EnvLookup* env) {
  if (node && !node.IsNull() && !node.IsMap()) {
    return Status::InvalidArgument(path.empty() ? "<top level>" : path,
                                   "expected a mapping of key: value");
  }
  // yaml-cpp keeps a key given twice; which of the values would count is no user's guess.
  if (node && node.IsMap()) {
    std::set<std::string> seen;
    for (const auto& kv : node) {
      KB_ASSIGN_OR_RETURN(const std::string key, KeyName(kv.first, path));
      if (!seen.insert(key).second) {
        return Status::InvalidArgument(path.empty() ? key : path + "." + key, "is given twice");
      }
    }
  }
  return YamlMapReader(node, std::move(path), env);
}

bool YamlMapReader::Has(const std::string& key) const {
  return node_ && node_.IsMap() && node_[key];
}

Result<std::optional<std::string>> YamlMapReader::Scalar(const std::string& key) {
  known_.insert(key);
  if (!Has(key)) return std::optional<std::string>();
  YAML::Node v = node_[key];
  if (v.IsNull()) return std::optional<std::string>();
  if (!v.IsScalar()) return Status::InvalidArgument(PathOf(key), "expected a single value");
  KB_ASSIGN_OR_RETURN(std::string expanded, ExpandEnv(v.Scalar(), PathOf(key), *env_));
  return std::optional<std::string>(std::move(expanded));
}

Result<std::optional<std::string>> YamlMapReader::GetString(const std::string& key) {
  return Scalar(key);
}

Result<std::optional<bool>> YamlMapReader::GetBool(const std::string& key) {
  KB_ASSIGN_OR_RETURN(std::optional<std::string> s, Scalar(key));
  if (!s) return std::optional<bool>();
  if (*s == "true" || *s == "yes" || *s == "on") return std::optional<bool>(true);
  if (*s == "false" || *s == "no" || *s == "off") return std::optional<bool>(false);
  return Status::InvalidArgument(PathOf(key), "expected true or false, got '" + *s + "'");
}

Result<std::optional<int64_t>> YamlMapReader::GetInt(const std::string& key, int64_t min,
                                                     int64_t max) {
  KB_ASSIGN_OR_RETURN(std::optional<std::string> s, Scalar(key));
  if (!s) return std::optional<int64_t>();
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s->data(), s->data() + s->size(), v);
  if (ec != std::errc() || end != s->data() + s->size()) {
    return Status::InvalidArgument(PathOf(key), "expected an integer, got '" + *s + "'");
  }
  if (v < min || v > max) {
    return Status::InvalidArgument(PathOf(key), "value " + *s + " is out of range [" +
                                                    std::to_string(min) + ", " +
                                                    std::to_string(max) + "]");
  }
  return std::optional<int64_t>(v);
}

Result<std::optional<std::vector<std::string>>> YamlMapReader::GetStringList(
    const std::string& key) {
  known_.insert(key);
  using Out = std::optional<std::vector<std::string>>;
  if (!Has(key) || node_[key].IsNull()) return Out();
  YAML::Node v = node_[key];
  std::vector<std::string> out;
  if (v.IsScalar()) {
    KB_ASSIGN_OR_RETURN(std::string s, ExpandEnv(v.Scalar(), PathOf(key), *env_));
    out.push_back(std::move(s));
    return Out(std::move(out));
  }
  if (!v.IsSequence()) return Status::InvalidArgument(PathOf(key), "expected a list of values");
  for (size_t i = 0; i < v.size(); ++i) {
    std::string item_path = PathOf(key) + "[" + std::to_string(i) + "]";
    if (!v[i].IsScalar()) return Status::InvalidArgument(item_path, "expected a single value");
    KB_ASSIGN_OR_RETURN(std::string s, ExpandEnv(v[i].Scalar(), item_path, *env_));
    out.push_back(std::move(s));
  }
  return Out(std::move(out));
}

Result<std::optional<uint64_t>> YamlMapReader::GetBytes(const std::string& key, uint64_t min,
                                                        uint64_t max) {
  KB_ASSIGN_OR_RETURN(std::optional<std::string> s, Scalar(key));
  if (!s) return std::optional<uint64_t>();
  KB_ASSIGN_OR_RETURN(uint64_t v, ParseBytes(*s, PathOf(key)));
  if (v < min || v > max) {
    return Status::InvalidArgument(PathOf(key), "size " + *s + " is out of range [" +
                                                    std::to_string(min) + ", " +
                                                    std::to_string(max) + "] bytes");
  }
  return std::optional<uint64_t>(v);
}

Result<std::optional<std::chrono::milliseconds>> YamlMapReader::GetDuration(
    const std::string& key, std::chrono::milliseconds min, std::chrono::milliseconds max) {
  using Out = std::optional<std::chrono::milliseconds>;
  KB_ASSIGN_OR_RETURN(std::optional<std::string> s, Scalar(key));
  if (!s) return Out();
  KB_ASSIGN_OR_RETURN(std::chrono::milliseconds v, ParseDuration(*s, PathOf(key)));
  if (v < min || v > max) {
    return Status::InvalidArgument(PathOf(key), "duration " + *s + " is out of range [" +
                                                    std::to_string(min.count()) + "ms, " +
                                                    std::to_string(max.count()) + "ms]");
  }
  return Out(v);
}

Result<YamlMapReader> YamlMapReader::GetMap(const std::string& key) {
  known_.insert(key);
  return Make(Has(key) ? node_[key] : YAML::Node(), PathOf(key), env_);
}

Result<std::vector<std::pair<std::string, std::string>>> YamlMapReader::AllScalars() {
  std::vector<std::pair<std::string, std::string>> out;
  if (!node_ || !node_.IsMap()) return out;
  for (const auto& kv : node_) {
    KB_ASSIGN_OR_RETURN(std::string key, KeyName(kv.first, path_));
    KB_ASSIGN_OR_RETURN(std::optional<std::string> v, Scalar(key));
    if (!v) return Status::InvalidArgument(PathOf(key), "has no value");
    out.emplace_back(key, std::move(*v));
  }
  return out;
}

Status YamlMapReader::Finish() const {
  if (!node_ || !node_.IsMap()) return Status::OK();
  for (const auto& kv : node_) {
    KB_ASSIGN_OR_RETURN(std::string key, KeyName(kv.first, path_));
    if (!known_.count(key)) {
      return Status::InvalidArgument(PathOf(key), "unknown configuration key");
    }
  }
  return Status::OK();
}

}  // namespace kb
