// Instance metadata credentials (EC2 and compatible, IMDSv2 only): PUT /latest/api/token for a
// session token, then GET /latest/meta-data/iam/security-credentials/ for the role name and
// GET .../<role> for the role's temporary credentials, each with the session token.
//
// Failure contract: no HTTP answer to the token PUT sets *reachable = false (no metadata service
// here: the chain then says no credentials were found) and returns FromCurlError's Status; an HTTP
// error is mapped by common/error_map with the endpoint as subject; no role attached is
// PermissionDenied; a malformed answer is Permanent. Credentials never appear in a Status.
// Thread-safety: reentrant.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "common/status.h"
#include "storage/s3/credentials.h"

namespace kb::storage::s3 {

struct ImdsSettings {
  std::string endpoint;  // scheme://host[:port], no trailing '/'
  std::chrono::milliseconds connect_timeout{1000};
  std::chrono::milliseconds timeout{3000};
};

// The credentials JSON of .../security-credentials/<role>: AccessKeyId, SecretAccessKey, Token,
// Expiration (and Code, which must be "Success" when present). Permanent naming `subject` if not.
Result<Credentials> ParseImdsCredentials(std::string_view json, std::string_view subject);

Result<Credentials> FetchImdsCredentials(const ImdsSettings& s, bool* reachable = nullptr);

}  // namespace kb::storage::s3
