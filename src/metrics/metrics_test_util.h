// Test helpers shared by the metrics tests: the text exposition of a registry, the value of one
// series in it, and a minimal libcurl HTTP client. Test-only; not part of kb_metrics.
#pragma once

#include <curl/curl.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <optional>
#include <sstream>
#include <string>
#include <string_view>

namespace kb::metrics::testing {

inline std::string Exposition(const prometheus::Registry& registry) {
  return prometheus::TextSerializer().Serialize(registry.Collect());
}

// The value of the series written exactly as `series` ("name{a=\"x\",b=\"y\"}" with labels in
// alphabetical order, as prometheus-cpp writes them), or nullopt if the exposition lacks it.
inline std::optional<double> SeriesValue(const std::string& exposition, std::string_view series) {
  std::istringstream lines(exposition);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 &&
        line[series.size()] == ' ') {
      return std::stod(line.substr(series.size() + 1));
    }
  }
  return std::nullopt;
}

struct HttpResponse {
  long status = 0;  // 0: the request failed; see error
  std::string body;
  std::string content_type;
  std::string error;
};

// One request to http://<address><path>; HEAD when method is "HEAD", a body-less POST for "POST".
inline HttpResponse HttpRequest(const std::string& address, const std::string& path,
                                const std::string& method = "GET") {
  HttpResponse out;
  CURL* curl = curl_easy_init();
  if (curl == nullptr) {
    out.error = "curl_easy_init failed";
    return out;
  }
  const std::string url = "http://" + address + path;
  char error[CURL_ERROR_SIZE] = "";
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 10'000L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
  if (method == "HEAD") curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  if (method == "POST") curl_easy_setopt(curl, CURLOPT_POSTFIELDS, "");
  using WriteFn = size_t (*)(char*, size_t, size_t, void*);
  WriteFn write = [](char* data, size_t size, size_t n, void* user) -> size_t {
    static_cast<std::string*>(user)->append(data, size * n);
    return size * n;
  };
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, write);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &out.body);
  const CURLcode rc = curl_easy_perform(curl);
  if (rc == CURLE_OK) {
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &out.status);
    const char* type = nullptr;
    curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &type);
    if (type != nullptr) out.content_type = type;
  } else {
    out.error = std::string(curl_easy_strerror(rc)) + ": " + error;
  }
  curl_easy_cleanup(curl);
  return out;
}

}  // namespace kb::metrics::testing
