#include "restore/configs_after.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "common/clock.h"
#include "report/report_text.h"
#include "restore/restore_names.h"

namespace kb::restore {
namespace {

// After the switch: the records of `t` no longer owe it.
Status ClearConfigsAfter(OffsetMapStore& records, const std::string& cluster_id,
                         const TopicPlan& t) {
  for (const PartitionPlan& p : t.partitions) {
    KB_ASSIGN_OR_RETURN(auto existing,
                        records.Load(p.source_topic, p.partition, cluster_id, p.target_topic));
    if (!existing || existing->configs_after_restore.empty()) continue;
    existing->configs_after_restore.clear();
    existing->updated_at_ms = NowMs();
    KB_RETURN_IF_ERROR(records.Save(*existing));
  }
  return Status::OK();
}

}  // namespace

Status RecordConfigsAfter(OffsetMapStore& records, const std::string& cluster_id,
                          const TopicPlan& t, const kafka::TopicConfigs& configs,
                          int32_t partitions) {
  for (const PartitionPlan& p : t.partitions) {
    KB_ASSIGN_OR_RETURN(auto existing,
                        records.Load(p.source_topic, p.partition, cluster_id, p.target_topic));
    // Reshaping: only the first partition gets a new record. The later ones start where the
    // earlier ones end on every target partition, unknown yet; one record remembers the switch.
    if (!existing && partitions > 0 && &p != &t.partitions.front()) continue;
    PartitionRestoreRecord r;
    if (existing) {
      if (existing->selection != p.selection || existing->configs_after_restore == configs) {
        continue;
      }
      r = std::move(*existing);
    } else {
      r = {.source_topic = p.source_topic,
           .partition = p.partition,
           .cluster_id = cluster_id,
           .target_topic = p.target_topic,
           .selection = p.selection,
           .map = OffsetMap(0)};
      // Reshaping: an empty map on every target partition (a record of this shape is resumed).
      r.target_partitions = partitions;
      for (int32_t tp = 0; tp < partitions; ++tp) r.target_maps[tp] = OffsetMap(0);
    }
    r.configs_after_restore = configs;
    r.updated_at_ms = NowMs();
    KB_RETURN_IF_ERROR(records.Save(r));
  }
  return Status::OK();
}

void FinishConfigsAfter(kafka::Admin& admin, OffsetMapStore& records, const RestorePlan& plan,
                        const TargetCheck& check, const RestoreOptions& options,
                        RestoreReport* report) {
  for (const TopicPlan& t : plan.topics) {
    auto after = check.configs_after.find(t.target_topic);
    if (after == check.configs_after.end()) continue;
    std::vector<std::string> incomplete;
    for (const PartitionResult& r : report->partitions) {
      if (r.target_topic == t.target_topic && !r.complete) {
        incomplete.push_back(Name(r.target_topic, r.partition));
      }
    }
    const std::string configs = ConfigsText(after->second);
    if (!incomplete.empty()) {
      const std::string w = t.target_topic + " keeps " + kTimestampTypeConfig + "=" + kCreateTime +
                            " (not yet " + configs + ", as in the backup's topic.json): " +
                            report::Plural(static_cast<int64_t>(incomplete.size()), "partition") +
                            " not completely restored (" + Joined(incomplete) +
                            "); run the same restore again to finish them, and it sets " + configs +
                            " at the end (the restore records remember it)";
      spdlog::warn("{}", w);
      report->warnings.push_back(w);
      continue;
    }
    Status s = admin.AlterTopicConfigs(t.target_topic, after->second, options.timeout);
    if (!s.ok()) {
      Status e = s.WithContext(
          "every record is restored with its timestamp, but the topic stays " +
          std::string(kTimestampTypeConfig) + "=" + kCreateTime + " since setting " + configs +
          " (as in the backup's topic.json) failed; run the same restore again (the restore "
          "records remember the switch), or set it with kafka-configs.sh --alter --entity-type "
          "topics --entity-name " +
          t.target_topic + " --add-config " + configs);
      spdlog::error("{}", e.ToString());
      report->topic_errors.push_back(e);
      continue;
    }
    spdlog::info("{}: every partition restored: set {}", t.target_topic, configs);
    report->switched_topics.push_back(t.target_topic + ": " + configs);
    Status cleared = ClearConfigsAfter(records, report->cluster_id, t);
    if (!cleared.ok()) {
      // Harmless: a rerun sets the same value again.
      const std::string w = "the restore records of " + t.target_topic + " still say to set " +
                            configs + " at the end (" + cleared.ToString() +
                            "); a rerun sets it again, which changes nothing";
      spdlog::warn("{}", w);
      report->warnings.push_back(w);
    }
  }
}

Result<std::map<std::string, kafka::TopicConfigs>> PendingConfigs(storage::ObjectStore& store,
                                                                  const layout::Keys& keys,
                                                                  const std::string& cluster_id,
                                                                  const RestorePlan& plan,
                                                                  const TargetCheck& check) {
  std::map<std::string, kafka::TopicConfigs> out;
  OffsetMapStore records(&store, keys);
  const auto contains = [](const std::vector<std::string>& v, const std::string& x) {
    return std::find(v.begin(), v.end(), x) != v.end();
  };
  for (const TopicPlan& t : plan.topics) {
    if (contains(check.to_create, t.target_topic)) {
      if (!t.metadata) continue;
      auto type = t.metadata->configs.find(kTimestampTypeConfig);
      if (type != t.metadata->configs.end() && type->second == kLogAppendTime) {
        out[t.target_topic][kTimestampTypeConfig] = kLogAppendTime;
      }
      continue;
    }
    if (!contains(check.existing, t.target_topic)) continue;
    for (const PartitionPlan& p : t.partitions) {
      KB_ASSIGN_OR_RETURN(auto existing,
                          records.Load(p.source_topic, p.partition, cluster_id, p.target_topic));
      if (!existing || existing->selection != p.selection) continue;
      for (const auto& [k, v] : existing->configs_after_restore) out[t.target_topic][k] = v;
    }
  }
  return out;
}

}  // namespace kb::restore
