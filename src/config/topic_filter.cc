#include "config/topic_filter.h"

#include <algorithm>

namespace kb {

Result<std::vector<NamePattern>> TopicFilter::Compile(const std::vector<std::string>& entries,
                                                      const std::string& key) {
  std::vector<NamePattern> rules;
  for (size_t i = 0; i < entries.size(); ++i) {
    KB_ASSIGN_OR_RETURN(NamePattern p,
                        NamePattern::Make(entries[i], key + "[" + std::to_string(i) + "]"));
    rules.push_back(std::move(p));
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
  for (const NamePattern& r : exclude_) {
    if (r.Matches(topic)) return false;
  }
  bool internal = topic.starts_with("__");
  for (const NamePattern& r : include_) {
    if (!r.Matches(topic)) continue;
    if (!internal || include_internal_ || !r.is_regex()) return true;
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
  for (const NamePattern& r : include_) {
    if (!r.is_regex() && Matches(r.text())) out.push_back(r.text());
  }
  return out;
}

}  // namespace kb
