// `kafka-backup verify [--topic T]... [--sample N] [--from T] [--to T] [--parallel N]`: reads back
// the store's segments and JSON objects and checks them (ops/verify.h); needs no Kafka, but with
// kafka.bootstrap.servers set also compares each partition's first stored offset with Kafka's
// log start offset (ops/cluster_check.h; an unreachable cluster is a note, not an error).
//
// Output: every problem on stdout, one line each naming the object key and offsets, then a
// summary line; with --output json one JSON object instead (docs/operations.md). Progress goes to
// stderr: on a terminal one line rewritten in place ("verified 120/400 segments, 1.2 GiB, 350.0
// MiB/s"), otherwise a log line every 10 seconds.
//
// Failure contract: any problem makes the command return Corruption ("N problems", subject the
// store) so that it exits 1; a bad --from / --to is InvalidArgument (exit 2); store errors pass
// through.
#pragma once

#include <cstddef>
#include <ostream>
#include <string>
#include <vector>

#include "common/status.h"
#include "config/config.h"

namespace kb::cli {

struct VerifyArgs {
  std::vector<std::string> topics;
  size_t sample = 0;  // 0: every segment
  std::string from;   // epoch ms or ISO-8601 UTC; empty: open
  std::string to;
  size_t parallel = 4;
  // Compare the store's first offsets with the cluster's log start (when kafka.bootstrap.servers
  // is set); off for an archived generation.
  bool compare_with_cluster = true;
  bool json = false;
  // --metrics-file: the run's kafka_backup_verify_* gauges as a Prometheus textfile
  // (cli/command_metrics.h); "" = none.
  std::string metrics_file;  // --output json: the report as JSON (ops::FormatVerifyJson) on stdout
};

Status RunVerify(const Config& cfg, const VerifyArgs& args, std::ostream& out, std::ostream& err);

}  // namespace kb::cli
