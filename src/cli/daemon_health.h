// DaemonHealth: what the backup daemon's /healthz answers (metrics::MetricsServer's health check).
//
// OK while the backup runs; otherwise the reason, as the 503's body:
//   * the engine stopped (Stopped(): its error, or "stopped, shutting down");
//   * a signal arrived (the daemon is shutting down);
//   * the store has been failing, retried without an answer, for `store_unhealthy_after`
//     (storage::RetryingStore::Outage; the daemon keeps retrying and turns healthy again by
//     itself when the store answers).
//
// Ownership: borrows the store and the signal counter, which must outlive it.
// Thread-safety: Check from any thread (the metrics server's), Stopped from the owner's.
#pragma once

#include <atomic>
#include <chrono>
#include <mutex>

#include "common/status.h"
#include "storage/retrying_store.h"

namespace kb::cli {

class DaemonHealth {
 public:
  // `store` and `signals` may be null (not checked).
  DaemonHealth(const storage::RetryingStore* store, std::chrono::milliseconds store_unhealthy_after,
               const std::atomic<int>* signals);

  Status Check() const;
  void Stopped(Status why);

 private:
  const storage::RetryingStore* store_;
  const std::chrono::milliseconds store_unhealthy_after_;
  const std::atomic<int>* signals_;
  mutable std::mutex mu_;
  Status state_ = Status::OK();  // guarded by mu_
};

}  // namespace kb::cli
