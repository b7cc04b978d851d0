// Helpers for the restore integration tests: running a restore through the library (plan + run)
// and reading back what a target partition holds.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "format/record.h"
#include "kafka/client.h"
#include "layout/keys.h"
#include "restore/restorer.h"
#include "restore/selection.h"
#include "storage/object_store.h"

namespace kb::restore::testutil {

// PlanRestore then RunRestore against the broker at `bootstrap`, with `props` as further kafka.*
// properties.
Result<RestoreReport> Restore(storage::ObjectStore& store, const layout::Keys& keys,
                              const std::string& bootstrap, const RestoreSelection& selection,
                              RestoreOptions options = {}, kafka::Properties props = {});

// The sum of the end offsets of partitions 0..partitions-1 of `topic` (0 for a partition that
// cannot be queried), through a fresh Admin each time: one that saw the topic missing keeps it
// unknown for a while.
int64_t EndOffsetSum(const std::string& bootstrap, const std::string& topic, int partitions);

// Every record of topic/partition, in offset order (read_uncommitted: all physical records).
std::vector<format::Record> ReadAll(const std::string& bootstrap, const std::string& topic,
                                    int32_t partition);

// The restore result of one partition in a report (a test failure and an empty result if absent).
const PartitionResult* Find(const RestoreReport& report, const std::string& topic,
                            int32_t partition);

}  // namespace kb::restore::testutil
