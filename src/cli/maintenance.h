// Maintenance: the backup daemon's third job, next to BackupEngine and MetadataSync: on its own
// thread, a retention propagation round (ops/retention.h, with --execute) every
// retention.interval when retention.enabled, and a sampled verify of the whole store
// (ops/verify.h, verify.sample segments per partition) every verify.interval when it is not 0.
// Both export their results through metrics::RetentionMetrics and log what they did; the first of
// each runs one interval after Start. The two never run at the same time (a verify listing a
// segment that retention then deletes would report it as gone).
//
// It also owns the daemon's backup::Generations (the engine's hook for re-created topics) and,
// every backup.metadata_interval, watches the topics this process backs up: one it saw before
// and that is now missing from the cluster is recorded as missing (Generations::MarkMissing), so
// that when it comes back its old generation is archived before anything new is backed up.
//
// Retention rounds and the topic watch read the wall clock through one WallGuard made with the
// Maintenance, so their grace periods hold in monotonic terms too while the daemon runs.
//
// Ownership: holds its own kafka::Admin; `store` and `metrics` must outlive it.
// Thread-safety: Start/Stop from the owner thread; RunRetentionNow / RunVerifyNow from any one
// thread while the loop is not running (tests).
// Failure contract: a failed round is logged, counted in the metrics and retried at the next
// interval; it never stops the backup.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "backup/generations.h"
#include "common/clock.h"
#include "common/status.h"
#include "config/config.h"
#include "kafka/admin.h"
#include "layout/keys.h"
#include "metrics/retention_metrics.h"
#include "ops/retention.h"
#include "storage/object_store.h"

namespace kb::cli {

class Maintenance {
 public:
  static Result<std::unique_ptr<Maintenance>> Make(const Config& cfg, storage::ObjectStore* store,
                                                   metrics::RetentionMetrics* metrics);
  ~Maintenance();

  void Start();
  void Stop();

  Result<ops::RetentionReport> RunRetentionNow();
  Status RunVerifyNow();
  // One topic watch (see above).
  Status WatchTopicsNow();

  backup::Generations* generations() { return &generations_; }
  // The topics this process backs up right now (the engine's assignment); call before Start.
  void SetAssignedTopics(std::function<std::vector<std::string>()> fn) {
    assigned_topics_ = std::move(fn);
  }

 private:
  Maintenance(const Config& cfg, storage::ObjectStore* store, metrics::RetentionMetrics* metrics,
              std::unique_ptr<kafka::Admin> admin);
  void Loop();

  const Config cfg_;
  storage::ObjectStore* store_;
  metrics::RetentionMetrics* metrics_;
  std::unique_ptr<kafka::Admin> admin_;
  const layout::Keys keys_;
  backup::Generations generations_;
  // Anchored when the daemon starts: a wall clock jumping forward while it runs cannot hasten a
  // retention deletion (common/clock.h, ops/retention.h).
  const WallGuard wall_guard_;
  std::function<std::vector<std::string>()> assigned_topics_;
  std::set<std::string> watched_;  // seen in the cluster while backed up; the loop's thread only
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace kb::cli
