#include "storage/retrying_store.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <mutex>
#include <thread>

namespace kb::storage {
namespace {

// Full jitter: a uniform wait in [0, cap], as recommended for many clients backing off together.
std::chrono::milliseconds Jitter(std::chrono::milliseconds cap) {
  static std::mutex mu;
  static std::mt19937_64 rng{std::random_device{}()};
  std::lock_guard<std::mutex> lock(mu);
  std::uniform_int_distribution<int64_t> dist(0, std::max<int64_t>(cap.count(), 0));
  return std::chrono::milliseconds(dist(rng));
}

}  // namespace

RetryClock RetryClock::Real() {
  return {[] { return std::chrono::steady_clock::now(); },
          [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); }};
}

RetryingStore::RetryingStore(std::unique_ptr<ObjectStore> inner, RetryPolicy policy,
                             RetryClock clock)
    : inner_(std::move(inner)), policy_(policy), clock_(std::move(clock)) {}

Status RetryingStore::Run(std::string_view what, std::string_view key,
                          const std::function<Status()>& op) {
  const auto start = clock_.now();
  std::chrono::milliseconds cap = policy_.initial_backoff;
  bool retrying = false;  // this call has failed and counts in retrying_ops_
  for (int attempt = 1;; ++attempt) {
    Status s = op();
    if (!s.IsRetryable()) {
      // Any answer from the store (NotFound, PermissionDenied ...) ends an outage, unless another
      // operation is still being retried (a full disk takes a large Put, not a small one).
      OnAnswer(retrying);
      return s;
    }
    OnFailure(what, key, s, !retrying);
    retrying = true;
    auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(clock_.now() - start);
    std::chrono::milliseconds wait = Jitter(cap);
    const bool out_of_attempts = policy_.max_attempts > 0 && attempt >= policy_.max_attempts;
    const bool out_of_time = policy_.deadline.count() > 0 && elapsed + wait >= policy_.deadline;
    if (out_of_attempts || out_of_time) {
      {
        // Giving up is no answer: the outage lasts until some operation gets one.
        std::lock_guard lock(mu_);
        --retrying_ops_;
      }
      return s.WithContext("gave up after " + std::to_string(attempt) + " attempts in " +
                           std::to_string(elapsed.count()) + " ms (storage.retry_timeout " +
                           std::to_string(policy_.deadline.count()) + " ms)");
    }
    spdlog::debug("{} {} on {}: {} (attempt {}, retrying in {} ms)", what, key, inner_->Describe(),
                  s.ToString(), attempt, wait.count());
    {
      std::lock_guard lock(mu_);
      ++retries_total_;
    }
    clock_.sleep(wait);
    cap = std::min(cap * 2, policy_.max_backoff);
  }
}

void RetryingStore::OnFailure(std::string_view what, std::string_view key, const Status& s,
                              bool first_of_call) {
  const auto now = clock_.now();
  std::lock_guard lock(mu_);
  if (first_of_call) ++retrying_ops_;
  last_error_ = std::string(what) + " " + std::string(key) + ": " + s.ToString();
  ++failed_attempts_;
  if (!failing_since_) {
    failing_since_ = now;
    last_report_ = now;
    spdlog::warn("store {} is failing: {}; retrying with back-off (up to {} ms apart){}",
                 inner_->Describe(), last_error_, policy_.max_backoff.count(),
                 policy_.deadline.count() > 0
                     ? " for up to " + std::to_string(policy_.deadline.count()) + " ms"
                     : std::string(" until it answers"));
  } else if (now - last_report_ >= std::chrono::minutes(1)) {
    last_report_ = now;
    spdlog::warn("store {} still failing after {} s ({} failed attempts): {}", inner_->Describe(),
                 std::chrono::duration_cast<std::chrono::seconds>(now - *failing_since_).count(),
                 failed_attempts_, last_error_);
  }
}

void RetryingStore::OnAnswer(bool was_retrying) {
  std::lock_guard lock(mu_);
  if (was_retrying) --retrying_ops_;
  if (!failing_since_ || retrying_ops_ > 0) return;
  spdlog::info(
      "store {} answers again after {} ms ({} failed attempts)", inner_->Describe(),
      std::chrono::duration_cast<std::chrono::milliseconds>(clock_.now() - *failing_since_).count(),
      failed_attempts_);
  failing_since_.reset();
  failed_attempts_ = 0;
}

StoreOutage RetryingStore::Outage() const {
  std::lock_guard lock(mu_);
  StoreOutage o;
  o.retries_total = retries_total_;
  if (!failing_since_) return o;
  o.failing = true;
  o.duration =
      std::chrono::duration_cast<std::chrono::milliseconds>(clock_.now() - *failing_since_);
  o.last_error = last_error_;
  o.failed_attempts = failed_attempts_;
  return o;
}

Status RetryingStore::Put(const std::string& key, std::string_view data) {
  return Run("put", key, [&] { return inner_->Put(key, data); });
}

Status RetryingStore::PutParts(const std::string& key, std::span<const std::string_view> parts) {
  return Run("put", key, [&] { return inner_->PutParts(key, parts); });
}

Result<std::string> RetryingStore::Get(const std::string& key) {
  std::string out;
  Status s = Run("get", key, [&] {
    Result<std::string> r = inner_->Get(key);
    if (r.ok()) out = std::move(*r);
    return r.status();
  });
  if (!s.ok()) return s;
  return out;
}

Result<std::string> RetryingStore::GetRange(const std::string& key, uint64_t offset,
                                            uint64_t length) {
  std::string out;
  Status s = Run("ranged get", key, [&] {
    Result<std::string> r = inner_->GetRange(key, offset, length);
    if (r.ok()) out = std::move(*r);
    return r.status();
  });
  if (!s.ok()) return s;
  return out;
}

Result<uint64_t> RetryingStore::Head(const std::string& key) {
  uint64_t size = 0;
  Status s = Run("head", key, [&] {
    Result<uint64_t> r = inner_->Head(key);
    if (r.ok()) size = *r;
    return r.status();
  });
  if (!s.ok()) return s;
  return size;
}

Result<std::optional<ObjectLock>> RetryingStore::Lock(const std::string& key) {
  std::optional<ObjectLock> lock;
  Status s = Run("lock", key, [&] {
    Result<std::optional<ObjectLock>> r = inner_->Lock(key);
    if (r.ok()) lock = *r;
    return r.status();
  });
  if (!s.ok()) return s;
  return lock;
}

Result<ListPage> RetryingStore::List(const std::string& prefix, const std::string& token,
                                     size_t max_keys) {
  ListPage page;
  Status s = Run("list", prefix, [&] {
    Result<ListPage> r = inner_->List(prefix, token, max_keys);
    if (r.ok()) page = std::move(*r);
    return r.status();
  });
  if (!s.ok()) return s;
  return page;
}

Status RetryingStore::Delete(const std::vector<std::string>& keys) {
  return Run("delete", keys.empty() ? std::string() : keys.front(),
             [&] { return inner_->Delete(keys); });
}

}  // namespace kb::storage
