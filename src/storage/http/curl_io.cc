#include "storage/http/curl_io.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>

namespace kb::storage::http {

size_t WriteBody(char* ptr, size_t size, size_t nmemb, void* userdata) {
  static_cast<std::string*>(userdata)->append(ptr, size * nmemb);
  return size * nmemb;
}

size_t WriteHeader(char* ptr, size_t size, size_t nmemb, void* userdata) {
  auto* headers = static_cast<std::map<std::string, std::string>*>(userdata);
  std::string_view line(ptr, size * nmemb);
  if (line.starts_with("HTTP/")) {
    headers->clear();  // a new response (e.g. after "100 Continue")
    return size * nmemb;
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return size * nmemb;
  std::string name(line.substr(0, colon));
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) {
    value.remove_suffix(1);
  }
  (*headers)[name] = std::string(value);
  return size * nmemb;
}

size_t ReadBody(char* buffer, size_t size, size_t nitems, void* userdata) {
  auto* src = static_cast<UploadSource*>(userdata);
  const size_t want = size * nitems;
  size_t n = 0;
  while (n < want && src->part < src->parts.size()) {
    std::string_view p = src->parts[src->part].substr(src->offset);
    const size_t take = std::min(want - n, p.size());
    std::memcpy(buffer + n, p.data(), take);
    n += take;
    src->offset += take;
    if (src->offset == src->parts[src->part].size()) {
      ++src->part;
      src->offset = 0;
    }
  }
  return n;
}

int SeekBody(void* userdata, curl_off_t offset, int origin) {
  auto* src = static_cast<UploadSource*>(userdata);
  if (origin != SEEK_SET || offset < 0 || static_cast<size_t>(offset) > src->size) {
    return CURL_SEEKFUNC_FAIL;
  }
  auto left = static_cast<size_t>(offset);
  src->part = 0;
  while (src->part < src->parts.size() && left >= src->parts[src->part].size()) {
    left -= src->parts[src->part].size();
    ++src->part;
  }
  src->offset = left;
  return CURL_SEEKFUNC_OK;
}

int64_t DateHeaderMs(const std::map<std::string, std::string>& headers) {
  auto it = headers.find("date");
  const time_t t = it == headers.end() ? -1 : curl_getdate(it->second.c_str(), nullptr);
  return t < 0 ? -1 : static_cast<int64_t>(t) * 1000;
}

}  // namespace kb::storage::http
