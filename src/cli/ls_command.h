// `kafka-backup ls [--topic T]... [--output json]`: what the store holds per topic and partition
// (offset and time ranges, records, bytes, segments, gaps, consumer group offset snapshots,
// topic.json), read from the store alone (ops/ls.h); needs no Kafka.
//
// Failure contract: store errors pass through; segments whose footer or topics whose topic.json
// cannot be read are listed with the report, and the command then returns Corruption ("N
// problems") so that it exits non-zero.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "common/status.h"
#include "config/config.h"

namespace kb::cli {

Status RunLs(const Config& cfg, const std::vector<std::string>& topics, bool json,
             std::ostream& out);

}  // namespace kb::cli
