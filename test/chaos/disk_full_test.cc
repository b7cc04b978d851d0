// Fault campaign, scenario "local store full / read-only": the local store of a running
// `kafka-backup backup` daemon is a small tmpfs, under continuous produce to 3 partitions. Each
// round (KB_CHAOS_DISK_FULL_ROUNDS) fills it (a filler file topped up while the fault lasts) and
// then frees it, then remounts it read-only and writable again. While a fault lasts: the daemon is
// alive, its log names the cause and the path, /healthz answers 503 with it after
// backup.store_unhealthy_after, and the store holds only whole objects of produced records, each
// once. After each fault the daemon goes on by itself (healthy again, new records stored). At the
// end a `backup --once` on a full disk fails after storage.retry_timeout naming the file and the
// cause; with room again it finishes the job: every committed record is in the store exactly once,
// no temp file is left (also not the stale one of an earlier crash, removed at the daemon's
// start), and `verify` finds nothing wrong.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "backup/backup_test_util.h"
#include "chaos_report.h"
#include "cli/cli_test_util.h"
#include "kafka/admin.h"
#include "metrics/metrics_test_util.h"
#include "storage/local/local_store.h"
#include "testing/test_env.h"
#include "testing/tmpfs_mount.h"
#include "tracking_producer.h"

namespace kb::chaos {
namespace {

using namespace std::chrono_literals;
using cli::testing::ReadFile;
using cli::testing::SpawnLogged;
using cli::testing::WaitFor;
using metrics::testing::HttpRequest;
namespace fs = std::filesystem;

constexpr const char* kMountSize = "128m";

// Writes a file until the file system is full, then keeps it full (tops it up every 10 ms, as the
// daemon's failed Puts give their space back) until destroyed, which removes the file.
class Filler {
 public:
  explicit Filler(std::string path) : path_(std::move(path)) {
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    EXPECT_GE(fd_, 0) << "open " << path_ << ": " << std::strerror(errno);
    thread_ = std::thread([this] {
      const std::string chunk(64 << 10, 'f');
      while (!stop_ && fd_ >= 0) {
        const ssize_t n = ::write(fd_, chunk.data(), chunk.size());
        if (n > 0) continue;
        if (errno != ENOSPC) {
          ADD_FAILURE() << "filling " << path_ << ": " << std::strerror(errno);
          return;
        }
        full_ = true;
        std::this_thread::sleep_for(10ms);
      }
    });
  }
  ~Filler() {
    stop_ = true;
    thread_.join();
    if (fd_ >= 0) ::close(fd_);
    EXPECT_EQ(::unlink(path_.c_str()), 0) << path_ << ": " << std::strerror(errno);
  }
  bool full() const { return full_; }

 private:
  const std::string path_;
  int fd_ = -1;
  std::atomic<bool> stop_{false};
  std::atomic<bool> full_{false};
  std::thread thread_;
};

bool Alive(pid_t pid) {
  int status = 0;
  return waitpid(pid, &status, WNOHANG) == 0;
}

bool WaitUntil(const std::function<bool()>& cond, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!cond()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(100ms);
  }
  return true;
}

std::vector<std::string> TempFilesUnder(const std::string& root) {
  std::vector<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (e.path().filename().string().find("~kbtmp") != std::string::npos) out.push_back(e.path());
  }
  return out;
}

class DiskFullTest : public ::testing::Test {
 protected:
  void WriteConfig(const std::string& path, const std::string& retry_timeout) {
    std::ofstream(path) << "kafka:\n  bootstrap.servers: " << bootstrap_ << "\n"
                        << "storage:\n  prefix: chaos\n  retry_timeout: " << retry_timeout
                        << "\n  local:\n    path: " << store_root_ << "\n"
                        << "backup:\n  group_id: " << topic_ << "-backup\n  topics: [" << topic_
                        << "]\n  segment:\n    max_records: 150\n    max_age: 300ms\n"
                        << "  metadata_interval: 1s\n  offsets_interval: 1s\n"
                        << "  store_unhealthy_after: 2s\n"
                        << "metrics:\n  listen: " << address_ << "\n";
  }

  // Records the store holds now (every segment decoded).
  uint64_t Stored() {
    auto store = storage::LocalStore::Open(store_root_);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    if (!store.ok()) return 0;
    uint64_t n = 0;
    for (int32_t p = 0; p < kPartitions; ++p) {
      n += backup::testutil::ReadPartition(**store, cfg_, topic_, p).records.size();
    }
    return n;
  }

  // One fault: `inject` makes the store fail with `cause`, `repair` undoes it. Checks the daemon
  // through it and after it; returns false (with failures added) when a check failed.
  bool RideOut(pid_t pid, TrackingProducer& producer, const std::string& cause,
               const std::function<void()>& inject, const std::function<void()>& repair) {
    const size_t mark = ReadFile(log_).size();
    auto log_since = [&] {
      const std::string all = ReadFile(log_);
      return all.size() > mark ? all.substr(mark) : std::string();
    };
    inject();
    // The log says why, naming the file under the store.
    const bool logged = WaitUntil(
        [&] {
          const std::string l = log_since();
          return l.find(cause) != std::string::npos && l.find(store_root_) != std::string::npos;
        },
        60s);
    EXPECT_TRUE(logged) << "no '" << cause << "' naming " << store_root_
                        << " in the log: " << log_since();
    // /healthz turns unhealthy after backup.store_unhealthy_after, with the cause.
    metrics::testing::HttpResponse health;
    const bool unhealthy = WaitUntil(
        [&] {
          health = HttpRequest(address_, "/healthz");
          return health.status == 503 && health.body.find(cause) != std::string::npos;
        },
        30s);
    EXPECT_TRUE(unhealthy) << "/healthz: " << health.status << " " << health.body;
    if (hold_ > 0s) {
      // A longer fault: the daemon stays up, its buffer fills, and the log repeats the cause
      // about once a minute.
      std::this_thread::sleep_for(hold_);
      if (hold_ >= 65s) {
        const std::string l = log_since();
        const size_t still = l.find("still failing");
        EXPECT_NE(still, std::string::npos) << l;
        if (still != std::string::npos) {
          EXPECT_NE(l.find(cause, still), std::string::npos) << l.substr(still);
        }
      }
    }
    EXPECT_TRUE(Alive(pid)) << "the daemon ended on '" << cause << "': " << log_since();
    // Only whole objects of produced records, each once.
    producer.Pause();
    auto store = storage::LocalStore::Open(store_root_);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    if (store.ok()) {
      const Check c = CheckStore(**store, cfg_, topic_, producer.Committed(), /*complete=*/false);
      result_.records_checked += c.records;
      result_.duplicated += c.duplicated;
      EXPECT_EQ(c.duplicated, 0u) << cause;
      EXPECT_TRUE(c.problems.empty()) << cause << ": " << c.problems.front();
      auto keys = storage::ListAll(**store, "");
      EXPECT_TRUE(keys.ok()) << keys.status().ToString();
      if (keys.ok()) {
        for (const auto& o : *keys) EXPECT_EQ(o.key.find("kbtmp"), std::string::npos) << o.key;
      }
    }
    producer.Resume();
    ++result_.faults;
    const uint64_t before = Stored();

    repair();
    // It goes on by itself: healthy again, the outage's end logged, new records stored.
    const bool healthy = WaitUntil(
        [&] {
          health = HttpRequest(address_, "/healthz");
          return health.status == 200;
        },
        60s);
    EXPECT_TRUE(healthy) << "/healthz after the repair: " << health.status << " " << health.body;
    EXPECT_TRUE(
        WaitUntil([&] { return log_since().find("answers again") != std::string::npos; }, 30s))
        << log_since();
    EXPECT_TRUE(WaitUntil([&] { return Stored() > before; }, 60s))
        << "nothing stored after the repair of '" << cause << "' (" << before << " records)";
    EXPECT_TRUE(Alive(pid));
    return logged && unhealthy && healthy && !::testing::Test::HasFailure();
  }

  std::string bootstrap_;
  std::string topic_;
  std::string store_root_;
  std::string address_;
  std::string log_;
  std::chrono::seconds hold_{0};  // how long a fault lasts beyond the checks
  Config cfg_;
  ScenarioResult result_{.scenario = "local store full / read-only"};
};

TEST_F(DiskFullTest, DaemonRidesOutAFullOrReadOnlyStoreAndLosesNothing) {
  bootstrap_ = testing::RequireEnv("KB_TEST_KAFKA_BOOTSTRAP");
  ASSERT_FALSE(bootstrap_.empty());
  const int rounds = Iterations("DISK_FULL_ROUNDS", 1);
  // KB_CHAOS_DISK_FULL_HOLD: seconds each fault lasts beyond its checks (default 0; 65 or more
  // also checks the once-a-minute log line).
  hold_ = std::chrono::seconds(Iterations("DISK_FULL_HOLD", 0));
  const auto started = std::chrono::steady_clock::now();

  testing::TempDir dir;
  const std::string mnt = dir.path() + "/mnt";
  ASSERT_TRUE(fs::create_directory(mnt));
  std::string why;
  auto mount = testing::TmpfsMount::Mount(mnt, kMountSize, &why);
  if (mount == nullptr) GTEST_SKIP() << why;
  store_root_ = mnt + "/store";
  topic_ = testing::UniqueName("chaos-disk");
  address_ = "127.0.0.1:" + std::to_string(cli::testing::FreePort());
  log_ = dir.path() + "/kafka-backup.log";
  cfg_.storage.prefix = "chaos";
  auto admin = kafka::Admin::Make({{"bootstrap.servers", bootstrap_}});
  ASSERT_TRUE(admin.ok());
  ASSERT_TRUE((*admin)->CreateTopic({topic_, kPartitions, 1, {}}, 30s).ok());
  const std::string config = dir.path() + "/kb.yaml";
  WriteConfig(config, "5m");

  // The temp file of a Put a crash interrupted two hours ago: the daemon removes it at start.
  const std::string stale = store_root_ + "/chaos/.~kbtmp-00000000000000ff";
  fs::create_directories(store_root_ + "/chaos");
  std::ofstream(stale) << "half an object";
  const timeval two_hours_ago[2] = {{::time(nullptr) - 7200, 0}, {::time(nullptr) - 7200, 0}};
  ASSERT_EQ(::utimes(stale.c_str(), two_hours_ago), 0);

  TrackingProducer producer(bootstrap_, topic_, Mix::kPlain, Seed());
  pid_t pid = SpawnLogged({KB_BINARY, "--config", config, "backup"}, log_);
  ASSERT_GT(pid, 0);
  cli::testing::Reaper reaper{pid};
  ASSERT_TRUE(WaitUntil([&] { return Stored() > 0; }, 60s)) << ReadFile(log_);
  EXPECT_FALSE(fs::exists(stale)) << ReadFile(log_);

  for (int round = 0; round < rounds; ++round) {
    std::unique_ptr<Filler> filler;
    ASSERT_TRUE(RideOut(
        pid, producer, "No space left on device",
        [&] {
          filler = std::make_unique<Filler>(mnt + "/filler");
          EXPECT_TRUE(WaitUntil([&] { return filler->full(); }, 30s));
        },
        [&] { filler.reset(); }))
        << "round " << round << ", full";
    ASSERT_TRUE(RideOut(
        pid, producer, "Read-only file system",
        [&] {
          // Busy while a file is open for writing: try until a moment when none is.
          std::string error;
          EXPECT_TRUE(WaitUntil(
              [&] {
                error = mount->RemountReadOnly();
                return error.empty();
              },
              30s))
              << error;
        },
        [&] { EXPECT_EQ(mount->RemountWritable(kMountSize), ""); }))
        << "round " << round << ", read-only";
    ++result_.iterations;
  }

  // Stop the daemon while records are still produced, so that a snapshot has work left.
  ASSERT_EQ(kill(pid, SIGTERM), 0);
  EXPECT_EQ(WaitFor(pid, 120s), 0) << ReadFile(log_);
  reaper.pid = 0;
  std::this_thread::sleep_for(1s);
  producer.Stop();

  // `backup --once` on a full disk gives up after storage.retry_timeout, naming file and cause.
  {
    const std::string once_config = dir.path() + "/kb-once.yaml";
    WriteConfig(once_config, "3s");
    Filler filler(mnt + "/filler");
    ASSERT_TRUE(WaitUntil([&] { return filler.full(); }, 30s));
    const cli::testing::Ran once =
        cli::testing::Run(KB_BINARY, {"--config", once_config, "backup", "--once"},
                          dir.path() + "/once-full.log", 5min);
    EXPECT_EQ(once.code, 1) << once.output;
    EXPECT_NE(once.output.find("No space left on device"), std::string::npos) << once.output;
    EXPECT_NE(once.output.find(store_root_), std::string::npos) << once.output;
    EXPECT_NE(once.output.find("gave up after"), std::string::npos) << once.output;
    ++result_.faults;
  }

  const cli::testing::Ran once =
      cli::testing::Run(KB_BINARY, {"--config", config, "backup", "--once"}, log_ + ".once", 10min);
  ASSERT_EQ(once.code, 0) << once.output;
  auto store = storage::LocalStore::Open(store_root_);
  ASSERT_TRUE(store.ok());
  const auto committed = producer.Committed();
  const Check c = CheckStore(**store, cfg_, topic_, committed, /*complete=*/true);
  result_.records_checked += c.records;
  result_.lost += c.lost;
  result_.duplicated += c.duplicated;
  EXPECT_EQ(c.lost, 0u);
  EXPECT_EQ(c.duplicated, 0u);
  EXPECT_TRUE(c.problems.empty()) << c.problems.front();
  uint64_t produced = 0;
  for (const auto& [p, m] : committed) produced += m.size();
  EXPECT_GT(produced, 100u);
  EXPECT_EQ(TempFilesUnder(store_root_), std::vector<std::string>{});
  const cli::testing::Ran verify = cli::testing::Run(KB_BINARY, {"--config", config, "verify"},
                                                     dir.path() + "/verify.log", 5min);
  EXPECT_EQ(verify.code, 0) << verify.output;
  // What an operator sees: the daemon's lines about the store's outages.
  std::istringstream lines(ReadFile(log_));
  for (std::string line; std::getline(lines, line);) {
    if (line.find("store file://") != std::string::npos) std::cout << line << "\n";
  }
  result_.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  AddResult(result_);
}

}  // namespace
}  // namespace kb::chaos
