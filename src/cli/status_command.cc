#include "cli/status_command.h"

#include "kafka/admin.h"
#include "layout/keys.h"
#include "ops/status.h"
#include "storage/factory/open_store.h"

namespace kb::cli {

Status RunStatus(const Config& cfg, const std::vector<std::string>& topics, bool json,
                 std::ostream& out) {
  if (!cfg.kafka.properties.count("bootstrap.servers")) {
    return Status::InvalidArgument("kafka.bootstrap.servers", "is required");
  }
  KB_ASSIGN_OR_RETURN(auto store, storage::OpenStore(cfg.storage));
  KB_ASSIGN_OR_RETURN(auto admin, kafka::Admin::Make(cfg.kafka.properties));
  layout::Keys keys(cfg.storage.prefix);
  ops::TopicSelection sel{cfg.backup, topics};
  KB_ASSIGN_OR_RETURN(ops::StatusReport report,
                      ops::ComputeStatus(*store, keys, *admin, cfg.kafka.properties, sel,
                                         std::chrono::seconds(30)));
  out << (json ? ops::FormatStatusJson(report) : ops::FormatStatusText(report));
  if (json) out << "\n";
  return Status::OK();
}

}  // namespace kb::cli
