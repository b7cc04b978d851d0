#include "storage/azure/azure_auth.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/ascii.h"
#include "crypto/key_ring.h"
#include "storage/http/simple_http.h"
#include "storage/http/uri.h"

namespace kb::storage::azure {
namespace {

std::string Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

}  // namespace

std::string SharedKeyStringToSign(const SharedKeyInput& in) {
  std::string s = in.method + "\n";
  s += "\n";  // Content-Encoding
  s += "\n";  // Content-Language
  s += (in.content_length == 0 ? std::string() : std::to_string(in.content_length)) + "\n";
  s += "\n";  // Content-MD5
  s += in.content_type + "\n";
  s += "\n\n\n\n\n\n";  // Date, If-Modified-Since, If-Match, If-None-Match, If-Unmodified-Since,
                        // Range
  std::vector<std::pair<std::string, std::string>> headers;
  for (const auto& [name, value] : in.ms_headers)
    headers.emplace_back(AsciiLower(name), Trim(value));
  std::sort(headers.begin(), headers.end());
  for (const auto& [name, value] : headers) s += name + ":" + value + "\n";
  s += "/" + in.account + in.path;
  std::vector<std::pair<std::string, std::string>> query;
  for (const auto& [name, value] : in.query) query.emplace_back(AsciiLower(name), value);
  std::sort(query.begin(), query.end());
  for (size_t i = 0; i < query.size();) {
    // Repeated names: one line, values sorted and comma-separated.
    std::string line = "\n" + query[i].first + ":" + query[i].second;
    size_t j = i + 1;
    for (; j < query.size() && query[j].first == query[i].first; ++j) line += "," + query[j].second;
    s += line;
    i = j;
  }
  return s;
}

Result<std::string> SharedKeyAuthorization(std::string_view account, std::string_view base64_key,
                                           std::string_view string_to_sign,
                                           std::string_view key_subject) {
  std::optional<std::string> key = crypto::DecodeBase64(base64_key);
  if (!key || key->empty()) {
    return Status::InvalidArgument(key_subject,
                                   "the account key is not base64 (as the Azure "
                                   "portal shows it under Access keys)");
  }
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  if (HMAC(EVP_sha256(), key->data(), static_cast<int>(key->size()),
           reinterpret_cast<const unsigned char*>(string_to_sign.data()), string_to_sign.size(),
           mac, &mac_len) == nullptr) {
    return Status::Permanent(key_subject, "HMAC-SHA256 failed");
  }
  return "SharedKey " + std::string(account) + ":" +
         crypto::EncodeBase64(std::string_view(reinterpret_cast<const char*>(mac), mac_len));
}

std::string RedactSas(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    const size_t at = text.find("sig=", i);
    if (at == std::string_view::npos) break;
    const bool starts = at == 0 || text[at - 1] == '?' || text[at - 1] == '&' ||
                        text[at - 1] == ' ' || text[at - 1] == ';' || text[at - 1] == '"' ||
                        text[at - 1] == '\'' || text[at - 1] == '=' || text[at - 1] == '\n';
    out.append(text.substr(i, at + 4 - i));
    i = at + 4;
    if (!starts) continue;
    size_t end = i;
    while (end < text.size() && text[end] != '&' && text[end] != ' ' && text[end] != '"' &&
           text[end] != '\'' && text[end] != ';' && text[end] != '\n' && text[end] != ')' &&
           text[end] != '<') {
      ++end;
    }
    out += "REDACTED";
    i = end;
  }
  out.append(text.substr(std::min(i, text.size())));
  return out;
}

Result<ConnectionString> ParseConnectionString(std::string_view text) {
  ConnectionString out;
  std::string protocol = "https", suffix = "core.windows.net";
  bool dev = false;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find(';', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view part = text.substr(pos, end - pos);
    pos = end + 1;
    if (Trim(part).empty()) continue;
    const size_t eq = part.find('=');
    if (eq == std::string_view::npos) {
      return Status::InvalidArgument("AZURE_STORAGE_CONNECTION_STRING", "a part is not Name=value");
    }
    const std::string name = Trim(part.substr(0, eq));
    const std::string value = Trim(part.substr(eq + 1));
    if (name == "AccountName") out.account = value;
    if (name == "AccountKey") out.key = value;
    if (name == "SharedAccessSignature") out.sas_token = value;
    if (name == "BlobEndpoint") out.blob_endpoint = value;
    if (name == "DefaultEndpointsProtocol") protocol = value;
    if (name == "EndpointSuffix") suffix = value;
    if (name == "UseDevelopmentStorage" && value == "true") dev = true;
  }
  if (dev) {
    // Azurite's well-known development account (public, documented by Microsoft).
    if (out.account.empty()) out.account = "devstoreaccount1";
    if (out.key.empty()) {
      out.key =
          "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/"
          "KBHBeksoGMGw==";
    }
    if (out.blob_endpoint.empty()) out.blob_endpoint = "http://127.0.0.1:10000/" + out.account;
  }
  if (out.blob_endpoint.empty() && !out.account.empty()) {
    out.blob_endpoint = protocol + "://" + out.account + ".blob." + suffix;
  }
  if (out.sas_token.starts_with('?')) out.sas_token.erase(0, 1);
  return out;
}

Result<std::string> TokenSource::Token() {
  std::lock_guard<std::mutex> lock(mu_);
  const auto now = std::chrono::steady_clock::now();
  if (!token_.empty() && now + std::chrono::minutes(5) < expires_) return token_;
  KB_ASSIGN_OR_RETURN(auto fetched, fetch_());
  token_ = std::move(fetched.first);
  expires_ = now + fetched.second;
  return token_;
}

Result<std::pair<std::string, std::chrono::seconds>> ParseTokenAnswer(std::string_view subject,
                                                                      std::string_view body) {
  nlohmann::json j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("access_token") || !j["access_token"].is_string() ||
      j["access_token"].get<std::string>().empty()) {
    return Status::Permanent(subject, "the token answer has no access_token");
  }
  int64_t seconds = -1;
  if (j.contains("expires_in")) {
    const nlohmann::json& e = j["expires_in"];
    if (e.is_number_integer()) {
      seconds = e.get<int64_t>();
    } else if (e.is_string()) {
      const std::string s = e.get<std::string>();
      if (!s.empty() && s.size() < 12 &&
          std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c) != 0; })) {
        seconds = std::stoll(s);
      }
    }
  }
  if (seconds < 0) return Status::Permanent(subject, "the token answer has no valid expires_in");
  return std::make_pair(j["access_token"].get<std::string>(), std::chrono::seconds(seconds));
}

namespace {

// An HTTP answer of a token service as a token, or an error naming `subject` (the body, which may
// echo a client assertion, is not quoted; Azure AD's error code is).
Result<std::pair<std::string, std::chrono::seconds>> TokenFrom(const http::HttpAnswer& a,
                                                               std::string_view subject) {
  if (a.status != 200) {
    nlohmann::json j = nlohmann::json::parse(a.body, nullptr, false);
    std::string code = j.is_object() && j.contains("error") && j["error"].is_string()
                           ? j["error"].get<std::string>()
                           : std::string();
    const std::string msg = "token request answered HTTP " + std::to_string(a.status) +
                            (code.empty() ? "" : " " + code);
    if (a.status == 429 || a.status >= 500) return Status::Retryable(subject, msg);
    return Status::PermissionDenied(subject, msg);
  }
  return ParseTokenAnswer(subject, a.body);
}

}  // namespace

std::shared_ptr<TokenSource> MakeWorkloadIdentitySource(const IdentityEnvironment& env) {
  std::string authority = env.authority_host;
  while (!authority.empty() && authority.back() == '/') authority.pop_back();
  const std::string url = authority + "/" + env.tenant_id + "/oauth2/v2.0/token";
  return std::make_shared<TokenSource>(
      [env, url]() -> Result<std::pair<std::string, std::chrono::seconds>> {
        std::ifstream in(env.federated_token_file);
        if (!in) {
          return Status::PermissionDenied("AZURE_FEDERATED_TOKEN_FILE",
                                          "cannot read " + env.federated_token_file);
        }
        std::stringstream ss;
        ss << in.rdbuf();
        const std::string assertion = Trim(ss.str());
        http::HttpRequest req{.method = "POST", .url = url, .ca_bundle = env.ca_bundle};
        req.headers = {"Content-Type: application/x-www-form-urlencoded"};
        req.body =
            "client_assertion_type=" +
            http::UriEncode("urn:ietf:params:oauth:client-assertion-type:jwt-bearer", false) +
            "&client_assertion=" + http::UriEncode(assertion, false) +
            "&client_id=" + http::UriEncode(env.client_id, false) +
            "&grant_type=client_credentials&scope=" +
            http::UriEncode("https://storage.azure.com/.default", false);
        KB_ASSIGN_OR_RETURN(http::HttpAnswer a, http::PerformHttp(req, "azure workload identity"));
        return TokenFrom(a, "azure workload identity (" + url + ")");
      },
      "workload identity");
}

std::shared_ptr<TokenSource> MakeManagedIdentitySource(const IdentityEnvironment& env) {
  std::string url = env.imds;
  while (!url.empty() && url.back() == '/') url.pop_back();
  url += "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=" +
         http::UriEncode("https://storage.azure.com/", false);
  if (!env.client_id.empty()) url += "&client_id=" + http::UriEncode(env.client_id, false);
  return std::make_shared<TokenSource>(
      [url]() -> Result<std::pair<std::string, std::chrono::seconds>> {
        http::HttpRequest req{.method = "GET", .url = url};
        req.headers = {"Metadata: true"};
        req.connect_timeout = std::chrono::milliseconds(2000);
        KB_ASSIGN_OR_RETURN(http::HttpAnswer a, http::PerformHttp(req, "azure managed identity"));
        return TokenFrom(a, "azure managed identity (" + url + ")");
      },
      "managed identity");
}

Result<AzureCredentials> ResolveAzureCredentials(const AzureStoreConfig& cfg, const EnvFn& env) {
  auto var = [&env](const char* name) { return env(name).value_or(""); };
  using Auth = AzureStoreConfig::Auth;
  AzureCredentials out;
  out.account = cfg.account.empty() ? var("AZURE_STORAGE_ACCOUNT") : cfg.account;
  out.endpoint = cfg.endpoint;
  std::string key = cfg.key, sas = cfg.sas_token;
  const bool from_file = !key.empty() || !sas.empty();
  std::string key_source = "storage.azure.key", sas_source = "storage.azure.sas_token";
  const bool identity = cfg.auth == Auth::kWorkloadIdentity || cfg.auth == Auth::kManagedIdentity;
  if (!from_file && !identity) {
    // The environment, as Azure's CLI and SDKs read it.
    key_source = "AZURE_STORAGE_KEY";
    sas_source = "AZURE_STORAGE_SAS_TOKEN";
    if (cfg.auth != Auth::kSas) key = var("AZURE_STORAGE_KEY");
    if (cfg.auth != Auth::kSharedKey && key.empty()) sas = var("AZURE_STORAGE_SAS_TOKEN");
    if (key.empty() && sas.empty()) {
      if (std::string cs = var("AZURE_STORAGE_CONNECTION_STRING"); !cs.empty()) {
        KB_ASSIGN_OR_RETURN(ConnectionString c, ParseConnectionString(cs));
        key_source = sas_source = "AZURE_STORAGE_CONNECTION_STRING";
        if (out.account.empty()) out.account = c.account;
        if (out.endpoint.empty()) out.endpoint = c.blob_endpoint;
        if (cfg.auth != Auth::kSas) key = c.key;
        if (cfg.auth != Auth::kSharedKey && key.empty()) sas = c.sas_token;
      }
    }
  }
  if (sas.starts_with('?')) sas.erase(0, 1);
  if (out.account.empty()) {
    return Status::InvalidArgument("storage.azure.account",
                                   "is required (or AZURE_STORAGE_ACCOUNT, or a connection string "
                                   "in AZURE_STORAGE_CONNECTION_STRING)");
  }
  if (out.endpoint.empty()) out.endpoint = "https://" + out.account + ".blob.core.windows.net";
  while (out.endpoint.ends_with('/')) out.endpoint.pop_back();
  IdentityEnvironment idenv{.federated_token_file = var("AZURE_FEDERATED_TOKEN_FILE"),
                            .client_id = var("AZURE_CLIENT_ID"),
                            .tenant_id = var("AZURE_TENANT_ID"),
                            .ca_bundle = cfg.ca_bundle};
  if (std::string h = var("AZURE_AUTHORITY_HOST"); !h.empty()) idenv.authority_host = h;
  if (std::string h = var("AZURE_IMDS_ENDPOINT"); !h.empty()) idenv.imds = h;
  Auth auth = cfg.auth;
  if (auth == Auth::kAuto) {
    if (!key.empty()) {
      auth = Auth::kSharedKey;
    } else if (!sas.empty()) {
      auth = Auth::kSas;
    } else if (!idenv.federated_token_file.empty()) {
      auth = Auth::kWorkloadIdentity;
    } else {
      return Status::InvalidArgument(
          "storage.azure.auth",
          "no Azure credentials: set storage.azure.key or sas_token, AZURE_STORAGE_KEY, "
          "AZURE_STORAGE_SAS_TOKEN or AZURE_STORAGE_CONNECTION_STRING, or auth: "
          "workload_identity / managed_identity");
    }
  }
  switch (auth) {
    case Auth::kSharedKey:
      if (key.empty()) {
        return Status::InvalidArgument("storage.azure.key",
                                       "auth is shared_key but no key is given (storage.azure.key, "
                                       "AZURE_STORAGE_KEY or the connection string's AccountKey)");
      }
      if (!crypto::DecodeBase64(key)) {
        return Status::InvalidArgument("storage.azure.key", "the account key is not base64");
      }
      out.kind = AzureCredentials::Kind::kSharedKey;
      out.key = key;
      out.source = "shared key from " + key_source;
      break;
    case Auth::kSas:
      if (sas.empty()) {
        return Status::InvalidArgument("storage.azure.sas_token",
                                       "auth is sas but no SAS token is given (storage.azure."
                                       "sas_token, AZURE_STORAGE_SAS_TOKEN or the connection "
                                       "string's SharedAccessSignature)");
      }
      if (sas.find("sig=") == std::string::npos) {
        return Status::InvalidArgument("storage.azure.sas_token", "has no sig= parameter");
      }
      out.kind = AzureCredentials::Kind::kSas;
      out.sas_token = sas;
      out.source = "SAS token from " + sas_source;
      break;
    case Auth::kWorkloadIdentity:
      for (const char* name :
           {"AZURE_FEDERATED_TOKEN_FILE", "AZURE_CLIENT_ID", "AZURE_TENANT_ID"}) {
        if (var(name).empty()) {
          return Status::InvalidArgument(name,
                                         "is not set (storage.azure.auth is workload_identity)");
        }
      }
      out.kind = AzureCredentials::Kind::kBearer;
      out.tokens = MakeWorkloadIdentitySource(idenv);
      out.source =
          "workload identity (client id " + idenv.client_id + ", tenant " + idenv.tenant_id + ")";
      break;
    case Auth::kManagedIdentity:
      out.kind = AzureCredentials::Kind::kBearer;
      out.tokens = MakeManagedIdentitySource(idenv);
      out.source = "managed identity";
      break;
    case Auth::kAuto:
      break;
  }
  // Over plain http only to this machine (a local proxy or a test server).
  const bool loopback = out.endpoint.starts_with("http://127.0.0.1") ||
                        out.endpoint.starts_with("http://localhost") ||
                        out.endpoint.starts_with("http://[::1]");
  if (out.kind == AzureCredentials::Kind::kBearer && !out.endpoint.starts_with("https://") &&
      !loopback) {
    return Status::InvalidArgument(
        "storage.azure.endpoint",
        "Azure AD tokens are sent over https only (" + out.endpoint + " is not)");
  }
  return out;
}

}  // namespace kb::storage::azure
