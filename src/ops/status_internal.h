// The pure steps of ComputeStatus (status.h), exposed for unit tests: turning what the cluster and
// the store say about a partition into a PartitionStatus, and rows into per-topic totals.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "catalog/store_scan.h"
#include "kafka/admin.h"
#include "ops/status.h"

namespace kb::ops::internal {

struct TopicFacts {
  bool in_cluster = false;
  bool selected = false;
};

struct PartitionFacts {
  std::string topic;
  int32_t partition = 0;
  TopicFacts topic_facts;
  bool in_cluster = false;          // the partition exists in the cluster
  kafka::Watermarks wm;             // when in_cluster
  catalog::StoredPartition stored;  // default (all -1) when nothing is stored
};

// Every field but lag_seconds, which is 0 when lag_records == 0 and -1 (unknown) otherwise.
PartitionStatus MakePartitionStatus(const PartitionFacts& facts);

// The offset of the oldest record not backed up yet: max(backed_up_next, log_start).
int64_t FirstUnbackedOffset(const PartitionStatus& p);

// Sets lag_seconds of a lagging partition from the timestamp of its first record not backed up
// (nullopt or -1: unknown), as whole seconds before `now_ms`, at least 0.
void SetLagSeconds(PartitionStatus* p, std::optional<int64_t> first_unbacked_timestamp_ms,
                   int64_t now_ms);

// Totals per topic of `partitions` (sorted by topic), one entry for each topic in `topics` (a
// topic without rows, e.g. stored with no partitions, gets an entry with zeros).
std::vector<TopicStatus> SummarizeTopics(const std::vector<PartitionStatus>& partitions,
                                         const std::map<std::string, TopicFacts>& topics);

// Rank of a state, from 0 ("ok") up; for picking a topic's worst partition.
int StateSeverity(const std::string& state);

}  // namespace kb::ops::internal
