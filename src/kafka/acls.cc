#include "kafka/acls.h"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <memory>

#include "kafka/admin_internal.h"

namespace kb::kafka {
namespace {

constexpr char kSubject[] = "cluster";

struct AclBindingDel {
  void operator()(rd_kafka_AclBinding_t* a) const { rd_kafka_AclBinding_destroy(a); }
};
using AclBindingPtr = std::unique_ptr<rd_kafka_AclBinding_t, AclBindingDel>;

std::string Text(const char* s) { return s != nullptr ? s : ""; }

// The enum value whose librdkafka name is `name`, among 0..count-1; -1 if none.
template <typename Enum, typename NameFn>
int FromName(const std::string& name, int count, NameFn name_of) {
  for (int i = 0; i < count; ++i) {
    if (name == Text(name_of(static_cast<Enum>(i)))) return i;
  }
  return -1;
}

Result<AclBindingPtr> ToNative(const AclBinding& a) {
  const int type = FromName<rd_kafka_ResourceType_t>(a.resource_type, RD_KAFKA_RESOURCE__CNT,
                                                     rd_kafka_ResourceType_name);
  const int pattern = FromName<rd_kafka_ResourcePatternType_t>(
      a.pattern_type, RD_KAFKA_RESOURCE_PATTERN_TYPE__CNT, rd_kafka_ResourcePatternType_name);
  const int op = FromName<rd_kafka_AclOperation_t>(a.operation, RD_KAFKA_ACL_OPERATION__CNT,
                                                   rd_kafka_AclOperation_name);
  const int permission = FromName<rd_kafka_AclPermissionType_t>(
      a.permission, RD_KAFKA_ACL_PERMISSION_TYPE__CNT, rd_kafka_AclPermissionType_name);
  if (type < 0 || pattern < 0 || op < 0 || permission < 0) {
    return Status::InvalidArgument(FormatAcl(a),
                                   "unknown resource type, pattern type, "
                                   "operation or permission");
  }
  char errstr[512] = "";
  rd_kafka_AclBinding_t* b = rd_kafka_AclBinding_new(
      static_cast<rd_kafka_ResourceType_t>(type), a.resource_name.c_str(),
      static_cast<rd_kafka_ResourcePatternType_t>(pattern), a.principal.c_str(), a.host.c_str(),
      static_cast<rd_kafka_AclOperation_t>(op),
      static_cast<rd_kafka_AclPermissionType_t>(permission), errstr, sizeof(errstr));
  if (b == nullptr) return Status::InvalidArgument(FormatAcl(a), errstr);
  return AclBindingPtr(b);
}

// Whether the principal may DESCRIBE the cluster (DescribeCluster with its authorized operations,
// KIP-430). Asked before DescribeUserScramCredentials: librdkafka 2.8 frees a static or stack
// string when that request's answer carries a request-level error (an authorization failure), so
// such an answer must never come back (rdkafka_admin.c,
// rd_kafka_DescribeUserScramCredentialsResponse_parse: admin_result.errstr).
Result<bool> MayDescribeCluster(rd_kafka_t* rk, std::chrono::milliseconds timeout) {
  KB_ASSIGN_OR_RETURN(
      auto opts, internal::MakeOptions(rk, RD_KAFKA_ADMIN_OP_DESCRIBECLUSTER, timeout, kSubject));
  if (rd_kafka_error_t* e =
          rd_kafka_AdminOptions_set_include_authorized_operations(opts.get(), 1)) {
    Status s = internal::FromErrorObject(e, kSubject, "describe cluster");
    rd_kafka_error_destroy(e);
    return s;
  }
  internal::QueuePtr q(rd_kafka_queue_new(rk));
  rd_kafka_DescribeCluster(rk, opts.get(), q.get());
  KB_ASSIGN_OR_RETURN(internal::EventPtr ev,
                      internal::WaitResult(q.get(), timeout, kSubject, "describe cluster"));
  size_t n = 0;
  const rd_kafka_AclOperation_t* ops = rd_kafka_DescribeCluster_result_authorized_operations(
      rd_kafka_event_DescribeCluster_result(ev.get()), &n);
  for (size_t i = 0; i < n; ++i) {
    if (ops[i] == RD_KAFKA_ACL_OPERATION_DESCRIBE || ops[i] == RD_KAFKA_ACL_OPERATION_ALL ||
        ops[i] == RD_KAFKA_ACL_OPERATION_ALTER) {  // ALTER implies DESCRIBE
      return true;
    }
  }
  return false;
}

}  // namespace

std::string FormatAcl(const AclBinding& a) {
  return a.permission + " " + a.principal + " " + a.operation + " on " + a.resource_type + " " +
         a.resource_name + " (" + a.pattern_type + ") from " + a.host;
}

Result<AclListing> DescribeAllAcls(Admin& admin, std::chrono::milliseconds timeout) {
  KB_RETURN_IF_ERROR(internal::CheckTimeout(timeout, kSubject));
  rd_kafka_t* rk = admin.handle()->c_ptr();
  char errstr[512] = "";
  std::unique_ptr<rd_kafka_AclBindingFilter_t, AclBindingDel> filter(rd_kafka_AclBindingFilter_new(
      RD_KAFKA_RESOURCE_ANY, nullptr, RD_KAFKA_RESOURCE_PATTERN_ANY, nullptr, nullptr,
      RD_KAFKA_ACL_OPERATION_ANY, RD_KAFKA_ACL_PERMISSION_TYPE_ANY, errstr, sizeof(errstr)));
  if (!filter) return Status::Permanent(kSubject, std::string("ACL filter: ") + errstr);
  KB_ASSIGN_OR_RETURN(auto opts,
                      internal::MakeOptions(rk, RD_KAFKA_ADMIN_OP_DESCRIBEACLS, timeout, kSubject));
  internal::QueuePtr q(rd_kafka_queue_new(rk));
  rd_kafka_DescribeAcls(rk, filter.get(), opts.get(), q.get());
  rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
  auto ev = internal::WaitResult(q.get(), timeout, kSubject, "describe ACLs",
                                 {.operation = "DESCRIBE"}, &err);
  AclListing out;
  if (err == RD_KAFKA_RESP_ERR_SECURITY_DISABLED) {
    out.authorizer = false;
    return out;
  }
  if (!ev.ok()) return ev.status();
  size_t n = 0;
  const rd_kafka_AclBinding_t** acls =
      rd_kafka_DescribeAcls_result_acls(rd_kafka_event_DescribeAcls_result(ev->get()), &n);
  for (size_t i = 0; i < n; ++i) {
    const rd_kafka_AclBinding_t* a = acls[i];
    out.acls.push_back(
        {Text(rd_kafka_ResourceType_name(rd_kafka_AclBinding_restype(a))),
         Text(rd_kafka_AclBinding_name(a)),
         Text(rd_kafka_ResourcePatternType_name(rd_kafka_AclBinding_resource_pattern_type(a))),
         Text(rd_kafka_AclBinding_principal(a)), Text(rd_kafka_AclBinding_host(a)),
         Text(rd_kafka_AclOperation_name(rd_kafka_AclBinding_operation(a))),
         Text(rd_kafka_AclPermissionType_name(rd_kafka_AclBinding_permission_type(a)))});
  }
  std::sort(out.acls.begin(), out.acls.end());
  // Kafka answers a principal without DESCRIBE on the cluster with no bindings rather than an
  // error: an empty answer is only believed from one that may see them.
  if (out.acls.empty()) {
    KB_ASSIGN_OR_RETURN(bool may, MayDescribeCluster(rk, timeout));
    if (!may) {
      return Status::PermissionDenied(
          kSubject,
          "not authorized to DESCRIBE the cluster (needed to list ACLs; Kafka answers such a "
          "principal with an empty list)");
    }
  }
  return out;
}

Status CreateAcls(Admin& admin, const std::vector<AclBinding>& acls,
                  std::chrono::milliseconds timeout) {
  if (acls.empty()) return Status::OK();
  KB_RETURN_IF_ERROR(internal::CheckTimeout(timeout, kSubject));
  std::vector<AclBindingPtr> owned;
  std::vector<rd_kafka_AclBinding_t*> raw;
  for (const AclBinding& a : acls) {
    KB_ASSIGN_OR_RETURN(AclBindingPtr b, ToNative(a));
    raw.push_back(b.get());
    owned.push_back(std::move(b));
  }
  rd_kafka_t* rk = admin.handle()->c_ptr();
  KB_ASSIGN_OR_RETURN(auto opts,
                      internal::MakeOptions(rk, RD_KAFKA_ADMIN_OP_CREATEACLS, timeout, kSubject));
  internal::QueuePtr q(rd_kafka_queue_new(rk));
  rd_kafka_CreateAcls(rk, raw.data(), raw.size(), opts.get(), q.get());
  KB_ASSIGN_OR_RETURN(
      internal::EventPtr ev,
      internal::WaitResult(q.get(), timeout, kSubject, "create ACLs", {.operation = "ALTER"}));
  size_t n = 0;
  const rd_kafka_acl_result_t** results =
      rd_kafka_CreateAcls_result_acls(rd_kafka_event_CreateAcls_result(ev.get()), &n);
  for (size_t i = 0; i < n && i < acls.size(); ++i) {
    KB_RETURN_IF_ERROR(internal::FromErrorObject(rd_kafka_acl_result_error(results[i]),
                                                 FormatAcl(acls[i]), "create ACL",
                                                 {.operation = "ALTER"}));
  }
  return Status::OK();
}

Result<std::vector<ScramUser>> DescribeScramUsers(Admin& admin, std::chrono::milliseconds timeout) {
  KB_RETURN_IF_ERROR(internal::CheckTimeout(timeout, kSubject));
  rd_kafka_t* rk = admin.handle()->c_ptr();
  KB_ASSIGN_OR_RETURN(bool may, MayDescribeCluster(rk, timeout));
  if (!may) {
    return Status::PermissionDenied(kSubject,
                                    "not authorized to DESCRIBE the cluster (needed to list SCRAM "
                                    "users and ACLs)");
  }
  KB_ASSIGN_OR_RETURN(
      auto opts,
      internal::MakeOptions(rk, RD_KAFKA_ADMIN_OP_DESCRIBEUSERSCRAMCREDENTIALS, timeout, kSubject));
  internal::QueuePtr q(rd_kafka_queue_new(rk));
  rd_kafka_DescribeUserScramCredentials(rk, nullptr, 0, opts.get(), q.get());
  KB_ASSIGN_OR_RETURN(internal::EventPtr ev,
                      internal::WaitResult(q.get(), timeout, kSubject, "describe SCRAM users",
                                           {.operation = "DESCRIBE"}));
  size_t n = 0;
  const rd_kafka_UserScramCredentialsDescription_t** descs =
      rd_kafka_DescribeUserScramCredentials_result_descriptions(
          rd_kafka_event_DescribeUserScramCredentials_result(ev.get()), &n);
  std::vector<ScramUser> out;
  for (size_t i = 0; i < n; ++i) {
    const auto* d = descs[i];
    ScramUser u{Text(rd_kafka_UserScramCredentialsDescription_user(d)), {}};
    KB_RETURN_IF_ERROR(internal::FromErrorObject(rd_kafka_UserScramCredentialsDescription_error(d),
                                                 "user " + u.user, "describe SCRAM credentials"));
    const size_t m = rd_kafka_UserScramCredentialsDescription_scramcredentialinfo_count(d);
    for (size_t j = 0; j < m; ++j) {
      const auto* info = rd_kafka_UserScramCredentialsDescription_scramcredentialinfo(d, j);
      const rd_kafka_ScramMechanism_t mech = rd_kafka_ScramCredentialInfo_mechanism(info);
      u.credentials.push_back({mech == RD_KAFKA_SCRAM_MECHANISM_SHA_256   ? "SCRAM-SHA-256"
                               : mech == RD_KAFKA_SCRAM_MECHANISM_SHA_512 ? "SCRAM-SHA-512"
                                                                          : "UNKNOWN",
                               rd_kafka_ScramCredentialInfo_iterations(info)});
    }
    std::sort(u.credentials.begin(), u.credentials.end());
    out.push_back(std::move(u));
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace kb::kafka
