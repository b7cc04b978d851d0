#include "storage/azure/azure_client.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <pugixml.hpp>
#include <sstream>

#include "common/error_map.h"
#include "storage/azure/azure_batch.h"
#include "storage/azure/azure_errors.h"
#include "storage/azure/azure_response.h"
#include "storage/http/curl_io.h"
#include "storage/http/http_batch.h"
#include "storage/http/uri.h"

namespace kb::storage::azure {
namespace {

struct SlistDel {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using SlistPtr = std::unique_ptr<curl_slist, SlistDel>;

// RFC 1123 date in GMT, as x-ms-date wants it.
std::string MsDateNow() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[utc.tm_wday],
                utc.tm_mday, kMonths[utc.tm_mon], utc.tm_year + 1900, utc.tm_hour, utc.tm_min,
                utc.tm_sec);
  return buf;
}

// Splits "scheme://host[:port][/path]" into "scheme://host[:port]" and "/path" ("" when none).
Status ParseEndpoint(const std::string& endpoint, std::string* base, std::string* path) {
  const size_t sep = endpoint.find("://");
  const std::string scheme = sep == std::string::npos ? "" : endpoint.substr(0, sep);
  if (scheme != "http" && scheme != "https") {
    return Status::InvalidArgument("storage.azure.endpoint",
                                   "'" + endpoint + "' must look like https://host[:port][/path]");
  }
  const size_t slash = endpoint.find('/', sep + 3);
  *base = endpoint.substr(0, slash);
  *path = slash == std::string::npos ? "" : endpoint.substr(slash);
  while (path->ends_with('/')) path->pop_back();
  if (base->size() == sep + 3 || path->find_first_of("?#") != std::string::npos) {
    return Status::InvalidArgument("storage.azure.endpoint",
                                   "'" + endpoint + "' must look like https://host[:port][/path]");
  }
  return Status::OK();
}

std::string XmlBlockList(const std::vector<std::string>& ids) {
  pugi::xml_document doc;
  pugi::xml_node decl = doc.append_child(pugi::node_declaration);
  decl.append_attribute("version") = "1.0";
  decl.append_attribute("encoding") = "utf-8";
  pugi::xml_node list = doc.append_child("BlockList");
  for (const std::string& id : ids) list.append_child("Latest").text().set(id.c_str());
  std::ostringstream out;
  doc.save(out, "", pugi::format_raw);
  return out.str();
}

// A refused batch as the store reads it: NotImplemented when the service does not offer Blob
// Batch here (an emulator without it, an account kind that refuses it), so that the store deletes
// one blob at a time; credentials, a missing container and transient errors stay as they are.
// Azurite answers a batch under an account SAS with a bare HTTP 500 (no error code, which Azure's
// own 500s always carry; FromAzureError writes "HTTP 500:" when there is none).
Status BatchRefused(const Status& s) {
  const bool bare_500 = s.IsRetryable() && s.message().starts_with("HTTP 500:");
  if (s.code() != Status::Code::kPermanent && s.code() != Status::Code::kNotFound &&
      s.code() != Status::Code::kInvalidArgument && !bare_500) {
    return s;
  }
  if (s.message().find("ContainerNotFound") != std::string::npos) return s;
  return Status::NotImplemented(s.subject(), "the service refused Blob Batch: " + s.message());
}

}  // namespace

Result<std::unique_ptr<AzureClient>> AzureClient::Make(const AzureStoreConfig& cfg,
                                                       const EnvFn& env) {
  static const bool curl_ready = [] { return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK; }();
  if (!curl_ready) return Status::Permanent("libcurl", "curl_global_init failed");
  if (cfg.container.empty())
    return Status::InvalidArgument("storage.azure.container", "is required");
  if (!cfg.endpoint.empty()) {
    std::string base, path;
    KB_RETURN_IF_ERROR(ParseEndpoint(cfg.endpoint, &base, &path));
  }
  if (!cfg.ca_bundle.empty() && ::access(cfg.ca_bundle.c_str(), R_OK) != 0) {
    return Status::InvalidArgument(
        "storage.azure.ca_bundle",
        "cannot read the CA bundle " + cfg.ca_bundle + ": " + std::strerror(errno));
  }
  EnvFn lookup = env ? env : [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    return v == nullptr ? std::nullopt : std::optional<std::string>(v);
  };
  KB_ASSIGN_OR_RETURN(AzureCredentials creds, ResolveAzureCredentials(cfg, lookup));
  std::string base, path;
  KB_RETURN_IF_ERROR(ParseEndpoint(creds.endpoint, &base, &path));
  auto client = std::unique_ptr<AzureClient>(new AzureClient(cfg, std::move(creds), base, path));
  spdlog::info("Azure Blob Storage {} at {}: {}", client->Describe(), client->creds_.endpoint,
               client->creds_.source);
  return client;
}

AzureClient::AzureClient(AzureStoreConfig cfg, AzureCredentials creds, std::string base_url,
                         std::string base_path)
    : cfg_(std::move(cfg)),
      creds_(std::move(creds)),
      base_url_(std::move(base_url)),
      base_path_(std::move(base_path)) {}

AzureClient::~AzureClient() {
  for (CURL* h : idle_) curl_easy_cleanup(h);
}

std::string AzureClient::Describe() const {
  return "azure://" + creds_.account + "/" + cfg_.container;
}

CURL* AzureClient::Acquire() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!idle_.empty()) {
      CURL* h = idle_.back();
      idle_.pop_back();
      curl_easy_reset(h);
      return h;
    }
  }
  return curl_easy_init();
}

void AzureClient::Release(CURL* h) {
  std::lock_guard<std::mutex> lock(mu_);
  idle_.push_back(h);
}

std::string AzureClient::PathFor(const std::string& key) const {
  std::string path = base_path_ + "/" + cfg_.container;
  if (!key.empty()) path += "/" + http::UriEncode(BlobNameOf(key), true);
  return path;
}

Result<AzureClient::Response> AzureClient::Send(const Request& req) {
  const std::string subject = req.key.empty() ? Describe() : req.key;
  const std::string path = PathFor(req.key);
  std::string query;
  for (const auto& [k, v] : req.query) {
    query +=
        (query.empty() ? "" : "&") + http::UriEncode(k, false) + "=" + http::UriEncode(v, false);
  }
  if (creds_.kind == AzureCredentials::Kind::kSas) {
    query += (query.empty() ? "" : "&") + creds_.sas_token;
  }
  const std::string url = base_url_ + path + (query.empty() ? "" : "?" + query);
  const std::string where = std::string(req.method) + " " + RedactSas(url);

  size_t length = 0;
  for (std::string_view p : req.upload) length += p.size();
  std::vector<std::pair<std::string, std::string>> ms = req.ms_headers;
  ms.emplace_back("x-ms-date", MsDateNow());
  ms.emplace_back("x-ms-version", std::string(kApiVersion));
  SlistPtr headers;
  auto add_header = [&headers](const std::string& hdr) {
    headers.reset(curl_slist_append(headers.release(), hdr.c_str()));
  };
  for (const auto& [name, value] : ms) add_header(name + ": " + value);
  const std::string_view method(req.method);
  const bool has_body = method == "PUT" || method == "POST";
  // libcurl adds none of these by itself for an upload; Expect would only cost a round trip.
  add_header("Expect:");
  if (has_body) add_header("Content-Type: " + req.content_type);
  if (creds_.kind != AzureCredentials::Kind::kSas) {
    SharedKeyInput in{.method = req.method,
                      .content_length = has_body ? length : 0,
                      .content_type = has_body ? req.content_type : "",
                      .ms_headers = ms,
                      .account = creds_.account,
                      .path = path,
                      .query = req.query};
    KB_ASSIGN_OR_RETURN(std::string auth, Authorization(in, where));
    add_header("Authorization: " + auth);
  }

  CURL* h = Acquire();
  if (h == nullptr) return Status::Permanent(subject, "curl_easy_init failed");
  Response resp;
  char errbuf[CURL_ERROR_SIZE] = {0};
  http::UploadSource upload{.parts = req.upload, .size = length};
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, http::WriteBody);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &resp.body);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, http::WriteHeader);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &resp.headers);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1024L);
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 30L);
  curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
  if (!cfg_.ca_bundle.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, cfg_.ca_bundle.c_str());
  if (req.head) {
    curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  } else if (has_body) {
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    if (method == "POST") curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "POST");
    curl_easy_setopt(h, CURLOPT_READFUNCTION, http::ReadBody);
    curl_easy_setopt(h, CURLOPT_READDATA, &upload);
    curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, http::SeekBody);
    curl_easy_setopt(h, CURLOPT_SEEKDATA, &upload);
    curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(length));
  } else if (method != "GET") {
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req.method);
  }
  const CURLcode rc = curl_easy_perform(h);
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp.status);
  if (rc != CURLE_OK) {
    curl_easy_cleanup(h);
    std::string detail = RedactSas(errbuf) + " (" + where + ")";
    if (rc == CURLE_PEER_FAILED_VERIFICATION) {
      detail += ": the store's TLS certificate is not trusted; set storage.azure.ca_bundle";
    }
    return FromCurlError(rc, subject, detail);
  }
  Release(h);
  if (resp.status < 200 || resp.status >= 300) {
    AzureError e = ParseAzureError(resp.body);
    if (e.code.empty()) {
      auto it = resp.headers.find("x-ms-error-code");
      if (it != resp.headers.end()) e.code = it->second;
    }
    return FromAzureError(resp.status, e.code, subject,
                          e.message.empty() ? where : e.message + " (" + where + ")");
  }
  return resp;
}

Result<std::string> AzureClient::Authorization(const SharedKeyInput& in, const std::string& where) {
  switch (creds_.kind) {
    case AzureCredentials::Kind::kSharedKey:
      return SharedKeyAuthorization(creds_.account, creds_.key, SharedKeyStringToSign(in),
                                    "storage.azure.key");
    case AzureCredentials::Kind::kBearer: {
      Result<std::string> token = creds_.tokens->Token();
      if (!token.ok()) return token.status().WithContext(where);
      return "Bearer " + *token;
    }
    case AzureCredentials::Kind::kSas:
      break;
  }
  return std::string();
}

Status AzureClient::PutBlob(const std::string& key, std::span<const std::string_view> parts) {
  Request req{.method = "PUT", .key = key, .upload = parts};
  req.ms_headers = {{"x-ms-blob-type", "BlockBlob"}};
  return Send(req).status();
}

Status AzureClient::PutBlock(const std::string& key, const std::string& block_id,
                             std::span<const std::string_view> parts) {
  Request req{.method = "PUT",
              .key = key,
              .query = {{"comp", "block"}, {"blockid", block_id}},
              .upload = parts};
  return Send(req).status();
}

Status AzureClient::PutBlockList(const std::string& key,
                                 const std::vector<std::string>& block_ids) {
  const std::string body = XmlBlockList(block_ids);
  const std::string_view view(body);
  Request req{.method = "PUT",
              .key = key,
              .query = {{"comp", "blocklist"}},
              .upload = std::span<const std::string_view>(&view, 1)};
  return Send(req).status();
}

Result<std::string> AzureClient::GetBlob(const std::string& key,
                                         std::optional<std::pair<uint64_t, uint64_t>> range) {
  Request req{.method = "GET", .key = key};
  if (range) {
    req.ms_headers.emplace_back(
        "x-ms-range", "bytes=" + std::to_string(range->first) + "-" +
                          (range->second == UINT64_MAX ? "" : std::to_string(range->second)));
  }
  KB_ASSIGN_OR_RETURN(Response resp, Send(req));
  return std::move(resp.body);
}

Result<uint64_t> AzureClient::GetBlobSize(const std::string& key) {
  Request req{.method = "HEAD", .key = key, .head = true};
  KB_ASSIGN_OR_RETURN(Response resp, Send(req));
  auto it = resp.headers.find("content-length");
  if (it == resp.headers.end()) {
    return Status::Permanent(key, "Get Blob Properties answer has no Content-Length");
  }
  uint64_t n = 0;
  for (char c : it->second) {
    if (c < '0' || c > '9' || n > (UINT64_MAX - 9) / 10) {
      return Status::Permanent(key, "Get Blob Properties answer has a bad Content-Length");
    }
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  return n;
}

Result<ListPage> AzureClient::ListBlobs(const std::string& prefix, const std::string& marker,
                                        size_t max_results) {
  Request req{.method = "GET"};
  req.query = {
      {"restype", "container"}, {"comp", "list"}, {"maxresults", std::to_string(max_results)}};
  if (!prefix.empty()) req.query.emplace_back("prefix", BlobNameOf(prefix));
  if (!marker.empty()) req.query.emplace_back("marker", marker);
  KB_ASSIGN_OR_RETURN(Response resp, Send(req));
  return ParseListBlobs(prefix, resp.body);
}

Status AzureClient::DeleteBlob(const std::string& key) {
  Request req{.method = "DELETE", .key = key};
  req.ms_headers = {{"x-ms-delete-snapshots", "include"}};
  return Send(req).status();
}

Result<std::vector<Status>> AzureClient::DeleteBlobs(const std::vector<std::string>& keys) {
  if (keys.empty()) return std::vector<Status>();
  if (keys.size() > kMaxBatchSize) {
    return Status::InvalidArgument(
        keys.front(), "a Blob Batch holds at most " + std::to_string(kMaxBatchSize) + " deletes");
  }
  const std::string date = MsDateNow();
  std::vector<http::BatchPart> subs;
  std::vector<std::string_view> targets;
  subs.reserve(keys.size());
  for (const std::string& key : keys) {
    http::BatchPart sub{
        .content_id = std::to_string(subs.size()), .method = "DELETE", .target = PathFor(key)};
    sub.headers = {{"x-ms-date", date}, {"x-ms-delete-snapshots", "include"}};
    if (creds_.kind == AzureCredentials::Kind::kSas) {
      sub.target += "?" + creds_.sas_token;
    } else {
      SharedKeyInput in{.method = "DELETE",
                        .ms_headers = sub.headers,
                        .account = creds_.account,
                        .path = sub.target};
      KB_ASSIGN_OR_RETURN(std::string auth, Authorization(in, "Blob Batch of " + key));
      sub.headers.emplace_back("Authorization", std::move(auth));
    }
    sub.headers.emplace_back("Content-Length", "0");
    subs.push_back(std::move(sub));
  }
  for (const http::BatchPart& sub : subs) targets.push_back(sub.target);
  const std::string boundary = http::MultipartBoundary(targets);
  const std::string body = http::BuildHttpBatch(boundary, subs);
  const std::string_view view(body);
  Request req{.method = "POST",
              .query = {{"restype", "container"}, {"comp", "batch"}},
              .upload = std::span<const std::string_view>(&view, 1),
              .content_type = "multipart/mixed; boundary=" + boundary};
  const std::string subject = Describe() + " (Blob Batch)";
  Result<Response> resp = Send(req);
  if (!resp.ok()) return BatchRefused(resp.status());
  auto ct = resp->headers.find("content-type");
  KB_ASSIGN_OR_RETURN(
      std::vector<http::BatchPartAnswer> parts,
      http::ParseHttpBatch(subject, ct == resp->headers.end() ? "" : ct->second, resp->body));
  KB_ASSIGN_OR_RETURN(BatchAnswer answer, ReadBatchAnswer(subject, parts, keys.size()));
  if (answer.whole) {
    return BatchRefused(FromAzureError(answer.whole->status < 300 ? 400 : answer.whole->status,
                                       answer.whole->error_code, subject, answer.whole->message));
  }
  std::vector<Status> out;
  out.reserve(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    const BatchSubResponse& r = answer.each[i];
    out.push_back(FromAzureError(r.status, r.error_code, keys[i], r.message));
  }
  return out;
}

Result<int64_t> AzureClient::ServerTimeMs() {
  Request req{.method = "GET",
              .query = {{"restype", "container"}, {"comp", "list"}, {"maxresults", "1"}}};
  KB_ASSIGN_OR_RETURN(Response resp, Send(req));
  const int64_t ms = http::DateHeaderMs(resp.headers);
  if (ms < 0)
    return Status::Permanent(Describe(), "the List Blobs answer has no readable Date header");
  return ms;
}

Status AzureClient::CreateContainer() {
  Request req{.method = "PUT", .query = {{"restype", "container"}}};
  Status s = Send(req).status();
  if (s.code() == Status::Code::kFailedPrecondition &&
      s.message().find("ContainerAlreadyExists") != std::string::npos) {
    return Status::OK();
  }
  return s;
}

}  // namespace kb::storage::azure
