#include "cli/verify_command.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>

#include "cli/command_metrics.h"
#include "cli/progress_line.h"
#include "kafka/admin.h"
#include "layout/keys.h"
#include "metrics/textfile.h"
#include "ops/cluster_check.h"
#include "ops/verify.h"
#include "report/report_text.h"
#include "storage/factory/open_store.h"

namespace kb::cli {
Status RunVerify(const Config& cfg, const VerifyArgs& args, std::ostream& out, std::ostream& err) {
  ops::VerifyOptions options{
      .topics = args.topics, .parallelism = args.parallel, .sample = args.sample};
  if (!args.from.empty()) {
    KB_ASSIGN_OR_RETURN(options.from_ms, report::ParseTimeArg(args.from, "--from"));
  }
  if (!args.to.empty()) {
    KB_ASSIGN_OR_RETURN(options.to_ms, report::ParseTimeArg(args.to, "--to"));
  }
  if (options.from_ms && options.to_ms && *options.from_ms > *options.to_ms) {
    return Status::InvalidArgument("--from", "the window starts after it ends (--from " +
                                                 report::FormatTimeMs(*options.from_ms) +
                                                 " > --to " + report::FormatTimeMs(*options.to_ms) +
                                                 ")");
  }
  if (!args.metrics_file.empty()) {
    KB_RETURN_IF_ERROR(metrics::CheckTextfileWritable(args.metrics_file));
  }
  KB_ASSIGN_OR_RETURN(auto store, storage::OpenStore(cfg.storage));
  const layout::Keys keys(cfg.storage.prefix);
  ProgressLine progress(err, isatty(STDERR_FILENO) == 1);
  options.on_progress = [&progress](const ops::VerifyProgress& p) {
    progress.Show(ops::FormatVerifyProgress(p), p.segments_done >= p.segments_total);
  };
  // With a cluster configured (and not an archived generation, which no longer is the cluster's
  // topic), the store's first offsets are compared with Kafka's log start offsets.
  std::unique_ptr<kafka::Admin> admin;
  if (args.compare_with_cluster && cfg.kafka.properties.count("bootstrap.servers")) {
    Result<std::unique_ptr<kafka::Admin>> made = kafka::Admin::Make(cfg.kafka.properties);
    if (!made.ok()) return made.status();
    admin = std::move(made).value();
    options.check_catalog = [&](const catalog::StoreCatalog& catalog) {
      return ops::CompareWithCluster(catalog, *store, *admin, std::chrono::seconds(15));
    };
  }
  Result<ops::VerifyReport> report = ops::VerifyStore(*store, keys, options);
  progress.Done();
  if (Status s = WriteVerifyMetricsFile(args.metrics_file, report.ok() ? &*report : nullptr);
      !s.ok()) {
    return report.ok() ? s : report.status();
  }
  if (!report.ok()) return report.status();
  out << (args.json ? ops::FormatVerifyJson(*report) : ops::FormatVerifyText(*report));
  if (report->problems.empty()) return Status::OK();
  return Status::Corruption(store->Describe(),
                            report::Count(report->problems.size(), "problem") +
                                (args.json ? " (in the JSON report)" : " (listed above)"));
}

}  // namespace kb::cli
