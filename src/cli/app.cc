#include "cli/app.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <functional>
#include <optional>

#include "cli/backup_command.h"
#include "cli/completion.h"
#include "cli/copy_command.h"
#include "cli/doctor_command.h"
#include "cli/flag_validators.h"
#include "cli/ls_command.h"
#include "cli/offsets_command.h"
#include "cli/prune_command.h"
#include "cli/restore_command.h"
#include "cli/status_command.h"
#include "cli/verify_command.h"
#include "cli/version.h"
#include "common/allocator.h"
#include "common/error_map.h"
#include "common/status.h"
#include "config/config.h"
#include "config/store_url.h"
#include "kafka/client.h"
#include "layout/keys.h"
#include "metrics/metrics_server.h"

namespace kb::cli {
namespace {

struct GlobalOptions {
  std::string config_path;
  std::string log_level = "info";
  std::string store;  // a store URL overriding the config's storage section (config/store_url.h)
};

// Loads and validates the config file; with no --config, the defaults (local store) apply.
Result<Config> LoadConfig(const GlobalOptions& g) {
  Config cfg;
  if (!g.config_path.empty()) {
    KB_ASSIGN_OR_RETURN(cfg, LoadConfigFile(g.config_path, ProcessEnv()));
  } else {
    KB_ASSIGN_OR_RETURN(cfg, ParseConfig("{}", "<defaults>", ProcessEnv()));
  }
  if (!g.store.empty()) {
    KB_ASSIGN_OR_RETURN(cfg.storage, ParseStoreUrl(g.store, "--store", cfg.storage, ProcessEnv()));
  }
  KB_RETURN_IF_ERROR(kafka::ValidateProperties(cfg.kafka.properties));
  // Checked here for every command, not only when `backup` starts the endpoint.
  if (!cfg.metrics.listen.empty()) {
    KB_RETURN_IF_ERROR(metrics::ParseListenAddress(cfg.metrics.listen).status());
  }
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
    {"prune",
     "Delete from the store what Kafka's retention deleted (plan unless --execute); S3 "
     "object-locked objects are kept until their date"},
    {"copy",
     "Copy a backup to another store (--to URL), verified and resumable: e.g. from a local "
     "directory into a bucket, or between clouds"},
    {"doctor",
     "Check the config, the cluster, the backup's ACLs, the store and the clock: OK, WARN or FAIL "
     "with what to fix per check"},
};

void AddRestoreOptions(CLI::App* sub, RestoreArgs& a) {
  sub->add_option("--topic", a.topics,
                  "Topic to restore (repeatable); a regular expression when it starts with ^. "
                  "Default: every topic in the store")
      ->check(TopicPatternValidator());
  sub->add_option("--from", a.from,
                  "Only records with a timestamp at or after this time: epoch ms or ISO-8601 UTC")
      ->check(NonEmptyValidator());
  sub->add_option("--to", a.to, "Only records with a timestamp at or before this time")
      ->check(NonEmptyValidator());
  sub->add_option("--offsets", a.offsets,
                  "<partition>=<first>-<last>: only these source offsets of that partition "
                  "(repeatable; one --topic)");
  sub->add_option("--rename", a.rename, "src=dst: restore topic src into dst (repeatable)");
  sub->add_option("--target-prefix", a.target_prefix,
                  "Prefix of the target topic names (topics not renamed)");
  sub->add_option("--exclude-keys", a.exclude_keys,
                  "FILE of record keys to leave out, e.g. for erasure requests: one key per line, "
                  "taken literally, or 'base64:<base64>' for binary keys, 'text:<key>' for a key "
                  "starting with '#' or with spaces at an end; blank lines and lines starting "
                  "with '#' are skipped, a trailing CR is removed. Null keys never match. Counted "
                  "in the report; keys are never printed. A resume needs the same list "
                  "(docs/operations.md)")
      ->type_name("FILE")
      ->check(NonEmptyValidator());
  sub->add_flag("--require-target-exists", a.require_target_exists,
                "Fail instead of creating a missing target topic");
  sub->add_flag("--fail-if-target-not-empty", a.fail_if_target_not_empty,
                "Fail, before producing anything, if a target partition already holds records "
                "that an earlier run of this restore did not write "
                "(restore.fail_if_target_not_empty)");
  sub->add_option("--partitions", a.partitions,
                  "Restore into N target partitions instead of keeping the source partition "
                  "numbers: keyed records go where Kafka's default partitioner puts them "
                  "(murmur2 of the key), null-key records round-robin ((source partition + "
                  "source offset) mod N). The order per key is kept; the order across different "
                  "keys of a source partition is NOT kept. A missing target is created with N "
                  "partitions; an existing one must have exactly N. Source partitions of a topic "
                  "are restored one after the other; offset maps and consumer group offsets are "
                  "translated per target partition (docs/operations.md)")
      ->type_name("N")
      ->check(IntegerValidator(1, 100000));
  sub->add_option("--replication-factor", a.replication_factor,
                  "Replication factor of created topics (default: the backed-up one)")
      ->check(IntegerValidator(1, 32767));
  sub->add_option("--parallel", a.parallel,
                  "Partitions restored at once (restore.parallelism; default: one per planned "
                  "partition, at most 64)")
      ->check(IntegerValidator(1, 256));
  sub->add_option("--restore-id", a.restore_id,
                  "Share this restore among every process started with the same id and "
                  "selection, on any machine: they divide the partitions through the consumer "
                  "group kafka-backup-restore-ID, take over the partitions of a process that "
                  "dies, and the groups are moved once, when every partition is restored "
                  "(docs/operations.md)")
      ->type_name("ID")
      ->check(NonEmptyValidator());
  sub->add_option("--session-timeout", a.session_timeout,
                  "With --restore-id: how long a process that stopped answering keeps its "
                  "partitions, e.g. 10s (the default)")
      ->check(NonEmptyValidator());
  sub->add_option("--max-bytes-per-second", a.max_bytes_per_second,
                  "Byte rate limit of the records sent, e.g. 50MiB (restore.max_bytes_per_second)")
      ->check(NonEmptyValidator());
  sub->add_option("--checkpoint-interval", a.checkpoint_interval,
                  "How often the offset maps are saved, e.g. 5s (restore.checkpoint_interval)")
      ->check(NonEmptyValidator());
  CLI::Option* dry_run = sub->add_flag("--dry-run", a.dry_run,
                                       "Print the plan and the groups' new offsets; write nothing");
  sub->add_flag("--skip-corrupt", a.skip_corrupt,
                "Skip corrupt blocks/segments and restore around holes in the backup (offsets "
                "in no stored object), reporting their offsets as gaps");
  sub->add_option("--groups", a.groups, "Only these consumer groups (repeatable; ^regex allowed)")
      ->check(GroupPatternValidator());
  sub->add_option("--exclude-groups", a.exclude_groups,
                  "Leave these consumer groups out (repeatable; ^regex allowed)")
      ->check(GroupPatternValidator());
  sub->add_flag("--no-groups", a.no_groups, "Do not move consumer group offsets");
  sub->add_flag("--acls", a.acls,
                "Re-create the backed-up ACLs of the restored topics on the target, their "
                "resource names following --rename/--target-prefix (needs backup.acls; "
                "--dry-run lists them)");
  sub->add_flag("--fail-on-active-groups", a.fail_on_active_groups,
                "Fail instead of skipping groups that have active members");
  sub->add_option("--metrics-file", a.metrics_file,
                  "Write progress and outcome as Prometheus gauges to FILE (rewritten every "
                  "second; for node_exporter's textfile collector)")
      ->type_name("FILE")
      ->check(NonEmptyValidator())
      ->excludes(dry_run);
  sub->add_option("--output", a.output, "Report as text or json (not with --dry-run)")
      ->check(CLI::IsMember({"text", "json"}));
  sub->footer(
      "Timestamps: records keep their backed-up timestamps. A target created from a topic.json "
      "with message.timestamp.type=LogAppendTime is created as CreateTime and set to "
      "LogAppendTime once every partition is restored (a rerun after a failure or kill finishes "
      "it); an existing LogAppendTime target, and records older than a target's retention.ms, "
      "are warned about before anything is produced (also with --dry-run). Timestamp 0 cannot "
      "be sent by librdkafka: such records get the produce time and are counted.\n"
      "Exit codes: 0 restored (and every group moved); 1 failed (a partition, a group commit, a "
      "target check, setting a restored topic's LogAppendTime); 2 invalid usage; 3 partial: "
      "every partition restored, but consumer groups were left behind (an unreadable group "
      "snapshot, a group with active members)");
}

// The first word of `args` that is neither an option nor an option's value, when it names no
// command (CLI11 itself would only say that a subcommand is required).
std::optional<std::string> UnknownCommand(const std::vector<std::string>& args) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "-c" || a == "--config" || a == "--log-level" || a == "--store") {
      ++i;  // its value
      continue;
    }
    if (a.starts_with("-")) continue;
    if (a == kCompletionCommand) return std::nullopt;
    for (const Command& c : kCommands) {
      if (a == c.name) return std::nullopt;
    }
    return a;
  }
  return std::nullopt;
}

}  // namespace

int RunCli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  CLI::App app{
      "kafka-backup: backup and restore of Apache Kafka topics to a local directory, S3, "
      "Azure Blob Storage or Google Cloud Storage",
      "kafka-backup"};
  app.require_subcommand(1);
  // Global options are accepted before or after the command (`kafka-backup backup --config x`):
  // a subcommand hands the options it does not know to this parent. Given twice, wherever, is a
  // usage error naming the option (CLI11's multi-option policy Throw).
  app.fallthrough();
  GlobalOptions g;
  app.set_version_flag("--version", std::string("kafka-backup ") + kVersion + " (librdkafka " +
                                        kafka::LibrdkafkaVersion() + ", " + AllocatorName() + ")");
  app.add_option("-c,--config", g.config_path, "YAML configuration file")
      ->check(CLI::ExistingFile)
      ->envname("KAFKA_BACKUP_CONFIG");
  app.add_option("--store", g.store,
                 "The store, as a URL, instead of the config's storage section: file:///dir, "
                 "s3://bucket/prefix?region=R&endpoint=URL, gs://bucket/prefix, "
                 "az://account/container/prefix; credentials from the environment "
                 "(docs/operations.md)")
      ->type_name("URL")
      ->envname("KAFKA_BACKUP_STORE");
  app.add_option("--log-level", g.log_level, "trace, debug, info, warn, error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}));

  std::optional<std::string> chosen;
  bool once = false;
  StatusArgs status_args;
  std::string output = "text";
  CLI::Option* backup_output = nullptr;  // backup's --output (given or not)
  std::vector<std::string> ls_topics;
  VerifyArgs verify_args;
  PruneArgs prune_args;
  std::optional<int64_t> generation;  // ls, verify, restore: an archived generation
  RestoreArgs restore_args;
  OffsetsArgs offsets_args;
  DoctorArgs doctor_args;
  CopyArgs copy_args;
  for (const Command& c : kCommands) {
    CLI::App* sub = app.add_subcommand(c.name, c.description);
    sub->callback([&chosen, name = c.name] { chosen = name; });
    if (std::string_view(c.name) == "backup") {
      sub->add_flag("--once", once,
                    "Snapshot: back up to the end offsets seen at start, print what was backed "
                    "up, then exit 0");
      backup_output = sub->add_option("--output", output,
                                      "The end-of-run report as text or json (always printed "
                                      "with --once; by the daemon when it stops if given)")
                          ->check(CLI::IsMember({"text", "json"}));
    }
    if (std::string_view(c.name) == "status") {
      sub->add_option("--topic", status_args.topics, "Only these topics (repeatable)")
          ->check(TopicNameValidator());
      sub->add_option("--output", output, "text or json")->check(CLI::IsMember({"text", "json"}));
      CLI::Option* watch = sub->add_flag(
          "--watch", status_args.watch,
          "Refresh the report until Ctrl-C/SIGTERM (exit 0): on a terminal in place, else one "
          "report after the other (JSON: one document per line)");
      sub->add_option("--interval", status_args.interval_seconds,
                      "Seconds between --watch reports (default 5)")
          ->check(IntegerValidator(1, 86400))
          ->needs(watch);
    }
    if (std::string_view(c.name) == "ls") {
      sub->add_option("--topic", ls_topics, "Only these topics (repeatable)")
          ->check(TopicNameValidator());
      sub->add_option("--output", output, "text or json")->check(CLI::IsMember({"text", "json"}));
    }
    if (std::string_view(c.name) == "doctor") {
      sub->add_option("--timeout", doctor_args.timeout_seconds,
                      "Seconds each check may wait for the cluster or the store (default 10)")
          ->check(IntegerValidator(1, 3600));
      sub->add_option("--output", output, "text or json")->check(CLI::IsMember({"text", "json"}));
    }
    if (std::string_view(c.name) == "copy") {
      sub->add_option("--to", copy_args.to,
                      "The destination store URL (file:///dir, s3://bucket/prefix, "
                      "gs://bucket/prefix, az://account/container/prefix)")
          ->required()
          ->type_name("URL");
      sub->add_option("--from", copy_args.from,
                      "The source store URL (default: the config's store, or --store)")
          ->type_name("URL");
      sub->add_option("--topic", copy_args.topics, "Only these topics (repeatable)")
          ->check(TopicNameValidator());
      sub->add_option("--parallel", copy_args.parallel, "Objects copied at once (default 4)")
          ->check(IntegerValidator(1, 64));
      sub->add_option("--output", output, "text or json")->check(CLI::IsMember({"text", "json"}));
    }
    if (std::string_view(c.name) == "restore") AddRestoreOptions(sub, restore_args);
    if (std::string_view(c.name) == "offsets") AddOffsetsCommands(sub, &offsets_args);
    if (std::string_view(c.name) == "prune") {
      sub->add_option("--topic", prune_args.topic,
                      "Delete this topic's whole backup (refused while it exists in the cluster, "
                      "or while any object of it is S3 object-locked)")
          ->check(TopicNameValidator());
      sub->add_option("--generation", prune_args.generation,
                      "With --topic: an archived generation of it (see ls)")
          ->check(IntegerValidator(0, INT64_MAX));
      sub->add_flag("--force", prune_args.force,
                    "With --topic: delete the backup even though the topic exists in the cluster");
      sub->add_flag("--execute", prune_args.execute, "Delete; without it only the plan is shown");
      sub->add_option("--output", output, "text or json")->check(CLI::IsMember({"text", "json"}));
    }
    for (const char* name : {"ls", "verify", "restore"}) {
      if (std::string_view(c.name) != name) continue;
      sub->add_option("--generation", generation,
                      "Read archived generation N of re-created topics (listed by ls) instead of "
                      "the current one")
          ->check(IntegerValidator(0, INT64_MAX));
    }
    if (std::string_view(c.name) == "verify") {
      sub->add_option("--topic", verify_args.topics, "Only these topics (repeatable)")
          ->check(TopicNameValidator());
      sub->add_option("--sample", verify_args.sample,
                      "Read at most N segments per partition, evenly spaced from first to last")
          ->check(IntegerValidator(1, INT64_MAX));
      sub->add_option("--from", verify_args.from,
                      "Only segments with records at or after this time: epoch ms or ISO-8601 "
                      "UTC (2026-11-21T10:00:00Z)")
          ->check(NonEmptyValidator());
      sub->add_option("--to", verify_args.to,
                      "Only segments with records at or before this time (same forms as --from)")
          ->check(NonEmptyValidator());
      sub->add_option("--parallel", verify_args.parallel, "Segments read at once (default 4)")
          ->check(IntegerValidator(1, 64));
      sub->add_option("--output", output, "text or json")->check(CLI::IsMember({"text", "json"}));
      sub->add_option("--metrics-file", verify_args.metrics_file,
                      "Write the run's kafka_backup_verify_* gauges to FILE (for node_exporter's "
                      "textfile collector)")
          ->type_name("FILE")
          ->check(NonEmptyValidator());
    }
  }

  std::string completion_shell;
  const CLI::App* completion = AddCompletionCommand(app, &completion_shell);

  std::vector<std::string> reversed(args.rbegin(), args.rend());
  try {
    app.parse(reversed);
  } catch (const CLI::ParseError& e) {
    if (std::optional<std::string> unknown = UnknownCommand(args)) {
      std::string names;
      for (const Command& c : kCommands) names += std::string(names.empty() ? "" : ", ") + c.name;
      err << "kafka-backup: unknown command '" << *unknown << "' (commands: " << names
          << "; see --help)\n";
      return kExitUsage;
    }
    // --help and --version are successes; every other parse error is a usage error, printed as one
    // line in the style of the others, naming the flag as CLI11 does.
    if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) {
      app.exit(e, out, err);
      return kExitOk;
    }
    err << "kafka-backup: Invalid argument: " << e.what() << " (see --help)\n";
    return kExitUsage;
  }
  if (completion->parsed()) return RunCompletion(app, completion_shell, out, err);
  // Logs go to stderr; stdout is for command output (ls, status, --dry-run plans).
  if (!spdlog::get("kafka-backup")) {
    spdlog::set_default_logger(spdlog::stderr_color_mt("kafka-backup"));
  }
  spdlog::set_level(spdlog::level::from_str(g.log_level));

  Result<Config> cfg = LoadConfig(g);
  if (*chosen == "doctor") {  // reports a bad config as its first check
    doctor_args.config_path = g.config_path;
    doctor_args.json = output == "json";
    Status s = RunDoctor(cfg, doctor_args, out);
    if (!s.ok()) err << "kafka-backup: " << s.ToString() << "\n";
    return ExitCodeFor(s);
  }
  if (!cfg.ok()) {
    err << "kafka-backup: " << cfg.status().ToString() << "\n";
    return ExitCodeFor(cfg.status());
  }
  if (generation) {
    // An archived generation is a store of its own under <prefix>/@generations/<n>.
    cfg->storage.prefix = layout::Keys(cfg->storage.prefix).Generation(*generation).prefix();
  }
  Status s;
  if (*chosen == "backup") {
    s = RunBackup(*cfg, {.once = once,
                         .report = once || backup_output->count() > 0,
                         .json = output == "json",
                         .out = &out});
  } else if (*chosen == "status") {
    status_args.json = output == "json";
    s = RunStatus(*cfg, status_args, out);
  } else if (*chosen == "ls") {
    s = RunLs(*cfg, ls_topics, output == "json", out);
  } else if (*chosen == "verify") {
    verify_args.compare_with_cluster = !generation.has_value();
    verify_args.json = output == "json";
    s = RunVerify(*cfg, verify_args, out, err);
  } else if (*chosen == "prune") {
    prune_args.json = output == "json";
    s = RunPrune(*cfg, prune_args, out);
  } else if (*chosen == "restore") {
    Result<RestoreEnd> end = RunRestoreCommand(*cfg, restore_args, out, err);
    s = end.status();
    if (s.ok() && !end->partial.empty()) {
      for (const std::string& why : end->partial) {
        err << "kafka-backup: restore partial: " << why << "\n";
      }
      return kExitPartial;
    }
  } else if (*chosen == "offsets") {
    s = RunOffsets(*cfg, offsets_args, out);
  } else if (*chosen == "copy") {
    copy_args.json = output == "json";
    s = RunCopy(*cfg, copy_args, out);
  } else {
    s = Status::NotImplemented(*chosen, "this command is not implemented yet");
  }
  if (s.ok()) return kExitOk;
  err << "kafka-backup: " << s.ToString() << "\n";
  // librdkafka's own log lines are debug output; why a broker could not be reached is in them.
  if (s.IsRetryable()) {
    if (const std::string detail = kafka::LastLibrdkafkaError(); !detail.empty()) {
      err << "kafka-backup: last librdkafka error: " << detail << "\n";
      if (const std::string hint = KafkaConnectionHint(detail); !hint.empty()) {
        err << "kafka-backup: hint: " << hint << "\n";
      }
    }
  }
  return ExitCodeFor(s);
}

}  // namespace kb::cli
