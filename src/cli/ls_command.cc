#include "cli/ls_command.h"

#include "layout/keys.h"
#include "ops/ls.h"
#include "report/report_text.h"
#include "storage/factory/open_store.h"

namespace kb::cli {

Status RunLs(const Config& cfg, const std::vector<std::string>& topics, bool json,
             std::ostream& out) {
  KB_ASSIGN_OR_RETURN(auto store, storage::OpenStore(cfg.storage));
  const layout::Keys keys(cfg.storage.prefix);
  KB_ASSIGN_OR_RETURN(ops::LsReport report, ops::ListStore(*store, keys, {.topics = topics}));
  out << (json ? ops::FormatLsJson(report) : ops::FormatLsText(report));
  if (report.problems.empty()) return Status::OK();
  return Status::Corruption(store->Describe(), report::Count(report.problems.size(), "problem") +
                                                   " (listed above); run `kafka-backup verify`");
}

}  // namespace kb::cli
