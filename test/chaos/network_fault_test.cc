// Fault campaign, scenario "network faults": the backup daemon and restore reach the broker and
// the S3 server only through fault proxies (fault_bed.h): toxiproxy injects latency, bandwidth
// limits, connection resets, connections cut after some bytes, stalls that close and stalls that
// never close (half-open), tiny TCP segments and slow closes, one kind after another in a seeded
// order, while httpfaults answers 10% of the S3 requests with 503 SlowDown or 500 InternalError
// (half of them after the request took effect). Checked: the store then holds every record of the
// topic exactly once, `verify` is clean, the daemon's retries show in /metrics, a restore through
// the same faults gives a topic equal to the source with the consumer group moved; and a fault
// that does not end (store or broker refusing connections, black-holed, every S3 answer an error)
// ends `backup --once` and `restore` with a clear error, not a hang.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <functional>
#include <random>
#include <thread>

#include "chaos_report.h"
#include "cli/cli_test_util.h"
#include "fault_bed.h"
#include "kafka/admin.h"
#include "metrics/metrics_test_util.h"
#include "source_checks.h"
#include "storage/factory/open_store.h"
#include "testing/test_env.h"

namespace kb::chaos {
namespace {

using namespace std::chrono_literals;
using cli::testing::ReadFile;
using cli::testing::SpawnLogged;
using cli::testing::WaitFor;

constexpr int kPartitions = 3;

struct FaultKind {
  const char* name;
  // toxics: proxy, type, stream, toxicity, attributes
  std::vector<std::tuple<const char*, const char*, const char*, double, const char*>> toxics;
};

// Every kind is put on both proxies (the S3 one and the Kafka one).
const std::vector<FaultKind>& FaultKinds() {
  static const std::vector<FaultKind> kinds = {
      {"latency",
       {{"s3", "latency", "downstream", 1.0, R"({"latency": 150, "jitter": 100})"},
        {"kafka", "latency", "downstream", 1.0, R"({"latency": 100, "jitter": 50})"}}},
      {"bandwidth",
       {{"s3", "bandwidth", "upstream", 1.0, R"({"rate": 256})"},
        {"kafka", "bandwidth", "downstream", 1.0, R"({"rate": 256})"}}},
      {"connection reset",
       {{"s3", "reset_peer", "upstream", 0.3, R"({"timeout": 200})"},
        {"kafka", "reset_peer", "downstream", 0.3, R"({"timeout": 500})"}}},
      {"connection cut after some bytes",
       {{"s3", "limit_data", "upstream", 0.5, R"({"bytes": 100000})"},
        {"kafka", "limit_data", "downstream", 0.5, R"({"bytes": 200000})"}}},
      {"stall then close",
       {{"s3", "timeout", "upstream", 1.0, R"({"timeout": 2000})"},
        {"kafka", "timeout", "downstream", 1.0, R"({"timeout": 2000})"}}},
      {"half-open",
       {{"s3", "timeout", "upstream", 1.0, R"({"timeout": 0})"},
        {"kafka", "timeout", "downstream", 1.0, R"({"timeout": 0})"}}},
      {"tiny segments",
       {{"s3", "slicer", "upstream", 1.0,
         R"({"average_size": 64, "size_variation": 32, "delay": 20})"},
        {"kafka", "slicer", "downstream", 1.0,
         R"({"average_size": 64, "size_variation": 32, "delay": 20})"}}},
      {"slow close",
       {{"s3", "slow_close", "downstream", 1.0, R"({"delay": 2000})"},
        {"kafka", "slow_close", "downstream", 1.0, R"({"delay": 2000})"}}},
  };
  return kinds;
}

void Apply(const FaultBed& bed, const FaultKind& kind) {
  int i = 0;
  for (const auto& [proxy, type, stream, toxicity, attributes] : kind.toxics) {
    const Status s = bed.toxiproxy->AddToxic(proxy, std::string(type) + std::to_string(i++), type,
                                             stream, toxicity, attributes);
    EXPECT_TRUE(s.ok()) << kind.name << ": " << s.ToString();
  }
}

// A seeded order of every fault kind, `rounds` times.
std::vector<const FaultKind*> Schedule(int rounds, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<const FaultKind*> out;
  for (int r = 0; r < rounds; ++r) {
    std::vector<const FaultKind*> round;
    for (const FaultKind& k : FaultKinds()) round.push_back(&k);
    std::shuffle(round.begin(), round.end(), rng);
    out.insert(out.end(), round.begin(), round.end());
  }
  return out;
}

std::string DaemonConfig(const FaultBed& bed, const std::string& dir, const std::string& topic,
                         const std::string& prefix, uint16_t metrics_port,
                         const std::string& retry_timeout = "5m") {
  const std::string path = dir + "/" + prefix + ".yaml";
  std::ofstream(path) << "kafka:\n  bootstrap.servers: " << bed.kafka_proxied
                      << "\n  socket.timeout.ms: 10000\n"
                      << ProxiedS3Yaml(bed, prefix) << "  retry_timeout: " << retry_timeout
                      << "\nbackup:\n  group_id: " << prefix << "-backup\n  topics: [" << topic
                      << "]\n  segment:\n    max_records: 400\n    max_age: 1s\n"
                      << "  metadata_interval: 1s\n  offsets_interval: 1s\n"
                      << "metrics:\n  listen: 127.0.0.1:" << metrics_port << "\n";
  return path;
}

double Metric(uint16_t port, const char* series) {
  const auto r = metrics::testing::HttpRequest("127.0.0.1:" + std::to_string(port), "/metrics");
  return metrics::testing::SeriesValue(r.body, series).value_or(-1);
}

class NetworkFaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    bed_ = Bed();
    ASSERT_NE(bed_, nullptr);
    ASSERT_TRUE(bed_->toxiproxy->Reset().ok());
    ASSERT_TRUE(bed_->http_faults->SetRate(0, 0).ok());
    auto admin = kafka::Admin::Make({{"bootstrap.servers", bed_->kafka_direct}});
    ASSERT_TRUE(admin.ok()) << admin.status().ToString();
    admin_ = std::move(*admin);
    Config cfg;
    cfg.storage.type = StorageConfig::Type::kS3;
    cfg.storage.s3 = bed_->s3_direct;
    auto store = storage::OpenStore(cfg.storage);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
  }
  void TearDown() override {
    if (bed_ == nullptr) return;
    EXPECT_TRUE(bed_->toxiproxy->Reset().ok());
    EXPECT_TRUE(bed_->http_faults->SetRate(0, 0).ok());
  }

  const FaultBed* bed_ = nullptr;
  std::unique_ptr<kafka::Admin> admin_;
  std::unique_ptr<storage::ObjectStore> store_;
};

TEST_F(NetworkFaultTest, BackupAndRestoreThroughEveryFaultLoseAndDuplicateNothing) {
  const int rounds = Iterations("NETWORK_ROUNDS", 1);
  const auto started = std::chrono::steady_clock::now();
  std::mt19937_64 rng(Seed() * 7919);
  testing::TempDir dir;
  const std::string topic = testing::UniqueName("chaos-net");
  const std::string prefix = testing::UniqueName("net");
  ASSERT_TRUE(admin_->CreateTopic({topic, kPartitions, 1, {}}, 30s).ok());
  const std::string group = testing::UniqueName("chaos-net-app");
  const uint16_t metrics_port = cli::testing::FreePort();
  const std::string config = DaemonConfig(*bed_, dir.path(), topic, prefix, metrics_port);
  const std::string log = dir.path() + "/backup.log";

  ScenarioResult backup{.scenario = "network faults: backup daemon"};
  ASSERT_TRUE(bed_->http_faults->SetRate(0.1, 0.5).ok());
  const pid_t pid = SpawnLogged({KB_BINARY, "--config", config, "backup"}, log);
  ASSERT_GT(pid, 0);
  int produced = 0;
  double retries_seen = 0;
  for (const FaultKind* kind : Schedule(rounds, Seed())) {
    SCOPED_TRACE(kind->name);
    Apply(*bed_, *kind);
    ++backup.faults;
    ProduceNumbered(bed_->kafka_direct, topic, kPartitions, produced, 300);
    produced += 300;
    if (produced == 300) {  // the application group, for the restore to move
      ASSERT_TRUE(
          admin_->AlterConsumerGroupOffsets(group, {{{topic, 0}, 100}, {{topic, 1}, 200}}, 30s)
              .ok());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2000 + rng() % 2000));
    ASSERT_EQ(WaitFor(pid, 0ms), -1) << "the daemon ended under " << kind->name << ":\n"
                                     << ReadFile(log);
    ASSERT_TRUE(bed_->toxiproxy->Reset().ok());
    retries_seen = std::max(retries_seen, Metric(metrics_port, "kafka_backup_store_retries"));
    ++backup.iterations;
  }
  // Caught up (still with 10% of the S3 answers errors)?
  const uint64_t total = static_cast<uint64_t>(produced) * kPartitions;
  const auto deadline = std::chrono::steady_clock::now() + 5min;
  while (StoredRecords(*store_, prefix, topic, kPartitions) < total &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(1s);
  }
  retries_seen = std::max(retries_seen, Metric(metrics_port, "kafka_backup_store_retries"));
  ASSERT_EQ(kill(pid, SIGTERM), 0);
  ASSERT_EQ(WaitFor(pid, 2min), 0) << ReadFile(log);
  EXPECT_GT(retries_seen, 0) << "kafka_backup_store_retries never rose although "
                             << bed_->http_faults->Injected() << " S3 errors were injected";
  backup.faults += bed_->http_faults->Injected();
  Comparison c = CompareStoreWithTopic(*store_, prefix, bed_->kafka_direct, topic, kPartitions);
  backup.records_checked = c.records;
  backup.lost = c.lost;
  backup.duplicated = c.duplicated;
  EXPECT_TRUE(c.equal()) << "lost " << c.lost << ", duplicated " << c.duplicated << ", "
                         << c.first_problem();
  const cli::testing::Ran verify = cli::testing::Run(KB_BINARY, {"--config", config, "verify"},
                                                     dir.path() + "/verify.log", 10min);
  EXPECT_EQ(verify.code, 0) << verify.output;
  backup.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  AddResult(backup);

  // The restore, through the same faults, changing every 2 s (rate-limited, so that it lasts
  // through several of them).
  const auto restore_started = std::chrono::steady_clock::now();
  const uint64_t injected_before = bed_->http_faults->Injected();
  ScenarioResult restore{.scenario = "network faults: restore"};
  const std::string target = topic + "-r";
  std::atomic<bool> done{false};
  std::thread faults([&] {
    for (const FaultKind* kind : Schedule(rounds, Seed() + 1)) {
      if (done) break;
      Apply(*bed_, *kind);
      ++restore.faults;
      for (int i = 0; i < 20 && !done; ++i) std::this_thread::sleep_for(100ms);
      EXPECT_TRUE(bed_->toxiproxy->Reset().ok());
    }
  });
  const cli::testing::Ran ran = cli::testing::Run(
      KB_BINARY,
      {"--config", config, "restore", "--topic", topic, "--rename", topic + "=" + target,
       "--checkpoint-interval", "200ms", "--max-bytes-per-second", "100KiB"},
      dir.path() + "/restore.log", 15min);
  done = true;
  faults.join();
  EXPECT_EQ(ran.code, 0) << ran.output;
  c = CompareTopics(bed_->kafka_direct, topic, target, kPartitions);
  restore.iterations = 1;
  restore.faults += bed_->http_faults->Injected() - injected_before;
  restore.records_checked = c.records;
  restore.lost = c.lost;
  restore.duplicated = c.duplicated;
  EXPECT_TRUE(c.equal()) << "lost " << c.lost << ", duplicated " << c.duplicated << ", "
                         << c.first_problem();
  auto offsets = admin_->ListConsumerGroupOffsets(group, 30s);
  ASSERT_TRUE(offsets.ok()) << offsets.status().ToString();
  EXPECT_EQ(offsets->count({target, 0}) ? offsets->at({target, 0}) : -1, 100);
  EXPECT_EQ(offsets->count({target, 1}) ? offsets->at({target, 1}) : -1, 200);
  restore.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - restore_started).count();
  AddResult(restore);
}

struct Permanent {
  const char* name;
  std::function<void(const FaultBed&)> inject;
  const char* says;  // a phrase the error must contain
};

TEST_F(NetworkFaultTest, APermanentFaultEndsTheCommandWithAClearError) {
  const auto started = std::chrono::steady_clock::now();
  testing::TempDir dir;
  const std::string topic = testing::UniqueName("chaos-perm");
  const std::string prefix = testing::UniqueName("perm");
  ASSERT_TRUE(admin_->CreateTopic({topic, 1, 1, {}}, 30s).ok());
  ProduceNumbered(bed_->kafka_direct, topic, 1, 0, 50);
  const std::string config =
      DaemonConfig(*bed_, dir.path(), topic, prefix, cli::testing::FreePort(), "3s");
  // A backup to restore from, made before the faults.
  ASSERT_EQ(cli::testing::Run(KB_BINARY, {"--config", config, "backup", "--once"},
                              dir.path() + "/once.log", 5min)
                .code,
            0)
      << ReadFile(dir.path() + "/once.log");

  const std::vector<Permanent> faults = {
      {"S3 refuses connections",
       [](const FaultBed& b) { (void)b.toxiproxy->SetEnabled("s3", false); }, "127.0.0.1"},
      {"S3 black-holed (half-open)",
       [](const FaultBed& b) {
         (void)b.toxiproxy->AddToxic("s3", "hole", "timeout", "upstream", 1.0, R"({"timeout": 0})");
       },
       "127.0.0.1"},
      {"every S3 answer 503/500", [](const FaultBed& b) { (void)b.http_faults->SetRate(1.0, 0); },
       "HTTP 50"},
      {"broker refuses connections",
       [](const FaultBed& b) { (void)b.toxiproxy->SetEnabled("kafka", false); },
       "cannot reach the Kafka cluster"},
      {"broker black-holed (half-open)",
       [](const FaultBed& b) {
         (void)b.toxiproxy->AddToxic("kafka", "hole", "timeout", "downstream", 1.0,
                                     R"({"timeout": 0})");
       },
       "cannot reach the Kafka cluster"},
  };
  ScenarioResult result{.scenario = "network faults: permanent (5 kinds x backup, restore)"};
  for (const Permanent& f : faults) {
    for (const bool is_restore : {false, true}) {
      SCOPED_TRACE(std::string(f.name) + (is_restore ? ", restore" : ", backup --once"));
      ASSERT_TRUE(bed_->toxiproxy->Reset().ok());
      ASSERT_TRUE(bed_->http_faults->SetRate(0, 0).ok());
      if (!is_restore) ProduceNumbered(bed_->kafka_direct, topic, 1, 1000 + result.faults, 5);
      f.inject(*bed_);
      ++result.faults;
      std::vector<std::string> args = {"--config", config, "backup", "--once"};
      if (is_restore) {
        args = {"--config",
                config,
                "restore",
                "--topic",
                topic,
                "--rename",
                topic + "=" + topic + "-r" + std::to_string(result.faults)};
      }
      const auto t0 = std::chrono::steady_clock::now();
      const cli::testing::Ran ran =
          cli::testing::Run(KB_BINARY, args, dir.path() + "/perm.log", 5min);
      const double took =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      EXPECT_NE(ran.code, 0) << ran.output;
      EXPECT_NE(ran.code, -1) << "still running after 5 minutes";
      EXPECT_NE(ran.output.find(f.says), std::string::npos)
          << "the error does not say '" << f.says << "':\n"
          << ran.output;
      EXPECT_EQ(ran.output.find("AddressSanitizer"), std::string::npos) << ran.output;
      std::cerr << "[ permanent ] " << f.name << (is_restore ? ", restore" : ", backup --once")
                << ": exit " << ran.code << " after " << took
                << " s: " << ran.output.substr(ran.output.rfind('\n', ran.output.size() - 2) + 1);
      ++result.iterations;
    }
  }
  ASSERT_TRUE(bed_->toxiproxy->Reset().ok());
  ASSERT_TRUE(bed_->http_faults->SetRate(0, 0).ok());
  // Once the fault is gone, the backup completes: nothing was lost on the way.
  ASSERT_EQ(cli::testing::Run(KB_BINARY, {"--config", config, "backup", "--once"},
                              dir.path() + "/once.log", 5min)
                .code,
            0)
      << ReadFile(dir.path() + "/once.log");
  const Comparison c = CompareStoreWithTopic(*store_, prefix, bed_->kafka_direct, topic, 1);
  result.records_checked = c.records;
  result.lost = c.lost;
  result.duplicated = c.duplicated;
  EXPECT_TRUE(c.equal()) << c.first_problem();
  result.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  AddResult(result);
}

}  // namespace
}  // namespace kb::chaos
