// Web identity credentials: STS AssumeRoleWithWebIdentity with the token a Kubernetes service
// account (or another OIDC provider) writes to a file. The request is an unsigned HTTPS POST; the
// token file is read again at every call, as Kubernetes rotates it.
//
// Failure contract: an unreadable or empty token file is InvalidArgument naming
// AWS_WEB_IDENTITY_TOKEN_FILE and the path; an STS error answer is mapped by common/error_map
// (subject: the role ARN) with STS's code and message, any copy of the token in it replaced by
// "****"; a malformed answer is Permanent. The token and the credentials never appear in a Status.
// Thread-safety: reentrant.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"
#include "storage/s3/credentials.h"

namespace kb::storage::s3 {

struct WebIdentitySettings {
  std::string token_file;    // AWS_WEB_IDENTITY_TOKEN_FILE
  std::string role_arn;      // AWS_ROLE_ARN
  std::string session_name;  // AWS_ROLE_SESSION_NAME, or kafka-backup-<unix time>
  std::string endpoint;      // scheme://host[:port] of STS
  std::string ca_bundle;     // AWS_CA_BUNDLE; empty: the system trust store
};

// The credentials of an AssumeRoleWithWebIdentityResponse; Permanent naming `subject` if the body
// is not one or lacks AccessKeyId, SecretAccessKey, SessionToken or a valid Expiration.
Result<Credentials> ParseAssumeRoleWithWebIdentityResponse(std::string_view body,
                                                           std::string_view subject);

// The Code and Message of an STS ErrorResponse; empty strings if the body is not one.
struct StsError {
  std::string code;
  std::string message;
};
StsError ParseStsError(std::string_view body);

// One AssumeRoleWithWebIdentity call.
Result<Credentials> AssumeRoleWithWebIdentity(const WebIdentitySettings& s);

}  // namespace kb::storage::s3
