// RetentionMetrics: the Prometheus metrics of the backup daemon's maintenance work -- retention
// propagation rounds (ops/retention.h) and the scheduled, sampled verify (ops/verify.h) -- behind
// small typed methods, like BackupMetrics. Families (all registered at construction):
//
//   retention, per topic {topic}:
//     kafka_backup_retention_pruned_segments_total   counter  segments deleted by retention
//     kafka_backup_retention_pruned_bytes_total      counter  their stored bytes
//     kafka_backup_retention_expired_segments        gauge    expired segments kept for the grace
//                                                             period
//     kafka_backup_oldest_record_timestamp_seconds   gauge    oldest record still in the backup
//     kafka_backup_topic_missing_since_timestamp_seconds gauge  when the topic was first seen
//                                                             missing from the cluster (only for
//                                                             missing topics)
//   retention rounds:
//     kafka_backup_retention_runs_total{result="ok"|"error"}  counter
//     kafka_backup_retention_last_success_timestamp_seconds   gauge
//   scheduled verify:
//     kafka_backup_verify_runs_total{result="ok"|"problems"|"error"}  counter
//     kafka_backup_verify_last_run_timestamp_seconds       gauge  end of the last finished run
//     kafka_backup_verify_last_success_timestamp_seconds   gauge  end of the last run without
//                                                                problems
//     kafka_backup_verify_problems                         gauge  problems found by the last run
//     kafka_backup_verify_segments_total                   counter  segments read and checked
//     kafka_backup_verify_bytes_total                      counter  their bytes
//
// The per-topic gauges are replaced by each round's report: a topic no longer in the store loses
// its series. Counters of a topic exist (at 0) from the first round that reports it and stay until
// the process ends.
//
// Ownership: shares ownership of the registry. Thread-safety: every method may be called from any
// thread (one mutex for the per-topic series). Failure contract: updates cannot fail; the
// constructor throws (prometheus-cpp) only if a name is already registered with another type.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace prometheus {
class Counter;
class Gauge;
class Registry;
template <typename T>
class Family;
}  // namespace prometheus

namespace kb::metrics {

// What one retention round found for a topic (a projection of ops::TopicRetention, so that the
// metrics module does not depend on ops).
struct TopicRetentionSample {
  std::string topic;
  uint64_t pruned_segments = 0;  // this round
  uint64_t pruned_bytes = 0;
  uint64_t expired_segments = 0;  // kept for the grace period
  std::optional<int64_t> oldest_timestamp_ms;
  std::optional<int64_t> missing_since_ms;
  bool backup_deleted = false;  // the topic's whole backup went this round
};

struct VerifySample {
  uint64_t segments = 0;
  uint64_t bytes = 0;
  uint64_t problems = 0;
};

class RetentionMetrics {
 public:
  explicit RetentionMetrics(std::shared_ptr<prometheus::Registry> registry);
  ~RetentionMetrics();

  void RetentionRound(const std::vector<TopicRetentionSample>& topics, int64_t now_ms);
  void RetentionFailed();
  void VerifyRound(const VerifySample& sample, int64_t now_ms);
  void VerifyFailed(int64_t now_ms);

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& pruned_segments_;
  prometheus::Family<prometheus::Counter>& pruned_bytes_;
  prometheus::Family<prometheus::Gauge>& expired_segments_;
  prometheus::Family<prometheus::Gauge>& oldest_;
  prometheus::Family<prometheus::Gauge>& missing_since_;
  prometheus::Family<prometheus::Counter>& retention_runs_;
  prometheus::Gauge& retention_last_success_;
  prometheus::Family<prometheus::Counter>& verify_runs_;
  prometheus::Gauge& verify_last_run_;
  prometheus::Gauge& verify_last_success_;
  prometheus::Gauge& verify_problems_;
  prometheus::Counter& verify_segments_;
  prometheus::Counter& verify_bytes_;

  std::mutex mu_;
  // Per topic gauges currently exported, so that they can be removed.
  std::map<std::string, prometheus::Gauge*> expired_by_topic_;  // guarded by mu_
  std::map<std::string, prometheus::Gauge*> oldest_by_topic_;   // guarded by mu_
  std::map<std::string, prometheus::Gauge*> missing_by_topic_;  // guarded by mu_
};

}  // namespace kb::metrics
