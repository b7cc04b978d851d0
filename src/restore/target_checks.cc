// The checks on the target topics before a restore writes anything (restorer.h: CheckTargets,
// QueryTargetEnds, CheckTargetsEmpty, the timestamp and retention warnings).
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>

#include "report/report_text.h"
#include "restore/configs_after.h"
#include "restore/offset_map_store.h"
#include "restore/restore_names.h"
#include "restore/restorer.h"

namespace kb::restore {
namespace {

// "7 days", "36 hours", "90 minutes", "1500 ms": a retention.ms for people.
std::string ReadableMs(int64_t ms) {
  constexpr int64_t kMinute = 60'000, kHour = 60 * kMinute, kDay = 24 * kHour;
  if (ms >= kDay && ms % kDay == 0) return report::Plural(ms / kDay, "day");
  if (ms >= kHour && ms % kHour == 0) return report::Plural(ms / kHour, "hour");
  if (ms >= kMinute && ms % kMinute == 0) return report::Plural(ms / kMinute, "minute");
  return std::to_string(ms) + " ms";
}

}  // namespace

Result<std::set<std::string>> CompletedTargets(storage::ObjectStore& store,
                                               const layout::Keys& keys,
                                               const std::string& cluster_id,
                                               const RestorePlan& plan) {
  OffsetMapStore records(&store, keys);
  std::set<std::string> out;
  for (const TopicPlan& t : plan.topics) {
    bool complete = true;
    for (const PartitionPlan& p : t.partitions) {
      KB_ASSIGN_OR_RETURN(auto existing,
                          records.Load(p.source_topic, p.partition, cluster_id, p.target_topic));
      if (!existing || existing->selection != p.selection || !existing->complete) {
        complete = false;
        break;
      }
    }
    if (complete) out.insert(t.target_topic);
  }
  return out;
}

std::map<std::string, kafka::TopicConfigs> DescribeTargetConfigs(
    kafka::Admin& admin, const std::vector<std::string>& topics, std::chrono::milliseconds timeout,
    std::vector<std::string>* warnings) {
  std::map<std::string, kafka::TopicConfigs> out;
  for (const std::string& topic : topics) {
    auto configs =
        admin.DescribeTopicConfigs(topic, timeout, kafka::Admin::ConfigScope::kEffective);
    if (configs.ok()) {
      out[topic] = std::move(*configs);
      continue;
    }
    warnings->push_back("cannot check the message.timestamp.type and retention.ms of " + topic +
                        (configs.status().IsPermissionDenied()
                             ? " (it needs the DESCRIBE_CONFIGS ACL on it)"
                             : std::string()) +
                        ": " + configs.status().ToString());
  }
  return out;
}

std::vector<std::string> TimestampWarnings(
    const RestorePlan& plan, const std::map<std::string, kafka::TopicConfigs>& configs,
    const std::map<std::string, kafka::TopicConfigs>& configs_after,
    const std::set<std::string>& completed, int64_t now_ms) {
  std::vector<std::string> out;
  for (const TopicPlan& t : plan.topics) {
    auto it = configs.find(t.target_topic);
    if (it == configs.end() || completed.contains(t.target_topic)) continue;
    const kafka::TopicConfigs& c = it->second;
    int64_t min_ts = INT64_MAX, max_ts = INT64_MIN;
    for (const PartitionPlan& p : t.partitions) {
      if (p.records == 0 || p.min_timestamp > p.max_timestamp) continue;
      min_ts = std::min(min_ts, p.min_timestamp);
      max_ts = std::max(max_ts, p.max_timestamp);
    }
    if (min_ts > max_ts) continue;  // nothing to produce
    const std::string& target = t.target_topic;
    auto type = c.find(kTimestampTypeConfig);
    if (type != c.end() && type->second == kLogAppendTime && !configs_after.contains(target)) {
      out.push_back(
          target + " has " + kTimestampTypeConfig + "=" + kLogAppendTime +
          ": the broker gives every record restored into it the time it appends it, so the "
          "backed-up timestamps (" +
          report::FormatTimeMs(min_ts) + " .. " + report::FormatTimeMs(max_ts) + ") are lost in " +
          target + ". To keep them, set " + kTimestampTypeConfig + "=" + kCreateTime + " on " +
          target +
          " before restoring (kafka-configs.sh --alter --entity-type topics --entity-name " +
          target + " --add-config " + kTimestampTypeConfig + "=" + kCreateTime +
          "; set it back afterwards), or delete it and let the restore create it: it creates it "
          "with " +
          kCreateTime + " and sets " + kLogAppendTime + " once every partition is restored");
    }
    auto policy = c.find("cleanup.policy");
    if (policy != c.end() && policy->second.find("delete") == std::string::npos) continue;
    auto retention = c.find("retention.ms");
    if (retention == c.end()) continue;
    int64_t ms = -1;
    const std::string& v = retention->second;
    if (std::from_chars(v.data(), v.data() + v.size(), ms).ec != std::errc() || ms < 0) continue;
    const int64_t cutoff = now_ms - ms;
    std::vector<std::string> named;
    int64_t oldest = INT64_MAX;
    for (const PartitionPlan& p : t.partitions) {
      if (p.records == 0 || p.min_timestamp > p.max_timestamp || p.min_timestamp >= cutoff) {
        continue;
      }
      uint64_t older = 0;  // records of chosen blocks whose newest record is older
      for (const SegmentPlan& seg : p.segments) {
        for (size_t b : seg.blocks) {
          const format::BlockIndexEntry& e = seg.reader->footer().blocks[b];
          if (e.max_timestamp < cutoff) older += e.record_count;
        }
      }
      older = std::min(older, p.records);
      oldest = std::min(oldest, p.min_timestamp);
      named.push_back(std::to_string(p.partition) + " (" +
                      (older == 0 ? std::string("some records")
                                  : (p.count_exact ? "at least " : "up to ") +
                                        report::Plural(static_cast<int64_t>(older), "record")) +
                      ", oldest " + report::FormatTimeMs(p.min_timestamp) + ")");
    }
    if (named.empty()) continue;
    out.push_back(
        target + " has retention.ms=" + v + " (" + ReadableMs(ms) + ") but " +
        (named.size() == 1 ? "partition " : "partitions ") + Joined(named, "; ") + " of " +
        t.source_topic + " hold records older than that (before " + report::FormatTimeMs(cutoff) +
        "): Kafka deletes them soon after they are restored (a segment goes once its "
        "newest record is older than retention.ms). To keep them, raise retention.ms of " +
        target + " before restoring (-1 keeps records forever), or restore with --from " +
        report::FormatTimeMs(cutoff) + " or later");
  }
  return out;
}

std::string MetadataWarning(const TopicPlan& t) {
  return t.metadata_key + " cannot be read (" + t.metadata_error.ToString() + "); " +
         t.target_topic + " exists (--require-target-exists), so " + t.source_topic +
         " is restored into it without the backed-up topic metadata";
}

Result<TargetCheck> CheckTargets(const kafka::Properties& props, const RestorePlan& plan,
                                 const RestoreOptions& options) {
  KB_ASSIGN_OR_RETURN(auto admin, kafka::Admin::Make(props));
  TargetCheck check;
  for (const TopicPlan& t : plan.topics) {
    Result<kafka::TopicInfo> info = admin->DescribeTopic(t.target_topic, options.timeout);
    if (info.ok()) {
      if (options.partitions > 0 && info->partitions != options.partitions) {
        return Status::FailedPrecondition(
            t.target_topic, "the target topic has " + std::to_string(info->partitions) +
                                " partitions but --partitions asks for " +
                                std::to_string(options.partitions) + ": give --partitions " +
                                std::to_string(info->partitions) +
                                " or restore into another topic");
      }
      if (options.partitions == 0 && info->partitions < t.partition_count) {
        return Status::FailedPrecondition(
            t.target_topic, "the target topic has " + std::to_string(info->partitions) +
                                " partitions but the backup of '" + t.source_topic + "' has " +
                                std::to_string(t.partition_count) +
                                " (each record goes to the partition with the same number); "
                                "add partitions or restore into another topic");
      }
      check.existing.push_back(t.target_topic);
      if (!t.metadata_error.ok() && options.require_target_exists) {
        check.warnings.push_back(MetadataWarning(t));
      }
      continue;
    }
    if (!info.status().IsNotFound()) return info.status();
    // Without a readable topic.json its partitions fail (PlanRestore): nothing to create.
    if (!t.metadata_error.ok() && !options.require_target_exists) continue;
    if (options.require_target_exists) {
      return Status::NotFound(t.target_topic,
                              "the target topic does not exist (--require-target-exists)");
    }
    check.to_create.push_back(t.target_topic);
  }
  return check;
}

Result<TargetEnds> QueryTargetEnds(kafka::Admin& admin, const RestorePlan& plan,
                                   const std::vector<std::string>& existing,
                                   std::chrono::milliseconds timeout, int32_t partitions) {
  std::vector<kafka::TopicPartition> tps;
  for (const TopicPlan& t : plan.topics) {
    if (std::find(existing.begin(), existing.end(), t.target_topic) == existing.end()) continue;
    if (partitions > 0) {
      for (int32_t i = 0; i < partitions; ++i) tps.push_back({t.target_topic, i});
      continue;
    }
    for (const PartitionPlan& p : t.partitions) tps.push_back({t.target_topic, p.partition});
  }
  TargetEnds ends;
  if (tps.empty()) return ends;
  KB_ASSIGN_OR_RETURN(auto wm, admin.QueryWatermarks(tps, timeout));
  for (const auto& [tp, w] : wm) ends[{tp.topic, tp.partition}] = w;
  return ends;
}

Status CheckTargetsEmpty(storage::ObjectStore& store, const layout::Keys& keys,
                         const std::string& cluster_id, const RestorePlan& plan,
                         const TargetEnds& ends, int32_t partitions) {
  OffsetMapStore records(&store, keys);
  std::string named;
  size_t count = 0;
  for (const TopicPlan& t : plan.topics) {
    if (partitions > 0) {
      // Every source partition's records may land on every target partition: this restore's own
      // records start at the smallest target_start of its restore records there.
      std::map<int32_t, int64_t> own_start;
      for (const PartitionPlan& p : t.partitions) {
        KB_ASSIGN_OR_RETURN(auto existing,
                            records.Load(p.source_topic, p.partition, cluster_id, p.target_topic));
        if (!existing || existing->selection != p.selection ||
            existing->target_partitions != partitions) {
          continue;
        }
        for (const auto& [tp, m] : existing->target_maps) {
          auto [it, fresh] = own_start.emplace(tp, m.target_start());
          if (!fresh) it->second = std::min(it->second, m.target_start());
        }
      }
      for (int32_t tp = 0; tp < partitions; ++tp) {
        auto it = ends.find({t.target_topic, tp});
        if (it == ends.end()) continue;  // a topic to create
        const kafka::Watermarks& wm = it->second;
        int64_t foreign_end = wm.high;
        if (auto own = own_start.find(tp); own != own_start.end()) {
          foreign_end = std::min(foreign_end, own->second);
        }
        if (foreign_end <= wm.low) continue;
        ++count;
        named += (named.empty() ? "" : "; ") + Name(t.target_topic, tp) + " holds offsets " +
                 std::to_string(wm.low) + ".." + std::to_string(foreign_end - 1) +
                 " (start offset " + std::to_string(wm.low) + ", end offset " +
                 std::to_string(wm.high) + ")";
      }
      continue;
    }
    for (const PartitionPlan& p : t.partitions) {
      auto it = ends.find({p.target_topic, p.partition});
      if (it == ends.end()) continue;  // a topic to create
      const kafka::Watermarks& wm = it->second;
      // Records from the restore record's target_start on are this restore's own (an interrupted
      // or finished run of the same selection); the resume logic checks them.
      int64_t foreign_end = wm.high;
      KB_ASSIGN_OR_RETURN(auto existing,
                          records.Load(p.source_topic, p.partition, cluster_id, p.target_topic));
      if (existing && existing->selection == p.selection) {
        foreign_end = std::min(foreign_end, existing->map.target_start());
      }
      if (foreign_end <= wm.low) continue;
      ++count;
      named += (named.empty() ? "" : "; ") + Name(p.target_topic, p.partition) + " holds offsets " +
               std::to_string(wm.low) + ".." + std::to_string(foreign_end - 1) + " (start offset " +
               std::to_string(wm.low) + ", end offset " + std::to_string(wm.high) + ")";
    }
  }
  if (count == 0) return Status::OK();
  return Status::FailedPrecondition(
      "--fail-if-target-not-empty",
      std::to_string(count) + (count == 1 ? " target partition is" : " target partitions are") +
          " not empty: " + named + "; nothing was produced");
}

Result<std::vector<std::string>> CreateTargets(kafka::Admin& admin, OffsetMapStore& records,
                                               const std::string& cluster_id,
                                               const RestorePlan& plan, const TargetCheck& check,
                                               const RestoreOptions& options) {
  std::vector<kafka::TopicSpec> specs;
  for (const TopicPlan& t : plan.topics) {
    if (std::find(check.to_create.begin(), check.to_create.end(), t.target_topic) ==
        check.to_create.end()) {
      continue;
    }
    kafka::TopicSpec spec{
        .name = t.target_topic,
        .partitions = options.partitions > 0 ? options.partitions : std::max(t.partition_count, 1)};
    if (t.metadata) {
      spec.replication_factor =
          t.metadata->replication_factor > 0 ? t.metadata->replication_factor : -1;
      spec.configs = t.metadata->configs;
    } else {
      spdlog::warn("{}: no topic.json in the backup: creating {} with the broker's default configs",
                   t.source_topic, t.target_topic);
    }
    if (options.replication_factor) spec.replication_factor = *options.replication_factor;
    if (auto after = check.configs_after.find(t.target_topic); after != check.configs_after.end()) {
      // Produced as CreateTime, switched at the end; recorded first so that a rerun after a kill
      // right after the creation still switches it (see "Timestamps").
      spec.configs[kTimestampTypeConfig] = kCreateTime;
      KB_RETURN_IF_ERROR(
          RecordConfigsAfter(records, cluster_id, t, after->second, options.partitions));
      spdlog::info(
          "{}: creating it with {}={}, to keep the backed-up timestamps; {} is set once "
          "every partition is restored",
          t.target_topic, kTimestampTypeConfig, kCreateTime, ConfigsText(after->second));
    }
    specs.push_back(std::move(spec));
  }
  // Several topics per request (a broker creates topics asynchronously, and one by one each
  // waits for its own), in requests of at most kCreatePartitionsPerRequest partitions.
  constexpr int32_t kCreatePartitionsPerRequest = 500;
  std::vector<int32_t> counts;
  for (const kafka::TopicSpec& spec : specs) counts.push_back(spec.partitions);
  std::vector<Status> statuses;
  for (const auto& [begin, end] : CreateRequestRanges(counts, kCreatePartitionsPerRequest)) {
    const std::vector<kafka::TopicSpec> chunk(specs.begin() + static_cast<std::ptrdiff_t>(begin),
                                              specs.begin() + static_cast<std::ptrdiff_t>(end));
    for (Status& s : admin.CreateTopics(chunk, options.timeout)) statuses.push_back(std::move(s));
  }
  std::vector<std::string> created;
  for (size_t i = 0; i < specs.size(); ++i) {
    const kafka::TopicSpec& spec = specs[i];
    const Status& s = statuses[i];
    if (s.code() == Status::Code::kAlreadyExists && !options.restore_id.empty()) {
      spdlog::info("{}: created by another process of restore id {}", spec.name,
                   options.restore_id);
      continue;
    }
    if (!s.ok()) {
      const std::string what =
          "cannot create the target topic with " + std::to_string(spec.partitions) +
          " partitions, replication factor " +
          (spec.replication_factor > 0 ? std::to_string(spec.replication_factor)
                                       : std::string("(broker default)")) +
          " and " + std::to_string(spec.configs.size()) + " configs from the backup";
      if (s.message().find("eplication") != std::string::npos) {
        return Status::FailedPrecondition(
            spec.name,
            what + ": " + s.message() + " (give --replication-factor N for this cluster)");
      }
      return s.WithContext(what);
    }
    spdlog::info("created topic {} ({} partitions)", spec.name, spec.partitions);
    created.push_back(spec.name);
  }

  return created;
}

std::vector<std::pair<size_t, size_t>> CreateRequestRanges(const std::vector<int32_t>& partitions,
                                                           int32_t max_partitions) {
  std::vector<std::pair<size_t, size_t>> ranges;
  for (size_t begin = 0; begin < partitions.size();) {
    size_t end = begin;
    int32_t in_request = 0;
    while (end < partitions.size() &&
           (end == begin || in_request + partitions[end] <= max_partitions)) {
      in_request += partitions[end];
      ++end;
    }
    ranges.emplace_back(begin, end);
    begin = end;
  }
  return ranges;
}

}  // namespace kb::restore
