// Operator experience through the binary against the real broker and S3 server (issue 15):
// `status --watch` in a pipe and on a terminal, `doctor` (all OK, a wrong bootstrap, a wrong S3
// secret), the restore's stderr at the default log level, and the metric names deploy/monitoring's
// dashboard and alert rules use, checked against a live daemon's /metrics and the --metrics-file
// textfiles. Needs KB_TEST_KAFKA_BOOTSTRAP and KB_TEST_S3_* (scripts/test.sh).
#include <gtest/gtest.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "backup/backup_test_util.h"
#include "cli/cli_test_util.h"
#include "kafka/admin.h"
#include "metrics/metrics_test_util.h"
#include "testing/test_env.h"

namespace kb::cli {
namespace {

using namespace std::chrono_literals;
using testing::ReadFile;
using testing::SpawnLogged;
using testing::WaitFor;

class OperatorCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    bootstrap_ = kb::testing::RequireEnv("KB_TEST_KAFKA_BOOTSTRAP");
    ASSERT_FALSE(bootstrap_.empty());
    topic_ = kb::testing::UniqueName("ops");
    auto admin = kafka::Admin::Make({{"bootstrap.servers", bootstrap_}});
    ASSERT_TRUE(admin.ok());
    ASSERT_TRUE((*admin)->CreateTopic({topic_, 2, 1, {}}, 30s).ok());
    backup::testutil::RawProducer p(bootstrap_);
    for (int i = 0; i < 200; ++i) {
      format::Record r;
      r.key = "k" + std::to_string(i);
      r.value = "v" + std::to_string(i);
      p.Send(topic_, i % 2, r);
    }
    p.Flush();
  }

  // A config over a local store; `extra` is appended.
  std::string LocalConfig(const std::string& extra = "") {
    const std::string path = dir_.path() + "/kb.yaml";
    std::ofstream(path) << "kafka:\n  bootstrap.servers: " << bootstrap_ << "\n"
                        << "storage:\n  prefix: ops\n  local:\n    path: " << dir_.path()
                        << "/store\n"
                        << "backup:\n  group_id: " << topic_ << "-backup\n  topics: [" << topic_
                        << "]\n  segment:\n    max_records: 50\n    max_age: 300ms\n"
                        << extra;
    return path;
  }

  // A config over the S3 server, its endpoint an IP address (path style without being told).
  std::string S3Config(const std::string& bootstrap, const std::string& secret) {
    const std::string path = dir_.path() + "/kb-s3.yaml";
    std::ofstream(path) << "kafka:\n  bootstrap.servers: " << bootstrap << "\n"
                        << "storage:\n  prefix: " << kb::testing::UniqueName("doctor")
                        << "\n  retry_timeout: 5s\n  s3:\n    endpoint: "
                        << kb::testing::RequireEnv("KB_TEST_S3_ENDPOINT")
                        << "\n    bucket: " << kb::testing::RequireEnv("KB_TEST_S3_BUCKET")
                        << "\n    region: " << kb::testing::RequireEnv("KB_TEST_S3_REGION")
                        << "\n    access_key_id: "
                        << kb::testing::RequireEnv("KB_TEST_S3_ACCESS_KEY")
                        << "\n    secret_access_key: " << secret << "\n"
                        << "backup:\n  group_id: " << topic_ << "-backup\n  topics: [" << topic_
                        << "]\n";
    return path;
  }

  // Runs the binary with stdout and stderr in separate files.
  struct Split {
    int code = -1;
    std::string out, err;
  };
  Split RunSplit(const std::vector<std::string>& args, std::chrono::milliseconds timeout) {
    const std::string out = dir_.path() + "/split.out", err = dir_.path() + "/split.err";
    ::unlink(out.c_str());
    ::unlink(err.c_str());
    pid_t pid = fork();
    if (pid == 0) {
      int o = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      int e = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2(o, 1);
      dup2(e, 2);
      std::vector<std::string> all = {KB_BINARY};
      all.insert(all.end(), args.begin(), args.end());
      std::vector<char*> argv;
      for (const std::string& a : all) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
    Split r;
    r.code = WaitFor(pid, timeout);
    if (r.code == -1) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
    r.out = ReadFile(out);
    r.err = ReadFile(err);
    return r;
  }

  kb::testing::TempDir dir_;
  std::string bootstrap_;
  std::string topic_;
};

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// Waits until `file` holds `n` occurrences of `what` (at most `timeout`).
bool WaitForCount(const std::string& file, const std::string& what, size_t n,
                  std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (Count(ReadFile(file), what) >= n) return true;
    std::this_thread::sleep_for(100ms);
  }
  return false;
}

// The binary run with `args` on a new pseudo-terminal (stdin, stdout and stderr), as in a shell.
struct OnTerminal {
  pid_t pid = -1;
  int master = -1;
  std::string seen;  // everything it printed so far

  explicit OnTerminal(const std::vector<std::string>& args) {
    struct winsize size = {.ws_row = 40, .ws_col = 120, .ws_xpixel = 0, .ws_ypixel = 0};
    pid = forkpty(&master, nullptr, nullptr, &size);
    if (pid == 0) {
      std::vector<char*> argv;
      for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
  }
  ~OnTerminal() {
    if (pid > 0) {
      kill(pid, SIGKILL);
      WaitFor(pid, 10s);
    }
    if (master >= 0) close(master);
  }
  // Reads until `what` occurs `n` times in what was printed (false at `timeout` or at its end).
  bool ReadUntil(const std::string& what, size_t n, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (Count(seen, what) < n) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      struct pollfd p = {.fd = master, .events = POLLIN, .revents = 0};
      if (poll(&p, 1, static_cast<int>(std::min<int64_t>(left.count(), 200))) <= 0) continue;
      char buf[4096];
      const ssize_t got = read(master, buf, sizeof(buf));
      if (got <= 0) return false;  // EIO: the terminal's last process is gone
      seen.append(buf, static_cast<size_t>(got));
    }
    return true;
  }
};

TEST_F(OperatorCliTest, StatusWatchInAPipePrintsSuccessiveReportsAndEndsWithExitZero) {
  const std::string config = LocalConfig();
  ASSERT_EQ(testing::Run(KB_BINARY, {"--config", config, "backup", "--once"},
                         dir_.path() + "/once.log", 5min)
                .code,
            0)
      << ReadFile(dir_.path() + "/once.log");
  // Text: a header line per report; global options after the command.
  const std::string text_log = dir_.path() + "/watch.log";
  pid_t text = SpawnLogged({KB_BINARY, "status", "--watch", "--interval", "1", "--config", config},
                           text_log);
  testing::Reaper text_reaper{text};
  ASSERT_TRUE(WaitForCount(text_log, "--- status at ", 2, 2min)) << ReadFile(text_log);
  ASSERT_EQ(kill(text, SIGTERM), 0);
  EXPECT_EQ(WaitFor(text, 2min), 0) << ReadFile(text_log);
  text_reaper.pid = 0;
  const std::string out = ReadFile(text_log);
  EXPECT_GE(Count(out, topic_ + ": ok"), 2u) << out;
  EXPECT_EQ(out.find("\033[2J"), std::string::npos) << "no screen clearing in a pipe";

  // JSON: one document per line; SIGINT ends it too.
  const std::string json_log = dir_.path() + "/watch-json.log";
  pid_t json = SpawnLogged(
      {KB_BINARY, "--config", config, "status", "--watch", "--interval", "1", "--output", "json"},
      json_log);
  testing::Reaper json_reaper{json};
  ASSERT_TRUE(WaitForCount(json_log, "\"computed_at_ms\"", 2, 2min)) << ReadFile(json_log);
  ASSERT_EQ(kill(json, SIGINT), 0);
  EXPECT_EQ(WaitFor(json, 2min), 0) << ReadFile(json_log);
  json_reaper.pid = 0;
  std::istringstream lines(ReadFile(json_log));
  std::string line;
  std::vector<int64_t> times;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] != '{') continue;  // log lines
    nlohmann::json j = nlohmann::json::parse(line);
    times.push_back(j["computed_at_ms"].get<int64_t>());
    bool found = false;
    for (const auto& t : j["topics"]) {
      if (t["topic"] == topic_) {
        found = true;
        EXPECT_EQ(t["lag_records"], 0) << line;
      }
    }
    EXPECT_TRUE(found) << line;
  }
  ASSERT_GE(times.size(), 2u);
  EXPECT_GE(times[1] - times[0], 900) << "reports one interval apart";

  // On a terminal each report replaces the previous one: the screen is cleared, a title line
  // says when and how often, then the table; no pipe headers. SIGTERM ends it with exit code 0.
  OnTerminal tty({KB_BINARY, "--config", config, "status", "--watch", "--interval", "1"});
  ASSERT_GT(tty.pid, 0) << "forkpty failed";
  ASSERT_TRUE(tty.ReadUntil("\033[H\033[2J", 2, 2min)) << tty.seen;
  ASSERT_TRUE(tty.ReadUntil(topic_ + ": ok", 2, 1min)) << tty.seen;
  ASSERT_EQ(kill(tty.pid, SIGTERM), 0);
  EXPECT_EQ(WaitFor(tty.pid, 2min), 0) << tty.seen;
  tty.pid = -1;
  EXPECT_GE(Count(tty.seen, "kafka-backup status at "), 2u) << tty.seen;
  EXPECT_NE(tty.seen.find(", every 1 s (Ctrl-C to stop)"), std::string::npos) << tty.seen;
  EXPECT_EQ(tty.seen.find("--- status at "), std::string::npos) << tty.seen;
  // The screen is cleared before the first table, not after it.
  EXPECT_LT(tty.seen.find("\033[H\033[2J"), tty.seen.find(topic_ + ": ok")) << tty.seen;
}

TEST_F(OperatorCliTest, RestoreStderrHasNoLibrdkafkaConfigWarningsAtTheDefaultLevel) {
  const std::string config = LocalConfig();
  ASSERT_EQ(testing::Run(KB_BINARY, {"--config", config, "backup", "--once"},
                         dir_.path() + "/once.log", 5min)
                .code,
            0);
  Split r = RunSplit({"--config", config, "restore", "--topic", topic_, "--rename",
                      topic_ + "=" + topic_ + "-restored", "--no-groups"},
                     5min);
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_EQ(r.err.find("CONFWARN"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("librdkafka"), std::string::npos) << r.err;
  // Asked for, librdkafka's lines are shown (debug level).
  Split debug = RunSplit({"--config", config, "--log-level", "debug", "restore", "--topic", topic_,
                          "--rename", topic_ + "=" + topic_ + "-restored2", "--no-groups"},
                         5min);
  ASSERT_EQ(debug.code, 0) << debug.err;
  EXPECT_NE(debug.err.find("CONFWARN"), std::string::npos) << debug.err;
}

TEST_F(OperatorCliTest, DoctorAllOkAgainstTheBrokerAndTheS3Server) {
  const std::string config = S3Config(bootstrap_, kb::testing::RequireEnv("KB_TEST_S3_SECRET_KEY"));
  Split r = RunSplit({"doctor", "--config", config}, 2min);
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  for (const char* ok :
       {"OK    config", "OK    kafka", "OK    acls", "OK    store", "OK    clock"}) {
    EXPECT_NE(r.out.find(ok), std::string::npos) << ok << "\n" << r.out;
  }
  EXPECT_NE(r.out.find("all checks passed"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("_doctor/"), std::string::npos) << r.out;

  Split json = RunSplit({"doctor", "--config", config, "--output", "json"}, 2min);
  EXPECT_EQ(json.code, 0) << json.out << json.err;
  nlohmann::json j = nlohmann::json::parse(json.out);
  EXPECT_EQ(j["ok"], true);
  ASSERT_EQ(j["checks"].size(), 5u);
  for (const auto& c : j["checks"]) EXPECT_EQ(c["result"], "ok") << c;
}

TEST_F(OperatorCliTest, DoctorNamesAWrongBootstrap) {
  const std::string wrong = "127.0.0.1:" + std::to_string(testing::FreePort());
  const std::string config = S3Config(wrong, kb::testing::RequireEnv("KB_TEST_S3_SECRET_KEY"));
  Split r = RunSplit({"doctor", "--config", config, "--timeout", "3"}, 2min);
  EXPECT_EQ(r.code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("FAIL  kafka"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("kafka.bootstrap.servers (" + wrong + ")"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("SKIP  acls"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("OK    store"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("1 of 5 checks failed"), std::string::npos) << r.err;
}

TEST_F(OperatorCliTest, DoctorNamesAWrongS3SecretWithoutPrintingIt) {
  const std::string secret = "doctorWrongSecret0123456789abcdefXYZ";
  const std::string config = S3Config(bootstrap_, secret);
  Split r = RunSplit({"--log-level", "trace", "doctor", "--config", config}, 2min);
  EXPECT_EQ(r.code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("FAIL  store"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("secret_access_key"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("OK    kafka"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("SKIP  clock"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find(secret), std::string::npos) << r.out;
  EXPECT_EQ(r.err.find(secret), std::string::npos) << r.err;
  EXPECT_EQ(r.out.find(secret.substr(0, 12)), std::string::npos) << r.out;
  EXPECT_EQ(r.err.find(secret.substr(0, 12)), std::string::npos) << r.err;
}

// The metric names of a file: identifiers with the project's prefix (histogram series suffixes
// kept: the scrape has them literally).
std::set<std::string> MetricNames(const std::string& text) {
  std::set<std::string> out;
  static const std::regex kName("kafka_backup_[a-z0-9_]+");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), kName);
       it != std::sregex_iterator(); ++it) {
    out.insert(it->str());
  }
  return out;
}

// The names of the series in a text exposition (not the HELP/TYPE lines).
std::set<std::string> ExposedNames(const std::string& exposition) {
  std::set<std::string> out;
  std::istringstream lines(exposition);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] == '#') continue;
    out.insert(line.substr(0, line.find_first_of("{ ")));
  }
  return out;
}

TEST_F(OperatorCliTest, EveryMetricTheDashboardAndTheAlertsUseExists) {
  const std::string dashboard = ReadFile(KB_SOURCE_DIR "/deploy/monitoring/grafana-dashboard.json");
  const std::string alerts = ReadFile(KB_SOURCE_DIR "/deploy/monitoring/alerts.yaml");
  ASSERT_FALSE(dashboard.empty());
  ASSERT_FALSE(alerts.empty());
  std::set<std::string> used;
  const nlohmann::json doc = nlohmann::json::parse(dashboard);
  for (const auto& panel : doc["panels"]) {
    for (const auto& t : panel.value("targets", nlohmann::json::array())) {
      for (const std::string& n : MetricNames(t["expr"].get<std::string>())) used.insert(n);
    }
  }
  for (const std::string& n : MetricNames(alerts)) used.insert(n);
  ASSERT_GT(used.size(), 15u);

  // A daemon with a retention round and a sampled verify every second.
  const uint16_t port = testing::FreePort();
  const std::string config = LocalConfig(
      "  metadata_interval: 1s\n"
      "metrics:\n  listen: 127.0.0.1:" +
      std::to_string(port) +
      "\nretention:\n  interval: 1s\n"
      "verify:\n  interval: 1s\n");
  const std::string log = dir_.path() + "/daemon.log";
  pid_t daemon = SpawnLogged({KB_BINARY, "--config", config, "backup"}, log);
  testing::Reaper reaper{daemon};
  std::set<std::string> exposed;
  const auto deadline = std::chrono::steady_clock::now() + 2min;
  std::set<std::string> missing;
  const std::string address = "127.0.0.1:" + std::to_string(port);
  while (std::chrono::steady_clock::now() < deadline) {
    metrics::testing::HttpResponse r = metrics::testing::HttpRequest(address, "/metrics");
    if (r.status == 200) {
      exposed = ExposedNames(r.body);
      missing.clear();
      for (const std::string& n : used) {
        if (!exposed.contains(n) && !n.starts_with("kafka_backup_restore_")) missing.insert(n);
      }
      if (missing.empty()) break;
    }
    std::this_thread::sleep_for(500ms);
  }
  ASSERT_EQ(kill(daemon, SIGTERM), 0);
  EXPECT_EQ(WaitFor(daemon, 2min), 0) << ReadFile(log);
  reaper.pid = 0;
  std::string names;
  for (const std::string& n : missing) names += n + " ";
  EXPECT_TRUE(missing.empty()) << "not in the daemon's /metrics: " << names;

  // The short-lived commands' textfiles supply the rest.
  const std::string restore_prom = dir_.path() + "/restore.prom";
  Split restore =
      RunSplit({"--config", config, "restore", "--topic", topic_, "--rename",
                topic_ + "=" + topic_ + "-dash", "--no-groups", "--metrics-file", restore_prom},
               5min);
  ASSERT_EQ(restore.code, 0) << restore.err;
  const std::string restore_text = ReadFile(restore_prom);
  for (const std::string& n : ExposedNames(restore_text)) exposed.insert(n);
  EXPECT_EQ(metrics::testing::SeriesValue(restore_text, "kafka_backup_restore_records_sent"), 200)
      << restore_text;
  EXPECT_EQ(metrics::testing::SeriesValue(restore_text, "kafka_backup_restore_running"), 0);
  EXPECT_EQ(metrics::testing::SeriesValue(restore_text, "kafka_backup_restore_partitions_done"), 2);
  for (const std::string& n : used) {
    EXPECT_TRUE(exposed.contains(n)) << n << " is used by deploy/monitoring but exported nowhere";
  }
}

}  // namespace
}  // namespace kb::cli
