// How the GCS backend authenticates: an OAuth2 access token sent as "Authorization: Bearer" with
// each request, from one of (storage.gcs.auth, docs/configuration.md):
//   service_account  a service-account JSON key file: an RS256-signed JWT (OpenSSL EVP) is
//                    exchanged at the key's token_uri for an access token (RFC 7523);
//   metadata         the GCE/GKE metadata server's token of the attached service account
//                    (http://$GCE_METADATA_HOST/computeMetadata/v1/instance/service-accounts/
//                    default/token with Metadata-Flavor: Google);
//   none             no Authorization header (emulators, public buckets).
// Tokens are cached and fetched again shortly before they expire (5 minutes before; half the
// lifetime for tokens of 10 minutes or less), and at once after the server refused one (401). One
// fetch is one HTTP request, no retries: a failed fetch fails the store request, which
// storage/retrying_store.h may repeat.
//
// Secrets: the private key and the tokens never appear in an error message or a log line; errors
// name the config key (storage.gcs.credentials_file) or the metadata server, and quote only the
// token endpoint's error code and description.
//
// Thread-safety: TokenSource::Token may be called concurrently (one fetch at a time).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "common/status.h"
#include "config/config.h"
#include "storage/gcs/gcs_http.h"

namespace kb::storage::gcs {

inline constexpr std::string_view kStorageScope =
    "https://www.googleapis.com/auth/devstorage.read_write";

struct AccessToken {
  std::string value;
  std::chrono::seconds expires_in{0};
};

class TokenSource {
 public:
  virtual ~TokenSource() = default;
  // The access token to send; "" means send none (anonymous).
  virtual Result<std::string> Token() = 0;
  // The server refused `token` (401): the next Token() fetches a new one instead of the cached.
  virtual void Invalidate(const std::string& token) { (void)token; }
};

// Caches what Fetch returns until shortly before it expires.
class CachingTokenSource : public TokenSource {
 public:
  Result<std::string> Token() override;
  void Invalidate(const std::string& token) override;

 protected:
  virtual Result<AccessToken> Fetch() = 0;

 private:
  std::mutex mu_;
  std::string token_;
  std::chrono::steady_clock::time_point refresh_at_;
};

// The fields of a service-account key file that are used.
struct ServiceAccountKey {
  std::string client_email;
  std::string private_key;     // PEM (PKCS#8)
  std::string private_key_id;  // the JWT's "kid"; may be empty
  std::string token_uri;       // default https://oauth2.googleapis.com/token
};

// Parses the key file's JSON; `subject` names it in errors (which never quote the key).
Result<ServiceAccountKey> ParseServiceAccountKey(std::string_view json, std::string_view subject);

// The signed assertion: base64url(header).base64url(claims).base64url(RS256 signature), claims
// iss=client_email, scope, aud=token_uri, iat=now_s, exp=now_s+3600.
Result<std::string> MakeSignedJwt(const ServiceAccountKey& key, std::string_view scope,
                                  int64_t now_s, std::string_view subject);

// The token endpoint's / metadata server's answer: {"access_token", "expires_in", ...}.
Result<AccessToken> ParseTokenAnswer(std::string_view body, std::string_view subject);

// base64url without padding (RFC 4648 section 5), as JWTs use.
std::string Base64Url(std::string_view bytes);

// The token source of `cfg.auth`; reads and checks the key file now (InvalidArgument naming
// storage.gcs.credentials_file). `http` is shared with the caller.
Result<std::unique_ptr<TokenSource>> MakeTokenSource(const GcsStoreConfig& cfg,
                                                     std::shared_ptr<GcsHttp> http);

}  // namespace kb::storage::gcs
