#include "cli/flag_validators.h"

#include <charconv>
#include <string>

#include "common/name_pattern.h"
#include "layout/keys.h"

namespace kb::cli {
namespace {

// CLI11 prefixes the flag name; the message is "'<value>': <what is wrong>".
std::string Why(const std::string& value, const Status& s) {
  return s.ok() ? std::string() : "'" + value + "': " + s.message();
}

// CLI11 names the flag itself: only the message.
std::string RegexError(const std::string& value) {
  Result<NamePattern> p = NamePattern::Make(value, "");
  return p.ok() ? std::string() : p.status().message();
}

}  // namespace

CLI::Validator TopicNameValidator() {
  return CLI::Validator([](std::string& v) { return Why(v, layout::ValidateTopicName(v)); },
                        "TOPIC", "topic name");
}

CLI::Validator TopicPatternValidator() {
  return CLI::Validator(
      [](std::string& v) {
        if (v.starts_with("^")) return RegexError(v);
        return Why(v, layout::ValidateTopicName(v));
      },
      "TOPIC|^REGEX", "topic pattern");
}

CLI::Validator ClusterIdValidator() {
  return CLI::Validator([](std::string& v) { return Why(v, layout::ValidateClusterId(v)); },
                        "CLUSTER_ID", "cluster id");
}

CLI::Validator GroupPatternValidator() {
  return CLI::Validator(
      [](std::string& v) -> std::string {
        if (v.empty()) return "empty consumer group id or pattern";
        if (v.starts_with("^")) return RegexError(v);
        return "";
      },
      "GROUP|^REGEX", "group pattern");
}

CLI::Validator IntegerValidator(int64_t min, int64_t max) {
  const std::string range = "[" + std::to_string(min) + ", " + std::to_string(max) + "]";
  return CLI::Validator(
      [min, max, range](std::string& v) -> std::string {
        int64_t n = 0;
        const char* end = v.data() + v.size();
        auto [p, ec] = std::from_chars(v.data(), end, n);
        if (v.empty() || ec != std::errc() || p != end || n < min || n > max) {
          return "'" + v + "' is not an integer in " + range;
        }
        return "";
      },
      "INT in " + range, "integer");
}

CLI::Validator NonEmptyValidator() {
  return CLI::Validator(
      [](std::string& v) -> std::string { return v.empty() ? "the value is empty" : ""; }, "",
      "non-empty");
}

}  // namespace kb::cli
