#include "cluster_bed.h"

#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <unistd.h>

#include <mutex>
#include <thread>

#include "fault_bed.h"

namespace kb::chaos {
namespace {

using namespace std::chrono_literals;

std::mutex cluster_mu;
ClusterBed* cluster = nullptr;
bool cluster_failed = false;

class ClusterEnvironment : public ::testing::Environment {
 public:
  void TearDown() override {
    std::lock_guard lock(cluster_mu);
    if (cluster == nullptr) return;
    RunScript(cluster->run_dir, "kafka.sh", "stop --name " + cluster->name);
    delete cluster;
    cluster = nullptr;
  }
};
[[maybe_unused]] ::testing::Environment* const kEnvironment =
    ::testing::AddGlobalTestEnvironment(new ClusterEnvironment);

ClusterBed* StartCluster() {
  auto c = std::make_unique<ClusterBed>();
  c->name = "failover-" + std::to_string(getpid());
  const char* run_dir = std::getenv("KB_RUN_DIR");
  c->run_dir = run_dir != nullptr && *run_dir != '\0'
                   ? run_dir
                   : std::string(KB_SOURCE_DIR) + "/build/services";
  // kafka.sh starts the three JVMs at once (heaps of 384 MiB each by default for a cluster).
  std::string ignored;
  if (!RunScript(c->run_dir, "kafka.sh", "start --nodes 3 --name " + c->name, &ignored)) {
    RunScript(c->run_dir, "kafka.sh", "stop --name " + c->name);
    return nullptr;
  }
  auto env = ReadEnvFile(c->run_dir + "/kafka-" + c->name + "/env");
  c->bootstrap = env["KB_TEST_KAFKA_BOOTSTRAP"];
  c->nodes = std::atoi(env["KB_TEST_KAFKA_NODES"].c_str());
  if (c->bootstrap.empty() || c->nodes != 3) {
    ADD_FAILURE() << "kafka.sh start --nodes 3 wrote no usable env file";
    RunScript(c->run_dir, "kafka.sh", "stop --name " + c->name);
    return nullptr;
  }
  return c.release();
}

// A client handle for Metadata requests only (it never produces).
struct Handle {
  rd_kafka_t* rk = nullptr;
  explicit Handle(const std::string& bootstrap) {
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    char err[256];
    rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), err, sizeof(err));
    rd_kafka_conf_set(conf, "allow.auto.create.topics", "false", err, sizeof(err));
    rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
    if (rk == nullptr) rd_kafka_conf_destroy(conf);
  }
  ~Handle() {
    if (rk != nullptr) rd_kafka_destroy(rk);
  }
};

}  // namespace

bool ClusterBed::StopNode(int k) const {
  return RunScript(run_dir, "kafka.sh", "stop --name " + name + " --node " + std::to_string(k));
}
bool ClusterBed::KillNode(int k) const {
  return RunScript(run_dir, "kafka.sh", "kill --name " + name + " --node " + std::to_string(k));
}
bool ClusterBed::RestartNode(int k) const {
  std::string ignored;
  return RunScript(run_dir, "kafka.sh", "restart --name " + name + " --node " + std::to_string(k),
                   &ignored);
}

const ClusterBed* Cluster() {
  std::lock_guard lock(cluster_mu);
  if (cluster == nullptr && !cluster_failed) {
    cluster = StartCluster();
    cluster_failed = cluster == nullptr;
  }
  if (cluster == nullptr) ADD_FAILURE() << "the three-node cluster could not be started";
  return cluster;
}

Result<std::map<kafka::TopicPartition, PartitionState>> DescribePartitions(
    const std::string& bootstrap, const std::vector<std::string>& topics,
    std::chrono::milliseconds timeout) {
  Handle h(bootstrap);
  if (h.rk == nullptr) return Status::Permanent(bootstrap, "cannot create a client handle");
  const rd_kafka_metadata_t* md = nullptr;
  const rd_kafka_resp_err_t err =
      rd_kafka_metadata(h.rk, /*all_topics=*/1, nullptr, &md, static_cast<int>(timeout.count()));
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return Status::Retryable(bootstrap, std::string("metadata: ") + rd_kafka_err2str(err));
  }
  std::map<kafka::TopicPartition, PartitionState> out;
  std::map<std::string, bool> wanted;
  for (const std::string& t : topics) wanted[t] = false;
  for (int i = 0; i < md->topic_cnt; ++i) {
    const rd_kafka_metadata_topic_t& t = md->topics[i];
    if (!topics.empty() && !wanted.count(t.topic)) continue;
    if (t.err != RD_KAFKA_RESP_ERR_NO_ERROR) continue;  // e.g. being created: reported below
    wanted[t.topic] = true;
    for (int j = 0; j < t.partition_cnt; ++j) {
      const rd_kafka_metadata_partition_t& p = t.partitions[j];
      out[{t.topic, p.id}] = {.leader = p.leader,
                              .replicas = static_cast<size_t>(p.replica_cnt),
                              .in_sync = static_cast<size_t>(p.isr_cnt)};
    }
  }
  rd_kafka_metadata_destroy(md);
  for (const auto& [topic, seen] : wanted) {
    if (!seen) return Status::NotFound(topic, "not in the cluster's metadata");
  }
  return out;
}

std::pair<int32_t, int> BusiestLeader(
    const std::map<kafka::TopicPartition, PartitionState>& parts) {
  std::map<int32_t, int> led;
  for (const auto& [tp, state] : parts) {
    if (state.leader >= 0) ++led[state.leader];
  }
  std::pair<int32_t, int> best{-1, 0};
  for (const auto& [broker, n] : led) {
    if (n > best.second) best = {broker, n};
  }
  return best;
}

Status WaitForFullIsr(const std::string& bootstrap, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string short_of = "no metadata yet";
  while (std::chrono::steady_clock::now() < deadline) {
    auto parts = DescribePartitions(bootstrap, {}, 10s);
    if (parts.ok()) {
      short_of.clear();
      for (const auto& [tp, s] : *parts) {
        if (s.leader < 0 || s.in_sync < s.replicas) {
          short_of = kafka::ToString(tp) + " (leader " + std::to_string(s.leader) + ", " +
                     std::to_string(s.in_sync) + " of " + std::to_string(s.replicas) +
                     " replicas in sync)";
          break;
        }
      }
      if (short_of.empty() && !parts->empty()) return Status::OK();
    } else {
      short_of = parts.status().ToString();
    }
    std::this_thread::sleep_for(500ms);
  }
  return Status::Retryable(bootstrap, "replicas not all in sync after " +
                                          std::to_string(timeout.count()) + " ms: " + short_of);
}

}  // namespace kb::chaos
