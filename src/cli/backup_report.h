// BackupReport: what one `kafka-backup backup` run wrote, printed on stdout when it ends — always
// for `--once` (text, or JSON with --output json, e.g. for a Kubernetes CronJob), and for the
// daemon when --output was given. Filled from the engine's durable-segment and gap events (so it
// counts what the store confirmed, not what was merely read) and its totals.
//
// Ownership: plain values. Thread-safety: Add*/Set* and Print from one thread at a time (the
// engine's observer runs on the engine's thread; Print after the engine returned).
// Failure contract: Print never fails; a failed run is printed with its error.
#pragma once

#include <cstdint>
#include <map>
#include <ostream>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"

namespace kb::cli {

class BackupReport {
 public:
  struct Topic {
    std::set<int32_t> partitions;  // with a durable segment or gap in this run
    uint64_t records = 0;          // in durable segments
    uint64_t payload_bytes = 0;    // keys, values and headers of those records
    uint64_t object_bytes = 0;     // stored bytes of the segments
    uint64_t segments = 0;
    uint64_t gap_records = 0;  // offsets Kafka no longer had (retention), recorded as gaps
  };

  void AddSegment(const std::string& topic, int32_t partition, uint64_t records,
                  uint64_t payload_bytes, uint64_t object_bytes);
  void AddGap(const std::string& topic, int32_t partition, uint64_t records);
  // Adds records read from Kafka by one engine (some may not be durable when the run failed).
  void AddRecordsRead(uint64_t n) { records_read_ += n; }
  // Requests sent to the store per operation (BackupMetrics::StoreRequestCounts).
  void SetStoreRequests(std::vector<std::pair<std::string, uint64_t>> counts) {
    store_requests_ = std::move(counts);
  }

  // `once`: a --once snapshot (else the daemon, stopped by a signal); `seconds`: the run's wall
  // time; `result`: how it ended.
  void Print(bool once, double seconds, const Status& result, bool json, std::ostream& out) const;

  const std::map<std::string, Topic>& topics() const { return topics_; }

 private:
  std::map<std::string, Topic> topics_;
  uint64_t records_read_ = 0;
  std::vector<std::pair<std::string, uint64_t>> store_requests_;
};

}  // namespace kb::cli
