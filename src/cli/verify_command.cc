#include "cli/verify_command.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>

#include "layout/keys.h"
#include "ops/report_text.h"
#include "ops/verify.h"
#include "storage/factory/open_store.h"

namespace kb::cli {
namespace {

// Shows VerifyStore's progress: on a terminal one line rewritten in place at most 5 times a
// second, otherwise a log line every 10 seconds; the last update always shows. Called one call at
// a time (VerifyOptions::on_progress); owns nothing.
class ProgressPrinter {
 public:
  ProgressPrinter(std::ostream& err, bool terminal) : err_(err), terminal_(terminal) {}

  void Update(const ops::VerifyProgress& p) {
    const auto now = std::chrono::steady_clock::now();
    const auto interval = terminal_ ? std::chrono::milliseconds(200) : std::chrono::seconds(10);
    if (p.segments_done < p.segments_total && now - last_ < interval) return;
    last_ = now;
    const std::string line = ops::FormatVerifyProgress(p);
    if (terminal_) {
      err_ << "\r" << line << "\x1b[K" << std::flush;
      shown_ = true;
    } else {
      spdlog::info("{}", line);
    }
  }

  // Ends the progress line, so that what follows starts on a line of its own.
  void Done() {
    if (shown_) err_ << "\n" << std::flush;
  }

 private:
  std::ostream& err_;
  const bool terminal_;
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
  bool shown_ = false;
};

}  // namespace

Status RunVerify(const Config& cfg, const VerifyArgs& args, std::ostream& out, std::ostream& err) {
  ops::VerifyOptions options{
      .topics = args.topics, .parallelism = args.parallel, .sample = args.sample};
  if (!args.from.empty()) {
    KB_ASSIGN_OR_RETURN(options.from_ms, ops::ParseTimeArg(args.from, "--from"));
  }
  if (!args.to.empty()) {
    KB_ASSIGN_OR_RETURN(options.to_ms, ops::ParseTimeArg(args.to, "--to"));
  }
  KB_ASSIGN_OR_RETURN(auto store, storage::OpenStore(cfg.storage));
  const layout::Keys keys(cfg.storage.prefix);
  ProgressPrinter progress(err, isatty(STDERR_FILENO) == 1);
  options.on_progress = [&progress](const ops::VerifyProgress& p) { progress.Update(p); };
  Result<ops::VerifyReport> report = ops::VerifyStore(*store, keys, options);
  progress.Done();
  if (!report.ok()) return report.status();
  out << ops::FormatVerifyText(*report);
  if (report->problems.empty()) return Status::OK();
  return Status::Corruption(store->Describe(),
                            ops::Count(report->problems.size(), "problem") + " (listed above)");
}

}  // namespace kb::cli
