#include "cli/app.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <functional>
#include <optional>

#include "cli/backup_command.h"
#include "cli/ls_command.h"
#include "cli/status_command.h"
#include "cli/verify_command.h"
#include "cli/version.h"
#include "common/status.h"
#include "config/config.h"
#include "kafka/client.h"

namespace kb::cli {
namespace {

struct GlobalOptions {
  std::string config_path;
  std::string log_level = "info";
};

// Loads and validates the config file; with no --config, the defaults (local store) apply.
Result<Config> LoadConfig(const GlobalOptions& g) {
  Config cfg;
  if (!g.config_path.empty()) {
    KB_ASSIGN_OR_RETURN(cfg, LoadConfigFile(g.config_path, ProcessEnv()));
  } else {
    KB_ASSIGN_OR_RETURN(cfg, ParseConfig("{}", "<defaults>", ProcessEnv()));
  }
  KB_RETURN_IF_ERROR(kafka::ValidateProperties(cfg.kafka.properties));
  return cfg;
}

int ExitCodeFor(const Status& s) {
  if (s.ok()) return kExitOk;
  return s.IsInvalidArgument() ? kExitUsage : kExitFailure;
}

struct Command {
  const char* name;
  const char* description;
};

// Commands planned for the CLI. Each is wired to its implementation as the feature lands.
constexpr Command kCommands[] = {
    {"backup", "Continuously copy topics' partitions and consumer group offsets to the store"},
    {"restore", "Restore topics (all data or a time window) from the store into a cluster"},
    {"ls", "List what the store holds: topics, partitions, offset and time ranges"},
    {"verify", "Read back segments and check checksums, indexes and offset continuity"},
    {"status", "Show the backup lag per topic and partition"},
    {"offsets", "Query and export the offset map of a restore"},
};

}  // namespace

int RunCli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  CLI::App app{"kafka-backup: backup and restore of Apache Kafka topics to S3 or a local directory",
               "kafka-backup"};
  app.require_subcommand(1);
  GlobalOptions g;
  app.set_version_flag("--version", std::string("kafka-backup ") + kVersion);
  app.add_option("-c,--config", g.config_path, "YAML configuration file")
      ->check(CLI::ExistingFile)
      ->envname("KAFKA_BACKUP_CONFIG");
  app.add_option("--log-level", g.log_level, "trace, debug, info, warn, error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}));

  std::optional<std::string> chosen;
  bool once = false;
  std::vector<std::string> status_topics;
  std::string output = "text";
  std::vector<std::string> ls_topics;
  VerifyArgs verify_args;
  for (const Command& c : kCommands) {
    CLI::App* sub = app.add_subcommand(c.name, c.description);
    sub->callback([&chosen, name = c.name] { chosen = name; });
    if (std::string_view(c.name) == "backup") {
      sub->add_flag("--once", once,
                    "Snapshot: back up to the end offsets seen at start, then exit 0");
    }
    if (std::string_view(c.name) == "status") {
      sub->add_option("--topic", status_topics, "Only these topics (repeatable)");
      sub->add_option("--output", output, "text or json")->check(CLI::IsMember({"text", "json"}));
    }
    if (std::string_view(c.name) == "ls") {
      sub->add_option("--topic", ls_topics, "Only these topics (repeatable)");
      sub->add_option("--output", output, "text or json")->check(CLI::IsMember({"text", "json"}));
    }
    if (std::string_view(c.name) == "verify") {
      sub->add_option("--topic", verify_args.topics, "Only these topics (repeatable)");
      sub->add_option("--sample", verify_args.sample,
                      "Read at most N segments per partition, evenly spaced from first to last")
          ->check(CLI::PositiveNumber);
      sub->add_option("--from", verify_args.from,
                      "Only segments with records at or after this time: epoch ms or ISO-8601 "
                      "UTC (2026-11-21T10:00:00Z)");
      sub->add_option("--to", verify_args.to,
                      "Only segments with records at or before this time (same forms as --from)");
      sub->add_option("--parallel", verify_args.parallel, "Segments read at once (default 4)")
          ->check(CLI::Range(1, 64));
    }
  }

  std::vector<std::string> reversed(args.rbegin(), args.rend());
  try {
    app.parse(reversed);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e, out, err);
    // --help and --version are successes; every other parse error is a usage error.
    return code == 0 ? kExitOk : kExitUsage;
  }
  // Logs go to stderr; stdout is for command output (ls, status, --dry-run plans).
  if (!spdlog::get("kafka-backup")) {
    spdlog::set_default_logger(spdlog::stderr_color_mt("kafka-backup"));
  }
  spdlog::set_level(spdlog::level::from_str(g.log_level));

  Result<Config> cfg = LoadConfig(g);
  if (!cfg.ok()) {
    err << "kafka-backup: " << cfg.status().ToString() << "\n";
    return ExitCodeFor(cfg.status());
  }
  Status s;
  if (*chosen == "backup") {
    s = RunBackup(*cfg, once);
  } else if (*chosen == "status") {
    s = RunStatus(*cfg, status_topics, output == "json", out);
  } else if (*chosen == "ls") {
    s = RunLs(*cfg, ls_topics, output == "json", out);
  } else if (*chosen == "verify") {
    s = RunVerify(*cfg, verify_args, out, err);
  } else {
    s = Status::NotImplemented(*chosen, "this command is not implemented yet");
  }
  if (s.ok()) return kExitOk;
  err << "kafka-backup: " << s.ToString() << "\n";
  return ExitCodeFor(s);
}

}  // namespace kb::cli
