#include "cli/backup_command.h"

#include <prometheus/registry.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <mutex>
#include <optional>
#include <thread>

#include "backup/backup_engine.h"
#include "backup/metadata_sync.h"
#include "cli/backup_report.h"
#include "cli/daemon_health.h"
#include "cli/maintenance.h"
#include "metrics/backup_metrics.h"
#include "metrics/metered_store.h"
#include "metrics/metrics_server.h"
#include "metrics/retention_metrics.h"
#include "storage/factory/open_store.h"
#include "storage/local/local_store.h"
#include "storage/retrying_store.h"

namespace kb::cli {
namespace {

std::atomic<backup::BackupEngine*> g_engine{nullptr};
std::atomic<int> g_signals{0};

extern "C" void OnSignal(int) {
  if (g_signals.fetch_add(1) > 0) _exit(1);  // second signal: stop now
  if (backup::BackupEngine* e = g_engine.load()) e->Stop();
}

// Feeds the engine's view of its partitions into the Prometheus metrics and the run's report.
class MetricsObserver : public backup::EngineObserver {
 public:
  MetricsObserver(metrics::BackupMetrics& m, BackupReport& report) : m_(m), report_(report) {}
  void OnAssigned(const backup::PartitionId&) override {}
  void OnRevoked(const backup::PartitionId& id) override {
    m_.RemovePartition(id.topic, id.partition);
  }
  void OnDurable(const backup::UploadResult& r) override {
    if (r.records > 0) {
      m_.AddSegment(r.id.topic, r.id.partition, r.records, r.payload_bytes);
      report_.AddSegment(r.id.topic, r.id.partition, r.records, r.payload_bytes, r.object_bytes);
    }
  }
  void OnGap(const backup::PartitionId& id, int64_t start, int64_t end) override {
    m_.AddGapRecords(id.topic, id.partition, static_cast<uint64_t>(end - start + 1));
    report_.AddGap(id.topic, id.partition, static_cast<uint64_t>(end - start + 1));
  }
  void OnTick(const std::vector<PartitionView>& views, uint64_t buffered) override {
    for (const PartitionView& v : views) {
      m_.SetDurableOffset(v.id.topic, v.id.partition, v.durable_next);
      if (v.high_watermark >= 0) m_.SetHighWatermark(v.id.topic, v.id.partition, v.high_watermark);
      m_.SetOldestPending(v.id.topic, v.id.partition, v.oldest_pending);
    }
    m_.SetAssignedPartitions(static_cast<int64_t>(views.size()));
    m_.SetBufferedBytes(buffered);
  }

 private:
  metrics::BackupMetrics& m_;
  BackupReport& report_;
};

// The temp files of Puts a crash interrupted (never listed, but they take space); an hour old, so
// no Put of another process on the same directory is still writing them. Not fatal: on a
// read-only or full file system the backup rides that out as it writes.
void RemoveStaleTempFiles(storage::LocalStore& store) {
  auto removed = store.CleanupTempFiles(std::chrono::hours(1));
  if (!removed.ok()) {
    spdlog::warn("could not remove stale temp files of {}: {}", store.Describe(),
                 removed.status().ToString());
  } else if (*removed > 0) {
    spdlog::info("removed {} stale temp file(s) of interrupted writes from {}", *removed,
                 store.Describe());
  }
}

Status Backup(const Config& cfg, bool once, BackupReport& report) {
  auto registry = std::make_shared<prometheus::Registry>();
  metrics::BackupMetrics metrics(registry);
  metrics.SetBufferMemoryLimit(cfg.backup.buffer_memory);
  // The daemon rides out a store outage of any length (health and metrics tell how long); a
  // --once snapshot gives up after storage.retry_timeout.
  KB_ASSIGN_OR_RETURN(
      auto store,
      storage::OpenStore(
          cfg.storage,
          [&](auto inner) {
            if (auto* local = dynamic_cast<storage::LocalStore*>(inner.get())) {
              RemoveStaleTempFiles(*local);
            }
            return std::unique_ptr<storage::ObjectStore>(
                std::make_unique<metrics::MeteredStore>(std::move(inner), metrics));
          },
          once ? std::optional<storage::RetryPolicy>() : storage::RetryPolicy::Unlimited()));
  auto* retrying = dynamic_cast<storage::RetryingStore*>(store.get());
  spdlog::info("backup store: {}{}", store->Describe(),
               cfg.storage.prefix.empty() ? "" : " (prefix " + cfg.storage.prefix + ")");

  // The metrics endpoint first: a port already taken ends the start before any Kafka client exists.
  DaemonHealth health(retrying, cfg.backup.store_unhealthy_after, &g_signals);
  std::unique_ptr<metrics::MetricsServer> server;
  if (!cfg.metrics.listen.empty()) {
    KB_ASSIGN_OR_RETURN(server, metrics::MetricsServer::Start(
                                    {.listen = cfg.metrics.listen,
                                     .registry = registry,
                                     .health = [&health] { return health.Check(); },
                                     .before_scrape =
                                         [&] {
                                           metrics.RefreshLagSeconds();
                                           if (retrying) {
                                             const storage::StoreOutage o = retrying->Outage();
                                             metrics.SetStoreOutage(
                                                 std::chrono::duration<double>(o.duration).count(),
                                                 o.retries_total);
                                           }
                                         }}));
    spdlog::info("metrics on http://{}/metrics, health on /healthz", server->address());
  }

  KB_ASSIGN_OR_RETURN(auto engine, backup::BackupEngine::Make(cfg, store.get(), {.once = once}));
  MetricsObserver observer(metrics, report);
  engine->SetObserver(&observer);
  std::mutex engine_mu;  // guards `engine` against its replacement while maintenance reads it
  KB_ASSIGN_OR_RETURN(auto sync, backup::MetadataSync::Make(cfg, store.get()));
  // Retention propagation and the scheduled verify (not in --once snapshots).
  metrics::RetentionMetrics retention_metrics(registry);
  KB_ASSIGN_OR_RETURN(auto maintenance, Maintenance::Make(cfg, store.get(), &retention_metrics));
  // A re-created topic's old generation is archived before its new one is backed up; a move a
  // crash interrupted is finished first.
  KB_RETURN_IF_ERROR(maintenance->generations()->FinishPendingMoves());
  engine->SetGenerations(maintenance->generations());
  maintenance->SetAssignedTopics([&engine, &engine_mu] {
    std::vector<std::string> topics;
    std::lock_guard lock(engine_mu);
    if (engine == nullptr) return topics;
    for (const backup::PartitionId& id : engine->Assigned()) topics.push_back(id.topic);
    return topics;
  });

  g_engine.store(engine.get());
  std::signal(SIGTERM, OnSignal);
  std::signal(SIGINT, OnSignal);
  // Bounded shutdown: once a signal arrived, or once the engine returned, the process ends within
  // shutdown_timeout. After the engine returned, what is left is the final metadata sync and
  // closing the Kafka handles; a client that hangs there (librdkafka 2.0.2 did, destroying a
  // consumer whose topic was deleted) must not keep a daemon from exiting: when
  // everything up to that point succeeded, the exit code is still 0 (the backup is durable and
  // committed by then).
  std::atomic<bool> finished{false};
  std::atomic<bool> engine_returned{false};
  std::atomic<int> exit_code_if_stuck{1};
  std::thread watchdog([&] {
    while (!finished.load() && !engine_returned.load() && g_signals.load() == 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    auto deadline = std::chrono::steady_clock::now() + cfg.backup.shutdown_timeout;
    while (!finished.load()) {
      if (std::chrono::steady_clock::now() >= deadline) {
        spdlog::error("shutdown did not finish within backup.shutdown_timeout ({} ms){}; exiting",
                      cfg.backup.shutdown_timeout.count(),
                      exit_code_if_stuck.load() == 0
                          ? " while closing the Kafka client (everything was "
                            "backed up and committed)"
                          : "");
        _exit(exit_code_if_stuck.load());
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });

  // A missing ACL the metadata sync meets stops the backup with that error (PermissionDenied is
  // not retried anywhere: a daemon that went on without a topic's configs or group offsets would
  // leave a hole the operator learns about only at restore time).
  std::mutex denied_mu;
  std::optional<Status> denied;
  if (!once) {
    sync->Start([&](const Status& why) {
      {
        std::lock_guard lock(denied_mu);
        denied = why;
      }
      std::lock_guard lock(engine_mu);
      if (engine != nullptr) engine->Stop();
    });
  }
  if (!once) maintenance->Start();
  Status s = engine->Run();
  // A static member fenced once is rejoined with a new consumer: after a broker restart the group
  // coordinator can fence the member it lost track of although no other process uses the id
  // (librdkafka reports it as fatal). Fenced again within kFenceWindow, another process does use
  // the id: the backup stops with that error. Nothing is lost either way: the new consumer
  // resumes from what the store holds.
  constexpr auto kFenceWindow = std::chrono::minutes(10);
  std::optional<std::chrono::steady_clock::time_point> last_fence;
  while (!once && engine->fenced() && g_signals.load() == 0 &&
         (!last_fence || std::chrono::steady_clock::now() - *last_fence >= kFenceWindow)) {
    last_fence = std::chrono::steady_clock::now();
    spdlog::warn(
        "consumer group {}: the broker fenced this static member ({}); rejoining with a new "
        "consumer (fenced again within {} minutes, the backup stops: then another process uses "
        "this backup.instance_id)",
        cfg.backup.group_id, s.message(),
        std::chrono::duration_cast<std::chrono::minutes>(kFenceWindow).count());
    g_engine.store(nullptr);
    report.AddRecordsRead(engine->stats().records);
    {
      std::lock_guard lock(engine_mu);
      engine.reset();
    }
    auto next = backup::BackupEngine::Make(cfg, store.get(), {.once = once});
    if (!next.ok()) {
      s = next.status().WithContext("rejoining the consumer group");
      break;
    }
    (*next)->SetObserver(&observer);
    (*next)->SetGenerations(maintenance->generations());
    {
      std::lock_guard lock(engine_mu);
      engine = std::move(*next);
    }
    g_engine.store(engine.get());
    if (g_signals.load() != 0) engine->Stop();  // a signal while there was no engine
    {
      std::lock_guard lock(denied_mu);  // the metadata sync refused while there was no engine
      if (denied) engine->Stop();
    }
    s = engine->Run();
  }
  {
    std::lock_guard lock(denied_mu);
    if (denied && s.ok())
      s = denied->WithContext("copying consumer group offsets and topic metadata");
  }
  health.Stopped(s.ok() ? Status::Cancelled("backup", "stopped, shutting down")
                        : s.WithContext("backup stopped"));
  engine_returned.store(true);
  maintenance->Stop();
  sync->Stop();
  if (s.ok()) {
    // A final round so that the group offsets and topic configs match what was just backed up.
    // A transient error (e.g. NOT_COORDINATOR while a group's coordinator moves in a rolling
    // restart) is retried for up to half of backup.shutdown_timeout, leaving the rest to close.
    const auto retry_until = std::chrono::steady_clock::now() + cfg.backup.shutdown_timeout / 2;
    Status synced = sync->SyncNow();
    while (synced.code() == Status::Code::kRetryable &&
           std::chrono::steady_clock::now() + std::chrono::seconds(1) < retry_until) {
      spdlog::warn("final metadata sync: {} (retrying)", synced.ToString());
      std::this_thread::sleep_for(std::chrono::seconds(1));
      synced = sync->SyncNow();
    }
    if (!synced.ok()) s = synced.WithContext("writing consumer group offsets and topic metadata");
  }
  g_engine.store(nullptr);
  // What the run cost in store requests (object stores bill per request).
  spdlog::info("store requests: {}", metrics.StoreRequestSummary());
  report.SetStoreRequests(metrics.StoreRequestCounts());
  if (s.ok()) exit_code_if_stuck.store(0);
  if (engine) report.AddRecordsRead(engine->stats().records);
  // Closing the consumer (and the engine's other handles) is part of the bounded shutdown.
  engine.reset();
  maintenance.reset();
  finished.store(true);
  watchdog.join();
  std::signal(SIGTERM, SIG_DFL);
  std::signal(SIGINT, SIG_DFL);
  return s;
}

}  // namespace

Status RunBackup(const Config& cfg, const BackupRunOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  BackupReport report;
  const Status s = Backup(cfg, options.once, report);
  if (options.report && options.out != nullptr) {
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
    report.Print(options.once, took.count(), s, options.json, *options.out);
  }
  return s;
}

}  // namespace kb::cli
