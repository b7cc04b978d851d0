// Helpers for the backup integration tests: producing records with exact attributes through
// librdkafka's C API, running the engine, and reading back what the store holds.
#pragma once

#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "backup/backup_engine.h"
#include "catalog/store_position.h"
#include "common/status.h"
#include "config/config.h"
#include "format/record.h"
#include "kafka/admin.h"
#include "storage/object_store.h"

namespace kb::backup::testutil {

// A producer that keeps null and empty apart and sets headers and timestamps exactly. Every
// delivery report is checked: Flush() fails the test if a record did not reach Kafka (so a test
// never blames the backup for a record that was never written).
class RawProducer {
 public:
  explicit RawProducer(const std::string& bootstrap, const kafka::Properties& extra = {});
  ~RawProducer();
  // timestamp 0 lets the producer pick "now" (librdkafka's convention).
  void Send(const std::string& topic, int32_t partition, const format::Record& r);
  void Flush();
  rd_kafka_t* handle() { return rk_; }

 private:
  static void OnDelivery(rd_kafka_t* rk, const rd_kafka_message_t* m, void* opaque);

  rd_kafka_t* rk_ = nullptr;
  std::mutex mu_;
  std::vector<std::string> failures_;  // "topic/partition: error", from librdkafka's thread
};

// Base fixture of the backup integration tests: the test broker (KB_TEST_KAFKA_BOOTSTRAP) and an
// Admin client on it.
class KafkaTest : public ::testing::Test {
 protected:
  void SetUp() override;
  // Creates `topic`, failing the test when that fails.
  void CreateTopic(const std::string& topic, int partitions,
                   const kafka::TopicConfigs& configs = {});
  // Deletes `topic` and creates it again (empty, `partitions` partitions, no config overrides),
  // waiting for the broker to finish the deletion; fails the test when either fails.
  void RecreateTopic(const std::string& topic, int partitions);

  std::string bootstrap_;
  std::unique_ptr<kafka::Admin> admin_;
};

Config MakeConfig(const std::string& bootstrap, const std::vector<std::string>& topics,
                  const std::string& group);

// Runs a --once backup to completion.
Status RunOnce(const Config& cfg, storage::ObjectStore* store, EngineStats* stats = nullptr);

struct PartitionContents {
  std::vector<catalog::StoredRange> ranges;
  std::vector<format::Record> records;  // decoded from every segment, in offset order
};
PartitionContents ReadPartition(storage::ObjectStore& store, const Config& cfg,
                                const std::string& topic, int32_t partition);

// Checks that segment and gap ranges tile [first, ...) with no overlap and no hole.
::testing::AssertionResult RangesTile(const std::vector<catalog::StoredRange>& ranges,
                                      int64_t first);

}  // namespace kb::backup::testutil
