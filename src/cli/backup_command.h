// `kafka-backup backup [--once]`: runs the backup daemon (backup/BackupEngine) with its metadata
// sync, Prometheus endpoint and signal handling.
//
// SIGTERM / SIGINT: flush what is buffered, wait for the store, commit, leave the group, exit 0 —
// within backup.shutdown_timeout, after which the process exits with code 1 and says so. A second
// signal exits at once (nothing is lost: the store decides where the next run resumes).
//
// Thread-safety: call once per process, from main's thread.
#pragma once

#include <ostream>

#include "common/status.h"
#include "config/config.h"

namespace kb::cli {

struct BackupRunOptions {
  bool once = false;  // --once: a snapshot up to the end offsets seen at start
  // Print the run's report (cli/backup_report.h) on `out` when it ends, as JSON with `json`:
  // app.cc asks for it for every --once run, and for the daemon when --output was given.
  bool report = false;
  bool json = false;
  std::ostream* out = nullptr;
};

Status RunBackup(const Config& cfg, const BackupRunOptions& options);

}  // namespace kb::cli
