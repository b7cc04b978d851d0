#include "ops/cluster_check.h"

#include "layout/metadata.h"

namespace kb::ops {

std::vector<catalog::StoreProblem> FirstOffsetProblems(
    const catalog::StoreCatalog& catalog,
    const std::map<kafka::TopicPartition, kafka::Watermarks>& marks) {
  std::vector<catalog::StoreProblem> problems;
  for (const auto& [topic, objects] : catalog) {
    for (const auto& [partition, p] : objects.partitions) {
      if (p.ranges.empty()) continue;
      auto mark = marks.find({topic, partition});
      if (mark == marks.end()) continue;
      const catalog::StoredRange& first = p.ranges.front();
      const int64_t log_start = mark->second.low;
      if (first.start <= log_start) continue;
      problems.push_back({first.key, log_start, first.start - 1,
                          "missing: Kafka still holds these offsets of " + topic + "/" +
                              std::to_string(partition) + " (log start offset " +
                              std::to_string(log_start) + ") but the store begins at " +
                              std::to_string(first.start) + ": its first segments were deleted"});
    }
  }
  return problems;
}

Result<ClusterCheck> CompareWithCluster(const catalog::StoreCatalog& catalog,
                                        storage::ObjectStore& store, kafka::Admin& admin,
                                        std::chrono::milliseconds timeout) {
  ClusterCheck check;
  KB_ASSIGN_OR_RETURN(std::vector<kafka::TopicInfo> topics, admin.ListTopics(timeout));
  std::map<std::string, kafka::TopicInfo> live;
  for (kafka::TopicInfo& t : topics) live.emplace(t.name, std::move(t));
  std::vector<kafka::TopicPartition> compared;
  for (const auto& [topic, objects] : catalog) {
    auto it = live.find(topic);
    if (it == live.end() || objects.partitions.empty()) continue;
    if (!objects.metadata_key.empty() && !it->second.topic_id.empty()) {
      Result<std::string> json = store.Get(objects.metadata_key);
      if (!json.ok() && !json.status().IsNotFound()) return json.status();
      if (json.ok()) {
        Result<layout::TopicMetadata> md = layout::DecodeTopicMetadata(objects.metadata_key, *json);
        if (md.ok() && !md->topic_id.empty() && md->topic_id != it->second.topic_id) {
          check.notes.push_back(topic +
                                ": not compared with the cluster, whose topic of that name "
                                "is another generation (topic id " +
                                it->second.topic_id + ", the backup's " + md->topic_id + ")");
          continue;
        }
      }
    }
    for (const auto& [partition, p] : objects.partitions) {
      if (partition < it->second.partitions && !p.ranges.empty()) {
        compared.push_back({topic, partition});
      }
    }
  }
  if (compared.empty()) return check;
  KB_ASSIGN_OR_RETURN(auto marks, admin.QueryWatermarks(compared, timeout));
  check.partitions_compared = compared.size();
  check.problems = FirstOffsetProblems(catalog, marks);
  return check;
}

}  // namespace kb::ops
