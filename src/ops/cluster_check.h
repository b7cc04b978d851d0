// ClusterCheck: what `verify` adds when the Kafka cluster is reachable. The store alone cannot
// tell a partition whose first segments were deleted from one whose backup began there (a backup
// starts at the log start offset it finds, and retention deletes the oldest ranges); Kafka can:
// while Kafka still holds offsets below the store's first one, those offsets are missing from the
// backup.
//
// Per stored partition of a topic the cluster has, the store's first offset (its first segment or
// gap) is compared with the partition's log start offset; one problem per partition where the
// store begins later, naming the first object and the missing offsets. A topic whose stored
// topic.json records another topic id than the cluster's is a different generation and is not
// compared (noted); a topic or partition the cluster does not have is not compared.
//
// Cost: one Metadata + DescribeTopics request, one batch of ListOffsets requests (two per leader
// broker), and one Get of each compared topic's topic.json. Thread-safety: a pure function over a
// thread-safe store and admin. Failure contract: an unreachable cluster or a failed request is
// returned as the error (the caller decides whether that fails the command); the store's errors
// other than NotFound pass through.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "catalog/store_catalog.h"
#include "catalog/store_problem.h"
#include "common/status.h"
#include "kafka/admin.h"
#include "storage/object_store.h"

namespace kb::ops {

struct ClusterCheck {
  uint64_t partitions_compared = 0;
  std::vector<catalog::StoreProblem> problems;
  std::vector<std::string> notes;  // topics not compared, and why
};

Result<ClusterCheck> CompareWithCluster(const catalog::StoreCatalog& catalog,
                                        storage::ObjectStore& store, kafka::Admin& admin,
                                        std::chrono::milliseconds timeout);

// The pure step: one problem per partition of `catalog` whose first stored offset is above its
// log start offset in `marks` (partitions missing from `marks` are skipped).
std::vector<catalog::StoreProblem> FirstOffsetProblems(
    const catalog::StoreCatalog& catalog,
    const std::map<kafka::TopicPartition, kafka::Watermarks>& marks);

}  // namespace kb::ops
