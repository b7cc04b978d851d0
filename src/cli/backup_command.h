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

Status RunBackup(const Config& cfg, bool once);

}  // namespace kb::cli
