// Checks shared by the fault scenarios whose source topic is written before it is checked (the
// network-fault and broker-loss scenarios of test/chaos): produce numbered records, then compare
// what the store or a restored topic holds with what the source topic holds, record by record.
// Test-only; failures are counted and described, not asserted, so a scenario can report them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "config/config.h"
#include "storage/object_store.h"

namespace kb::chaos {

struct Comparison {
  uint64_t records = 0;  // records compared
  uint64_t lost = 0;
  uint64_t duplicated = 0;
  std::vector<std::string> problems;  // empty when the two are equal
  bool equal() const { return lost == 0 && duplicated == 0 && problems.empty(); }
  std::string first_problem() const { return problems.empty() ? "" : problems.front(); }
};

// Produces `count` records to each of `partitions` partitions of `topic` (values
// "<partition>-<first + i>" padded to `value_bytes`, keys "k<i>"), waiting for every delivery.
void ProduceNumbered(const std::string& bootstrap, const std::string& topic, int partitions,
                     int first, int count, size_t value_bytes = 100);

// The store (prefix `prefix`) against the topic: per partition, stored ranges tile from the
// topic's first offset, every record of the topic is stored once with its key, value and
// timestamp, nothing else is stored.
Comparison CompareStoreWithTopic(storage::ObjectStore& store, const std::string& prefix,
                                 const std::string& bootstrap, const std::string& topic,
                                 int partitions);

// The records of `target` against those of `source` (same partition count), in order, with
// key, value and timestamp.
Comparison CompareTopics(const std::string& bootstrap, const std::string& source,
                         const std::string& target, int partitions);

// Records stored for `topic` in all partitions (0 when none), to wait for a backup to catch up.
uint64_t StoredRecords(storage::ObjectStore& store, const std::string& prefix,
                       const std::string& topic, int partitions);

}  // namespace kb::chaos
