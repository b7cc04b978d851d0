#include "config/topic_filter.h"

#include <algorithm>

namespace kb {

bool TopicFilter::Rule::Matches(const std::string& topic) const {
  return is_regex ? std::regex_match(topic, pattern) : topic == name;
}

Result<std::vector<TopicFilter::Rule>> TopicFilter::Compile(const std::vector<std::string>& entries,
                                                            const std::string& key) {
  std::vector<Rule> rules;
  for (size_t i = 0; i < entries.size(); ++i) {
    Rule r;
    if (!entries[i].empty() && entries[i][0] == '^') {
      try {
        r.pattern = std::regex(entries[i], std::regex::ECMAScript | std::regex::optimize);
      } catch (const std::regex_error& e) {
        return Status::InvalidArgument(key + "[" + std::to_string(i) + "]",
                                       "invalid regular expression: " + std::string(e.what()));
      }
      r.is_regex = true;
    } else {
      r.name = entries[i];
    }
    rules.push_back(std::move(r));
  }
  return rules;
}

Result<TopicFilter> TopicFilter::Make(const BackupConfig& cfg) {
  if (cfg.topics.empty()) {
    return Status::InvalidArgument("backup.topics",
                                   "name at least one topic or pattern (e.g. \"^.*\" for all)");
  }
  TopicFilter f;
  KB_ASSIGN_OR_RETURN(f.include_, Compile(cfg.topics, "backup.topics"));
  KB_ASSIGN_OR_RETURN(f.exclude_, Compile(cfg.exclude, "backup.exclude"));
  f.include_internal_ = cfg.include_internal;
  return f;
}

bool TopicFilter::Matches(const std::string& topic) const {
  for (const Rule& r : exclude_) {
    if (r.Matches(topic)) return false;
  }
  bool internal = topic.starts_with("__");
  for (const Rule& r : include_) {
    if (!r.Matches(topic)) continue;
    if (!internal || include_internal_ || !r.is_regex) return true;
  }
  return false;
}

std::vector<std::string> TopicFilter::Select(const std::vector<std::string>& topics) const {
  std::vector<std::string> out;
  for (const std::string& t : topics) {
    if (Matches(t)) out.push_back(t);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> TopicFilter::ExactNames() const {
  std::vector<std::string> out;
  for (const Rule& r : include_) {
    if (!r.is_regex && Matches(r.name)) out.push_back(r.name);
  }
  return out;
}

}  // namespace kb
