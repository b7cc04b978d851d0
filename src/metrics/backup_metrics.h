// BackupMetrics: every metric of the backup daemon, behind small typed methods so that the engine
// never touches prometheus-cpp types. Families (all registered at construction):
//
//   per partition, labels {topic, partition}:
//     kafka_backup_lag_records        gauge    high watermark - durable offset (0 until both known)
//     kafka_backup_lag_seconds        gauge    age of the oldest record consumed but not yet
//                                              durable in the store; 0 when none is pending
//     kafka_backup_durable_offset     gauge    next offset to back up (all before it are durable)
//     kafka_backup_records_total      counter  records made durable in the store
//     kafka_backup_bytes_total        counter  their payload bytes (keys + values + headers)
//     kafka_backup_segments_total     counter  segments written (Put acknowledged)
//     kafka_backup_gap_records_total  counter  offsets lost to retention before being backed up
//   store requests:
//     kafka_backup_store_request_seconds{op}     histogram  one observation per request
//     kafka_backup_store_errors_total{op,code}   counter    failed requests by Status code
//   process:
//     kafka_backup_buffered_bytes      gauge    bytes held in segment buffers
//     kafka_backup_assigned_partitions gauge    partitions assigned to this process
//     kafka_backup_buffer_memory_bytes gauge    the budget of buffered_bytes (backup.buffer_memory)
//     kafka_backup_last_upload_timestamp_seconds gauge  wall clock of the last segment made
//                                              durable (0 until the first)
//
// A partition's series appear on its first update and disappear with RemovePartition (call it when
// the partition is revoked, after the last update for it): Prometheus then stops scraping stale
// values, and another process that takes the partition over exports them instead. Counters restart
// from 0 if the partition comes back, which rate() treats as a counter reset.
//
// lag_seconds is computed from the clock: at SetOldestPending and at RefreshLagSeconds, which the
// owner runs before each scrape (MetricsServer::Options::before_scrape), so the age keeps growing
// while the engine is stuck.
//
// Ownership: shares ownership of the registry; the families live in it and keep their values if
// BackupMetrics is destroyed first. Use one BackupMetrics per registry: two would share (merge)
// the same families, and RemovePartition on one would free series the other still points to.
//
// Thread-safety: every method may be called concurrently from any thread, also while the registry
// is being collected. Per-partition updates take one mutex of BackupMetrics; store observations and
// the process gauges take none (only prometheus-cpp's own per-metric locks).
//
// Failure contract: updates cannot fail. The constructor throws std::invalid_argument (from
// prometheus-cpp) only if the registry already holds one of these names with another metric type,
// a programming error.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace prometheus {
class Counter;
class Gauge;
class Histogram;
class Registry;
template <typename T>
class Family;
}  // namespace prometheus

namespace kb::metrics {

// The ObjectStore operations, as the `op` label of the store metrics.
enum class StoreOp { kPut, kGet, kGetRange, kHead, kList, kDelete };
inline constexpr size_t kNumStoreOps = 6;
// "put", "get", "get_range", "head", "list", "delete".
std::string_view StoreOpName(StoreOp op);
// The `code` label of kafka_backup_store_errors_total: "not_found", "retryable", "permanent",
// "permission_denied", "corruption", "invalid_argument", ... (snake_case, stable for alerts;
// Status::CodeName is prose for humans).
std::string_view StatusCodeLabel(Status::Code code);

class BackupMetrics {
 public:
  using Clock = std::chrono::steady_clock;

  // `now` is replaceable so that tests can control lag_seconds.
  explicit BackupMetrics(std::shared_ptr<prometheus::Registry> registry,
                         std::function<Clock::time_point()> now = &Clock::now);
  ~BackupMetrics();
  BackupMetrics(const BackupMetrics&) = delete;
  BackupMetrics& operator=(const BackupMetrics&) = delete;

  // ---- per partition ----
  // Next offset to back up: everything before it is durable in the store.
  void SetDurableOffset(std::string_view topic, int32_t partition, int64_t next_offset);
  // The partition's high watermark (next offset Kafka will assign), from the consumer.
  void SetHighWatermark(std::string_view topic, int32_t partition, int64_t high_watermark);
  // When the oldest record consumed but not yet durable was consumed; nullopt when none is pending.
  void SetOldestPending(std::string_view topic, int32_t partition,
                        std::optional<Clock::time_point> consumed_at);
  // A segment of `records` records with `payload_bytes` bytes became durable in the store.
  void AddSegment(std::string_view topic, int32_t partition, uint64_t records,
                  uint64_t payload_bytes);
  // `records` offsets were deleted by retention before they could be backed up.
  void AddGapRecords(std::string_view topic, int32_t partition, uint64_t records);
  // Drops every series of the partition (revoked). A later update re-creates them from zero.
  void RemovePartition(std::string_view topic, int32_t partition);

  // Recomputes every partition's lag_seconds from the clock; cheap, call before each scrape.
  void RefreshLagSeconds();

  // ---- store requests (used by MeteredStore) ----
  void ObserveStoreRequest(StoreOp op, std::chrono::duration<double> latency);
  void AddStoreError(StoreOp op, Status::Code code);
  // Requests made so far (each try counted), by StoreOp: "put 1637, get 20, get_range 0, ..." for a
  // log line.
  std::string StoreRequestSummary() const;
  // The same as (operation, requests) pairs, in the order of StoreOp.
  std::vector<std::pair<std::string, uint64_t>> StoreRequestCounts() const;

  // ---- process ----
  void SetBufferedBytes(uint64_t bytes);
  void SetAssignedPartitions(int64_t count);
  void SetBufferMemoryLimit(uint64_t bytes);
  // From the retry layer (storage::RetryingStore::Outage), refreshed before each scrape.
  void SetStoreOutage(double outage_seconds, uint64_t retries_total);

  // Histogram buckets of kafka_backup_store_request_seconds, in seconds.
  static const std::vector<double>& StoreLatencyBuckets();

 private:
  struct PartitionSeries;
  using PartitionKey = std::pair<std::string, int32_t>;

  // The partition's series, created on first use. Requires mu_.
  PartitionSeries& SeriesLocked(std::string_view topic, int32_t partition);
  static void UpdateLagRecordsLocked(PartitionSeries& s);
  void UpdateLagSecondsLocked(PartitionSeries& s, Clock::time_point now) const;

  const std::shared_ptr<prometheus::Registry> registry_;
  const std::function<Clock::time_point()> now_;

  prometheus::Family<prometheus::Gauge>& lag_records_;
  prometheus::Family<prometheus::Gauge>& lag_seconds_;
  prometheus::Family<prometheus::Gauge>& durable_offset_;
  prometheus::Family<prometheus::Counter>& records_;
  prometheus::Family<prometheus::Counter>& bytes_;
  prometheus::Family<prometheus::Counter>& segments_;
  prometheus::Family<prometheus::Counter>& gap_records_;
  prometheus::Family<prometheus::Histogram>& store_request_seconds_;
  prometheus::Family<prometheus::Counter>& store_errors_;
  prometheus::Gauge& buffered_bytes_;
  prometheus::Gauge& assigned_partitions_;
  prometheus::Gauge& buffer_memory_;
  prometheus::Gauge& last_upload_;
  prometheus::Gauge& store_outage_seconds_;
  prometheus::Gauge& store_retries_;
  std::array<prometheus::Histogram*, kNumStoreOps> store_latency_{};  // by StoreOp

  std::mutex mu_;
  std::map<PartitionKey, std::unique_ptr<PartitionSeries>> partitions_;  // guarded by mu_
};

}  // namespace kb::metrics
