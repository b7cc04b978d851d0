// MemoryStore: an ObjectStore that keeps every object in process memory.
//
// For tests (unit tests of modules above storage, the fault-injecting wrapper, the conformance
// suite) and for dry runs. Nothing is persisted: the objects die with the MemoryStore. It also
// counts calls and bytes moved so tests can check, for example, that a reader fetched only a range.
//
// Ownership: the store owns copies of all object bytes; callers' buffers are never retained.
//
// Thread-safety: every method may be called concurrently; one mutex guards the map and the
// counters. Put/Get copy bytes under the mutex, so readers see the old or the whole new object.
//
// Failure contract: exactly the semantics of storage/object_store.h. Invalid keys (ValidateKey) are
// InvalidArgument for every operation; a missing key is NotFound with the key as subject; GetRange
// with offset > size is InvalidArgument; List with max_keys == 0 is InvalidArgument. No other
// errors happen; use storage/fault to inject some.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "storage/object_store.h"

namespace kb::storage {

class MemoryStore : public ObjectStore {
 public:
  // Calls made and bytes moved since construction or the last ResetStats().
  struct Stats {
    uint64_t puts = 0;
    uint64_t gets = 0;
    uint64_t get_ranges = 0;
    uint64_t heads = 0;
    uint64_t lists = 0;
    uint64_t deletes = 0;        // Delete calls, not keys
    uint64_t bytes_written = 0;  // sum of Put sizes
    uint64_t bytes_read = 0;     // bytes returned by Get and GetRange
  };

  // `name` only appears in Describe(): "memory://<name>".
  explicit MemoryStore(std::string name = "default");

  Status Put(const std::string& key, std::string_view data) override;
  Result<std::string> Get(const std::string& key) override;
  Result<std::string> GetRange(const std::string& key, uint64_t offset, uint64_t length) override;
  Result<uint64_t> Head(const std::string& key) override;
  Result<ListPage> List(const std::string& prefix, const std::string& token,
                        size_t max_keys) override;
  Status Delete(const std::vector<std::string>& keys) override;
  std::string Describe() const override;

  Stats stats() const;
  void ResetStats();
  // Number of objects stored.
  size_t object_count() const;
  // A copy of every object, keyed by object key (for assertions in tests).
  std::map<std::string, std::string> Contents() const;

 private:
  const std::string name_;
  mutable std::mutex mu_;
  std::map<std::string, std::string> objects_;  // guarded by mu_
  Stats stats_;                                 // guarded by mu_
};

}  // namespace kb::storage
