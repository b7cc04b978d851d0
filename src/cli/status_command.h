// `kafka-backup status [--topic T]... [--output json]`: the backup lag per topic and partition,
// computed from the store and the cluster (ops/status.h); needs no running daemon or Prometheus.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "common/status.h"
#include "config/config.h"

namespace kb::cli {

Status RunStatus(const Config& cfg, const std::vector<std::string>& topics, bool json,
                 std::ostream& out);

}  // namespace kb::cli
