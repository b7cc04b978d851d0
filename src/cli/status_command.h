// `kafka-backup status [--topic T]... [--output json] [--watch [--interval S]]`: the backup lag
// per topic and partition, computed from the store and the cluster (ops/status.h); needs no
// running daemon or Prometheus.
//
// --watch repeats the report every --interval seconds (default 5) until SIGINT or SIGTERM, then
// returns OK (exit 0; a second signal while a report waits for the cluster exits 0 at once). On a
// terminal each report replaces the previous one (the screen is cleared first); otherwise (a pipe,
// a file) the reports follow each other, each after a header line
// "--- status at <ISO time> ---" (text), or one compact JSON document per line (--output json). A
// report that fails in watch mode (cluster or store unreachable for a while) prints its error
// line in place of the table and the watch goes on; without --watch the error is returned.
//
// Failure contract: a missing kafka.bootstrap.servers is InvalidArgument; store and cluster errors
// pass through with their subject (see ops::ComputeStatus).
//
// Thread-safety: one call per process (the watch installs SIGINT/SIGTERM handlers while it runs and
// restores the defaults when it returns).
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "common/status.h"
#include "config/config.h"

namespace kb::cli {

struct StatusArgs {
  std::vector<std::string> topics;  // --topic
  bool json = false;                // --output json
  bool watch = false;               // --watch
  int interval_seconds = 5;         // --interval (only with --watch)
};

Status RunStatus(const Config& cfg, const StatusArgs& args, std::ostream& out);

}  // namespace kb::cli
