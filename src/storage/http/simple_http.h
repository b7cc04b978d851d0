// One plain HTTP(S) request to a credential service (AWS STS and instance metadata, Azure AD and
// Azure instance metadata), over libcurl.
// Unsigned; one attempt; no connection reuse (a few requests an hour).
//
// Failure contract: a transfer failure (no HTTP answer) is mapped by common/error_map's
// FromCurlError with `subject`; any HTTP answer, error statuses included, is returned for the
// caller to interpret. The URL (never the body or a header value) appears in error messages: put
// no secret in it.
// Thread-safety: reentrant (curl_global_init is done by the store clients before any call).
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "common/status.h"

namespace kb::storage::http {

struct HttpRequest {
  const char* method = "GET";  // GET, PUT or POST
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  std::string body;
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds timeout{30000};
  std::string ca_bundle;  // empty: the system trust store
};

struct HttpAnswer {
  long status = 0;
  std::string body;
};

Result<HttpAnswer> PerformHttp(const HttpRequest& req, std::string_view subject);

}  // namespace kb::storage::http
