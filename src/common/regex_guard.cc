#include "common/regex_guard.h"

#include <string>

namespace kb {

Status CheckRegexNumbers(std::string_view pattern, std::string_view subject) {
  // Digits count only where the compiler reads them as a number: after a backslash (a
  // back-reference) and between braces (a repetition count); elsewhere they are literal.
  bool number_context = false;
  size_t run = 0;
  for (size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c >= '0' && c <= '9') {
      if (number_context && ++run > 4) {
        return Status::InvalidArgument(
            subject, "'" + std::string(pattern) +
                         "' holds a repetition count or back-reference of more than 4 digits: "
                         "none that large can match a topic name (at most 249 characters)");
      }
      continue;
    }
    run = 0;
    if (c == '\\') {
      number_context = true;
      if (i + 1 < pattern.size() && !(pattern[i + 1] >= '0' && pattern[i + 1] <= '9')) {
        ++i;  // an escaped character, not a back-reference
        number_context = false;
      }
    } else if (c == '{') {
      number_context = true;
    } else if (c != ',') {
      number_context = false;
    }
  }
  return Status::OK();
}

}  // namespace kb
