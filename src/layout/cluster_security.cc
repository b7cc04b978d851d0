#include "layout/cluster_security.h"

#include <nlohmann/json.hpp>

#include "layout/strict_json.h"

namespace kb::layout {

using nlohmann::json;

bool AclApplies(const AclEntry& acl, std::string_view type, std::string_view name) {
  if (acl.resource_type != type) return false;
  if (acl.pattern_type == "LITERAL") return acl.resource_name == name || acl.resource_name == "*";
  if (acl.pattern_type == "PREFIXED") return name.starts_with(acl.resource_name);
  return false;
}

std::string EncodeClusterSecurity(const ClusterSecurity& s) {
  json acls = json::array();
  for (const AclEntry& a : s.acls) {
    acls.push_back({{"resource_type", a.resource_type},
                    {"resource_name", a.resource_name},
                    {"pattern_type", a.pattern_type},
                    {"principal", a.principal},
                    {"host", a.host},
                    {"operation", a.operation},
                    {"permission", a.permission}});
  }
  json users = json::array();
  for (const ScramUserEntry& u : s.scram_users) {
    json creds = json::array();
    for (const auto& c : u.credentials) {
      creds.push_back({{"mechanism", c.mechanism}, {"iterations", c.iterations}});
    }
    users.push_back({{"user", u.user}, {"credentials", creds}});
  }
  json j = {{"format_version", ClusterSecurity::kFormatVersion},
            {"scope", s.scope},
            {"authorizer", s.authorizer},
            {"acls", acls},
            {"scram_users", users},
            {"updated_at_ms", s.updated_at_ms}};
  return j.dump(2);
}

namespace {

Result<const json*> Array(std::string_view key, const json& j, const char* name) {
  auto it = j.find(name);
  if (it == j.end() || !it->is_array()) {
    return Status::Corruption(key, std::string("missing array field '") + name + "'");
  }
  return &*it;
}

}  // namespace

Result<ClusterSecurity> DecodeClusterSecurity(std::string_view key, std::string_view text) {
  KB_ASSIGN_OR_RETURN(json j, strict_json::ParseObject(key, text));
  KB_RETURN_IF_ERROR(strict_json::CheckVersion(key, j, ClusterSecurity::kFormatVersion,
                                               "cluster security metadata"));
  ClusterSecurity s;
  KB_ASSIGN_OR_RETURN(s.scope, strict_json::String(key, j, "scope"));
  if (s.scope != "related" && s.scope != "all") {
    return Status::Corruption(key, "scope must be \"related\" or \"all\"");
  }
  auto authorizer = j.find("authorizer");
  if (authorizer == j.end() || !authorizer->is_boolean()) {
    return Status::Corruption(key, "missing boolean field 'authorizer'");
  }
  s.authorizer = authorizer->get<bool>();
  KB_ASSIGN_OR_RETURN(s.updated_at_ms, strict_json::Int(key, j, "updated_at_ms"));
  KB_ASSIGN_OR_RETURN(const json* acls, Array(key, j, "acls"));
  for (const json& a : *acls) {
    if (!a.is_object()) return Status::Corruption(key, "an ACL is not an object");
    AclEntry e;
    KB_ASSIGN_OR_RETURN(e.resource_type, strict_json::String(key, a, "resource_type"));
    KB_ASSIGN_OR_RETURN(e.resource_name, strict_json::String(key, a, "resource_name"));
    KB_ASSIGN_OR_RETURN(e.pattern_type, strict_json::String(key, a, "pattern_type"));
    KB_ASSIGN_OR_RETURN(e.principal, strict_json::String(key, a, "principal"));
    KB_ASSIGN_OR_RETURN(e.host, strict_json::String(key, a, "host"));
    KB_ASSIGN_OR_RETURN(e.operation, strict_json::String(key, a, "operation"));
    KB_ASSIGN_OR_RETURN(e.permission, strict_json::String(key, a, "permission"));
    s.acls.push_back(std::move(e));
  }
  KB_ASSIGN_OR_RETURN(const json* users, Array(key, j, "scram_users"));
  for (const json& u : *users) {
    if (!u.is_object()) return Status::Corruption(key, "a SCRAM user is not an object");
    ScramUserEntry e;
    KB_ASSIGN_OR_RETURN(e.user, strict_json::String(key, u, "user"));
    KB_ASSIGN_OR_RETURN(const json* creds, Array(key, u, "credentials"));
    for (const json& c : *creds) {
      if (!c.is_object()) return Status::Corruption(key, "a SCRAM credential is not an object");
      ScramUserEntry::Credential cred;
      KB_ASSIGN_OR_RETURN(cred.mechanism, strict_json::String(key, c, "mechanism"));
      KB_ASSIGN_OR_RETURN(int64_t it, strict_json::Int(key, c, "iterations"));
      if (it < 0 || it > INT32_MAX) return Status::Corruption(key, "iterations out of range");
      cred.iterations = static_cast<int32_t>(it);
      e.credentials.push_back(std::move(cred));
    }
    s.scram_users.push_back(std::move(e));
  }
  return s;
}

}  // namespace kb::layout
