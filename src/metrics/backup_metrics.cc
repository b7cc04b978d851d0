#include "metrics/backup_metrics.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <algorithm>

namespace kb::metrics {

namespace {

using prometheus::Counter;
using prometheus::Family;
using prometheus::Gauge;
using prometheus::Histogram;
using prometheus::Labels;
using prometheus::Registry;

Family<Gauge>& GaugeFamily(Registry& r, const char* name, const char* help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(r);
}

Family<Counter>& CounterFamily(Registry& r, const char* name, const char* help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(r);
}

Labels PartitionLabels(std::string_view topic, int32_t partition) {
  return {{"topic", std::string(topic)}, {"partition", std::to_string(partition)}};
}

constexpr std::array<StoreOp, kNumStoreOps> kAllStoreOps = {StoreOp::kPut,      StoreOp::kGet,
                                                            StoreOp::kGetRange, StoreOp::kHead,
                                                            StoreOp::kList,     StoreOp::kDelete};

}  // namespace

std::string_view StoreOpName(StoreOp op) {
  switch (op) {
    case StoreOp::kPut:
      return "put";
    case StoreOp::kGet:
      return "get";
    case StoreOp::kGetRange:
      return "get_range";
    case StoreOp::kHead:
      return "head";
    case StoreOp::kList:
      return "list";
    case StoreOp::kDelete:
      return "delete";
  }
  return "unknown";
}

std::string_view StatusCodeLabel(Status::Code code) {
  using Code = Status::Code;
  switch (code) {
    case Code::kOk:
      return "ok";
    case Code::kNotFound:
      return "not_found";
    case Code::kRetryable:
      return "retryable";
    case Code::kPermanent:
      return "permanent";
    case Code::kPermissionDenied:
      return "permission_denied";
    case Code::kCorruption:
      return "corruption";
    case Code::kInvalidArgument:
      return "invalid_argument";
    case Code::kFailedPrecondition:
      return "failed_precondition";
    case Code::kAlreadyExists:
      return "already_exists";
    case Code::kNotImplemented:
      return "not_implemented";
    case Code::kCancelled:
      return "cancelled";
  }
  return "unknown";
}

// The series of one partition, and what its lag gauges are computed from.
struct BackupMetrics::PartitionSeries {
  Gauge* lag_records = nullptr;
  Gauge* lag_seconds = nullptr;
  Gauge* durable_offset = nullptr;
  Counter* records = nullptr;
  Counter* bytes = nullptr;
  Counter* segments = nullptr;
  Counter* gap_records = nullptr;
  int64_t high_watermark = -1;  // -1: not known yet
  int64_t durable = -1;         // -1: not known yet
  std::optional<Clock::time_point> oldest_pending;
};

const std::vector<double>& BackupMetrics::StoreLatencyBuckets() {
  // 1 ms (a local fsync'd put) to 60 s (a multipart upload over a slow link).
  static const std::vector<double> kBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                               0.5,   1,      2.5,   5,    10,    30,   60};
  return kBuckets;
}

BackupMetrics::BackupMetrics(std::shared_ptr<prometheus::Registry> registry,
                             std::function<Clock::time_point()> now)
    : registry_(std::move(registry)),
      now_(std::move(now)),
      lag_records_(GaugeFamily(*registry_, "kafka_backup_lag_records",
                               "Records in Kafka not yet durable in the backup store "
                               "(high watermark minus durable offset).")),
      lag_seconds_(GaugeFamily(*registry_, "kafka_backup_lag_seconds",
                               "Age of the oldest record consumed but not yet durable in the "
                               "backup store; 0 when none is pending.")),
      durable_offset_(GaugeFamily(*registry_, "kafka_backup_durable_offset",
                                  "Next offset to back up; every offset before it is durable.")),
      records_(CounterFamily(*registry_, "kafka_backup_records_total",
                             "Records made durable in the backup store.")),
      bytes_(CounterFamily(*registry_, "kafka_backup_bytes_total",
                           "Record payload bytes (keys, values, headers) made durable.")),
      segments_(CounterFamily(*registry_, "kafka_backup_segments_total",
                              "Segments written to the backup store.")),
      gap_records_(CounterFamily(*registry_, "kafka_backup_gap_records_total",
                                 "Offsets deleted by Kafka retention before they were backed up.")),
      store_request_seconds_(prometheus::BuildHistogram()
                                 .Name("kafka_backup_store_request_seconds")
                                 .Help("Latency of backup store requests, by operation.")
                                 .Register(*registry_)),
      store_errors_(CounterFamily(*registry_, "kafka_backup_store_errors_total",
                                  "Failed backup store requests, by operation and error code.")),
      buffered_bytes_(GaugeFamily(*registry_, "kafka_backup_buffered_bytes",
                                  "Bytes held in segment buffers, not yet written to the store.")
                          .Add({})),
      assigned_partitions_(GaugeFamily(*registry_, "kafka_backup_assigned_partitions",
                                       "Partitions assigned to this backup process.")
                               .Add({})),
      buffer_memory_(GaugeFamily(*registry_, "kafka_backup_buffer_memory_bytes",
                                 "Budget of the segment buffers and uploads in flight "
                                 "(backup.buffer_memory).")
                         .Add({})),
      last_upload_(GaugeFamily(*registry_, "kafka_backup_last_upload_timestamp_seconds",
                               "Unix time of the last segment made durable in the store; 0 "
                               "before the first.")
                       .Add({})),
      store_outage_seconds_(
          GaugeFamily(*registry_, "kafka_backup_store_outage_seconds",
                      "How long the backup store has been failing (retried without an answer); "
                      "0 while it answers.")
              .Add({})),
      store_retries_(GaugeFamily(*registry_, "kafka_backup_store_retries",
                                 "Store request attempts retried since the process started.")
                         .Add({})) {
  // Every op exists from the start, so dashboards show zeros rather than no data.
  for (StoreOp op : kAllStoreOps) {
    store_latency_[static_cast<size_t>(op)] =
        &store_request_seconds_.Add({{"op", std::string(StoreOpName(op))}}, StoreLatencyBuckets());
  }
}

BackupMetrics::~BackupMetrics() = default;

BackupMetrics::PartitionSeries& BackupMetrics::SeriesLocked(std::string_view topic,
                                                            int32_t partition) {
  PartitionKey key(std::string(topic), partition);
  auto it = partitions_.find(key);
  if (it != partitions_.end()) return *it->second;
  const Labels labels = PartitionLabels(topic, partition);
  auto s = std::make_unique<PartitionSeries>();
  s->lag_records = &lag_records_.Add(labels);
  s->lag_seconds = &lag_seconds_.Add(labels);
  s->durable_offset = &durable_offset_.Add(labels);
  s->records = &records_.Add(labels);
  s->bytes = &bytes_.Add(labels);
  s->segments = &segments_.Add(labels);
  s->gap_records = &gap_records_.Add(labels);
  return *partitions_.emplace(std::move(key), std::move(s)).first->second;
}

void BackupMetrics::UpdateLagRecordsLocked(PartitionSeries& s) {
  if (s.high_watermark < 0 || s.durable < 0) return;
  s.lag_records->Set(static_cast<double>(std::max<int64_t>(0, s.high_watermark - s.durable)));
}

void BackupMetrics::UpdateLagSecondsLocked(PartitionSeries& s, Clock::time_point now) const {
  double age = 0;
  if (s.oldest_pending) {
    age = std::max(0.0, std::chrono::duration<double>(now - *s.oldest_pending).count());
  }
  s.lag_seconds->Set(age);
}

void BackupMetrics::SetDurableOffset(std::string_view topic, int32_t partition,
                                     int64_t next_offset) {
  std::lock_guard<std::mutex> lock(mu_);
  PartitionSeries& s = SeriesLocked(topic, partition);
  s.durable = next_offset;
  s.durable_offset->Set(static_cast<double>(next_offset));
  UpdateLagRecordsLocked(s);
}

void BackupMetrics::SetHighWatermark(std::string_view topic, int32_t partition,
                                     int64_t high_watermark) {
  std::lock_guard<std::mutex> lock(mu_);
  PartitionSeries& s = SeriesLocked(topic, partition);
  s.high_watermark = high_watermark;
  UpdateLagRecordsLocked(s);
}

void BackupMetrics::SetOldestPending(std::string_view topic, int32_t partition,
                                     std::optional<Clock::time_point> consumed_at) {
  const Clock::time_point now = now_();
  std::lock_guard<std::mutex> lock(mu_);
  PartitionSeries& s = SeriesLocked(topic, partition);
  s.oldest_pending = consumed_at;
  UpdateLagSecondsLocked(s, now);
}

void BackupMetrics::AddSegment(std::string_view topic, int32_t partition, uint64_t records,
                               uint64_t payload_bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  PartitionSeries& s = SeriesLocked(topic, partition);
  s.segments->Increment();
  s.records->Increment(static_cast<double>(records));
  s.bytes->Increment(static_cast<double>(payload_bytes));
  last_upload_.Set(
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count());
}

void BackupMetrics::AddGapRecords(std::string_view topic, int32_t partition, uint64_t records) {
  std::lock_guard<std::mutex> lock(mu_);
  SeriesLocked(topic, partition).gap_records->Increment(static_cast<double>(records));
}

void BackupMetrics::RemovePartition(std::string_view topic, int32_t partition) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = partitions_.find(PartitionKey(std::string(topic), partition));
  if (it == partitions_.end()) return;
  const PartitionSeries& s = *it->second;
  lag_records_.Remove(s.lag_records);
  lag_seconds_.Remove(s.lag_seconds);
  durable_offset_.Remove(s.durable_offset);
  records_.Remove(s.records);
  bytes_.Remove(s.bytes);
  segments_.Remove(s.segments);
  gap_records_.Remove(s.gap_records);
  partitions_.erase(it);
}

void BackupMetrics::RefreshLagSeconds() {
  const Clock::time_point now = now_();
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [key, series] : partitions_) UpdateLagSecondsLocked(*series, now);
}

void BackupMetrics::ObserveStoreRequest(StoreOp op, std::chrono::duration<double> latency) {
  store_latency_[static_cast<size_t>(op)]->Observe(latency.count());
}

std::vector<std::pair<std::string, uint64_t>> BackupMetrics::StoreRequestCounts() const {
  std::vector<std::pair<std::string, uint64_t>> out;
  for (size_t i = 0; i < kNumStoreOps; ++i) {
    out.emplace_back(std::string(StoreOpName(static_cast<StoreOp>(i))),
                     store_latency_[i]->Collect().histogram.sample_count);
  }
  return out;
}

std::string BackupMetrics::StoreRequestSummary() const {
  std::string out;
  for (const auto& [op, n] : StoreRequestCounts()) {
    if (!out.empty()) out += ", ";
    out += op + " " + std::to_string(n);
  }
  return out;
}

void BackupMetrics::AddStoreError(StoreOp op, Status::Code code) {
  store_errors_
      .Add({{"op", std::string(StoreOpName(op))}, {"code", std::string(StatusCodeLabel(code))}})
      .Increment();
}

void BackupMetrics::SetBufferedBytes(uint64_t bytes) {
  buffered_bytes_.Set(static_cast<double>(bytes));
}

void BackupMetrics::SetBufferMemoryLimit(uint64_t bytes) {
  buffer_memory_.Set(static_cast<double>(bytes));
}

void BackupMetrics::SetStoreOutage(double outage_seconds, uint64_t retries_total) {
  store_outage_seconds_.Set(outage_seconds);
  store_retries_.Set(static_cast<double>(retries_total));
}

void BackupMetrics::SetAssignedPartitions(int64_t count) {
  assigned_partitions_.Set(static_cast<double>(count));
}

}  // namespace kb::metrics
