// The bed of the failover scenario (test/chaos/failover_test.cc): a three-node Kafka cluster
// (test/services/kafka.sh start --nodes 3: combined broker+controller nodes, replication factor 3,
// min.insync.replicas=2) of this process's own, started on first use and stopped when the test
// program ends; its nodes are stopped, killed -9 and restarted one at a time by the scenario, so
// it cannot be shared with other tests. Also the cluster views the scenario needs: who leads
// which partition, and whether every replica is back in sync.
//
// Thread-safety: Cluster() may be called from any thread; the node commands run kafka.sh and
// must not overlap for the same node. Failures to start are test failures (ADD_FAILURE + nullptr
// from Cluster()); the views return a Status.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/status.h"
#include "kafka/admin.h"

namespace kb::chaos {

struct ClusterBed {
  std::string name;       // instance name of the cluster (kafka.sh --name)
  std::string run_dir;    // KB_RUN_DIR of the cluster
  std::string bootstrap;  // every node's PLAINTEXT listener, comma-separated
  int nodes = 0;          // node K is broker id K, 1..nodes

  // kafka.sh stop (controlled shutdown) / kill (SIGKILL) / restart --node k. Each returns false
  // (with a test failure showing kafka.sh's log) when it failed.
  bool StopNode(int k) const;
  bool KillNode(int k) const;
  bool RestartNode(int k) const;
};

// The cluster, started on the first call (nullptr, with a test failure, when that failed).
const ClusterBed* Cluster();

struct PartitionState {
  int32_t leader = -1;  // broker id, -1 when the partition has none
  size_t replicas = 0;
  size_t in_sync = 0;  // ISR size
};

// Leader and replica counts of every partition of `topics` (of every topic, internal ones
// included, when `topics` is empty), from one Metadata request. A topic of `topics` the cluster
// does not know (yet) is NotFound naming it.
Result<std::map<kafka::TopicPartition, PartitionState>> DescribePartitions(
    const std::string& bootstrap, const std::vector<std::string>& topics,
    std::chrono::milliseconds timeout);

// The broker leading most of `partitions` (ties: the lowest id), and how many it leads.
std::pair<int32_t, int> BusiestLeader(const std::map<kafka::TopicPartition, PartitionState>& parts);

// Waits until every partition of every topic of the cluster has a leader and all its replicas in
// sync (what a rolling restart waits for before the next node). Retryable naming a
// partition that is still short, with its leader and ISR size, when that takes longer than
// `timeout`.
Status WaitForFullIsr(const std::string& bootstrap, std::chrono::milliseconds timeout);

}  // namespace kb::chaos
