// Batched HTTP requests: a multipart/mixed body whose parts are application/http requests, and
// the multipart/mixed answer whose parts are the embedded HTTP responses. Both Google Cloud
// Storage (POST /batch/storage/v1) and Azure Blob Storage (Blob Batch) speak it; each backend
// names its parts and maps the answers (gcs_client, azure_batch).
//
// Request body (CRLF line ends), for each part:
//   --<boundary>
//   Content-Type: application/http
//   Content-Transfer-Encoding: binary
//   Content-ID: <content_id>
//   <empty line>
//   <method> <target> HTTP/1.1
//   <name>: <value>              (each of the part's headers)
//   <empty line>
//   <empty line>                 (its line end belongs to the next delimiter, RFC 2046)
// and then "--<boundary>--".
//
// Failure contract: ParseHttpBatch never throws; an answer that is not multipart/mixed with a
// boundary, lacks its closing boundary, or has a part without an HTTP status line is Permanent
// naming `subject` (the body is not quoted). Thread-safety: pure functions.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace kb::storage::http {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct BatchPart {
  std::string content_id;
  std::string method;  // "DELETE"
  std::string target;  // the URL path as sent (encoded), with "?query" if any
  HeaderList headers;
};

// A multipart boundary ("kb_" and 32 random hex digits) that occurs in none of `texts` (also for
// multipart uploads).
std::string MultipartBoundary(std::span<const std::string_view> texts);

std::string BuildHttpBatch(std::string_view boundary, std::span<const BatchPart> parts);

struct BatchPartAnswer {
  std::string content_id;  // the part's Content-ID, "" when absent
  long status = 0;         // of the embedded response
  std::string reason;      // the status line's reason phrase
  HeaderList headers;      // lower-case names, trimmed values
  std::string body;        // without the line ends before the next boundary
};

// The parts of a batch answer, in the order sent. `content_type` is the answer's Content-Type
// header ("multipart/mixed; boundary=...", the boundary possibly quoted).
Result<std::vector<BatchPartAnswer>> ParseHttpBatch(std::string_view subject,
                                                    std::string_view content_type,
                                                    std::string_view body);

// The value of header `lower_name` in `headers`, or "".
std::string_view HeaderValue(const HeaderList& headers, std::string_view lower_name);

}  // namespace kb::storage::http
