// The security metadata of a cluster that a backup keeps next to its topics: ACL bindings (KIP-140)
// and the SCRAM users (KIP-554; names, mechanisms and iteration counts — the broker never reveals
// salts or salted passwords, so passwords cannot be backed up). Client quotas are not here:
// librdkafka 2.8 has no DescribeClientQuotas (KIP-546).
//
// Values are plain strings in Kafka's own spelling ("TOPIC", "PREFIXED", "User:alice", "READ",
// "ALLOW"), so they are stored as JSON and compared without librdkafka.
//
// Ownership: plain values. Thread-safety: the functions may be called concurrently (they use the
// Admin's thread-safe handle). Failure contract: as kafka::Admin's (subject "cluster"); a broker
// without an authorizer answers DescribeAcls with SECURITY_DISABLED, which DescribeAllAcls reports
// as an empty list with `authorizer = false` rather than an error.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "kafka/admin.h"

namespace kb::kafka {

struct AclBinding {
  std::string resource_type;  // TOPIC, GROUP, CLUSTER, TRANSACTIONAL_ID, ...
  std::string resource_name;
  std::string pattern_type;  // LITERAL or PREFIXED
  std::string principal;     // "User:alice"
  std::string host;          // "*" for any
  std::string operation;     // READ, WRITE, DESCRIBE, ALL, ...
  std::string permission;    // ALLOW or DENY
  friend auto operator<=>(const AclBinding&, const AclBinding&) = default;
};

struct AclListing {
  bool authorizer = true;  // false: the cluster has no authorizer (SECURITY_DISABLED)
  std::vector<AclBinding> acls;
};

// Every ACL binding of the cluster (needs Describe on the cluster), sorted. Kafka answers a
// principal without it with an empty list, not an error: an empty list is checked against the
// principal's authorized cluster operations (DescribeCluster) and is PermissionDenied when
// DESCRIBE is not among them.
Result<AclListing> DescribeAllAcls(Admin& admin, std::chrono::milliseconds timeout);

// Creates `acls` (needs Alter on the cluster). Creating an ACL that exists is not an error. A
// binding librdkafka or the broker refuses fails the call naming it (FormatAcl).
Status CreateAcls(Admin& admin, const std::vector<AclBinding>& acls,
                  std::chrono::milliseconds timeout);

struct ScramCredential {
  std::string mechanism;  // SCRAM-SHA-256 or SCRAM-SHA-512
  int32_t iterations = 0;
  friend auto operator<=>(const ScramCredential&, const ScramCredential&) = default;
};
struct ScramUser {
  std::string user;
  std::vector<ScramCredential> credentials;
  friend auto operator<=>(const ScramUser&, const ScramUser&) = default;
};

// Every user with SCRAM credentials (needs Describe on the cluster), sorted by name. Asks for the
// principal's cluster operations first and is PermissionDenied without DESCRIBE (see acls.cc:
// librdkafka 2.8 crashes on a refused DescribeUserScramCredentials).
Result<std::vector<ScramUser>> DescribeScramUsers(Admin& admin, std::chrono::milliseconds timeout);

// "ALLOW User:alice READ on TOPIC orders (LITERAL) from *": for messages and dry runs.
std::string FormatAcl(const AclBinding& acl);

}  // namespace kb::kafka
