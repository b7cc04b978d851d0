#include "storage/gcs/gcs_client.h"

#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <nlohmann/json.hpp>

#include "storage/gcs/gcs_response.h"
#include "storage/http/curl_io.h"
#include "storage/http/http_batch.h"

namespace kb::storage::gcs {
namespace {

// "bytes=0-N" of a 308 answer: N + 1 persisted bytes; no header: none.
Result<uint64_t> PersistedFromRange(const GcsHttpResponse& resp, const std::string& key) {
  auto it = resp.headers.find("range");
  if (it == resp.headers.end()) return uint64_t{0};
  const std::string& r = it->second;
  const size_t dash = r.find('-');
  uint64_t last = 0;
  if (!r.starts_with("bytes=0-") || dash == std::string::npos) {
    return Status::Permanent(key, "resumable upload answer has an unexpected Range '" + r + "'");
  }
  auto [end, ec] = std::from_chars(r.data() + dash + 1, r.data() + r.size(), last);
  if (ec != std::errc() || end != r.data() + r.size()) {
    return Status::Permanent(key, "resumable upload answer has an unexpected Range '" + r + "'");
  }
  return last + 1;
}

}  // namespace

Result<std::unique_ptr<GcsClient>> GcsClient::Make(const GcsStoreConfig& cfg) {
  if (!GcsHttp::GlobalInit()) return Status::Permanent("libcurl", "curl_global_init failed");
  if (cfg.bucket.empty()) return Status::InvalidArgument("storage.gcs.bucket", "is required");
  if (!cfg.endpoint.starts_with("http://") && !cfg.endpoint.starts_with("https://")) {
    return Status::InvalidArgument("storage.gcs.endpoint",
                                   "'" + cfg.endpoint + "' must look like https://host[:port]");
  }
  if (!cfg.ca_bundle.empty() && ::access(cfg.ca_bundle.c_str(), R_OK) != 0) {
    return Status::InvalidArgument(
        "storage.gcs.ca_bundle",
        "cannot read the CA bundle " + cfg.ca_bundle + ": " + std::strerror(errno));
  }
  GcsStoreConfig c = cfg;
  while (!c.endpoint.empty() && c.endpoint.back() == '/') c.endpoint.pop_back();
  auto http = std::make_shared<GcsHttp>(c.ca_bundle);
  KB_ASSIGN_OR_RETURN(std::unique_ptr<TokenSource> tokens, MakeTokenSource(c, http));
  return std::unique_ptr<GcsClient>(new GcsClient(std::move(c), http, std::move(tokens)));
}

std::string GcsClient::ObjectUrl(const std::string& key) const {
  return cfg_.endpoint + "/storage/v1/b/" + PercentEncode(cfg_.bucket) + "/o/" + PercentEncode(key);
}

Result<GcsHttpResponse> GcsClient::Send(GcsHttpRequest req, const std::string& subject,
                                        bool allow_308) {
  Result<std::string> token = tokens_->Token();
  if (!token.ok()) {
    return token.status().WithContext(std::string(req.method) + " " + subject);
  }
  if (!token->empty()) req.headers.push_back("Authorization: Bearer " + *token);
  KB_ASSIGN_OR_RETURN(GcsHttpResponse resp, http_->Perform(req, subject));
  if ((resp.status >= 200 && resp.status < 300) || (allow_308 && resp.status == 308)) return resp;
  // A refused token (revoked, or expired early) is not sent again.
  if (resp.status == 401 && !token->empty()) tokens_->Invalidate(*token);
  return MapGcsError(resp.status, resp.body, subject,
                     std::string(req.method) + " " + RedactUrl(req.url));
}

Status GcsClient::InsertMultipart(const std::string& key, std::span<const std::string_view> parts) {
  const std::string boundary = http::MultipartBoundary(parts);
  const std::string head = "--" + boundary +
                           "\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n" +
                           nlohmann::json({{"name", key}}).dump() + "\r\n--" + boundary +
                           "\r\nContent-Type: application/octet-stream\r\n\r\n";
  const std::string tail = "\r\n--" + boundary + "--\r\n";
  std::vector<std::string_view> body;
  body.reserve(parts.size() + 2);
  body.push_back(head);
  body.insert(body.end(), parts.begin(), parts.end());
  body.push_back(tail);
  GcsHttpRequest req{.method = "POST",
                     .url = cfg_.endpoint + "/upload/storage/v1/b/" + PercentEncode(cfg_.bucket) +
                            "/o?uploadType=multipart&fields=size",
                     .headers = {"Content-Type: multipart/related; boundary=" + boundary},
                     .body = body};
  return Send(std::move(req), key).status();
}

Result<std::string> GcsClient::StartResumable(const std::string& key, uint64_t size) {
  const std::string meta = nlohmann::json({{"name", key}}).dump();
  const std::string_view body[] = {meta};
  GcsHttpRequest req{.method = "POST",
                     .url = cfg_.endpoint + "/upload/storage/v1/b/" + PercentEncode(cfg_.bucket) +
                            "/o?uploadType=resumable",
                     .headers = {"Content-Type: application/json; charset=UTF-8",
                                 "X-Upload-Content-Type: application/octet-stream",
                                 "X-Upload-Content-Length: " + std::to_string(size)},
                     .body = body};
  KB_ASSIGN_OR_RETURN(GcsHttpResponse resp, Send(std::move(req), key));
  auto it = resp.headers.find("location");
  if (it == resp.headers.end() || it->second.empty()) {
    return Status::Permanent(key, "resumable upload start answer has no Location");
  }
  return it->second;
}

Result<uint64_t> GcsClient::UploadChunk(const std::string& session, const std::string& key,
                                        uint64_t offset, std::span<const std::string_view> parts,
                                        uint64_t total) {
  uint64_t len = 0;
  for (std::string_view p : parts) len += p.size();
  const std::string range = len == 0 ? "bytes */" + std::to_string(total)
                                     : "bytes " + std::to_string(offset) + "-" +
                                           std::to_string(offset + len - 1) + "/" +
                                           std::to_string(total);
  GcsHttpRequest req{
      .method = "PUT", .url = session, .headers = {"Content-Range: " + range}, .body = parts};
  KB_ASSIGN_OR_RETURN(GcsHttpResponse resp, Send(std::move(req), key, /*allow_308=*/true));
  if (resp.status == 308) return PersistedFromRange(resp, key);
  return total;
}

Status GcsClient::CancelResumable(const std::string& session, const std::string& key) {
  GcsHttpRequest req{.method = "DELETE", .url = session};
  Result<GcsHttpResponse> r = Send(std::move(req), key);
  // GCS answers a cancelled session 499.
  if (!r.ok() && r.status().message().starts_with("HTTP 499")) return Status::OK();
  return r.status();
}

Result<std::string> GcsClient::GetMedia(const std::string& key,
                                        std::optional<std::pair<uint64_t, uint64_t>> range) {
  GcsHttpRequest req{.method = "GET", .url = ObjectUrl(key) + "?alt=media"};
  if (range) {
    req.headers.push_back("Range: bytes=" + std::to_string(range->first) + "-" +
                          (range->second == UINT64_MAX ? "" : std::to_string(range->second)));
  }
  KB_ASSIGN_OR_RETURN(GcsHttpResponse resp, Send(std::move(req), key));
  return std::move(resp.body);
}

Result<uint64_t> GcsClient::GetSize(const std::string& key) {
  GcsHttpRequest req{.method = "GET", .url = ObjectUrl(key) + "?fields=size"};
  KB_ASSIGN_OR_RETURN(GcsHttpResponse resp, Send(std::move(req), key));
  return ParseObjectSize(resp.body, key);
}

Result<ListPage> GcsClient::List(const std::string& prefix, const std::string& token,
                                 size_t max_keys) {
  std::string url =
      cfg_.endpoint + "/storage/v1/b/" + PercentEncode(cfg_.bucket) +
      "/o?fields=items(name%2Csize)%2CnextPageToken&maxResults=" + std::to_string(max_keys);
  if (!prefix.empty()) url += "&prefix=" + PercentEncode(prefix);
  if (!token.empty()) url += "&pageToken=" + PercentEncode(token);
  GcsHttpRequest req{.method = "GET", .url = url};
  KB_ASSIGN_OR_RETURN(GcsHttpResponse resp, Send(std::move(req), Describe()));
  return ParseObjectList(resp.body, Describe());
}

Result<int64_t> GcsClient::ServerTimeMs() {
  GcsHttpRequest req{.method = "GET",
                     .url = cfg_.endpoint + "/storage/v1/b/" + PercentEncode(cfg_.bucket) +
                            "/o?fields=nextPageToken&maxResults=1"};
  KB_ASSIGN_OR_RETURN(GcsHttpResponse resp, Send(std::move(req), Describe()));
  const int64_t ms = http::DateHeaderMs(resp.headers);
  if (ms < 0)
    return Status::Permanent(Describe(), "the objects.list answer has no readable Date header");
  return ms;
}

Status GcsClient::DeleteObject(const std::string& key) {
  GcsHttpRequest req{.method = "DELETE", .url = ObjectUrl(key)};
  Result<GcsHttpResponse> r = Send(std::move(req), key);
  if (!r.ok() && r.status().IsNotFound()) return Status::OK();
  return r.status();
}

Status GcsClient::DeleteBatch(const std::vector<std::string>& keys) {
  if (keys.empty()) return Status::OK();
  if (keys.size() > kMaxBatch) {
    return Status::InvalidArgument(Describe(), "a batch holds at most 100 deletes");
  }
  if (keys.size() == 1) return DeleteObject(keys[0]);
  std::vector<http::BatchPart> subs;
  for (size_t i = 0; i < keys.size(); ++i) {
    subs.push_back(
        {.content_id = "<" + std::to_string(i + 1) + ">",
         .method = "DELETE",
         .target = "/storage/v1/b/" + PercentEncode(cfg_.bucket) + "/o/" + PercentEncode(keys[i])});
  }
  std::vector<std::string_view> targets;
  for (const http::BatchPart& sub : subs) targets.push_back(sub.target);
  const std::string boundary = http::MultipartBoundary(targets);
  const std::string body = http::BuildHttpBatch(boundary, subs);
  const std::string_view parts[] = {body};
  GcsHttpRequest req{.method = "POST",
                     .url = cfg_.endpoint + "/batch/storage/v1",
                     .headers = {"Content-Type: multipart/mixed; boundary=" + boundary},
                     .body = parts};
  KB_ASSIGN_OR_RETURN(GcsHttpResponse resp, Send(std::move(req), keys[0]));
  auto ct = resp.headers.find("content-type");
  KB_ASSIGN_OR_RETURN(
      std::vector<http::BatchPartAnswer> answers,
      http::ParseHttpBatch(Describe(), ct == resp.headers.end() ? "" : ct->second, resp.body));
  if (answers.size() != keys.size()) {
    return Status::Permanent(Describe(), "batch delete of " + std::to_string(keys.size()) +
                                             " objects got " + std::to_string(answers.size()) +
                                             " answers");
  }
  for (size_t i = 0; i < answers.size(); ++i) {
    const http::BatchPartAnswer& a = answers[i];
    // Content-ID "<response-N>" answers part N (1-based); the order sent otherwise.
    size_t k = i;
    if (const size_t at = a.content_id.find("response-"); at != std::string::npos) {
      size_t n = 0;
      const char* first = a.content_id.data() + at + 9;
      auto [p, ec] = std::from_chars(first, a.content_id.data() + a.content_id.size(), n);
      if (ec == std::errc() && n >= 1 && n <= keys.size()) k = n - 1;
    }
    if ((a.status >= 200 && a.status < 300) || a.status == 404) continue;
    return MapGcsError(a.status, a.body, keys[k], "DELETE in a batch request");
  }
  return Status::OK();
}

}  // namespace kb::storage::gcs
