#include "cli/prune_command.h"

#include <chrono>

#include "kafka/admin.h"
#include "layout/keys.h"
#include "ops/retention.h"
#include "storage/factory/open_store.h"

namespace kb::cli {
namespace {

constexpr std::chrono::seconds kKafkaTimeout{30};

Status RequireBootstrap(const Config& cfg) {
  if (!cfg.kafka.properties.count("bootstrap.servers")) {
    return Status::InvalidArgument("kafka.bootstrap.servers", "is required");
  }
  return Status::OK();
}

}  // namespace

Status RunPrune(const Config& cfg, const PruneArgs& args, std::ostream& out) {
  if (args.topic.empty() && (args.generation || args.force)) {
    return Status::InvalidArgument(args.generation ? "--generation" : "--force", "needs --topic");
  }
  if (args.generation && args.force) {
    return Status::InvalidArgument("--force", "an archived generation needs no --force");
  }
  if (!args.topic.empty()) KB_RETURN_IF_ERROR(layout::ValidateTopicName(args.topic));
  KB_ASSIGN_OR_RETURN(auto store, storage::OpenStore(cfg.storage));
  const layout::Keys keys(cfg.storage.prefix);
  ops::RetentionReport report;
  if (args.topic.empty()) {
    KB_RETURN_IF_ERROR(RequireBootstrap(cfg));
    KB_ASSIGN_OR_RETURN(auto admin, kafka::Admin::Make(cfg.kafka.properties));
    KB_ASSIGN_OR_RETURN(
        report, ops::RunRetention(*store, keys, *admin,
                                  {.grace = cfg.retention.grace,
                                   .deleted_topic_max_age = cfg.retention.deleted_topic_max_age,
                                   .execute = args.execute,
                                   .kafka_timeout = kKafkaTimeout}));
  } else if (args.generation) {
    KB_ASSIGN_OR_RETURN(
        report, ops::PruneTopic(*store, keys.Generation(*args.generation), args.topic, args.execute,
                                "kafka-backup prune --topic " + args.topic + " --generation " +
                                    std::to_string(*args.generation)));
  } else {
    if (!args.force) {
      KB_RETURN_IF_ERROR(RequireBootstrap(cfg));
      KB_ASSIGN_OR_RETURN(auto admin, kafka::Admin::Make(cfg.kafka.properties));
      Result<kafka::TopicInfo> live = admin->DescribeTopic(args.topic, kKafkaTimeout);
      if (live.ok()) {
        return Status::FailedPrecondition(
            args.topic,
            "the topic exists in the cluster: its backup is pruned by retention as Kafka deletes "
            "its data; delete the topic first, or add --force to delete its backup anyway");
      }
      if (!live.status().IsNotFound()) return live.status();
    }
    KB_ASSIGN_OR_RETURN(report, ops::PruneTopic(*store, keys, args.topic, args.execute,
                                                "kafka-backup prune --topic " + args.topic +
                                                    (args.force ? " --force" : "")));
  }
  out << (args.json ? ops::FormatRetentionJson(report) : ops::FormatRetentionText(report));
  return Status::OK();
}

}  // namespace kb::cli
