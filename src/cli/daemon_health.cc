#include "cli/daemon_health.h"

#include <string>

namespace kb::cli {

DaemonHealth::DaemonHealth(const storage::RetryingStore* store,
                           std::chrono::milliseconds store_unhealthy_after,
                           const std::atomic<int>* signals)
    : store_(store), store_unhealthy_after_(store_unhealthy_after), signals_(signals) {}

Status DaemonHealth::Check() const {
  std::lock_guard lock(mu_);
  if (!state_.ok()) return state_;
  if (signals_ != nullptr && signals_->load() > 0) {
    return Status::Cancelled("backup", "shutting down (signal received)");
  }
  if (store_ != nullptr) {
    const storage::StoreOutage o = store_->Outage();
    if (o.failing && o.duration >= store_unhealthy_after_) {
      return Status::Retryable("storage", "the backup store has been failing for " +
                                              std::to_string(o.duration.count() / 1000) + " s (" +
                                              std::to_string(o.failed_attempts) + " attempts; " +
                                              o.last_error + "); backup.store_unhealthy_after is " +
                                              std::to_string(store_unhealthy_after_.count()) +
                                              " ms");
    }
  }
  return Status::OK();
}

void DaemonHealth::Stopped(Status why) {
  std::lock_guard lock(mu_);
  state_ = std::move(why);
}

}  // namespace kb::cli
