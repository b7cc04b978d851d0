// Test helpers of the catalog and ops modules: real segments (format::SegmentWriter) and the other
// objects of a store, written into a MemoryStore under layout::Keys names.
//
// Ownership: OpsStore owns its MemoryStore. Thread-safety: none needed (tests).
// Failure contract: write failures fail the current test (gtest EXPECT/ADD_FAILURE).
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "layout/keys.h"
#include "storage/memory/memory_store.h"

namespace kb::catalog::testing {

// A segment holding every offset of [first, last] (CreateTime timestamp base_ts + offset, except
// the middle record's, which is middle_ts), in blocks of about 64 bytes (so several blocks).
std::string SegmentBytes(int64_t first, int64_t last, int64_t base_ts, int64_t middle_ts);
// The same with the middle record's timestamp following the rule too.
std::string SegmentBytes(int64_t first, int64_t last, int64_t base_ts);

class OpsStore {
 public:
  explicit OpsStore(std::string prefix = "backups") : keys_(prefix) {}

  storage::MemoryStore& store() { return store_; }
  const layout::Keys& keys() const { return keys_; }

  void Put(const std::string& key, const std::string& data);
  // Writes a segment of offsets [first, last] (timestamps base_ts + offset) under its key, which
  // it returns.
  std::string AddSegment(const std::string& topic, int32_t partition, int64_t first, int64_t last,
                         int64_t base_ts = 1'700'000'000'000);
  std::string AddGap(const std::string& topic, int32_t partition, int64_t start, int64_t end);
  // topic.json with `partitions` partitions and `configs`.
  std::string AddTopic(const std::string& topic, int32_t partitions,
                       const std::map<std::string, std::string>& configs = {});
  std::string AddGroupOffsets(const std::string& topic, int32_t partition,
                              const std::map<std::string, int64_t>& offsets);
  std::string AddOffsetSnapshot(const std::string& topic, int32_t partition, int64_t time_ms,
                                const std::map<std::string, int64_t>& offsets);
  // The bytes stored under `key` (empty and a test failure when missing).
  std::string Bytes(const std::string& key);
  uint64_t Size(const std::string& key) { return Bytes(key).size(); }

 private:
  storage::MemoryStore store_;
  layout::Keys keys_;
};

}  // namespace kb::catalog::testing
