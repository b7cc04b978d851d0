// WorkGroup: divides work named by Kafka partitions among processes through a Kafka consumer
// group — no coordinator of our own. Every member subscribes to the same topics; Kafka's group
// protocol (cooperative-sticky) gives each partition to one member and, when a member leaves or
// dies (after session.timeout.ms), moves its partitions to the others. Nothing is fetched: each
// partition is paused as soon as it is assigned; the group serves only to assign (e.g. a
// restore's target partitions to the restore processes sharing one restore id).
//
// The owner drives it: Poll() serves the group (librdkafka heartbeats on its own thread; the
// rebalance callbacks run inside Poll) and must be called at least every max.poll.interval.ms
// (librdkafka default 300 s). Revocation is synchronous: when partitions are revoked (another
// member joined) or lost (this member was thrown out of the group), Poll calls `on_revoke` with
// them and finishes the rebalance only after it returned, so the owner stops working on them
// inside that call; while this member is alive and polling, no two members own one partition.
//
// Thread-safety: one thread calls Poll, owned() and Close. Failure contract: Join fails naming the
// group (bad properties, unreachable cluster); Poll returns a fatal consumer error naming the
// group; after Close (or on destruction) the member has left the group.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "common/status.h"
#include "kafka/admin.h"
#include "kafka/client.h"

namespace kb::kafka {

class WorkGroup {
 public:
  struct Options {
    std::string group_id;
    std::vector<std::string> topics;
    Properties props;  // the cluster's (bootstrap.servers, security.*, ...)
    // How long a member that died keeps its partitions before the others get them.
    std::chrono::milliseconds session_timeout{10'000};
  };
  // `lost`: the member was thrown out of the group (its partitions may already be someone
  // else's) rather than asked to give them up.
  using RevokeFn = std::function<void(const std::vector<TopicPartition>& parts, bool lost)>;

  static Result<std::unique_ptr<WorkGroup>> Join(const Options& options, RevokeFn on_revoke);
  ~WorkGroup();
  WorkGroup(const WorkGroup&) = delete;
  WorkGroup& operator=(const WorkGroup&) = delete;

  // Serves the group for up to `timeout`; returns the partitions assigned during this call.
  Result<std::vector<TopicPartition>> Poll(std::chrono::milliseconds timeout);
  // The partitions this member owns now.
  const std::set<TopicPartition>& owned() const { return owned_; }
  // Leaves the group (on_revoke gets whatever is still owned). Idempotent.
  Status Close();

 private:
  class Rebalancer;
  WorkGroup(Options options, RevokeFn on_revoke);

  Options options_;
  RevokeFn on_revoke_;
  std::unique_ptr<Rebalancer> rebalancer_;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer_;
  std::set<TopicPartition> owned_;
  std::vector<TopicPartition> newly_assigned_;
  Status failure_;  // an error inside a rebalance callback, returned by the next Poll
  bool closed_ = false;
};

}  // namespace kb::kafka
