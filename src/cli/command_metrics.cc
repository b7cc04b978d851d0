#include "cli/command_metrics.h"

#include <spdlog/spdlog.h>

#include "metrics/textfile.h"

namespace kb::cli {
namespace {

double NowSeconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

RestoreMetricsFile::RestoreMetricsFile(std::string path) : path_(std::move(path)) {}

Status RestoreMetricsFile::Start() {
  if (path_.empty()) return Status::OK();
  std::lock_guard lock(mu_);
  started_s_ = NowSeconds();
  last_success_s_ =
      metrics::ReadTextfileGauge(path_, "kafka_backup_restore_last_success_timestamp_seconds")
          .value_or(0);
  return WriteLocked(true);
}

void RestoreMetricsFile::Progress(const restore::RestoreProgress& p) {
  if (path_.empty()) return;
  std::lock_guard lock(mu_);
  last_ = p;
  const auto now = std::chrono::steady_clock::now();
  if (now - last_write_ < std::chrono::seconds(1)) return;
  if (Status s = WriteLocked(true); !s.ok()) spdlog::warn("{}", s.ToString());
}

void RestoreMetricsFile::Finish(bool success) {
  if (path_.empty()) return;
  std::lock_guard lock(mu_);
  if (success) last_success_s_ = NowSeconds();
  if (Status s = WriteLocked(false); !s.ok()) spdlog::warn("{}", s.ToString());
}

Status RestoreMetricsFile::WriteLocked(bool running) {
  last_write_ = std::chrono::steady_clock::now();
  auto d = [](auto v) { return static_cast<double>(v); };
  return metrics::WriteTextfile(
      path_,
      {{"kafka_backup_restore_running", "1 while the restore runs, 0 once it ended.",
        running ? 1.0 : 0.0},
       {"kafka_backup_restore_started_timestamp_seconds", "Unix time the restore started.",
        started_s_},
       {"kafka_backup_restore_elapsed_seconds", "Seconds the restore has produced records.",
        std::chrono::duration<double>(last_.elapsed).count()},
       {"kafka_backup_restore_records_sent", "Records produced to the target so far.",
        d(last_.records_sent)},
       {"kafka_backup_restore_bytes_sent", "Record payload bytes produced so far.",
        d(last_.bytes_sent)},
       {"kafka_backup_restore_records_planned",
        "Upper bound of the records to restore (every planned partition).",
        d(last_.records_planned)},
       {"kafka_backup_restore_partitions_done", "Partitions restored.", d(last_.partitions_done)},
       {"kafka_backup_restore_partitions_total", "Partitions to restore.",
        d(last_.partitions_total)},
       {"kafka_backup_restore_last_success_timestamp_seconds",
        "Unix time a restore to this file last restored every partition; 0 if none did.",
        last_success_s_}});
}

Status WriteVerifyMetricsFile(const std::string& path, const ops::VerifyReport* report) {
  if (path.empty()) return Status::OK();
  const double now = NowSeconds();
  const bool success = report != nullptr && report->problems.empty();
  const double last_success =
      success
          ? now
          : metrics::ReadTextfileGauge(path, "kafka_backup_verify_last_success_timestamp_seconds")
                .value_or(0);
  auto d = [](auto v) { return static_cast<double>(v); };
  return metrics::WriteTextfile(
      path, {{"kafka_backup_verify_last_run_timestamp_seconds", "End of the last verify run.", now},
             {"kafka_backup_verify_last_success_timestamp_seconds",
              "End of the last verify run without problems; 0 if none.", last_success},
             {"kafka_backup_verify_problems", "Problems found by the last run.",
              report != nullptr ? d(report->problems.size()) : 0.0},
             {"kafka_backup_verify_segments_verified", "Segments read and checked by the last run.",
              report != nullptr ? d(report->segments_verified) : 0.0},
             {"kafka_backup_verify_bytes_verified", "Their bytes.",
              report != nullptr ? d(report->bytes_verified) : 0.0},
             {"kafka_backup_verify_error",
              "1 when the last run failed before checking everything (store error).",
              report == nullptr ? 1.0 : 0.0}});
}

}  // namespace kb::cli
