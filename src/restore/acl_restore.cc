#include "restore/acl_restore.h"

#include <algorithm>
#include <set>

namespace kb::restore {
namespace {

kafka::AclBinding ToBinding(const layout::AclEntry& e, std::string name, std::string pattern) {
  return {e.resource_type, std::move(name), std::move(pattern), e.principal,
          e.host,          e.operation,     e.permission};
}

}  // namespace

AclRestorePlan PlanAclRestore(const layout::ClusterSecurity& backed_up,
                              const std::vector<std::pair<std::string, std::string>>& topics,
                              const std::string& target_prefix) {
  AclRestorePlan plan;
  std::set<kafka::AclBinding> create;
  std::set<std::string> notes;
  if (!backed_up.authorizer) {
    notes.insert("the backed-up cluster had no authorizer: there are no ACLs to re-create");
  }
  size_t other_types = 0;
  for (const layout::AclEntry& e : backed_up.acls) {
    if (e.resource_type != "TOPIC") {
      ++other_types;
      continue;
    }
    for (const auto& [source, target] : topics) {
      if (!layout::AclApplies(e, "TOPIC", source)) continue;
      if (e.pattern_type == "LITERAL" && e.resource_name == "*") {
        notes.insert(
            "ACLs on every topic (LITERAL '*') are not re-created: they are not the "
            "restored topics'");
        continue;
      }
      if (e.pattern_type == "LITERAL") {
        create.insert(ToBinding(e, target, "LITERAL"));
      } else if (target == source) {
        create.insert(ToBinding(e, e.resource_name, "PREFIXED"));
      } else if (!target_prefix.empty() && target == target_prefix + source) {
        create.insert(ToBinding(e, target_prefix + e.resource_name, "PREFIXED"));
      } else {
        create.insert(ToBinding(e, target, "LITERAL"));
        notes.insert("PREFIXED '" + e.resource_name + "' (" + e.principal + " " + e.operation +
                     ") re-created as LITERAL '" + target + "': " + source +
                     " was renamed, so the prefix does not carry over");
      }
    }
  }
  if (other_types > 0) {
    notes.insert(std::to_string(other_types) +
                 " kept ACL(s) on groups, the cluster or transactional ids are not re-created "
                 "(see " +
                 std::string("@cluster/security.json") + ")");
  }
  if (!backed_up.scram_users.empty()) {
    notes.insert(std::to_string(backed_up.scram_users.size()) +
                 " SCRAM user(s) in the backup are not re-created: the broker never reveals "
                 "their passwords, so they must be set again (kafka-configs.sh "
                 "--alter --add-config SCRAM-SHA-512=...)");
  }
  plan.create.assign(create.begin(), create.end());
  plan.notes.assign(notes.begin(), notes.end());
  return plan;
}

Result<layout::ClusterSecurity> ReadClusterSecurity(storage::ObjectStore& store,
                                                    const layout::Keys& keys) {
  const std::string key = keys.ClusterSecurity();
  Result<std::string> bytes = store.Get(key);
  if (!bytes.ok()) {
    if (bytes.status().IsNotFound()) {
      return Status::NotFound(key,
                              "the backup holds no ACLs (written by the backup daemon's metadata "
                              "rounds with backup.acls related or all)");
    }
    return bytes.status();
  }
  return layout::DecodeClusterSecurity(key, *bytes);
}

Status ApplyAclRestore(kafka::Admin& admin, const AclRestorePlan& plan,
                       std::chrono::milliseconds timeout) {
  return kafka::CreateAcls(admin, plan.create, timeout);
}

std::string FormatAclRestore(const AclRestorePlan& plan, bool dry_run) {
  std::string out = "ACLs (--acls): " + std::string(dry_run ? "would create " : "created ") +
                    std::to_string(plan.create.size()) + "\n";
  for (const kafka::AclBinding& a : plan.create) out += "  " + kafka::FormatAcl(a) + "\n";
  for (const std::string& n : plan.notes) out += "  note: " + n + "\n";
  return out;
}

}  // namespace kb::restore
