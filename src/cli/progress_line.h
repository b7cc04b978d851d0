// ProgressLine: how long-running commands (verify, restore) show progress. On a terminal, one
// line on stderr rewritten in place at most 5 times a second; otherwise (a log file, a pipe) a log
// line every 10 seconds. The last update (`last` = true) always shows.
//
// Ownership: borrows the stream. Thread-safety: one call at a time (the commands' progress
// callbacks are called from one thread). Never fails.
#pragma once

#include <chrono>
#include <ostream>
#include <string_view>

namespace kb::cli {

class ProgressLine {
 public:
  ProgressLine(std::ostream& err, bool terminal) : err_(err), terminal_(terminal) {}

  void Show(std::string_view line, bool last);
  // Ends the progress line, so that what follows starts on a line of its own.
  void Done();

 private:
  std::ostream& err_;
  const bool terminal_;
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
  bool shown_ = false;
};

}  // namespace kb::cli
