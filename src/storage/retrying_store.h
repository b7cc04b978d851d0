// RetryingStore: the one layer that owns retries, backoff and deadlines for object storage.
//
// Wraps any ObjectStore (owned). An operation whose Status is kRetryable (timeouts, connection
// resets, HTTP 5xx, SlowDown, 429 ...) is repeated with exponential backoff and full jitter, until
// it succeeds, fails with a non-retryable Status, runs out of attempts, or would pass its deadline.
// Every other code (NotFound, PermissionDenied, Corruption, InvalidArgument ...) is returned at
// once. When retries run out, the last Status is returned with how many attempts were made.
// All ObjectStore operations are idempotent (Put overwrites with the same bytes, Delete ignores
// missing keys, List pages are addressed by token), so repeating them is safe.
//
// Thread-safety: as thread-safe as the wrapped store; the retry state is per call.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <random>

#include "storage/object_store.h"

namespace kb::storage {

struct RetryPolicy {
  int max_attempts = 8;
  std::chrono::milliseconds initial_backoff{100};
  std::chrono::milliseconds max_backoff{10'000};
  // Total time one operation may take, including its retries.
  std::chrono::milliseconds deadline{300'000};
};

// Time source and sleep, replaceable in tests so backoff can be checked without waiting.
struct RetryClock {
  std::function<std::chrono::steady_clock::time_point()> now;
  std::function<void(std::chrono::milliseconds)> sleep;
  static RetryClock Real();
};

class RetryingStore : public ObjectStore {
 public:
  RetryingStore(std::unique_ptr<ObjectStore> inner, RetryPolicy policy,
                RetryClock clock = RetryClock::Real());

  Status Put(const std::string& key, std::string_view data) override;
  Status PutParts(const std::string& key, std::span<const std::string_view> parts) override;
  Result<std::string> Get(const std::string& key) override;
  Result<std::string> GetRange(const std::string& key, uint64_t offset, uint64_t length) override;
  Result<uint64_t> Head(const std::string& key) override;
  Result<ListPage> List(const std::string& prefix, const std::string& token,
                        size_t max_keys) override;
  Status Delete(const std::vector<std::string>& keys) override;
  std::string Describe() const override { return inner_->Describe(); }

  ObjectStore* inner() { return inner_.get(); }

 private:
  // Runs `op` until it returns a non-retryable Status (or retries run out); returns that Status.
  Status Run(std::string_view what, std::string_view key, const std::function<Status()>& op);

  std::unique_ptr<ObjectStore> inner_;
  RetryPolicy policy_;
  RetryClock clock_;
};

}  // namespace kb::storage
