#include "common/name_pattern.h"

#include <re2/re2.h>

namespace kb {

Result<NamePattern> NamePattern::Make(std::string_view entry, std::string_view subject) {
  if (entry.empty()) return Status::InvalidArgument(subject, "is empty: give a name or a ^regex");
  NamePattern p;
  p.text_ = std::string(entry);
  if (entry.front() != '^') return p;
  RE2::Options options;
  options.set_log_errors(false);  // the error goes into the Status, not to stderr
  auto re = std::make_shared<const re2::RE2>(re2::StringPiece(entry.data(), entry.size()), options);
  if (!re->ok()) {
    return Status::InvalidArgument(
        subject, "'" + p.text_ + "' is not a valid regular expression: " + re->error());
  }
  p.re_ = std::move(re);
  return p;
}

bool NamePattern::Matches(std::string_view name) const {
  if (!re_) return name == text_;
  return RE2::FullMatch(re2::StringPiece(name.data(), name.size()), *re_);
}

}  // namespace kb
