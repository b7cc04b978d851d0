#include "cli/copy_command.h"

#include <spdlog/spdlog.h>

#include "config/store_url.h"
#include "layout/keys.h"
#include "ops/copy.h"
#include "report/report_text.h"
#include "storage/factory/open_store.h"

namespace kb::cli {

Status RunCopy(const Config& cfg, const CopyArgs& args, std::ostream& out) {
  StorageConfig from = cfg.storage;
  if (!args.from.empty()) {
    KB_ASSIGN_OR_RETURN(from, ParseStoreUrl(args.from, "--from", cfg.storage, ProcessEnv()));
  }
  KB_ASSIGN_OR_RETURN(StorageConfig to, ParseStoreUrl(args.to, "--to", cfg.storage, ProcessEnv()));
  const std::string from_url = StoreUrlOf(from), to_url = StoreUrlOf(to);
  if (from_url == to_url) {
    return Status::InvalidArgument("--to", to_url + " is the source store itself");
  }
  KB_ASSIGN_OR_RETURN(auto source, storage::OpenRawStore(from));
  KB_ASSIGN_OR_RETURN(auto destination, storage::OpenRawStore(to));
  spdlog::info("copying {}{} to {}", from_url,
               args.topics.empty() ? "" : " (" + report::Count(args.topics.size(), "topic") + ")",
               to_url);
  uint64_t last_logged = 0;
  KB_ASSIGN_OR_RETURN(
      ops::CopyReport report,
      ops::CopyStore(*source, layout::Keys(from.prefix), *destination, layout::Keys(to.prefix),
                     {.topics = args.topics,
                      .parallelism = static_cast<size_t>(args.parallel.value_or(4)),
                      .on_progress = [&](uint64_t done, uint64_t total) {
                        if (done == total || done - last_logged >= 1000) {
                          last_logged = done;
                          spdlog::info("copy: {}/{} objects", done, total);
                        }
                      }}));
  out << (args.json ? ops::FormatCopyReportJson(report) : ops::FormatCopyReport(report));
  if (!report.ok()) {
    return Status::Permanent("copy", report::Count(report.failed.size(), "object") +
                                         " not copied (see above); run the same command again "
                                         "to retry them");
  }
  return Status::OK();
}

}  // namespace kb::cli
