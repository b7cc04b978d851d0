#include "cli/verify_command.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>

#include "cli/progress_line.h"
#include "layout/keys.h"
#include "ops/report_text.h"
#include "ops/verify.h"
#include "storage/factory/open_store.h"

namespace kb::cli {
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
  ProgressLine progress(err, isatty(STDERR_FILENO) == 1);
  options.on_progress = [&progress](const ops::VerifyProgress& p) {
    progress.Show(ops::FormatVerifyProgress(p), p.segments_done >= p.segments_total);
  };
  Result<ops::VerifyReport> report = ops::VerifyStore(*store, keys, options);
  progress.Done();
  if (!report.ok()) return report.status();
  out << ops::FormatVerifyText(*report);
  if (report->problems.empty()) return Status::OK();
  return Status::Corruption(store->Describe(),
                            ops::Count(report->problems.size(), "problem") + " (listed above)");
}

}  // namespace kb::cli
