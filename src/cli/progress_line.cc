#include "cli/progress_line.h"

#include <spdlog/spdlog.h>

namespace kb::cli {

void ProgressLine::Show(std::string_view line, bool last) {
  const auto now = std::chrono::steady_clock::now();
  const auto interval = terminal_ ? std::chrono::milliseconds(200) : std::chrono::seconds(10);
  if (!last && now - last_ < interval) return;
  last_ = now;
  if (terminal_) {
    err_ << "\r" << line << "\x1b[K" << std::flush;
    shown_ = true;
  } else {
    spdlog::info("{}", line);
  }
}

void ProgressLine::Done() {
  if (shown_) err_ << "\n" << std::flush;
}

}  // namespace kb::cli
