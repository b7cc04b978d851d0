// --metrics-file of the short-lived commands: what a `restore` or `verify` run did, as gauges in a
// Prometheus textfile (metrics/textfile.h) for node_exporter's textfile collector, since a command
// that exits cannot be scraped (docs/operations.md, "Monitoring").
//
//   restore: kafka_backup_restore_{records_sent,bytes_sent,records_planned,partitions_done,
//            partitions_total,elapsed_seconds,running,started_timestamp_seconds} rewritten at most
//            once a second while it runs, then kafka_backup_restore_last_success_timestamp_seconds
//            (kept from the previous file when this run failed) and running 0 at the end.
//   verify:  kafka_backup_verify_{last_run_timestamp_seconds,last_success_timestamp_seconds,
//            problems,segments_verified,bytes_verified,error} -- the names of the daemon's
//            scheduled verify, so one alert covers both.
//
// Failure contract: the first write happens before any work, so an unwritable path fails the
// command at once (Permanent naming --metrics-file and the path); later write errors are logged,
// never fail a restore that worked. Thread-safety: RestoreMetricsFile's methods may be called from
// any thread (one mutex).
#pragma once

#include <chrono>
#include <mutex>
#include <string>

#include "common/status.h"
#include "ops/verify.h"
#include "restore/restorer.h"

namespace kb::cli {

class RestoreMetricsFile {
 public:
  explicit RestoreMetricsFile(std::string path);  // "": no file, every call does nothing
  // The first write (nothing sent yet, running 1).
  Status Start();
  void Progress(const restore::RestoreProgress& p);  // written at most once a second
  void Finish(bool success);

 private:
  Status WriteLocked(bool running);

  const std::string path_;
  std::mutex mu_;
  restore::RestoreProgress last_;
  double started_s_ = 0;
  double last_success_s_ = 0;
  std::chrono::steady_clock::time_point last_write_{};
};

// `report` null: the run failed before it had a report (kafka_backup_verify_error 1).
Status WriteVerifyMetricsFile(const std::string& path, const ops::VerifyReport* report);

}  // namespace kb::cli
