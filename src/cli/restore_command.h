// `kafka-backup restore`: brings topics (all data, a time window or offset ranges) back from the
// store into the cluster of the config's `kafka:` section, then moves the consumer groups' offsets
// through the offset map (restore/restorer.h, restore/group_restore.h; docs/operations.md).
//
// Output: the --dry-run plan or the summary on stdout; progress on stderr (a line rewritten in
// place on a terminal, a log line every 10 seconds otherwise). With --output json the summary and
// the groups' report are one JSON object on stdout, written also when the restore failed after its
// flags were accepted (with "status", "exit_code", "error" and "partial"); --dry-run has no JSON
// form (InvalidArgument).
//
// Failure contract: bad flags are InvalidArgument (exit 2); a restore where any partition failed,
// or a group commit failed, returns an error naming how many (exit 1) after every other partition
// finished; store and cluster errors pass through. A restore whose partitions all finished but
// that left consumer groups behind — a group snapshot that cannot be read (named by its key; every
// other group is still moved) or a group skipped for its active members — returns OK with
// RestoreEnd::partial set, which the CLI exits with as 3 (kExitPartial).
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "common/status.h"
#include "config/config.h"

namespace kb::cli {

struct RestoreArgs {
  std::vector<std::string> topics;
  std::string from, to;              // epoch ms or ISO-8601 UTC; empty: open
  std::vector<std::string> offsets;  // <partition>=<first>-<last>
  std::vector<std::string> rename;   // src=dst
  std::string target_prefix;
  std::string exclude_keys;  // a file of keys whose records are left out (restore/excluded_keys.h)
  bool require_target_exists = false;
  bool fail_if_target_not_empty = false;  // or restore.fail_if_target_not_empty
  std::optional<int32_t> replication_factor;
  std::optional<int32_t> partitions;  // --partitions N: reshape (restore/partitioner.h)
  std::optional<int> parallel;        // default: restore.parallelism
  std::string max_bytes_per_second;   // default: restore.max_bytes_per_second
  std::string checkpoint_interval;    // default: restore.checkpoint_interval
  bool dry_run = false;
  bool skip_corrupt = false;
  std::vector<std::string> groups, exclude_groups;
  bool no_groups = false;
  bool acls = false;  // re-create the restored topics' ACLs (restore/acl_restore.h)
  bool fail_on_active_groups = false;
  // --metrics-file: progress and outcome as a Prometheus textfile (cli/command_metrics.h).
  std::string metrics_file;
  std::string output = "text";  // "json": one JSON object (docs/operations.md) instead of text
  // A restore shared by every process started with this id (restore/shared_restore.h).
  std::string restore_id;
  std::string session_timeout;  // of the shared restore's group; default 10s
};

// How a restore that ran to its end ended.
struct RestoreEnd {
  // Why it is partial (each names the object key or group at fault); empty: complete.
  std::vector<std::string> partial;
};

Result<RestoreEnd> RunRestoreCommand(const Config& cfg, const RestoreArgs& args, std::ostream& out,
                                     std::ostream& err);

}  // namespace kb::cli
