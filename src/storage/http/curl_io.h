// The libcurl callbacks every HTTP store client shares (S3, Azure): a response body appended to a
// std::string, response headers collected by lower-case name, and a PUT body read from the parts
// of an object without copying them together (rewindable, for curl's redirects and resends).
//
// Ownership: the caller owns the string, map and UploadSource passed as userdata and keeps them
// alive for the transfer. Failure contract: the callbacks never fail except SeekBody on a position
// outside the body (CURL_SEEKFUNC_FAIL). Thread-safety: each transfer uses its own userdata.
#pragma once

#include <curl/curl.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>

namespace kb::storage::http {

// CURLOPT_WRITEFUNCTION; userdata: std::string*.
size_t WriteBody(char* ptr, size_t size, size_t nmemb, void* userdata);

// CURLOPT_HEADERFUNCTION; userdata: std::map<std::string, std::string>* (lower-case names, the
// last value of a repeated header; cleared at each status line, e.g. after "100 Continue").
size_t WriteHeader(char* ptr, size_t size, size_t nmemb, void* userdata);

// The time in the "date" header of `headers` (lower-case names, as WriteHeader collects them), in
// milliseconds since the epoch (HTTP dates have whole seconds); -1 when absent or unreadable.
int64_t DateHeaderMs(const std::map<std::string, std::string>& headers);

// A PUT body given in parts; curl reads it in order and may rewind it (a redirect or resend).
struct UploadSource {
  std::span<const std::string_view> parts;
  size_t size = 0;  // of all parts
  size_t part = 0;  // read position: parts[part], `offset` bytes in
  size_t offset = 0;
};

// CURLOPT_READFUNCTION and CURLOPT_SEEKFUNCTION; userdata: UploadSource*.
size_t ReadBody(char* buffer, size_t size, size_t nitems, void* userdata);
int SeekBody(void* userdata, curl_off_t offset, int origin);

}  // namespace kb::storage::http
