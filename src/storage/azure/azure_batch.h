// Azure's Blob Batch (container scope) on the shared multipart codec (storage/http/http_batch.h):
// the Content-IDs are the sub-requests' indexes ("0", "1", ...), and the answer is read back
// into one outcome per sub-request, or the service's refusal of the whole batch.
//
// Failure contract: ReadBatchAnswer never throws; an answer whose Content-IDs are not exactly the
// sub-requests' is Permanent naming `subject`. Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "storage/http/http_batch.h"

namespace kb::storage::azure {

// Azure's limit on sub-requests in one batch.
inline constexpr size_t kMaxBatchSize = 256;

struct BatchSubResponse {
  long status = 0;
  std::string error_code;  // x-ms-error-code, else the XML body's <Code>
  std::string message;     // the XML body's <Message>, else the status line's reason
};

struct BatchAnswer {
  // One per sub-request, in sub-request order; empty when `whole` is set.
  std::vector<BatchSubResponse> each;
  // The service refused the whole batch with one answer that has no Content-ID (Azurite answers
  // so, inside an HTTP 202, to a batch it cannot take).
  std::optional<BatchSubResponse> whole;
};

// Reads the parsed parts of the answer to a batch of `count` sub-requests.
Result<BatchAnswer> ReadBatchAnswer(std::string_view subject,
                                    const std::vector<http::BatchPartAnswer>& parts, size_t count);

}  // namespace kb::storage::azure
