// NamePattern: one entry of a topic or consumer-group filter as users write it (backup.topics,
// backup.exclude, restore --topic, --groups, --exclude-groups): an exact name, or — when the entry
// starts with '^' — a regular expression that must match the whole name.
//
// Regular expressions are RE2's syntax (the Perl/Java-like syntax Kafka users know from
// `kafka-topics --topic` patterns, without back-references and look-around) and are matched in
// time linear in the name: a pattern can neither take exponential time on a name (the
// backtracking of std::regex) nor overflow the compiler (libstdc++'s std::regex on a repetition
// count of many digits, found by cli_args_fuzz). Repetition counts above 1000 are refused.
// A failed compile is reported through the Status only (RE2's own logging to stderr is off).
//
// Thread-safety: immutable after Make(); copies share the compiled expression; Matches may be
// called concurrently.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"

namespace re2 {
class RE2;
}

namespace kb {

class NamePattern {
 public:
  // InvalidArgument naming `subject` when `entry` is empty or starts with '^' and does not
  // compile; the message quotes the entry and says why. Exact names are not checked here (topic
  // and group names have different rules: the caller checks them).
  static Result<NamePattern> Make(std::string_view entry, std::string_view subject);

  // Whether `name` is the exact name, or the whole of `name` matches the expression.
  bool Matches(std::string_view name) const;

  bool is_regex() const { return re_ != nullptr; }
  // The entry as given.
  const std::string& text() const { return text_; }

 private:
  std::string text_;
  std::shared_ptr<const re2::RE2> re_;  // null for an exact name
};

}  // namespace kb
