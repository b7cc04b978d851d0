// LockingStore (tests): an ObjectStore over another that reports object locks from a table, the way
// S3 reports x-amz-object-lock-* on HEAD, and refuses to delete a key whose lock holds at the
// server clock (`now_ms`) (as S3 Object Lock refuses: PermissionDenied naming the key), so that a
// test sees any attempt to delete a locked object. Every delete attempt is recorded.
//
// Ownership: borrows the inner store, which must outlive it. Thread-safety: Lock and Delete may be
// called concurrently; the table is set up before use.
#pragma once

#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "storage/object_store.h"

namespace kb::ops::testing {

class LockingStore : public storage::ObjectStore {
 public:
  LockingStore(storage::ObjectStore& inner, int64_t now_ms) : inner_(inner), now_ms_(now_ms) {}

  void SetLock(const std::string& key, storage::ObjectLock lock) { locks_[key] = lock; }
  // The server's clock, against which Delete refuses locked keys.
  void SetNowMs(int64_t now_ms) { now_ms_ = now_ms; }
  // Keys passed to Delete, in order.
  std::vector<std::string> DeleteAttempts() {
    std::lock_guard<std::mutex> l(mu_);
    return attempts_;
  }
  size_t LockQueries() {
    std::lock_guard<std::mutex> l(mu_);
    return lock_queries_;
  }

  Status Put(const std::string& key, std::string_view data) override {
    return inner_.Put(key, data);
  }
  Result<std::string> Get(const std::string& key) override { return inner_.Get(key); }
  Result<std::string> GetRange(const std::string& key, uint64_t offset, uint64_t length) override {
    return inner_.GetRange(key, offset, length);
  }
  Result<uint64_t> Head(const std::string& key) override { return inner_.Head(key); }
  Result<storage::ListPage> List(const std::string& prefix, const std::string& token,
                                 size_t max_keys) override {
    return inner_.List(prefix, token, max_keys);
  }
  Status Delete(const std::vector<std::string>& keys) override {
    {
      std::lock_guard<std::mutex> l(mu_);
      attempts_.insert(attempts_.end(), keys.begin(), keys.end());
    }
    for (const std::string& k : keys) {
      auto it = locks_.find(k);
      if (it != locks_.end() && (it->second.legal_hold || it->second.retain_until_ms > now_ms_)) {
        return Status::PermissionDenied(k, "Access Denied because object protected by object lock");
      }
    }
    return inner_.Delete(keys);
  }
  Result<std::optional<storage::ObjectLock>> Lock(const std::string& key) override {
    {
      std::lock_guard<std::mutex> l(mu_);
      ++lock_queries_;
    }
    KB_RETURN_IF_ERROR(inner_.Head(key).status());
    auto it = locks_.find(key);
    if (it == locks_.end()) return std::optional<storage::ObjectLock>();
    return std::optional<storage::ObjectLock>(it->second);
  }
  std::string Describe() const override { return "locking:" + inner_.Describe(); }

 private:
  storage::ObjectStore& inner_;
  std::atomic<int64_t> now_ms_;
  std::map<std::string, storage::ObjectLock> locks_;
  std::mutex mu_;
  std::vector<std::string> attempts_;
  size_t lock_queries_ = 0;
};

}  // namespace kb::ops::testing
