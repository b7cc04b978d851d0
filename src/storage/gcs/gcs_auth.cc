#include "storage/gcs/gcs_auth.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

#include "storage/gcs/gcs_response.h"

namespace kb::storage::gcs {
namespace {

constexpr const char* kDefaultTokenUri = "https://oauth2.googleapis.com/token";
constexpr const char* kCredentialsKey = "storage.gcs.credentials_file";

std::string FormEncode(std::string_view s) { return PercentEncode(s); }

// Service account: a JWT signed with the key, exchanged at token_uri.
class ServiceAccountTokenSource : public CachingTokenSource {
 public:
  ServiceAccountTokenSource(ServiceAccountKey key, std::string file, std::shared_ptr<GcsHttp> http)
      : key_(std::move(key)), file_(std::move(file)), http_(std::move(http)) {}

 protected:
  Result<AccessToken> Fetch() override {
    const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    const std::string subject = std::string(kCredentialsKey);
    KB_ASSIGN_OR_RETURN(std::string jwt, MakeSignedJwt(key_, kStorageScope, now, subject));
    const std::string body =
        "grant_type=" + FormEncode("urn:ietf:params:oauth:grant-type:jwt-bearer") +
        "&assertion=" + jwt;
    const std::string_view parts[] = {body};
    GcsHttpRequest req{.method = "POST",
                       .url = key_.token_uri,
                       .headers = {"Content-Type: application/x-www-form-urlencoded"},
                       .body = parts,
                       .timeout = std::chrono::seconds(30)};
    Result<GcsHttpResponse> resp = http_->Perform(req, subject);
    if (!resp.ok()) {
      return resp.status().WithContext("fetching an access token for the service account in " +
                                       file_);
    }
    const std::string where = "POST " + key_.token_uri + ", service account in " + file_;
    if (resp->status < 200 || resp->status >= 300) {
      Status s = MapGcsError(resp->status, resp->body, subject, where);
      // The token endpoint refuses a bad or revoked key with 400 invalid_grant: the operator's
      // to fix, not a retry's.
      if (resp->status == 400 || resp->status == 401 || resp->status == 403) {
        return Status::PermissionDenied(
            subject, "the token endpoint refused the service account: " + s.message());
      }
      return s;
    }
    return ParseTokenAnswer(resp->body, subject);
  }

 private:
  const ServiceAccountKey key_;
  const std::string file_;
  const std::shared_ptr<GcsHttp> http_;
};

// The metadata server's token of the instance's service account.
class MetadataTokenSource : public CachingTokenSource {
 public:
  MetadataTokenSource(std::string host, std::shared_ptr<GcsHttp> http)
      : url_("http://" + host + "/computeMetadata/v1/instance/service-accounts/default/token"),
        http_(std::move(http)) {}

 protected:
  Result<AccessToken> Fetch() override {
    const std::string subject = "GCE metadata server";
    GcsHttpRequest req{.method = "GET",
                       .url = url_,
                       .headers = {"Metadata-Flavor: Google"},
                       .timeout = std::chrono::seconds(10)};
    Result<GcsHttpResponse> resp = http_->Perform(req, subject);
    if (!resp.ok()) {
      return resp.status().WithContext(
          "storage.gcs.auth is metadata, but the metadata server did not answer (outside "
          "GCE/GKE use auth: service_account)");
    }
    if (resp->status < 200 || resp->status >= 300) {
      Status s = MapGcsError(resp->status, resp->body, subject, "GET " + url_);
      if (resp->status == 404 || resp->status == 403) {
        return Status::PermissionDenied(
            subject, s.message() + ": the instance has no service account with a token for GCS");
      }
      return s;
    }
    return ParseTokenAnswer(resp->body, subject);
  }

 private:
  const std::string url_;
  const std::shared_ptr<GcsHttp> http_;
};

class AnonymousTokenSource : public TokenSource {
 public:
  Result<std::string> Token() override { return std::string(); }
};

struct PkeyDel {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct MdCtxDel {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
struct BioDel {
  void operator()(BIO* b) const { BIO_free(b); }
};

}  // namespace

Result<std::string> CachingTokenSource::Token() {
  std::lock_guard<std::mutex> lock(mu_);
  const auto now = std::chrono::steady_clock::now();
  if (!token_.empty() && now < refresh_at_) return token_;
  KB_ASSIGN_OR_RETURN(AccessToken t, Fetch());
  const std::chrono::seconds margin =
      t.expires_in > std::chrono::seconds(600) ? std::chrono::seconds(300) : t.expires_in / 2;
  token_ = std::move(t.value);
  refresh_at_ = now + t.expires_in - margin;
  return token_;
}

void CachingTokenSource::Invalidate(const std::string& token) {
  std::lock_guard<std::mutex> lock(mu_);
  if (token == token_) token_.clear();
}

std::string Base64Url(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (char& c : out) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return out;
}

Result<ServiceAccountKey> ParseServiceAccountKey(std::string_view json, std::string_view subject) {
  nlohmann::json doc = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) {
    return Status::InvalidArgument(subject, "is not a JSON service-account key file");
  }
  auto text = [&doc](const char* name) -> std::string {
    auto it = doc.find(name);
    return it != doc.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  const std::string type = text("type");
  if (type != "service_account") {
    return Status::InvalidArgument(
        subject, "has \"type\": \"" + type +
                     "\"; only service-account key files (\"service_account\") are supported");
  }
  ServiceAccountKey key{.client_email = text("client_email"),
                        .private_key = text("private_key"),
                        .private_key_id = text("private_key_id"),
                        .token_uri = text("token_uri")};
  if (key.client_email.empty()) return Status::InvalidArgument(subject, "has no client_email");
  if (key.private_key.empty()) return Status::InvalidArgument(subject, "has no private_key");
  if (key.token_uri.empty()) key.token_uri = kDefaultTokenUri;
  if (!key.token_uri.starts_with("https://") && !key.token_uri.starts_with("http://")) {
    return Status::InvalidArgument(subject, "has a token_uri that is not an http(s) URL");
  }
  return key;
}

Result<std::string> MakeSignedJwt(const ServiceAccountKey& key, std::string_view scope,
                                  int64_t now_s, std::string_view subject) {
  nlohmann::ordered_json header = {{"alg", "RS256"}, {"typ", "JWT"}};
  if (!key.private_key_id.empty()) header["kid"] = key.private_key_id;
  const nlohmann::ordered_json claims = {{"iss", key.client_email},
                                         {"scope", std::string(scope)},
                                         {"aud", key.token_uri},
                                         {"iat", now_s},
                                         {"exp", now_s + 3600}};
  const std::string signing_input = Base64Url(header.dump()) + "." + Base64Url(claims.dump());

  std::unique_ptr<BIO, BioDel> bio(
      BIO_new_mem_buf(key.private_key.data(), static_cast<int>(key.private_key.size())));
  if (!bio) return Status::Permanent(subject, "BIO_new_mem_buf failed");
  std::unique_ptr<EVP_PKEY, PkeyDel> pkey(
      PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!pkey || EVP_PKEY_base_id(pkey.get()) != EVP_PKEY_RSA) {
    return Status::InvalidArgument(subject, "private_key is not a PEM RSA private key");
  }
  std::unique_ptr<EVP_MD_CTX, MdCtxDel> ctx(EVP_MD_CTX_new());
  size_t sig_len = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, pkey.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &sig_len,
                     reinterpret_cast<const unsigned char*>(signing_input.data()),
                     signing_input.size()) != 1) {
    return Status::Permanent(subject, "cannot sign the token request with the private_key");
  }
  std::string sig(sig_len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &sig_len,
                     reinterpret_cast<const unsigned char*>(signing_input.data()),
                     signing_input.size()) != 1) {
    return Status::Permanent(subject, "cannot sign the token request with the private_key");
  }
  sig.resize(sig_len);
  return signing_input + "." + Base64Url(sig);
}

Result<AccessToken> ParseTokenAnswer(std::string_view body, std::string_view subject) {
  nlohmann::json doc = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) return Status::Permanent(subject, "the token answer is not a JSON object");
  AccessToken t;
  if (auto it = doc.find("access_token"); it != doc.end() && it->is_string()) {
    t.value = it->get<std::string>();
  }
  if (t.value.empty()) return Status::Permanent(subject, "the token answer has no access_token");
  auto exp = doc.find("expires_in");
  if (exp == doc.end() || !exp->is_number_integer() || exp->get<int64_t>() < 0) {
    return Status::Permanent(subject, "the token answer has no valid expires_in");
  }
  t.expires_in = std::chrono::seconds(exp->get<int64_t>());
  if (auto type = doc.find("token_type");
      type != doc.end() && (!type->is_string() || type->get<std::string>() != "Bearer")) {
    return Status::Permanent(subject, "the token answer's token_type is not Bearer");
  }
  return t;
}

Result<std::unique_ptr<TokenSource>> MakeTokenSource(const GcsStoreConfig& cfg,
                                                     std::shared_ptr<GcsHttp> http) {
  switch (cfg.auth) {
    case GcsStoreConfig::Auth::kNone:
      return std::unique_ptr<TokenSource>(std::make_unique<AnonymousTokenSource>());
    case GcsStoreConfig::Auth::kMetadata:
      return std::unique_ptr<TokenSource>(std::make_unique<MetadataTokenSource>(
          cfg.metadata_host.empty() ? "metadata.google.internal" : cfg.metadata_host,
          std::move(http)));
    case GcsStoreConfig::Auth::kServiceAccount:
      break;
  }
  if (cfg.credentials_file.empty()) {
    return Status::InvalidArgument(kCredentialsKey, "is required with auth: service_account");
  }
  std::ifstream in(cfg.credentials_file, std::ios::binary);
  if (!in) {
    return Status::InvalidArgument(
        kCredentialsKey, "cannot read " + cfg.credentials_file + ": " + std::strerror(errno));
  }
  std::stringstream buf;
  buf << in.rdbuf();
  Result<ServiceAccountKey> parsed = ParseServiceAccountKey(buf.str(), kCredentialsKey);
  if (!parsed.ok()) return parsed.status().WithContext(cfg.credentials_file);
  ServiceAccountKey key = std::move(parsed).value();
  // Sign once now, so that a bad key is a config error when the store opens.
  KB_RETURN_IF_ERROR(MakeSignedJwt(key, kStorageScope, 0, kCredentialsKey)
                         .status()
                         .WithContext(cfg.credentials_file));
  return std::unique_ptr<TokenSource>(std::make_unique<ServiceAccountTokenSource>(
      std::move(key), cfg.credentials_file, std::move(http)));
}

}  // namespace kb::storage::gcs
