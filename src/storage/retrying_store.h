// RetryingStore: the one layer that owns retries, backoff and deadlines for object storage.
//
// Wraps any ObjectStore (owned). An operation whose Status is kRetryable (timeouts, connection
// resets, HTTP 5xx, SlowDown, 429 ...) is repeated with exponential backoff and full jitter, until
// it succeeds, fails with a non-retryable Status, runs out of attempts, or would pass its deadline.
// Every other code (NotFound, PermissionDenied, Corruption, InvalidArgument ...) is returned at
// once. When retries run out, the last Status is returned with how many attempts were made; a
// policy without limits (the backup daemon's) retries until the store answers.
//
// Reporting: an outage is logged when it starts (warning), then at most once a minute while it
// lasts (warning, with how long and how many attempts), and once when it ends (info); single
// attempts are debug lines. An outage lasts from the first failed attempt until an operation gets
// an answer (success, NotFound ...) while no other operation is still being retried: on a full
// disk small Puts and reads may succeed while a large Put keeps failing, and the store is still
// failing for the caller waiting on that Put. A call that gives up does not end the outage.
// Outage() tells how long the store has been failing, for /healthz and metrics. All ObjectStore
// operations are idempotent (Put overwrites with the same bytes, Delete ignores missing keys, List
// pages are addressed by token), so repeating them is safe.
//
// Thread-safety: as thread-safe as the wrapped store; the retry state is per call.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>

#include "storage/object_store.h"

namespace kb::storage {

struct RetryPolicy {
  int max_attempts = 0;  // 0: no limit (the deadline decides)
  std::chrono::milliseconds initial_backoff{100};
  std::chrono::milliseconds max_backoff{10'000};
  // Total time one operation may take, including its retries (storage.retry_timeout); 0: no
  // limit.
  std::chrono::milliseconds deadline{300'000};
  // The backup daemon's: retry until the store answers.
  static RetryPolicy Unlimited();
};

inline RetryPolicy RetryPolicy::Unlimited() {
  RetryPolicy p;
  p.max_attempts = 0;
  p.deadline = std::chrono::milliseconds(0);
  return p;
}

// The store's state as the retry layer sees it.
struct StoreOutage {
  bool failing = false;                   // an attempt failed, and no operation got an answer
                                          // since while none was being retried
  std::chrono::milliseconds duration{0};  // since the first of those failures
  std::string last_error;                 // of the last failed attempt
  uint64_t failed_attempts = 0;           // in this outage
  uint64_t retries_total = 0;             // every retried attempt since the store was opened
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
  Result<std::optional<ObjectLock>> Lock(const std::string& key) override;
  Result<ListPage> List(const std::string& prefix, const std::string& token,
                        size_t max_keys) override;
  Status Delete(const std::vector<std::string>& keys) override;
  std::string Describe() const override { return inner_->Describe(); }
  std::shared_ptr<const crypto::KeyRing> keys() const override { return inner_->keys(); }

  ObjectStore* inner() { return inner_.get(); }
  StoreOutage Outage() const;

 private:
  // `first_of_call`: the call's first failed attempt (it then counts in retrying_ops_).
  void OnFailure(std::string_view what, std::string_view key, const Status& s, bool first_of_call);
  // A call got an answer (success or a non-retryable Status); `was_retrying`: after failures.
  void OnAnswer(bool was_retrying);

  // Runs `op` until it returns a non-retryable Status (or retries run out); returns that Status.
  Status Run(std::string_view what, std::string_view key, const std::function<Status()>& op);

  std::unique_ptr<ObjectStore> inner_;
  RetryPolicy policy_;
  RetryClock clock_;

  mutable std::mutex mu_;  // the outage state below
  std::optional<std::chrono::steady_clock::time_point> failing_since_;
  std::chrono::steady_clock::time_point last_report_{};
  std::string last_error_;
  uint64_t failed_attempts_ = 0;
  uint64_t retries_total_ = 0;
  int retrying_ops_ = 0;  // calls between their first failed attempt and their end
};

}  // namespace kb::storage
