#include "metrics/retention_metrics.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <set>

namespace kb::metrics {
namespace {

using prometheus::Counter;
using prometheus::Family;
using prometheus::Gauge;
using prometheus::Registry;

Family<Gauge>& GaugeFamily(Registry& r, const char* name, const char* help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(r);
}

Family<Counter>& CounterFamily(Registry& r, const char* name, const char* help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(r);
}

double Seconds(int64_t ms) { return static_cast<double>(ms) / 1000.0; }

// Sets the gauge of `topic` in `family` to `value`, or removes it when value is nullopt.
void SetOrRemove(Family<Gauge>& family, std::map<std::string, Gauge*>& by_topic,
                 const std::string& topic, std::optional<double> value) {
  auto it = by_topic.find(topic);
  if (!value) {
    if (it != by_topic.end()) {
      family.Remove(it->second);
      by_topic.erase(it);
    }
    return;
  }
  if (it == by_topic.end()) it = by_topic.emplace(topic, &family.Add({{"topic", topic}})).first;
  it->second->Set(*value);
}

// Removes the series of topics not in `keep`.
void RemoveOthers(Family<Gauge>& family, std::map<std::string, Gauge*>& by_topic,
                  const std::set<std::string>& keep) {
  for (auto it = by_topic.begin(); it != by_topic.end();) {
    if (keep.contains(it->first)) {
      ++it;
      continue;
    }
    family.Remove(it->second);
    it = by_topic.erase(it);
  }
}

}  // namespace

RetentionMetrics::RetentionMetrics(std::shared_ptr<prometheus::Registry> registry)
    : registry_(std::move(registry)),
      pruned_segments_(CounterFamily(*registry_, "kafka_backup_retention_pruned_segments_total",
                                     "Segments deleted from the store by retention propagation.")),
      pruned_bytes_(CounterFamily(*registry_, "kafka_backup_retention_pruned_bytes_total",
                                  "Stored bytes of the segments deleted by retention.")),
      expired_segments_(GaugeFamily(*registry_, "kafka_backup_retention_expired_segments",
                                    "Segments below the log start offset, kept until their grace "
                                    "period (retention.grace) passes.")),
      oldest_(GaugeFamily(*registry_, "kafka_backup_oldest_record_timestamp_seconds",
                          "Timestamp of the oldest record still in the backup of the topic.")),
      missing_since_(GaugeFamily(*registry_, "kafka_backup_topic_missing_since_timestamp_seconds",
                                 "When the topic was first seen missing from the cluster; its "
                                 "backup is kept.")),
      retention_runs_(CounterFamily(*registry_, "kafka_backup_retention_runs_total",
                                    "Retention propagation rounds, by result.")),
      retention_last_success_(GaugeFamily(*registry_,
                                          "kafka_backup_retention_last_success_timestamp_seconds",
                                          "End of the last retention round that succeeded.")
                                  .Add({})),
      verify_runs_(CounterFamily(*registry_, "kafka_backup_verify_runs_total",
                                 "Scheduled verify runs, by result (ok, problems, error).")),
      verify_last_run_(GaugeFamily(*registry_, "kafka_backup_verify_last_run_timestamp_seconds",
                                   "End of the last scheduled verify run that finished.")
                           .Add({})),
      verify_last_success_(
          GaugeFamily(*registry_, "kafka_backup_verify_last_success_timestamp_seconds",
                      "End of the last scheduled verify run that found no problem.")
              .Add({})),
      verify_problems_(GaugeFamily(*registry_, "kafka_backup_verify_problems",
                                   "Problems found by the last scheduled verify run.")
                           .Add({})),
      verify_segments_(CounterFamily(*registry_, "kafka_backup_verify_segments_total",
                                     "Segments read and checked by scheduled verify runs.")
                           .Add({})),
      verify_bytes_(CounterFamily(*registry_, "kafka_backup_verify_bytes_total",
                                  "Bytes of the segments checked by scheduled verify runs.")
                        .Add({})) {
  for (const char* result : {"ok", "error"}) retention_runs_.Add({{"result", result}});
  for (const char* result : {"ok", "problems", "error"}) verify_runs_.Add({{"result", result}});
}

RetentionMetrics::~RetentionMetrics() = default;

void RetentionMetrics::RetentionRound(const std::vector<TopicRetentionSample>& topics,
                                      int64_t now_ms) {
  std::lock_guard lock(mu_);
  std::set<std::string> present;
  for (const TopicRetentionSample& t : topics) {
    // Every topic a round looked at has its counters, at 0 until something is pruned: rate() and
    // dashboards see zeros rather than no data.
    pruned_segments_.Add({{"topic", t.topic}}).Increment(static_cast<double>(t.pruned_segments));
    pruned_bytes_.Add({{"topic", t.topic}}).Increment(static_cast<double>(t.pruned_bytes));
    if (t.backup_deleted) continue;  // its gauges go below
    present.insert(t.topic);
    SetOrRemove(expired_segments_, expired_by_topic_, t.topic,
                static_cast<double>(t.expired_segments));
    SetOrRemove(
        oldest_, oldest_by_topic_, t.topic,
        t.oldest_timestamp_ms ? std::optional(Seconds(*t.oldest_timestamp_ms)) : std::nullopt);
    SetOrRemove(missing_since_, missing_by_topic_, t.topic,
                t.missing_since_ms ? std::optional(Seconds(*t.missing_since_ms)) : std::nullopt);
  }
  RemoveOthers(expired_segments_, expired_by_topic_, present);
  RemoveOthers(oldest_, oldest_by_topic_, present);
  RemoveOthers(missing_since_, missing_by_topic_, present);
  retention_runs_.Add({{"result", "ok"}}).Increment();
  retention_last_success_.Set(Seconds(now_ms));
}

void RetentionMetrics::RetentionFailed() { retention_runs_.Add({{"result", "error"}}).Increment(); }

void RetentionMetrics::VerifyRound(const VerifySample& sample, int64_t now_ms) {
  verify_segments_.Increment(static_cast<double>(sample.segments));
  verify_bytes_.Increment(static_cast<double>(sample.bytes));
  verify_problems_.Set(static_cast<double>(sample.problems));
  verify_last_run_.Set(Seconds(now_ms));
  if (sample.problems == 0) verify_last_success_.Set(Seconds(now_ms));
  verify_runs_.Add({{"result", sample.problems == 0 ? "ok" : "problems"}}).Increment();
}

void RetentionMetrics::VerifyFailed(int64_t /*now_ms*/) {
  verify_runs_.Add({{"result", "error"}}).Increment();
}

}  // namespace kb::metrics
