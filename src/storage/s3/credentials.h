// S3 credentials: where the key/secret/token triple that signs each request comes from.
//
// A CredentialsProvider hands out one consistent snapshot (key id, secret, token, expiry) per
// request; S3Client signs with exactly that snapshot. Providers:
//   - StaticCredentialsProvider: long-term keys (storage.s3 keys, the environment, a profile);
//   - RefreshingCredentialsProvider: temporary credentials fetched by a function (STS web
//     identity, instance metadata) and fetched again before they expire.
// MakeDefaultCredentialsProvider (credentials_chain.cc) picks one the way the AWS SDKs' default
// chain does; docs/security.md "S3 credentials" describes the order.
//
// Secrets: nothing here logs or puts into a Status the secret, the token, or the full key id
// (AbbreviateKeyId shows four characters at each end). Source() never holds a secret.
//
// Thread-safety: Get() may be called concurrently from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "config/config.h"
#include "config/env_expand.h"

namespace kb::storage::s3 {

using WallClock = std::function<std::chrono::system_clock::time_point()>;

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;                                        // empty for long-term keys
  std::optional<std::chrono::system_clock::time_point> expiration;  // none: never expires
};

// "AKIA****WXYZ": the first and last four characters of a key id (only stars if it is shorter than
// 16 characters), for logs.
std::string AbbreviateKeyId(std::string_view key_id);

// An ISO 8601 UTC time as STS and instance metadata write it: "2026-12-04T15:30:00Z", optionally
// with fractional seconds or "+00:00" for the "Z"; nullopt for anything else.
std::optional<std::chrono::system_clock::time_point> ParseAwsTimestamp(std::string_view text);

// Replaces every occurrence of `secret` (if not empty) in `text` by "****".
std::string Redact(std::string text, std::string_view secret);

class CredentialsProvider {
 public:
  virtual ~CredentialsProvider() = default;
  // The credentials to sign one request with. Failure: the Status of the last fetch (Retryable
  // when the credential service may come back, PermissionDenied/Permanent when it refused), only
  // once no still-valid credentials are left.
  virtual Result<Credentials> Get() = 0;
  // Where the credentials come from, e.g. "profile 'prod' in /home/u/.aws/credentials"; no secret.
  virtual const std::string& Source() const = 0;
};

class StaticCredentialsProvider : public CredentialsProvider {
 public:
  StaticCredentialsProvider(std::string source, Credentials creds)
      : source_(std::move(source)), creds_(std::move(creds)) {}
  Result<Credentials> Get() override { return creds_; }
  const std::string& Source() const override { return source_; }

 private:
  const std::string source_;
  const Credentials creds_;
};

// Temporary credentials: `fetch` is called at the first Get() and again once the clock reaches
// RefreshTime() of the credentials held. Only one thread fetches at a time; while it does, others
// keep the held credentials if they are still valid, or wait for the fetch. A failed fetch while
// the held credentials are still valid logs a warning, keeps them and tries again at most every
// `retry_interval`; once they have expired, Get() returns the fetch's Status (prefixed with the
// source and the expiry time).
class RefreshingCredentialsProvider : public CredentialsProvider {
 public:
  using Fetch = std::function<Result<Credentials>()>;
  RefreshingCredentialsProvider(std::string source, Fetch fetch, WallClock clock,
                                std::chrono::seconds retry_interval = std::chrono::seconds(10));
  Result<Credentials> Get() override;
  const std::string& Source() const override { return source_; }

  // 5 minutes before `expiration`, or half way from `now` to it if that is sooner.
  static std::chrono::system_clock::time_point RefreshTime(
      std::chrono::system_clock::time_point now, std::chrono::system_clock::time_point expiration);

 private:
  const std::string source_;
  const Fetch fetch_;
  const WallClock clock_;
  const std::chrono::seconds retry_interval_;
  std::mutex mu_;
  std::condition_variable fetched_;
  bool fetching_ = false;                       // guarded by mu_
  std::optional<Credentials> held_;             // guarded by mu_
  std::chrono::system_clock::time_point next_;  // guarded by mu_: when to fetch again
};

// What MakeDefaultCredentialsProvider needs from the outside world; tests pass fakes.
struct CredentialsEnvironment {
  EnvLookup env;    // AWS_* variables and HOME
  WallClock clock;  // for expiry
  // Connect and total timeouts of instance-metadata requests (a machine without it fails fast).
  std::chrono::milliseconds imds_connect_timeout{1000};
  std::chrono::milliseconds imds_timeout{3000};
};
CredentialsEnvironment ProcessCredentialsEnvironment();

struct ResolvedCredentials {
  std::shared_ptr<CredentialsProvider> provider;
  std::string region;  // cfg.region, else the profile's `region`, else us-east-1
};

// The default chain, first match wins:
//   1. storage.s3.access_key_id/secret_access_key/session_token (cfg);
//   2. AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN);
//   3. the profile storage.s3.profile / AWS_PROFILE / "default" of AWS_SHARED_CREDENTIALS_FILE
//      (~/.aws/credentials) and AWS_CONFIG_FILE (~/.aws/config);
//   4. web identity: AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN (+ AWS_ROLE_SESSION_NAME), STS
//      AssumeRoleWithWebIdentity at AWS_ENDPOINT_URL_STS or https://sts.<region>.amazonaws.com;
//   5. instance metadata (IMDSv2) at AWS_EC2_METADATA_SERVICE_ENDPOINT or http://169.254.169.254,
//      unless AWS_EC2_METADATA_DISABLED=true (before it, AWS_CONTAINER_CREDENTIALS_* set is an
//      error: container credentials are not implemented).
// Temporary credentials (4, 5) are fetched once here. Errors: a source that is configured but
// unusable (half a key pair, a named profile that does not exist, a profile that needs a feature
// not implemented, an unreadable token file, STS refusing) is an error naming it; nothing found is
// InvalidArgument on "storage.s3" listing what was tried. Logs the source used (info).
Result<ResolvedCredentials> MakeDefaultCredentialsProvider(const S3StoreConfig& cfg,
                                                           const CredentialsEnvironment& world);

}  // namespace kb::storage::s3
