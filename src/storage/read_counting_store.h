// ReadCountingStore: a pass-through ObjectStore that counts the bytes Get and GetRange return —
// what a reader (restore's planner and partition reader) fetched from the store. For tests and
// benchmarks that check how much of a backup a selection reads.
//
// Ownership: does not own `inner`, which must outlive it. Thread-safety: as `inner`; the counter is
// atomic.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "storage/object_store.h"

namespace kb::storage {

class ReadCountingStore : public ObjectStore {
 public:
  explicit ReadCountingStore(ObjectStore* inner) : inner_(inner) {}

  uint64_t bytes_read() const { return bytes_read_.load(); }

  Status Put(const std::string& key, std::string_view data) override {
    return inner_->Put(key, data);
  }
  Status PutParts(const std::string& key, std::span<const std::string_view> parts) override {
    return inner_->PutParts(key, parts);
  }
  Result<std::string> Get(const std::string& key) override { return Count(inner_->Get(key)); }
  Result<std::string> GetRange(const std::string& key, uint64_t offset, uint64_t length) override {
    return Count(inner_->GetRange(key, offset, length));
  }
  Result<uint64_t> Head(const std::string& key) override { return inner_->Head(key); }
  Result<std::optional<ObjectLock>> Lock(const std::string& key) override {
    return inner_->Lock(key);
  }
  Result<ListPage> List(const std::string& prefix, const std::string& token,
                        size_t max_keys) override {
    return inner_->List(prefix, token, max_keys);
  }
  Status Delete(const std::vector<std::string>& keys) override { return inner_->Delete(keys); }
  std::string Describe() const override { return inner_->Describe(); }
  std::shared_ptr<const crypto::KeyRing> keys() const override { return inner_->keys(); }

 private:
  Result<std::string> Count(Result<std::string> r) {
    if (r.ok()) bytes_read_ += r->size();
    return r;
  }

  ObjectStore* inner_;
  std::atomic<uint64_t> bytes_read_{0};
};

}  // namespace kb::storage
