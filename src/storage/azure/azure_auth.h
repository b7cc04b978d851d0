// How requests to Azure Blob Storage are authorized: Shared Key signatures (HMAC-SHA256 of the
// canonicalized request with the account key), SAS tokens (appended to the query) and Azure AD
// bearer tokens (workload identity: a federated token file exchanged at Azure AD; managed identity:
// the instance metadata service), and where each comes from (storage.azure keys first, then the
// variables Azure's CLI and SDKs read: AZURE_STORAGE_ACCOUNT, AZURE_STORAGE_KEY,
// AZURE_STORAGE_SAS_TOKEN, AZURE_STORAGE_CONNECTION_STRING, AZURE_FEDERATED_TOKEN_FILE,
// AZURE_CLIENT_ID, AZURE_TENANT_ID, AZURE_AUTHORITY_HOST).
//
// Secrets (the key, a SAS signature, tokens) never appear in a Status or log line: messages are
// passed through RedactSas, and token requests name only their URL.
//
// Ownership: AzureCredentials owns its TokenSource (shared with the client). Thread-safety: the
// functions are pure; TokenSource::Token may be called from any thread.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "config/config.h"

namespace kb::storage::azure {

// The x-ms-version this client speaks.
inline constexpr std::string_view kApiVersion = "2021-08-06";

// What a Shared Key signature covers (Azure's "Authorize with Shared Key", version 2015-02-21+).
struct SharedKeyInput {
  std::string method;           // "GET", "PUT", ...
  uint64_t content_length = 0;  // 0 signs as "" (Azure's rule since 2015-02-21)
  std::string content_type;
  std::vector<std::pair<std::string, std::string>> ms_headers;  // x-ms-* (any case), values
  std::string account;
  std::string path;  // the URL path as sent (URI-encoded), e.g. "/container/blob"
  std::vector<std::pair<std::string, std::string>> query;  // raw (decoded) names and values
};

// The string to sign: VERB, the eleven standard headers (Content-Length and Content-Type from
// `in`, the others empty), the canonicalized x-ms-* headers, "/<account><path>" and the query
// parameters as "name:value" lines sorted by lower-case name.
std::string SharedKeyStringToSign(const SharedKeyInput& in);

// "SharedKey <account>:<base64 HMAC-SHA256(base64-decoded key, string_to_sign)>".
// InvalidArgument naming `key_subject` when the key is not base64 (the key is not quoted).
Result<std::string> SharedKeyAuthorization(std::string_view account, std::string_view base64_key,
                                           std::string_view string_to_sign,
                                           std::string_view key_subject);

// `text` with the value of every sig= parameter (a SAS signature) replaced by "REDACTED".
std::string RedactSas(std::string_view text);

// The fields of an Azure connection string ("AccountName=...;AccountKey=...;BlobEndpoint=...;
// SharedAccessSignature=...;DefaultEndpointsProtocol=https;EndpointSuffix=core.windows.net", or
// "UseDevelopmentStorage=true"). InvalidArgument naming AZURE_STORAGE_CONNECTION_STRING for a
// part without '=' (the text is not quoted: it holds secrets).
struct ConnectionString {
  std::string account;
  std::string key;
  std::string sas_token;
  std::string blob_endpoint;  // BlobEndpoint, or built from the protocol and suffix
};
Result<ConnectionString> ParseConnectionString(std::string_view text);

// An Azure AD access token for https://storage.azure.com/, fetched when missing or within five
// minutes of its expiry. `fetch` returns the token and its lifetime.
class TokenSource {
 public:
  using Fetch = std::function<Result<std::pair<std::string, std::chrono::seconds>>()>;
  explicit TokenSource(Fetch fetch, std::string describe)
      : fetch_(std::move(fetch)), describe_(std::move(describe)) {}
  Result<std::string> Token();
  const std::string& Describe() const { return describe_; }

 private:
  Fetch fetch_;
  std::string describe_;
  std::mutex mu_;
  std::string token_;
  std::chrono::steady_clock::time_point expires_{};
};

// Parses an Azure AD / IMDS token answer: {"access_token": ..., "expires_in": N} (a number or a
// string of digits). Permanent naming `subject` otherwise (the body is not quoted).
Result<std::pair<std::string, std::chrono::seconds>> ParseTokenAnswer(std::string_view subject,
                                                                      std::string_view body);

// Workload identity: POST <authority>/<tenant>/oauth2/v2.0/token (client_credentials with the
// federated token file as client assertion). Managed identity: GET <imds>/metadata/identity/
// oauth2/token?api-version=2018-02-01&resource=https://storage.azure.com/ with Metadata: true
// (client_id added when AZURE_CLIENT_ID is set; `imds` default http://169.254.169.254, overridden
// by AZURE_IMDS_ENDPOINT for tests).
struct IdentityEnvironment {
  std::string federated_token_file;
  std::string client_id;
  std::string tenant_id;
  std::string authority_host = "https://login.microsoftonline.com";
  std::string imds = "http://169.254.169.254";
  std::string ca_bundle;
};
std::shared_ptr<TokenSource> MakeWorkloadIdentitySource(const IdentityEnvironment& env);
std::shared_ptr<TokenSource> MakeManagedIdentitySource(const IdentityEnvironment& env);

// What the client signs with, resolved from the config and the environment.
struct AzureCredentials {
  enum class Kind { kSharedKey, kSas, kBearer };
  Kind kind = Kind::kSharedKey;
  std::string account;
  std::string endpoint;                 // scheme://host[:port][/path], no trailing '/'
  std::string key;                      // kSharedKey
  std::string sas_token;                // kSas, without '?'
  std::shared_ptr<TokenSource> tokens;  // kBearer
  // Where they came from, for the log ("storage.azure.key", "AZURE_STORAGE_SAS_TOKEN",
  // "AZURE_STORAGE_CONNECTION_STRING", "workload identity", ...); never a secret.
  std::string source;
};

// Resolves storage.azure (`cfg`) with the environment `env` (name -> value). Errors name the
// storage.azure key or variable at fault and never quote a secret.
using EnvFn = std::function<std::optional<std::string>(const std::string&)>;
Result<AzureCredentials> ResolveAzureCredentials(const AzureStoreConfig& cfg, const EnvFn& env);

}  // namespace kb::storage::azure
