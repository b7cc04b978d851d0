// Admin operations on a Kafka cluster, over librdkafka's C Admin API (librdkafka 2.0.2's C++ header
// has none). Owns one producer handle used only to carry admin requests.
//
// Every call blocks until the cluster answered or `timeout` passed, and returns a Status naming the
// topic or group at fault (errors mapped by common/error_map).
// Thread-safety: calls may be made concurrently from several threads.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "kafka/client.h"

namespace kb::kafka {

struct TopicSpec {
  std::string name;
  int partitions = 1;
  int replication_factor = -1;  // -1: the broker's default
  std::map<std::string, std::string> configs;
};

class Admin {
 public:
  static Result<std::unique_ptr<Admin>> Make(const Properties& props);

  Status CreateTopic(const TopicSpec& spec, std::chrono::milliseconds timeout);
  Status DeleteTopic(const std::string& topic, std::chrono::milliseconds timeout);
  // Partition count of `topic`, or NotFound.
  Result<int> PartitionCount(const std::string& topic, std::chrono::milliseconds timeout);

  RdKafka::Producer* handle() { return handle_.get(); }

 private:
  explicit Admin(std::unique_ptr<RdKafka::Producer> h) : handle_(std::move(h)) {}
  std::unique_ptr<RdKafka::Producer> handle_;
};

}  // namespace kb::kafka
