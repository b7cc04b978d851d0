#include "storage/s3/s3_client.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <string_view>

#include "common/error_map.h"
#include "storage/http/curl_io.h"
#include "storage/s3/s3_response.h"
#include "storage/s3/s3_util.h"
#include "storage/s3/sigv4.h"

namespace kb::storage::s3 {
namespace {

using http::ReadBody;
using http::SeekBody;
using http::UploadSource;
using http::WriteBody;
using http::WriteHeader;

constexpr std::string_view kKmsKeyIdHeader = "x-amz-server-side-encryption-aws-kms-key-id";

// "YYYYMMDDTHHMMSSZ", UTC: the x-amz-date of a request signed here.
std::string AmzDateNow() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char buf[20];
  std::strftime(buf, sizeof(buf), "%Y%m%dT%H%M%SZ", &utc);
  return buf;
}

struct SlistDel {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using SlistPtr = std::unique_ptr<curl_slist, SlistDel>;

// Splits "scheme://host[:port][/]" and rejects anything else.
Status ParseEndpoint(const std::string& endpoint, std::string* scheme, std::string* host) {
  size_t sep = endpoint.find("://");
  if (sep == std::string::npos) {
    return Status::InvalidArgument("storage.s3.endpoint",
                                   "'" + endpoint + "' must look like https://host[:port]");
  }
  *scheme = endpoint.substr(0, sep);
  if (*scheme != "http" && *scheme != "https") {
    return Status::InvalidArgument("storage.s3.endpoint", "scheme must be http or https");
  }
  std::string rest = endpoint.substr(sep + 3);
  while (!rest.empty() && rest.back() == '/') rest.pop_back();
  if (rest.empty() || rest.find('/') != std::string::npos) {
    return Status::InvalidArgument("storage.s3.endpoint",
                                   "'" + endpoint + "' must be scheme://host[:port] with no path");
  }
  *host = rest;
  return Status::OK();
}

}  // namespace

Result<std::unique_ptr<S3Client>> S3Client::Make(const S3StoreConfig& cfg) {
  return Make(cfg, ProcessCredentialsEnvironment());
}

Result<std::unique_ptr<S3Client>> S3Client::Make(const S3StoreConfig& in,
                                                 const CredentialsEnvironment& world) {
  static const bool curl_ready = [] { return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK; }();
  if (!curl_ready) return Status::Permanent("libcurl", "curl_global_init failed");
  if (in.bucket.empty()) return Status::InvalidArgument("storage.s3.bucket", "is required");
  std::string scheme, host;
  if (!in.endpoint.empty()) KB_RETURN_IF_ERROR(ParseEndpoint(in.endpoint, &scheme, &host));
  // Config errors before the credentials are looked for (which may ask a metadata service).
  KB_RETURN_IF_ERROR(ValidateS3UploadOptions(in));
  KB_ASSIGN_OR_RETURN(ResolvedCredentials resolved, MakeDefaultCredentialsProvider(in, world));
  S3StoreConfig cfg = in;
  cfg.region = resolved.region;
  std::string endpoint =
      cfg.endpoint.empty() ? "https://s3." + cfg.region + ".amazonaws.com" : cfg.endpoint;
  KB_RETURN_IF_ERROR(ParseEndpoint(endpoint, &scheme, &host));
  if (!cfg.ca_bundle.empty() && ::access(cfg.ca_bundle.c_str(), R_OK) != 0) {
    return Status::InvalidArgument(
        "storage.s3.ca_bundle",
        "cannot read the CA bundle " + cfg.ca_bundle + ": " + std::strerror(errno));
  }
  // An IP address or localhost has no bucket.host name: path style whatever the config says.
  if (HostNeedsPathStyle(host)) cfg.path_style = true;
  std::string base =
      cfg.path_style ? scheme + "://" + host : scheme + "://" + cfg.bucket + "." + host;
  using Signing = S3StoreConfig::PayloadSigning;
  if (cfg.payload_signing == Signing::kNever && scheme != "https") {
    return Status::InvalidArgument("storage.s3.payload_signing",
                                   "'never' needs an https endpoint (" + endpoint + " is not)");
  }
  auto client = std::unique_ptr<S3Client>(new S3Client(cfg, base, std::move(resolved.provider)));
  client->unsigned_payload_ = cfg.payload_signing == Signing::kNever ||
                              (cfg.payload_signing == Signing::kAuto && scheme == "https");
  return client;
}

S3Client::S3Client(S3StoreConfig cfg, std::string scheme_host,
                   std::shared_ptr<CredentialsProvider> credentials)
    : cfg_(std::move(cfg)),
      base_url_(std::move(scheme_host)),
      sigv4_("aws:amz:" + cfg_.region + ":s3"),
      credentials_(std::move(credentials)) {}

S3Client::~S3Client() {
  for (CURL* h : idle_) curl_easy_cleanup(h);
}

CURL* S3Client::Acquire() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!idle_.empty()) {
      CURL* h = idle_.back();
      idle_.pop_back();
      curl_easy_reset(h);  // keeps the handle's live connections
      return h;
    }
  }
  return curl_easy_init();
}

void S3Client::Release(CURL* h) {
  std::lock_guard<std::mutex> lock(mu_);
  idle_.push_back(h);
}

std::string S3Client::Url(const Request& req) const { return UrlFor(req.key, req.query); }

std::string S3Client::UrlFor(const std::string& key,
                             const std::vector<std::pair<std::string, std::string>>& query) const {
  const std::string q = QueryString(query);
  return base_url_ + PathFor(key) + (q.empty() ? "" : "?" + q);
}

std::string S3Client::PathFor(const std::string& key) const {
  std::string path;
  if (cfg_.path_style) path += "/" + UriEncode(cfg_.bucket, false);
  if (!key.empty() || !cfg_.path_style) path += "/";
  return path + UriEncode(key, true);
}

std::string S3Client::QueryString(const std::vector<std::pair<std::string, std::string>>& query) {
  std::vector<std::pair<std::string, std::string>> q;
  for (const auto& [k, v] : query) q.emplace_back(UriEncode(k, false), UriEncode(v, false));
  std::sort(q.begin(), q.end());
  std::string out;
  for (const auto& [k, v] : q) out += (out.empty() ? "" : "&") + k + "=" + v;
  return out;
}

bool S3Client::SignedHere(const Request& req) {
  return std::any_of(req.headers.begin(), req.headers.end(), [](const std::string& h) {
    return h.starts_with(kKmsKeyIdHeader) && h.size() > kKmsKeyIdHeader.size() &&
           h[kKmsKeyIdHeader.size()] == ':';
  });
}

Result<HttpResponse> S3Client::Send(const Request& req) {
  // The subject is the key (as for every ObjectStore); the message says which bucket.
  const std::string subject = req.key.empty() ? "s3://" + cfg_.bucket : req.key;
  // One snapshot signs the whole request (a refresh in another thread cannot mix two).
  Result<Credentials> creds = credentials_->Get();
  if (!creds.ok()) {
    return creds.status().WithContext(std::string(req.method) + " " + subject);
  }
  CURL* h = Acquire();
  if (h == nullptr) return Status::Permanent(subject, "curl_easy_init failed");

  HttpResponse resp;
  std::string url = Url(req);
  SlistPtr headers;
  auto add_header = [&headers](const std::string& hdr) {
    headers.reset(curl_slist_append(headers.release(), hdr.c_str()));
  };
  const std::string payload_hash = PayloadHash(req);
  add_header("x-amz-content-sha256: " + payload_hash);
  if (!creds->session_token.empty()) add_header("x-amz-security-token: " + creds->session_token);
  for (const std::string& hdr : req.headers) add_header(hdr);
  const bool signed_here = SignedHere(req);
  if (signed_here) {
    SigV4Request sig{.method = req.method,
                     .canonical_uri = PathFor(req.key),
                     .canonical_query = QueryString(req.query),
                     .headers = {},
                     .payload_hash = payload_hash};
    const std::string host = base_url_.substr(base_url_.find("://") + 3);
    const std::string amz_date = AmzDateNow();
    sig.headers = {
        {"host", host}, {"x-amz-date", amz_date}, {"x-amz-content-sha256", payload_hash}};
    if (!creds->session_token.empty()) {
      sig.headers.emplace_back("x-amz-security-token", creds->session_token);
    }
    for (const std::string& hdr : req.headers) {
      const size_t colon = hdr.find(':');
      sig.headers.emplace_back(hdr.substr(0, colon), hdr.substr(colon + 1));
    }
    add_header("Host: " + host);
    add_header("x-amz-date: " + amz_date);
    add_header("Authorization: " + SignV4(sig,
                                          {.access_key_id = creds->access_key_id,
                                           .secret_access_key = creds->secret_access_key,
                                           .region = cfg_.region,
                                           .service = "s3"},
                                          amz_date));
  }

  char errbuf[CURL_ERROR_SIZE] = {0};
  UploadSource upload{.parts = req.upload};
  for (std::string_view p : req.upload) upload.size += p.size();
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  if (!signed_here) {
    curl_easy_setopt(h, CURLOPT_AWS_SIGV4, sigv4_.c_str());
    curl_easy_setopt(h, CURLOPT_USERNAME, creds->access_key_id.c_str());
    curl_easy_setopt(h, CURLOPT_PASSWORD, creds->secret_access_key.c_str());
  }
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, WriteBody);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &resp.body);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, WriteHeader);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &resp.headers);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
  // A transfer stalled below 1 KiB/s for 30 s is a timeout; big objects may take long otherwise.
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1024L);
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 30L);
  curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
  if (!cfg_.ca_bundle.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, cfg_.ca_bundle.c_str());
  std::string method = req.method;
  if (req.head) {
    curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  } else if (method == "PUT") {
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, ReadBody);
    curl_easy_setopt(h, CURLOPT_READDATA, &upload);
    curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, SeekBody);
    curl_easy_setopt(h, CURLOPT_SEEKDATA, &upload);
    curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(upload.size));
  } else if (method == "POST") {
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, req.body.data());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(req.body.size()));
  } else if (method != "GET") {
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req.method);
  }

  CURLcode rc = curl_easy_perform(h);
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp.status);
  if (rc != CURLE_OK) {
    // Discard the handle: its connection state is unknown.
    curl_easy_cleanup(h);
    std::string detail = std::string(errbuf) + " (" + req.method + " " + url + ")";
    if (rc == CURLE_PEER_FAILED_VERIFICATION) {
      detail +=
          cfg_.ca_bundle.empty()
              ? ": the store's TLS certificate is not trusted by the system trust store; "
                "set storage.s3.ca_bundle (or AWS_CA_BUNDLE) to the CA that signed it"
              : ": the store's TLS certificate is not signed by a CA in storage.s3.ca_bundle " +
                    cfg_.ca_bundle;
    }
    return FromCurlError(rc, subject, detail);
  }
  Release(h);
  if (resp.status < 200 || resp.status >= 300) {
    S3Error e = ParseS3Error(resp.body);
    std::string where = std::string(req.method) + " " + url;
    if (req.object_lock && resp.status == 400) {
      // S3 answers a locked upload to a bucket without Object Lock "400 InvalidRequest: Bucket is
      // missing Object Lock Configuration"; retrying cannot help.
      return Status::Permanent("storage.s3.object_lock",
                               "the server refused the object lock of " + subject + " (" + e.code +
                                   ": " + e.message + "); the bucket " + cfg_.bucket +
                                   " must have Object Lock enabled (created with it), or turn "
                                   "storage.s3.object_lock off");
    }
    if (std::optional<Status> refused = ClassifyS3UploadOptionRefusal(
            resp.status, e.code, e.message, subject, req.sse, req.storage_class)) {
      return *refused;
    }
    return FromHttpStatus(resp.status, e.code, subject,
                          e.message.empty() ? where : e.message + " (" + where + ")");
  }
  return resp;
}

std::string S3Client::PayloadHash(const Request& req) const {
  if (!req.upload.empty() && unsigned_payload_) return "UNSIGNED-PAYLOAD";
  return req.upload.empty() ? Sha256Hex(req.body) : Sha256Hex(req.upload);
}

void S3Client::AddUploadOptions(Request* req, bool storage_class) const {
  if (!cfg_.sse.empty()) {
    req->sse = cfg_.sse;
    req->headers.push_back("x-amz-server-side-encryption: " + cfg_.sse);
    if (!cfg_.sse_kms_key_id.empty()) {
      req->headers.push_back(std::string(kKmsKeyIdHeader) + ": " + cfg_.sse_kms_key_id);
    }
  }
  if (storage_class && !cfg_.storage_class.empty()) {
    req->storage_class = cfg_.storage_class;
    req->headers.push_back("x-amz-storage-class: " + cfg_.storage_class);
  }
}

void S3Client::AddObjectLock(Request* req) const {
  if (cfg_.object_lock.mode.empty()) return;
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  req->object_lock = true;
  req->headers.push_back("x-amz-object-lock-mode: " + cfg_.object_lock.mode);
  req->headers.push_back("x-amz-object-lock-retain-until-date: " +
                         RetainUntilDate(now_ms, cfg_.object_lock.retention.count()));
}

Status S3Client::PutObject(const std::string& key, std::span<const std::string_view> parts,
                           bool storage_class, bool object_lock) {
  Request req{.method = "PUT", .key = key, .upload = parts};
  AddUploadOptions(&req, storage_class);
  if (object_lock && !cfg_.object_lock.mode.empty()) {
    AddObjectLock(&req);
    req.headers.push_back("Content-MD5: " + Md5Base64(parts));
  }
  return Send(req).status();
}

Result<std::string> S3Client::GetObject(const std::string& key,
                                        std::optional<std::pair<uint64_t, uint64_t>> range) {
  Request req{.method = "GET", .key = key};
  if (range) {
    // An end of UINT64_MAX means "to the end of the object".
    req.headers.push_back("Range: bytes=" + std::to_string(range->first) + "-" +
                          (range->second == UINT64_MAX ? "" : std::to_string(range->second)));
  }
  KB_ASSIGN_OR_RETURN(HttpResponse resp, Send(req));
  return std::move(resp.body);
}

Result<uint64_t> S3Client::HeadObject(const std::string& key) {
  KB_ASSIGN_OR_RETURN(ObjectHeaders h, HeadObjectHeaders(key));
  return h.size;
}

Result<S3Client::ObjectHeaders> S3Client::HeadObjectHeaders(const std::string& key) {
  Request req{.method = "HEAD", .key = key, .head = true};
  KB_ASSIGN_OR_RETURN(HttpResponse resp, Send(req));
  auto it = resp.headers.find("content-length");
  if (it == resp.headers.end()) {
    return Status::Permanent(key, "HEAD answer has no Content-Length");
  }
  ObjectHeaders out;
  KB_ASSIGN_OR_RETURN(out.size, ParseContentLength(key, it->second));
  auto header = [&resp](const char* name) {
    auto h = resp.headers.find(name);
    return h == resp.headers.end() ? std::string() : h->second;
  };
  out.storage_class = header("x-amz-storage-class");
  out.sse = header("x-amz-server-side-encryption");
  out.sse_kms_key_id = header("x-amz-server-side-encryption-aws-kms-key-id");
  out.lock_mode = header("x-amz-object-lock-mode");
  out.version_id = header("x-amz-version-id");
  out.legal_hold = header("x-amz-object-lock-legal-hold") == "ON";
  if (const std::string until = header("x-amz-object-lock-retain-until-date"); !until.empty()) {
    out.lock_retain_until_ms = ParseIso8601Ms(until);
    if (!out.lock_retain_until_ms) {
      return Status::Permanent(
          key,
          "HEAD answer has an x-amz-object-lock-retain-until-date that is not an ISO 8601 "
          "UTC time: '" +
              until + "'");
    }
  }
  return out;
}

Result<std::optional<ObjectLock>> S3Client::GetObjectLock(const std::string& key) {
  KB_ASSIGN_OR_RETURN(ObjectHeaders h, HeadObjectHeaders(key));
  if (!h.lock_retain_until_ms && !h.legal_hold) return std::optional<ObjectLock>();
  return std::optional<ObjectLock>(ObjectLock{.mode = h.lock_mode,
                                              .retain_until_ms = h.lock_retain_until_ms.value_or(0),
                                              .legal_hold = h.legal_hold});
}

Result<int64_t> S3Client::ServerTimeMs() {
  Request req{.method = "HEAD", .head = true};
  KB_ASSIGN_OR_RETURN(HttpResponse resp, Send(req));
  const int64_t ms = http::DateHeaderMs(resp.headers);
  if (ms < 0) return Status::Permanent(Describe(), "the HEAD answer has no readable Date header");
  return ms;
}

Status S3Client::CreateBucket(bool object_lock) {
  Request req{.method = "PUT"};
  if (object_lock) req.headers.push_back("x-amz-bucket-object-lock-enabled: true");
  return Send(req).status();
}

Result<ListPage> S3Client::ListObjectsV2(const std::string& prefix, const std::string& token,
                                         size_t max_keys) {
  Request req{.method = "GET"};
  req.query = {{"list-type", "2"},
               {"prefix", prefix},
               {"max-keys", std::to_string(max_keys)},
               {"encoding-type", "url"}};
  if (!token.empty()) req.query.emplace_back("continuation-token", token);
  KB_ASSIGN_OR_RETURN(HttpResponse resp, Send(req));
  return ParseListObjectsV2(prefix, resp.body);
}

Status S3Client::DeleteObjects(const std::vector<std::string>& keys) {
  if (keys.empty()) return Status::OK();
  if (keys.size() > 1000) {
    return Status::InvalidArgument("s3://" + cfg_.bucket, "DeleteObjects takes at most 1000 keys");
  }
  std::string body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Delete><Quiet>true</Quiet>";
  for (const std::string& k : keys) body += "<Object><Key>" + XmlEscape(k) + "</Key></Object>";
  body += "</Delete>";
  Request req{.method = "POST", .query = {{"delete", ""}}, .body = body};
  req.headers = {"Content-Type: application/xml", "Content-MD5: " + Md5Base64(body)};
  KB_ASSIGN_OR_RETURN(HttpResponse resp, Send(req));
  if (std::optional<DeleteError> e = ParseDeleteErrors(resp.body)) {
    // Per-key errors come in a 200 answer. AccessDenied (also S3's answer for an object its
    // Object Lock protects) is the operator's to fix, not retried; others are server errors.
    return FromHttpStatus(e->code == "AccessDenied" ? 403 : 500, e->code, e->key,
                          "delete failed: " + e->message);
  }
  return Status::OK();
}

Result<std::string> S3Client::CreateMultipartUpload(const std::string& key, bool storage_class,
                                                    bool object_lock) {
  Request req{.method = "POST", .key = key, .query = {{"uploads", ""}}};
  AddUploadOptions(&req, storage_class);
  if (object_lock) AddObjectLock(&req);
  KB_ASSIGN_OR_RETURN(HttpResponse resp, Send(req));
  return ParseUploadId(key, resp.body);
}

Result<std::string> S3Client::UploadPart(const std::string& key, const std::string& upload_id,
                                         int part_number, std::span<const std::string_view> parts,
                                         bool object_lock) {
  Request req{.method = "PUT",
              .key = key,
              .query = {{"partNumber", std::to_string(part_number)}, {"uploadId", upload_id}},
              .upload = parts};
  if (object_lock && !cfg_.object_lock.mode.empty()) {
    req.headers.push_back("Content-MD5: " + Md5Base64(parts));
  }
  KB_ASSIGN_OR_RETURN(HttpResponse resp, Send(req));
  auto it = resp.headers.find("etag");
  if (it == resp.headers.end()) {
    return Status::Permanent(key,
                             "UploadPart " + std::to_string(part_number) + " answer has no ETag");
  }
  return it->second;
}

Status S3Client::CompleteMultipartUpload(const std::string& key, const std::string& upload_id,
                                         const std::vector<std::string>& etags) {
  std::string body = "<CompleteMultipartUpload>";
  for (size_t i = 0; i < etags.size(); ++i) {
    body += "<Part><PartNumber>" + std::to_string(i + 1) + "</PartNumber><ETag>" +
            XmlEscape(etags[i]) + "</ETag></Part>";
  }
  body += "</CompleteMultipartUpload>";
  Request req{.method = "POST", .key = key, .query = {{"uploadId", upload_id}}, .body = body};
  req.headers = {"Content-Type: application/xml"};
  KB_ASSIGN_OR_RETURN(HttpResponse resp, Send(req));
  // S3 may answer 200 and still report an error in the body.
  S3Error e = ParseS3Error(resp.body);
  if (!e.code.empty()) {
    return FromHttpStatus(500, e.code, key, "CompleteMultipartUpload: " + e.message);
  }
  return Status::OK();
}

Status S3Client::AbortMultipartUpload(const std::string& key, const std::string& upload_id) {
  Request req{.method = "DELETE", .key = key, .query = {{"uploadId", upload_id}}};
  return Send(req).status();
}

}  // namespace kb::storage::s3
