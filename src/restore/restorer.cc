#include "restore/restorer.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <map>
#include <memory>
#include <thread>

#include "common/clock.h"
#include "common/parallel.h"
#include "kafka/admin.h"
#include "report/report_text.h"
#include "restore/configs_after.h"
#include "restore/offset_map_store.h"
#include "restore/partition_restorer.h"
#include "restore/restore_names.h"
#include "restore/restore_producer.h"
#include "restore/shared_restore.h"

namespace kb::restore {
namespace {

using Clock = std::chrono::steady_clock;

}  // namespace

const char* PartitionOutcomeName(PartitionOutcome outcome) {
  switch (outcome) {
    case PartitionOutcome::kRestored:
      return "restored";
    case PartitionOutcome::kAlreadyComplete:
      return "already-complete";
    case PartitionOutcome::kFailed:
      return "failed";
    case PartitionOutcome::kRestoredElsewhere:
      return "restored-elsewhere";
  }
  return "?";
}

bool RestoreReport::ok() const {
  if (!topic_errors.empty()) return false;
  for (const PartitionResult& p : partitions) {
    if (!p.error.ok()) return false;
  }
  return true;
}

size_t DefaultParallelism(const RestorePlan& plan, int32_t partitions) {
  size_t units = 0;
  for (const TopicPlan& t : plan.topics) {
    if (t.partitions.empty()) continue;
    units += partitions > 0 ? 1 : t.partitions.size();
  }
  return std::clamp<size_t>(units, 1, kMaxDefaultParallelism);
}

Result<RestoreReport> RunRestore(storage::ObjectStore& store, const layout::Keys& keys,
                                 const kafka::Properties& props, const RestorePlan& plan,
                                 const RestoreSelection& selection, const RestoreOptions& options) {
  const auto started = Clock::now();
  const bool shared = !options.restore_id.empty();
  if (shared) KB_RETURN_IF_ERROR(CheckSharedRestore(options));
  RestoreReport report;
  KB_ASSIGN_OR_RETURN(auto admin, kafka::Admin::Make(props));
  // Made first so that its connection and idempotent producer id are set up while the target
  // topics are checked and created (it sends nothing before the partitions start).
  KB_ASSIGN_OR_RETURN(
      auto producer,
      RestoreProducer::Make(props, {.max_bytes_per_second = options.max_bytes_per_second}));
  KB_ASSIGN_OR_RETURN(report.cluster_id, admin->ClusterId(options.timeout));
  KB_ASSIGN_OR_RETURN(TargetCheck check, CheckTargets(props, plan, options));
  for (const std::string& w : check.warnings) {
    spdlog::warn("{}", w);
    report.warnings.push_back(w);
  }
  KB_ASSIGN_OR_RETURN(check.configs_after,
                      PendingConfigs(store, keys, report.cluster_id, plan, check));
  if (options.fail_if_target_not_empty) {
    KB_ASSIGN_OR_RETURN(TargetEnds ends, QueryTargetEnds(*admin, plan, check.existing,
                                                         options.timeout, options.partitions));
    KB_RETURN_IF_ERROR(
        CheckTargetsEmpty(store, keys, report.cluster_id, plan, ends, options.partitions));
  }
  OffsetMapStore records(&store, keys);
  KB_ASSIGN_OR_RETURN(report.created_topics,
                      CreateTargets(*admin, records, report.cluster_id, plan, check, options));
  if (shared && report.created_topics.size() < check.to_create.size()) {
    // Another process of the shared restore created some: check them as existing targets.
    KB_ASSIGN_OR_RETURN(TargetCheck again, CheckTargets(props, plan, options));
    for (const std::string& t : again.to_create) {
      return Status::FailedPrecondition(t, "the target topic was not created and does not exist");
    }
    check.existing = again.existing;
    check.existing.erase(std::remove_if(check.existing.begin(), check.existing.end(),
                                        [&](const std::string& t) {
                                          return std::find(report.created_topics.begin(),
                                                           report.created_topics.end(),
                                                           t) != report.created_topics.end();
                                        }),
                         check.existing.end());
  }

  if (selection.exclude_keys != nullptr) {
    report.exclude_keys = selection.exclude_keys->size();
    report.exclude_keys_sha256 = selection.exclude_keys->Digest();
    // The count and digest only: the keys may be personal data.
    spdlog::info(
        "leaving out every record whose key is one of the {} keys of --exclude-keys {} "
        "(sha256 {})",
        report.exclude_keys, selection.exclude_keys->path(), report.exclude_keys_sha256);
  }
  std::map<std::string, kafka::TopicConfigs> target_configs;  // in force, by target topic
  {
    // Every target exists now: check the timestamps against the configs in force.
    std::vector<std::string> targets = check.existing;
    targets.insert(targets.end(), report.created_topics.begin(), report.created_topics.end());
    KB_ASSIGN_OR_RETURN(std::set<std::string> completed,
                        CompletedTargets(store, keys, report.cluster_id, plan));
    std::vector<std::string> warnings;
    target_configs = DescribeTargetConfigs(*admin, targets, options.timeout, &warnings);
    for (std::string& w :
         TimestampWarnings(plan, target_configs, check.configs_after, completed, NowMs())) {
      warnings.push_back(std::move(w));
    }
    for (const std::string& w : warnings) {
      spdlog::warn("{}", w);
      report.warnings.push_back(w);
    }
  }

  PartitionRestorer run(store, keys, props, selection, options, *admin, *producer,
                        report.cluster_id);
  {
    std::vector<std::string> targets = check.existing;
    targets.insert(targets.end(), report.created_topics.begin(), report.created_topics.end());
    // (Shared: each partition queries its end when its turn comes, which may be after another
    // process restored some of it.)
    if (options.partitions == 0 && !shared) {
      // One query for every partition instead of two round trips per partition, retried while
      // the leaders of created topics settle; on failure each partition queries its own.
      Result<TargetEnds> ends = Status::Retryable("target ends", "not queried");
      for (const auto deadline = Clock::now() + options.timeout;;) {
        ends = QueryTargetEnds(*admin, plan, targets, options.timeout);
        if (ends.ok() || !ends.status().IsRetryable() || Clock::now() > deadline) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      if (ends.ok()) run.SetEnds(std::move(*ends));
    }
    // The codec of each target (restore_producer.h, ChooseCompression).
    const std::string user_codec = props.contains("compression.type") ? props.at("compression.type")
                                   : props.contains("compression.codec")
                                       ? props.at("compression.codec")
                                       : "";
    std::map<std::string, std::vector<std::string>> by_codec;
    for (const TopicPlan& t : plan.topics) {
      auto target = target_configs.find(t.target_topic);
      std::optional<Compression> c =
          ChooseCompression(props, target == target_configs.end() ? nullptr : &target->second,
                            t.metadata ? &t.metadata->configs : nullptr);
      if (!c) {
        report.compression[t.target_topic] = user_codec;
        continue;
      }
      KB_RETURN_IF_ERROR(producer->SetCompression(t.target_topic, *c));
      const std::string codec = c->codec + (c->level.empty() ? "" : " level " + c->level);
      report.compression[t.target_topic] = codec;
      by_codec[codec].push_back(t.target_topic);
    }
    if (!user_codec.empty()) spdlog::info("producing with kafka.compression.type {}", user_codec);
    for (const auto& [codec, topics] : by_codec) {
      spdlog::info("producing {} with {} (the target's compression.type, else {})",
                   topics.size() == 1
                       ? topics.front()
                       : report::Plural(static_cast<int64_t>(topics.size()), "topic"),
                   codec, kFallbackCompression.codec);
    }
  }
  std::vector<const PartitionPlan*> partitions;
  RestoreProgress progress;
  for (const TopicPlan& t : plan.topics) {
    for (const PartitionPlan& p : t.partitions) {
      partitions.push_back(&p);
      progress.records_planned += p.records;
    }
  }
  progress.partitions_total = partitions.size();
  report.partitions.resize(partitions.size());
  std::atomic<size_t> done{0};
  std::thread checkpointer([&] { run.CheckpointLoop(); });
  std::atomic<bool> finished{false};
  std::thread reporter;
  auto snapshot = [&] {
    progress.records_sent = run.records_sent.load();
    progress.bytes_sent = run.bytes_sent.load();
    progress.partitions_done = done.load();
    progress.elapsed = Clock::now() - started;
    return progress;
  };
  if (options.on_progress) {
    reporter = std::thread([&] {
      while (!finished.load()) {
        std::this_thread::sleep_for(options.progress_interval);
        if (!finished.load()) options.on_progress(snapshot());
      }
    });
  }
  // Work units: each partition, or when reshaping each topic's partitions one after the other
  // (at most one source partition writes into a reshaped target topic at a time).
  std::vector<std::vector<size_t>> units;
  for (size_t i = 0; i < partitions.size(); ++i) {
    if (options.partitions > 0 && i > 0 &&
        partitions[i]->source_topic == partitions[i - 1]->source_topic) {
      units.back().push_back(i);
    } else {
      units.push_back({i});
    }
  }
  const size_t parallelism =
      options.parallelism > 0 ? options.parallelism : DefaultParallelism(plan, options.partitions);
  spdlog::info("restoring {} with {} at once{}",
               report::Plural(static_cast<int64_t>(partitions.size()), "partition"), parallelism,
               options.parallelism > 0 ? "" : " (chosen from the work; --parallel)");
  Status shared_status;
  if (shared) {
    Result<SharedRestoreResult> result = RunSharedRestore(
        run, store, keys, report.cluster_id, partitions,
        {.restore_id = options.restore_id,
         .props = props,
         .session_timeout = options.session_timeout,
         .parallelism = parallelism},
        [&](std::vector<PartitionResult>& results) {
          RestoreReport all = report;
          all.partitions = results;
          FinishConfigsAfter(*admin, records, plan, check, options, &all);
          report.switched_topics = all.switched_topics;
          report.topic_errors = all.topic_errors;
          report.warnings = all.warnings;
          return options.on_all_complete ? options.on_all_complete(all) : Status::OK();
        },
        &done);
    if (result.ok()) {
      report.partitions = std::move(result->partitions);
      report.finished_by = result->finished_by;
      report.finish_status = result->finish_status;
      if (!result->finish_status.ok()) report.topic_errors.push_back(result->finish_status);
    } else {
      shared_status = result.status();
    }
  } else {
    ParallelFor(units.size(), parallelism, [&](size_t u) {
      const PartitionResult* failed = nullptr;
      for (size_t i : units[u]) {
        if (failed != nullptr) {
          const PartitionPlan& p = *partitions[i];
          report.partitions[i] = {
              .source_topic = p.source_topic,
              .partition = p.partition,
              .target_topic = p.target_topic,
              .selection = p.selection,
              .outcome = PartitionOutcome::kFailed,
              .map = OffsetMap(0),
              .target_partitions = options.partitions,
              .error = Status::FailedPrecondition(
                  Name(p.source_topic, p.partition),
                  "not restored: the reshaping restore of " + p.source_topic + " stops at " +
                      Name(failed->source_topic, failed->partition) +
                      ", which failed (a rerun resumes it first)")};
        } else {
          report.partitions[i] = run.RestorePartition(*partitions[i]);
          if (!report.partitions[i].error.ok()) failed = &report.partitions[i];
        }
        ++done;
      }
    });
  }
  finished = true;
  if (reporter.joinable()) reporter.join();
  if (options.on_progress) options.on_progress(snapshot());
  run.Stop();
  checkpointer.join();
  KB_RETURN_IF_ERROR(shared_status);
  if (!shared) FinishConfigsAfter(*admin, records, plan, check, options, &report);
  report.bytes_read = run.bytes_read.load();
  report.zero_timestamps = producer->zero_timestamps();
  report.elapsed = Clock::now() - started;
  return report;
}

}  // namespace kb::restore
