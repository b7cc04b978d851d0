#include "cli/status_command.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <nlohmann/json.hpp>
#include <thread>

#include "kafka/admin.h"
#include "layout/keys.h"
#include "ops/status.h"
#include "report/report_text.h"
#include "storage/factory/open_store.h"

namespace kb::cli {
namespace {

std::atomic<int> g_watch_signals{0};

// A report in progress waits for the cluster (up to its timeouts): a second signal ends the process
// at once, still with exit 0 (nothing is left half-done by a status report).
extern "C" void OnWatchSignal(int) {
  if (g_watch_signals.fetch_add(1) > 0) _exit(0);
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// One report in the watch's form: compact JSON on one line, or the text table.
std::string WatchReport(const ops::StatusReport& report, bool json) {
  if (!json) return ops::FormatStatusText(report);
  return nlohmann::json::parse(ops::FormatStatusJson(report)).dump() + "\n";
}

}  // namespace

Status RunStatus(const Config& cfg, const StatusArgs& args, std::ostream& out) {
  if (!cfg.kafka.properties.count("bootstrap.servers")) {
    return Status::InvalidArgument("kafka.bootstrap.servers", "is required");
  }
  KB_ASSIGN_OR_RETURN(auto store, storage::OpenStore(cfg.storage));
  KB_ASSIGN_OR_RETURN(auto admin, kafka::Admin::Make(cfg.kafka.properties));
  layout::Keys keys(cfg.storage.prefix);
  ops::TopicSelection sel{cfg.backup, args.topics};
  auto compute = [&] {
    return ops::ComputeStatus(*store, keys, *admin, cfg.kafka.properties, sel,
                              std::chrono::seconds(30));
  };
  if (!args.watch) {
    KB_ASSIGN_OR_RETURN(ops::StatusReport report, compute());
    out << (args.json ? ops::FormatStatusJson(report) : ops::FormatStatusText(report));
    if (args.json) out << "\n";
    return Status::OK();
  }

  g_watch_signals.store(0);
  std::signal(SIGINT, OnWatchSignal);
  std::signal(SIGTERM, OnWatchSignal);
  const bool tty = isatty(STDOUT_FILENO) == 1;
  const auto interval = std::chrono::seconds(args.interval_seconds);
  while (g_watch_signals.load() == 0) {
    const auto started = std::chrono::steady_clock::now();
    Result<ops::StatusReport> report = compute();
    if (g_watch_signals.load() != 0) break;
    const std::string when = report::FormatTimeMs(NowMs());
    if (tty) {
      out << "\033[H\033[2J"  // cursor home, clear the screen
          << "kafka-backup status at " << when << ", every " << args.interval_seconds
          << " s (Ctrl-C to stop)\n\n";
    } else if (!args.json) {
      out << "--- status at " << when << " ---\n";
    }
    if (report.ok()) {
      out << (args.json && tty ? ops::FormatStatusJson(*report) : WatchReport(*report, args.json));
    } else if (args.json && !tty) {
      out << nlohmann::json{{"error", report.status().ToString()}, {"at", when}}.dump() << "\n";
    } else {
      out << "status failed: " << report.status().ToString() << "\n";
    }
    out.flush();
    while (g_watch_signals.load() == 0 && std::chrono::steady_clock::now() - started < interval) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
  return Status::OK();
}

}  // namespace kb::cli
