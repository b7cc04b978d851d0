#include "storage/gcs/gcs_http.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <memory>

#include "common/error_map.h"
#include "storage/gcs/gcs_response.h"
#include "storage/http/curl_io.h"

namespace kb::storage::gcs {
namespace {

struct SlistDel {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

}  // namespace

bool GcsHttp::GlobalInit() {
  static const bool ready = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
  return ready;
}

GcsHttp::GcsHttp(std::string ca_bundle) : ca_bundle_(std::move(ca_bundle)) {}

GcsHttp::~GcsHttp() {
  for (CURL* h : idle_) curl_easy_cleanup(h);
}

CURL* GcsHttp::Acquire() {
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

void GcsHttp::Release(CURL* h) {
  std::lock_guard<std::mutex> lock(mu_);
  idle_.push_back(h);
}

Result<GcsHttpResponse> GcsHttp::Perform(const GcsHttpRequest& req, std::string_view subject) {
  if (!GlobalInit()) return Status::Permanent("libcurl", "curl_global_init failed");
  CURL* h = Acquire();
  if (h == nullptr) return Status::Permanent(subject, "curl_easy_init failed");
  std::unique_ptr<curl_slist, SlistDel> headers;
  for (const std::string& hdr : req.headers) {
    headers.reset(curl_slist_append(headers.release(), hdr.c_str()));
  }
  // No "Expect: 100-continue" round trip before a body.
  headers.reset(curl_slist_append(headers.release(), "Expect:"));

  GcsHttpResponse resp;
  char errbuf[CURL_ERROR_SIZE] = {0};
  http::UploadSource body{.parts = req.body};
  for (std::string_view p : req.body) body.size += p.size();
  const std::string method = req.method;
  curl_easy_setopt(h, CURLOPT_URL, req.url.c_str());
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, http::WriteBody);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &resp.body);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, http::WriteHeader);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &resp.headers);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  // The metadata server is reached directly, never through a proxy.
  curl_easy_setopt(h, CURLOPT_NOPROXY, "metadata.google.internal,169.254.169.254");
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1024L);
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 30L);
  curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
  if (req.timeout.count() > 0) {
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(req.timeout.count()));
  }
  if (!ca_bundle_.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, ca_bundle_.c_str());
  if (method == "HEAD") {
    curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  } else if (method == "PUT" || method == "POST") {
    curl_easy_setopt(h, CURLOPT_READFUNCTION, http::ReadBody);
    curl_easy_setopt(h, CURLOPT_READDATA, &body);
    curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, http::SeekBody);
    curl_easy_setopt(h, CURLOPT_SEEKDATA, &body);
    if (method == "PUT") {
      curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
      curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(body.size));
    } else {
      curl_easy_setopt(h, CURLOPT_POST, 1L);
      curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size));
    }
  } else if (method != "GET") {
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req.method);
  }

  const CURLcode rc = curl_easy_perform(h);
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp.status);
  if (rc != CURLE_OK) {
    curl_easy_cleanup(h);  // its connection state is unknown
    std::string detail = std::string(errbuf) + " (" + method + " " + RedactUrl(req.url) + ")";
    if (rc == CURLE_PEER_FAILED_VERIFICATION) {
      detail += ca_bundle_.empty()
                    ? ": the server's TLS certificate is not trusted by the system trust store; "
                      "set storage.gcs.ca_bundle to the CA that signed it"
                    : ": the server's TLS certificate is not signed by a CA in "
                      "storage.gcs.ca_bundle " +
                          ca_bundle_;
    }
    return FromCurlError(rc, subject, detail);
  }
  Release(h);
  return resp;
}

}  // namespace kb::storage::gcs
