// GcsHttp: the small libcurl wrapper of the GCS backend (the JSON API, the OAuth2 token endpoint
// and the metadata server). It is kept in storage/gcs rather than shared with storage/s3 because
// S3's transport signs with CURLOPT_AWS_SIGV4; what is generic (the curl error mapping) already
// lives in common/error_map.
//
// One Perform is exactly one HTTP request: no retries (storage/retrying_store.h does those). The
// request body is given as parts that are streamed as they are (never copied together). Easy
// handles are pooled so that connections are reused.
//
// Failure contract: a transfer failure (no HTTP answer) is mapped by common/error_map's
// FromCurlError with `subject`; any HTTP answer, error statuses included, is returned for the
// caller to map (storage/gcs/gcs_response.h). Error messages carry the method and the URL (a
// resumable session's upload_id redacted), never a header value or a body: put no other secret
// in a URL (an access token goes in a header).
//
// Thread-safety: Perform may be called concurrently.
#pragma once

#include <curl/curl.h>

#include <chrono>
#include <map>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace kb::storage::gcs {

struct GcsHttpRequest {
  const char* method = "GET";  // GET, HEAD, PUT, POST, DELETE
  std::string url;
  std::vector<std::string> headers;        // "Name: value"
  std::span<const std::string_view> body;  // PUT / POST body, in parts
  std::chrono::milliseconds timeout{0};    // 0: none (a stall below 1 KiB/s for 30 s fails)
};

struct GcsHttpResponse {
  long status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
};

class GcsHttp {
 public:
  // `ca_bundle`: PEM file of the CAs trusted for https URLs ("" = the system trust store).
  explicit GcsHttp(std::string ca_bundle);
  ~GcsHttp();
  GcsHttp(const GcsHttp&) = delete;
  GcsHttp& operator=(const GcsHttp&) = delete;

  Result<GcsHttpResponse> Perform(const GcsHttpRequest& req, std::string_view subject);

  // curl_global_init, once per process; false when it failed.
  static bool GlobalInit();

 private:
  CURL* Acquire();
  void Release(CURL* h);

  const std::string ca_bundle_;
  std::mutex mu_;
  std::vector<CURL*> idle_;
};

}  // namespace kb::storage::gcs
