#include "storage/http/simple_http.h"

#include <curl/curl.h>

#include <memory>

#include "common/error_map.h"

namespace kb::storage::http {
namespace {

size_t Append(char* ptr, size_t size, size_t nmemb, void* userdata) {
  static_cast<std::string*>(userdata)->append(ptr, size * nmemb);
  return size * nmemb;
}

}  // namespace

Result<HttpAnswer> PerformHttp(const HttpRequest& req, std::string_view subject) {
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> h(curl_easy_init(), curl_easy_cleanup);
  if (!h) return Status::Permanent(subject, "curl_easy_init failed");
  curl_slist* raw_headers = nullptr;
  for (const std::string& hdr : req.headers)
    raw_headers = curl_slist_append(raw_headers, hdr.c_str());
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> headers(raw_headers,
                                                                      curl_slist_free_all);
  HttpAnswer answer;
  char errbuf[CURL_ERROR_SIZE] = {0};
  const std::string method = req.method;
  CURL* c = h.get();
  curl_easy_setopt(c, CURLOPT_URL, req.url.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, Append);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &answer.body);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_NOPROXY, "169.254.169.254,fd00:ec2::254");
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(req.connect_timeout.count()));
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(req.timeout.count()));
  if (!req.ca_bundle.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, req.ca_bundle.c_str());
  if (method == "POST" || method == "PUT") {
    if (method == "PUT") curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "PUT");
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, req.body.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(req.body.size()));
  }
  CURLcode rc = curl_easy_perform(c);
  if (rc != CURLE_OK) {
    return FromCurlError(rc, subject, std::string(errbuf) + " (" + method + " " + req.url + ")");
  }
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &answer.status);
  return answer;
}

}  // namespace kb::storage::http
