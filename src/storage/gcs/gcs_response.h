// The GCS JSON API's answers, parsed, and the one place where GCS errors become project Status
// codes (cf. storage/s3/s3_response.h and common/error_map). Also the percent-encoding of object
// names in request paths and query strings.
//
// Failure contract: malformed answers are Permanent naming the key (or bucket) asked about; error
// messages quote the server's error message and reason, never a request header or a token.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "storage/object_store.h"

namespace kb::storage::gcs {

// Every byte but A-Za-z0-9 - _ . ~ as %XX ('/' too: an object name is one path segment).
std::string PercentEncode(std::string_view s);

// `url` for messages: the value of an upload_id query parameter (a resumable session's id, which
// lets whoever holds it upload to the session) replaced by "REDACTED".
std::string RedactUrl(std::string_view url);

// A non-2xx answer of the JSON API (or of the token endpoint) as a Status with `subject`:
//   404 NotFound; 401 and 403 PermissionDenied (401 says to check storage.gcs credentials),
//   except 403 rateLimitExceeded / userRateLimitExceeded, which are Retryable like 408, 429 and
//   5xx; 412 and 409 FailedPrecondition; 416 InvalidArgument; others Permanent.
// The message has the status, the error's reason and message (from {"error": {...}} when the body
// is that JSON, else the start of the body as text) and `where` (method and URL).
Status MapGcsError(long http_status, std::string_view body, std::string_view subject,
                   std::string_view where);

// The "size" of an object resource (a decimal string in the JSON API).
Result<uint64_t> ParseObjectSize(std::string_view body, std::string_view key);

// An objects.list answer: items[].name and .size, nextPageToken.
Result<ListPage> ParseObjectList(std::string_view body, std::string_view subject);

}  // namespace kb::storage::gcs
