// `restore --acls`: the ACLs a backup kept (<prefix>/@cluster/security.json, written by the backup
// daemon's metadata rounds) re-created for the restored topics on the target cluster, their
// resource names following --rename / --target-prefix.
//
// For each restored topic (source -> target), every kept TOPIC ACL that applies to the source:
//   LITERAL <source>  -> LITERAL <target>
//   PREFIXED <p>      -> PREFIXED <p> when the name did not change, PREFIXED <target prefix><p>
//                        under --target-prefix (every topic under <p> moved the same way), else
//                        LITERAL <target> (a renamed topic shares no prefix with others), noted
//   LITERAL "*"       -> not re-created (it names every topic, not the restored ones), noted
// Principals, hosts, operations and permissions are kept. ACLs on groups, the cluster or
// transactional ids are not re-created (they are not the restored topics'); SCRAM users cannot be
// (the broker never reveals their secrets): both are noted.
//
// Thread-safety: PlanAclRestore is pure; ApplyAclRestore uses the Admin (thread-safe).
// Failure contract: ReadClusterSecurity is NotFound naming the key when the backup holds no
// security metadata; ApplyAclRestore returns the first ACL the broker refused, naming it.
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "kafka/acls.h"
#include "kafka/admin.h"
#include "layout/cluster_security.h"
#include "layout/keys.h"
#include "storage/object_store.h"

namespace kb::restore {

struct AclRestorePlan {
  std::vector<kafka::AclBinding> create;  // sorted, without duplicates
  std::vector<std::string> notes;         // what was not re-created or re-created differently
};

// `topics`: (source topic, target topic) pairs of the restore; `target_prefix`: --target-prefix.
AclRestorePlan PlanAclRestore(const layout::ClusterSecurity& backed_up,
                              const std::vector<std::pair<std::string, std::string>>& topics,
                              const std::string& target_prefix);

Result<layout::ClusterSecurity> ReadClusterSecurity(storage::ObjectStore& store,
                                                    const layout::Keys& keys);

Status ApplyAclRestore(kafka::Admin& admin, const AclRestorePlan& plan,
                       std::chrono::milliseconds timeout);

// "ACLs (--acls): N to create\n  ALLOW User:a READ on TOPIC t (LITERAL) from *\n  note: ...\n";
// `dry_run` says "would create".
std::string FormatAclRestore(const AclRestorePlan& plan, bool dry_run);

}  // namespace kb::restore
