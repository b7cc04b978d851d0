// `kafka-backup doctor [--timeout S] [--output json]`: checks, one after the other, what a backup
// needs and prints per check OK, FAIL (with what to fix), WARN (works, but something optional is
// missing; with what to do) or SKIP (with why):
//
//   config  the config file parses and validates (the same checks as every command)
//   kafka   the cluster answers a metadata request (cluster id, topic list) within --timeout
//   acls    what the backup's principal may do, as far as it can be asked without consuming: the
//           topics backup.topics names are visible (Describe), the selected topics' configs
//           (DescribeConfigs) and offsets (ListOffsets) can be read, the consumer group
//           backup.group_id can be described and its offsets fetched (Describe on the group).
//           With backup.acls not off, the cluster's ACLs can be listed (Describe on the
//           cluster): optional (the backup goes on without keeping ACLs), so WARN when it is the
//           only thing missing. Read on topics and on the group is only proven by consuming: not
//           checked.
//   store   a probe object <prefix>/_doctor/<host>-<pid> is written, read back, compared and
//           deleted (storage.retry_timeout is cut to --timeout)
//   clock   S3, Azure and GCS stores: this host's clock against the server's Date header (a HEAD
//           of the bucket, a one-entry listing on Azure and GCS; whole seconds, so a skew under
//           2 s reads as 0); FAIL above 60 s. Signed requests are refused beyond 15 minutes, and
//           retention, restore time windows and object lock dates are computed with this host's
//           clock. A local store has no clock of its own and Kafka tells no broker time without
//           producing a record, which doctor never does: SKIP.
//
// A check whose prerequisite failed is SKIP. Nothing is written to Kafka; the probe object is the
// only thing written to the store.
//
// Failure contract: returns OK when no check failed; otherwise the config's own error when the
// config is invalid (exit 2), else FailedPrecondition "N of M checks failed" (exit 1). Messages
// are the project's errors, which never carry secrets; the config's secret values are not
// printed.
//
// Thread-safety: one call per process.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "common/status.h"
#include "config/config.h"

namespace kb::cli {

struct DoctorArgs {
  std::string config_path;  // for the report only ("" = the defaults)
  int timeout_seconds = 10;
  bool json = false;
};

struct DoctorCheck {
  enum class Outcome { kOk, kFail, kWarn, kSkip };
  std::string name;  // config, kafka, acls, store, clock
  Outcome outcome = Outcome::kSkip;
  std::string detail;  // what was found
  std::string fix;     // FAIL and WARN: what to do
};

// Every check in order (see the header comment). `cfg` is the loaded config or its error.
std::vector<DoctorCheck> RunDoctorChecks(const Result<Config>& cfg, const DoctorArgs& args);

// "OK    kafka  <detail>" per check, a "      fix: ..." line under each FAIL and WARN, then a
// summary line ("all checks passed (1 warning)").
std::string FormatDoctorText(const std::vector<DoctorCheck>& checks);
// {"ok": bool, "checks": [{"name", "result": "ok"|"fail"|"warn"|"skip", "detail", "fix"}]};
// "ok" is false only when a check failed.
std::string FormatDoctorJson(const std::vector<DoctorCheck>& checks);

Status RunDoctor(const Result<Config>& cfg, const DoctorArgs& args, std::ostream& out);

}  // namespace kb::cli
