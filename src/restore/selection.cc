#include "restore/selection.h"

#include <charconv>
#include <set>

#include "common/name_pattern.h"
#include "layout/keys.h"

namespace kb::restore {
namespace {

bool ParseInt64(std::string_view s, int64_t* out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}

bool IsRegex(const std::string& pattern) { return pattern.starts_with("^"); }

}  // namespace

Status CheckPatternList(const std::vector<std::string>& patterns, std::string_view flag) {
  for (const std::string& p : patterns) {
    if (p.empty()) return Status::InvalidArgument(flag, "empty topic name or pattern");
    if (IsRegex(p)) {
      KB_RETURN_IF_ERROR(NamePattern::Make(p, flag).status());
    } else {
      KB_RETURN_IF_ERROR(layout::ValidateTopicNameOf(flag, p));
    }
  }
  return Status::OK();
}

bool MatchesPattern(const std::string& pattern, const std::string& name) {
  if (!IsRegex(pattern)) return pattern == name;
  Result<NamePattern> p = NamePattern::Make(pattern, "--topic");
  return p.ok() && p->Matches(name);
}

Status RestoreSelection::Check() const {
  KB_RETURN_IF_ERROR(CheckPatternList(topics, "--topic"));
  if (from_ms && to_ms && *from_ms > *to_ms) {
    return Status::InvalidArgument("--from", "the window starts after it ends (--from " +
                                                 std::to_string(*from_ms) + " > --to " +
                                                 std::to_string(*to_ms) + ")");
  }
  if (!offsets.empty() && (topics.size() != 1 || IsRegex(topics[0]))) {
    return Status::InvalidArgument("--offsets",
                                   "offset ranges need exactly one --topic given by name");
  }
  for (const auto& [src, dst] : rename) {
    KB_RETURN_IF_ERROR(layout::ValidateTopicNameOf("--rename", src));
    KB_RETURN_IF_ERROR(layout::ValidateTopicNameOf("--rename", dst));
    if (!MatchesTopic(src)) {
      std::string selected;
      for (const std::string& t : topics) selected += (selected.empty() ? "" : ", ") + t;
      return Status::InvalidArgument("--rename", "'" + src + "=" + dst + "': topic '" + src +
                                                     "' is not selected by --topic (" + selected +
                                                     "); select it or drop the rename");
    }
  }
  if (!target_prefix.empty() && !layout::ValidateTopicName(target_prefix).ok()) {
    return Status::InvalidArgument("--target-prefix",
                                   "'" + target_prefix + "' cannot start a Kafka topic name");
  }
  return Status::OK();
}

bool RestoreSelection::MatchesTopic(const std::string& topic) const {
  if (topics.empty()) return true;
  for (const std::string& p : topics) {
    if (MatchesPattern(p, topic)) return true;
  }
  return false;
}

std::optional<OffsetRange> RestoreSelection::RangeOf(int32_t partition) const {
  auto it = offsets.find(partition);
  if (it == offsets.end()) return std::nullopt;
  return it->second;
}

bool RestoreSelection::Selects(int32_t partition, int64_t offset, int64_t timestamp) const {
  if (auto r = RangeOf(partition); r && (offset < r->first || offset > r->last)) return false;
  return timestamp >= from_or_min() && timestamp <= to_or_max();
}

std::string RestoreSelection::TargetTopic(const std::string& source_topic) const {
  auto it = rename.find(source_topic);
  if (it != rename.end()) return it->second;
  return target_prefix + source_topic;
}

std::string RestoreSelection::Describe(int32_t partition) const {
  std::string out;
  if (auto r = RangeOf(partition)) {
    out = "offsets:" + std::to_string(r->first) + "-" + std::to_string(r->last);
  }
  if (has_time()) {
    if (!out.empty()) out += ",";
    out += "time:" + (from_ms ? std::to_string(*from_ms) : std::string()) + "-" +
           (to_ms ? std::to_string(*to_ms) : std::string());
  }
  if (exclude_keys != nullptr) {
    if (!out.empty()) out += ",";
    out += "exclude-keys:" + std::to_string(exclude_keys->size()) + ":" + exclude_keys->Digest();
  }
  return out.empty() ? "all" : out;
}

Status ParseOffsetsArg(std::string_view text, std::map<int32_t, OffsetRange>* out) {
  const auto bad = [&](std::string_view why) {
    return Status::InvalidArgument("--offsets", "'" + std::string(text) + "': " + std::string(why) +
                                                    " (expected <partition>=<first>-<last>)");
  };
  const size_t eq = text.find('=');
  if (eq == std::string_view::npos) return bad("no '='");
  int64_t partition = 0, first = 0, last = 0;
  if (!ParseInt64(text.substr(0, eq), &partition) || partition < 0 || partition > INT32_MAX) {
    return bad("bad partition number");
  }
  const std::string_view range = text.substr(eq + 1);
  const size_t dash = range.find('-');
  if (dash == std::string_view::npos || !ParseInt64(range.substr(0, dash), &first) ||
      !ParseInt64(range.substr(dash + 1), &last) || first < 0 || last < first) {
    return bad("bad offset range");
  }
  if (!out->emplace(static_cast<int32_t>(partition), OffsetRange{first, last}).second) {
    return bad("partition given twice");
  }
  return Status::OK();
}

Status ParseRenameArg(std::string_view text, std::map<std::string, std::string>* out) {
  const size_t eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0 || eq + 1 == text.size()) {
    return Status::InvalidArgument("--rename",
                                   "'" + std::string(text) + "': expected <source>=<target>");
  }
  const std::string src(text.substr(0, eq));
  KB_RETURN_IF_ERROR(layout::ValidateTopicNameOf("--rename", src));
  KB_RETURN_IF_ERROR(layout::ValidateTopicNameOf("--rename", text.substr(eq + 1)));
  if (!out->emplace(src, std::string(text.substr(eq + 1))).second) {
    return Status::InvalidArgument("--rename", "topic '" + src + "' renamed twice");
  }
  return Status::OK();
}

}  // namespace kb::restore
