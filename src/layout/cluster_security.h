// The cluster's security metadata in a backup store (docs/format.md, "@cluster/security.json"):
// the ACL bindings the backup keeps (those naming the backed-up topics and their consumer groups,
// or all of them with backup.acls: all) and the SCRAM users (names, mechanisms, iterations; the
// broker never reveals salts or passwords). Written by the backup daemon's metadata rounds when it
// changes, with a history snapshot per change; read by `restore --acls`.
//
//   {"format_version": 1, "scope": "related", "authorizer": true,
//    "acls": [{"resource_type": "TOPIC", "resource_name": "orders", "pattern_type": "LITERAL",
//              "principal": "User:alice", "host": "*", "operation": "READ",
//              "permission": "ALLOW"}],
//    "scram_users": [{"user": "alice", "credentials": [{"mechanism": "SCRAM-SHA-512",
//                                                       "iterations": 4096}]}],
//    "updated_at_ms": 1700000000000}
//
// Thread-safety: pure functions. Decoding is strict: anything malformed is Corruption naming the
// key; a newer format_version is NotImplemented.
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace kb::layout {

struct AclEntry {
  std::string resource_type;  // TOPIC, GROUP, CLUSTER, TRANSACTIONAL_ID, ...
  std::string resource_name;
  std::string pattern_type;  // LITERAL or PREFIXED
  std::string principal;
  std::string host;
  std::string operation;
  std::string permission;  // ALLOW or DENY
  friend auto operator<=>(const AclEntry&, const AclEntry&) = default;
};

struct ScramUserEntry {
  struct Credential {
    std::string mechanism;
    int32_t iterations = 0;
    friend auto operator<=>(const Credential&, const Credential&) = default;
  };
  std::string user;
  std::vector<Credential> credentials;
  friend auto operator<=>(const ScramUserEntry&, const ScramUserEntry&) = default;
};

struct ClusterSecurity {
  static constexpr int kFormatVersion = 1;
  std::string scope = "related";            // which ACLs: "related" or "all"
  bool authorizer = true;                   // false: the cluster has no authorizer (no ACLs at all)
  std::vector<AclEntry> acls;               // sorted
  std::vector<ScramUserEntry> scram_users;  // sorted by user
  int64_t updated_at_ms = 0;
  friend bool operator==(const ClusterSecurity&, const ClusterSecurity&) = default;
};

// True when `acl` applies to the resource `type` ("TOPIC", "GROUP") named `name`: a LITERAL
// pattern equal to it or "*", or a PREFIXED pattern it starts with.
bool AclApplies(const AclEntry& acl, std::string_view type, std::string_view name);

std::string EncodeClusterSecurity(const ClusterSecurity& s);
Result<ClusterSecurity> DecodeClusterSecurity(std::string_view key, std::string_view json);

}  // namespace kb::layout
