// `kafka-backup prune [--topic T [--generation N] [--force]] [--execute] [--output json]`:
//
//   * without --topic: one retention propagation round (ops/retention.h) with the config's
//     retention.grace and retention.deleted_topic_max_age, over every stored topic;
//   * with --topic T: every object of T's backup (the operator's explicit decision for a topic
//     deleted from the cluster, or with --generation N for an archived generation of it).
//     Refused (FailedPrecondition naming T) while T exists in the cluster, since the running
//     backup and retention own it then, unless --force; an archived generation is never live, so
//     --generation needs no cluster.
//
// Plan by default: prints what would be deleted and changes nothing; --execute deletes (each
// deletion logged with its key and reason) and records the retention state.
//
// Failure contract: store and cluster errors pass through naming the key or topic; a topic with
// nothing stored is NotFound; bad flags are InvalidArgument (exit 2).
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>

#include "common/status.h"
#include "config/config.h"

namespace kb::cli {

struct PruneArgs {
  std::string topic;                  // empty: a retention round
  std::optional<int64_t> generation;  // with topic: an archived generation
  bool execute = false;
  bool force = false;
  bool json = false;
};

Status RunPrune(const Config& cfg, const PruneArgs& args, std::ostream& out);

}  // namespace kb::cli
