#include "cli/restore_command.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "cli/app.h"
#include "cli/command_metrics.h"
#include "cli/progress_line.h"
#include "common/clock.h"
#include "config/units.h"
#include "kafka/admin.h"
#include "layout/keys.h"
#include "report/report_text.h"
#include "restore/acl_restore.h"
#include "restore/group_restore.h"
#include "restore/plan.h"
#include "restore/restore_report.h"
#include "restore/restorer.h"
#include "restore/shared_restore.h"
#include "storage/factory/open_store.h"

namespace kb::cli {
namespace {

// The bounds of restore.max_bytes_per_second and restore.checkpoint_interval (config/config.cc).
constexpr uint64_t kMaxBytesPerSecond = 1ull << 40;
constexpr std::chrono::milliseconds kMinCheckpoint{100};
constexpr std::chrono::milliseconds kMaxCheckpoint{86'400'000};

Result<restore::RestoreSelection> SelectionOf(const RestoreArgs& args) {
  restore::RestoreSelection sel;
  sel.topics = args.topics;
  if (!args.from.empty()) {
    KB_ASSIGN_OR_RETURN(sel.from_ms, report::ParseTimeArg(args.from, "--from"));
  }
  if (!args.to.empty()) {
    KB_ASSIGN_OR_RETURN(sel.to_ms, report::ParseTimeArg(args.to, "--to"));
  }
  if (sel.from_ms && sel.to_ms && *sel.from_ms > *sel.to_ms) {
    return Status::InvalidArgument("--from", "the window starts after it ends (--from " +
                                                 report::FormatTimeMs(*sel.from_ms) + " > --to " +
                                                 report::FormatTimeMs(*sel.to_ms) + ")");
  }
  for (const std::string& o : args.offsets) {
    KB_RETURN_IF_ERROR(restore::ParseOffsetsArg(o, &sel.offsets));
  }
  for (const std::string& r : args.rename) {
    KB_RETURN_IF_ERROR(restore::ParseRenameArg(r, &sel.rename));
  }
  sel.target_prefix = args.target_prefix;
  KB_RETURN_IF_ERROR(sel.Check());
  if (!args.exclude_keys.empty()) {
    KB_ASSIGN_OR_RETURN(sel.exclude_keys, restore::LoadExcludedKeys(args.exclude_keys));
  }
  return sel;
}

restore::GroupRestoreOptions GroupOptions(const RestoreArgs& args,
                                          const restore::RestoreSelection& sel, bool dry_run) {
  return {.at_ms = sel.to_ms,
          .include = args.groups,
          .exclude = args.exclude_groups,
          .fail_on_active = args.fail_on_active_groups,
          .dry_run = dry_run};
}

// The --dry-run line about an --exclude-keys list ("" without one): counts and the digest only,
// never a key (keys may be personal data).
std::string ExclusionLine(const restore::RestoreSelection& sel) {
  if (sel.exclude_keys == nullptr) return "";
  const restore::ExcludedKeys& k = *sel.exclude_keys;
  std::string out = "exclude-keys: " + report::Count(k.size(), "distinct key") + " from " +
                    k.path() + " (sha256 " + k.Digest() + ")";
  if (k.duplicates() > 0)
    out += ", " + report::Count(k.duplicates(), "duplicate line") + " ignored";
  return out +
         ": records with these keys are left out; the record counts above are upper bounds and "
         "no group offset is predicted\n";
}

// The --dry-run lines of --partitions N: how the records are spread, and the target partitions'
// current ends.
std::string ReshapeLine(int32_t n, const restore::RestorePlan& plan,
                        const restore::TargetEnds& ends) {
  std::string out = "reshaping (--partitions " + std::to_string(n) + "): every target topic has " +
                    report::Count(n, "partition") +
                    "; keyed records by murmur2 of the key (Kafka's default partitioner), null "
                    "keys round-robin ((source partition + source offset) mod " +
                    std::to_string(n) +
                    "); the order per key is kept, the order across different keys of a source "
                    "partition is not; the source partitions of a topic are restored one after "
                    "the other\n";
  for (const restore::TopicPlan& t : plan.topics) {
    std::string row;
    for (int32_t p = 0; p < n; ++p) {
      auto it = ends.find({t.target_topic, p});
      if (it == ends.end()) continue;
      row += (row.empty() ? "" : " ") + std::to_string(p) + ":" + std::to_string(it->second.high);
    }
    out += "  " + t.source_topic + " (" + report::Count(t.partition_count, "partition") + ") -> " +
           t.target_topic + " (" + report::Count(n, "partition") +
           "): " + (row.empty() ? std::string("created") : "end offsets " + row) + "\n";
  }
  return out;
}

// --dry-run: the plan, the target checks and the groups' new offsets where they can be predicted.
// The ACLs --acls re-creates for the topics of `plan`.
Result<restore::AclRestorePlan> PlanAcls(const RestoreArgs& args, storage::ObjectStore& store,
                                         const layout::Keys& keys,
                                         const restore::RestorePlan& plan) {
  KB_ASSIGN_OR_RETURN(layout::ClusterSecurity security, restore::ReadClusterSecurity(store, keys));
  std::vector<std::pair<std::string, std::string>> topics;
  for (const restore::TopicPlan& t : plan.topics)
    topics.emplace_back(t.source_topic, t.target_topic);
  return restore::PlanAclRestore(security, topics, args.target_prefix);
}

Status DryRun(const Config& cfg, const RestoreArgs& args, const restore::RestoreSelection& sel,
              storage::ObjectStore& store, const layout::Keys& keys,
              const restore::RestorePlan& plan, const restore::RestoreOptions& options,
              std::ostream& out) {
  Result<restore::TargetCheck> targets = restore::CheckTargets(cfg.kafka.properties, plan, options);
  if (!targets.ok()) {
    out << restore::FormatPlan(plan, nullptr, nullptr, options.partitions) << ExclusionLine(sel);
    out << "target check failed: " << targets.status().ToString() << "\n";
    return targets.status();
  }
  KB_ASSIGN_OR_RETURN(auto admin, kafka::Admin::Make(cfg.kafka.properties));
  KB_ASSIGN_OR_RETURN(restore::TargetEnds ends,
                      restore::QueryTargetEnds(*admin, plan, targets->existing, options.timeout,
                                               options.partitions));
  KB_ASSIGN_OR_RETURN(std::string cluster_id, admin->ClusterId(options.timeout));
  // The timestamp checks the restore makes before producing: existing targets with the configs in
  // force, the ones to create with their topic.json's.
  KB_ASSIGN_OR_RETURN(targets->configs_after,
                      restore::PendingConfigs(store, keys, cluster_id, plan, *targets));
  std::map<std::string, kafka::TopicConfigs> configs = restore::DescribeTargetConfigs(
      *admin, targets->existing, options.timeout, &targets->warnings);
  for (const restore::TopicPlan& t : plan.topics) {
    if (t.metadata && std::find(targets->to_create.begin(), targets->to_create.end(),
                                t.target_topic) != targets->to_create.end()) {
      configs[t.target_topic] = t.metadata->configs;
    }
  }
  KB_ASSIGN_OR_RETURN(std::set<std::string> completed,
                      restore::CompletedTargets(store, keys, cluster_id, plan));
  for (std::string& w :
       restore::TimestampWarnings(plan, configs, targets->configs_after, completed, NowMs())) {
    targets->warnings.push_back(std::move(w));
  }
  out << restore::FormatPlan(plan, &*targets, &ends, options.partitions);
  out << ExclusionLine(sel);
  if (options.partitions > 0) out << ReshapeLine(options.partitions, plan, ends);
  if (args.acls) {
    KB_ASSIGN_OR_RETURN(restore::AclRestorePlan acls, PlanAcls(args, store, keys, plan));
    out << restore::FormatAclRestore(acls, /*dry_run=*/true);
  }
  if (options.fail_if_target_not_empty) {
    Status empty =
        restore::CheckTargetsEmpty(store, keys, cluster_id, plan, ends, options.partitions);
    if (!empty.ok()) {
      out << "target check failed: " << empty.ToString() << "\n";
      return empty;
    }
  }
  if (args.no_groups) return Status::OK();
  std::map<std::pair<std::string, int32_t>, int64_t> end_offsets;
  for (const auto& [tp, wm] : ends) end_offsets[tp] = wm.high;
  std::vector<restore::RestoredPartition> predicted;
  // Reshaped: where each record lands is known only record by record; nothing is predicted.
  for (restore::PredictedMap& m : options.partitions > 0
                                      ? std::vector<restore::PredictedMap>()
                                      : restore::PredictMaps(plan, end_offsets)) {
    predicted.push_back({.source_topic = m.partition->source_topic,
                         .partition = m.partition->partition,
                         .target_topic = m.partition->target_topic,
                         .map = std::move(m.map),
                         .complete = true});
  }
  out << "consumer groups (new offsets predicted for " << predicted.size()
      << " partitions with contiguous offsets; the others are known only after the restore):\n";
  KB_ASSIGN_OR_RETURN(restore::GroupRestoreReport groups,
                      restore::RestoreGroupOffsets(store, keys, *admin, predicted,
                                                   GroupOptions(args, sel, /*dry_run=*/true)));
  out << restore::FormatGroupReport(groups);
  return Status::OK();
}

// Moves the consumer groups to where `report`'s partitions were restored.
Result<restore::GroupRestoreReport> MoveGroups(const Config& cfg, const RestoreArgs& args,
                                               const restore::RestoreSelection& sel,
                                               storage::ObjectStore& store,
                                               const layout::Keys& keys,
                                               const restore::RestoreReport& report) {
  std::vector<restore::RestoredPartition> restored;
  for (const restore::PartitionResult& p : report.partitions) {
    restored.push_back({.source_topic = p.source_topic,
                        .partition = p.partition,
                        .target_topic = p.target_topic,
                        .map = p.map,
                        .complete = p.complete,
                        .target_partitions = p.target_partitions,
                        .target_maps = p.target_maps});
  }
  KB_ASSIGN_OR_RETURN(auto admin, kafka::Admin::Make(cfg.kafka.properties));
  return restore::RestoreGroupOffsets(store, keys, *admin, restored,
                                      GroupOptions(args, sel, /*dry_run=*/false));
}

// What the restore produced, for the JSON report.
struct Collected {
  std::optional<restore::RestoreReport> report;
  std::optional<restore::GroupRestoreReport> groups;
  std::optional<restore::AclRestorePlan> acls;  // created by --acls
};

// The restore; with args.output == "json" the text reports are left out and *c gets them.
Result<RestoreEnd> Restore(const Config& cfg, const RestoreArgs& args, std::ostream& out,
                           std::ostream& err, Collected* c) {
  const bool text = args.output != "json";
  KB_ASSIGN_OR_RETURN(restore::RestoreSelection sel, SelectionOf(args));
  if (args.dry_run && !text) {
    return Status::InvalidArgument("--output",
                                   "json is the report of a restore; --dry-run prints text only");
  }
  restore::RestoreOptions options;
  options.skip_corrupt = args.skip_corrupt;
  options.require_target_exists = args.require_target_exists;
  options.fail_if_target_not_empty =
      args.fail_if_target_not_empty || cfg.restore.fail_if_target_not_empty;
  options.replication_factor = args.replication_factor;
  options.partitions = args.partitions.value_or(0);
  options.parallelism = static_cast<size_t>(args.parallel.value_or(cfg.restore.parallelism));
  options.max_bytes_per_second = cfg.restore.max_bytes_per_second;
  if (!args.max_bytes_per_second.empty()) {
    KB_ASSIGN_OR_RETURN(options.max_bytes_per_second,
                        ParseBytes(args.max_bytes_per_second, "--max-bytes-per-second"));
    if (options.max_bytes_per_second > kMaxBytesPerSecond) {
      return Status::InvalidArgument("--max-bytes-per-second",
                                     "'" + args.max_bytes_per_second + "' is more than 1TiB");
    }
  }
  options.checkpoint_interval = cfg.restore.checkpoint_interval;
  if (!args.checkpoint_interval.empty()) {
    KB_ASSIGN_OR_RETURN(options.checkpoint_interval,
                        ParseDuration(args.checkpoint_interval, "--checkpoint-interval"));
    if (options.checkpoint_interval < kMinCheckpoint ||
        options.checkpoint_interval > kMaxCheckpoint) {
      return Status::InvalidArgument("--checkpoint-interval",
                                     "'" + args.checkpoint_interval + "' is not within 100ms..1d");
    }
  }

  if (!args.session_timeout.empty() && args.restore_id.empty()) {
    return Status::InvalidArgument("--session-timeout",
                                   "is the shared restore's: give --restore-id");
  }
  if (!args.restore_id.empty()) {
    if (args.dry_run) {
      return Status::InvalidArgument(
          "--restore-id", "--dry-run prints the plan of one process: not with --restore-id");
    }
    options.restore_id = args.restore_id;
    KB_RETURN_IF_ERROR(restore::CheckSharedRestore(options));
    if (!args.session_timeout.empty()) {
      KB_ASSIGN_OR_RETURN(options.session_timeout,
                          ParseDuration(args.session_timeout, "--session-timeout"));
      if (options.session_timeout < std::chrono::seconds(1) ||
          options.session_timeout > std::chrono::minutes(30)) {
        return Status::InvalidArgument("--session-timeout",
                                       "'" + args.session_timeout + "' is not within 1s..30m");
      }
    }
  }

  KB_ASSIGN_OR_RETURN(auto store, storage::OpenStore(cfg.storage));
  const layout::Keys keys(cfg.storage.prefix);
  KB_ASSIGN_OR_RETURN(restore::RestorePlan plan,
                      restore::PlanRestore(
                          *store, keys, sel,
                          {.skip_corrupt = args.skip_corrupt,
                           .require_target_exists = args.require_target_exists,
                           .parallelism = options.parallelism > 0 ? options.parallelism * 2 : 16}));
  if (args.dry_run) {
    KB_RETURN_IF_ERROR(DryRun(cfg, args, sel, *store, keys, plan, options, out));
    return RestoreEnd{};
  }
  // Read before anything is produced: a backup without ACLs fails --acls at once.
  std::optional<restore::AclRestorePlan> acls;
  if (args.acls) {
    KB_ASSIGN_OR_RETURN(acls, PlanAcls(args, *store, keys, plan));
  }

  RestoreMetricsFile metrics_file(args.metrics_file);
  KB_RETURN_IF_ERROR(metrics_file.Start());
  ProgressLine progress(err, isatty(STDERR_FILENO) == 1);
  std::mutex progress_mu;
  options.on_progress = [&](const restore::RestoreProgress& p) {
    metrics_file.Progress(p);
    std::lock_guard lock(progress_mu);
    progress.Show(restore::FormatProgress(p), p.partitions_done == p.partitions_total);
  };
  // The groups are moved after the restore; in a shared restore by the one process that finishes
  // it, while it is still a member (restore/shared_restore.h).
  std::optional<Result<restore::GroupRestoreReport>> moved;
  if (!args.no_groups && !options.restore_id.empty()) {
    options.on_all_complete = [&](const restore::RestoreReport& all) {
      moved = MoveGroups(cfg, args, sel, *store, keys, all);
      return moved->ok() ? Status::OK() : moved->status();
    };
  }
  Result<restore::RestoreReport> report =
      restore::RunRestore(*store, keys, cfg.kafka.properties, plan, sel, options);
  progress.Done();
  metrics_file.Finish(report.ok() &&
                      std::all_of(report->partitions.begin(), report->partitions.end(),
                                  [](const auto& p) { return p.error.ok(); }));
  KB_RETURN_IF_ERROR(report.status());
  if (text) out << restore::FormatSummary(*report);
  c->report = *report;

  size_t failed = 0;
  for (const restore::PartitionResult& p : report->partitions) failed += p.error.ok() ? 0 : 1;
  RestoreEnd end;
  Status groups_status;
  if (!args.no_groups && options.restore_id.empty()) {
    moved = MoveGroups(cfg, args, sel, *store, keys, *report);
  }
  if (!report->finished_by.empty() && !args.no_groups && text) {
    out << "consumer groups: moved by " << report->finished_by << " (restore id "
        << options.restore_id << ")\n";
  }
  if (moved) {
    Result<restore::GroupRestoreReport>& groups = *moved;
    if (!groups.ok()) {
      groups_status = groups.status();
    } else {
      if (text) out << restore::FormatGroupReport(*groups);
      c->groups = *groups;
      if (!groups->ok()) {
        groups_status = Status::Permanent(
            "consumer groups", report::Count(groups->errors.size(), "group commit") + " failed");
      }
      for (const std::string& e : groups->unreadable) {
        end.partial.push_back("consumer group offsets not moved from an unreadable snapshot: " + e);
      }
      for (const restore::GroupResult& g : groups->groups) {
        if (g.outcome == restore::GroupOutcome::kSkippedActive) end.partial.push_back(g.message);
      }
    }
  }
  if (acls && failed < report->partitions.size()) {
    KB_ASSIGN_OR_RETURN(auto admin, kafka::Admin::Make(cfg.kafka.properties));
    KB_RETURN_IF_ERROR(restore::ApplyAclRestore(*admin, *acls, options.timeout));
    if (text) out << restore::FormatAclRestore(*acls, /*dry_run=*/false);
    c->acls = acls;
  }
  if (failed > 0) {
    return Status::Permanent(
        "restore", report::Count(failed, "partition") + " failed (see the summary above)");
  }
  if (!report->topic_errors.empty()) return report->topic_errors.front();
  KB_RETURN_IF_ERROR(groups_status);
  return end;
}

}  // namespace

Result<RestoreEnd> RunRestoreCommand(const Config& cfg, const RestoreArgs& args, std::ostream& out,
                                     std::ostream& err) {
  Collected c;
  Result<RestoreEnd> end = Restore(cfg, args, out, err, &c);
  if (args.output != "json" || (!end.ok() && end.status().IsInvalidArgument())) return end;
  // One JSON object, also when the restore failed: the exit status is part of it.
  nlohmann::json j = c.report ? nlohmann::json::parse(restore::FormatSummaryJson(*c.report))
                              : nlohmann::json::object();
  j["groups"] = c.groups ? nlohmann::json::parse(restore::FormatGroupReportJson(*c.groups))
                         : nlohmann::json(nullptr);
  if (args.acls) {
    nlohmann::json created = nlohmann::json::array(), notes = nlohmann::json::array();
    if (c.acls) {
      for (const kafka::AclBinding& a : c.acls->create) created.push_back(kafka::FormatAcl(a));
      for (const std::string& n : c.acls->notes) notes.push_back(n);
    }
    j["acls"] = {{"created", created}, {"notes", notes}};
  }
  if (!end.ok()) {
    j["status"] = "failed";
    j["exit_code"] = kExitFailure;
    j["error"] = end.status().ToString();
    j["partial"] = nlohmann::json::array();
  } else {
    j["status"] = end->partial.empty() ? "ok" : "partial";
    j["exit_code"] = end->partial.empty() ? kExitOk : kExitPartial;
    j["error"] = nullptr;
    j["partial"] = end->partial;
  }
  out << j.dump(2) << "\n";
  return end;
}

}  // namespace kb::cli
