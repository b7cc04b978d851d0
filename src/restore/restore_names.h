// Small text helpers shared by the restore's files (restorer.cc, target_checks.cc,
// configs_after.cc): how a partition, a list and a set of topic configs are written in logs,
// reports and errors. Stateless; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kafka/admin.h"

namespace kb::restore {

// "topic/3".
inline std::string Name(const std::string& topic, int32_t partition) {
  return topic + "/" + std::to_string(partition);
}

// The parts joined with `sep`.
inline std::string Joined(const std::vector<std::string>& parts, const char* sep = ", ") {
  std::string out;
  for (const std::string& p : parts) out += (out.empty() ? "" : sep) + p;
  return out;
}

// "k1=v1, k2=v2".
inline std::string ConfigsText(const kafka::TopicConfigs& configs) {
  std::vector<std::string> parts;
  for (const auto& [k, v] : configs) parts.push_back(k + "=" + v);
  return Joined(parts);
}

}  // namespace kb::restore
