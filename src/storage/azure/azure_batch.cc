#include "storage/azure/azure_batch.h"

#include "storage/azure/azure_response.h"

namespace kb::storage::azure {
namespace {

BatchSubResponse SubResponseOf(const http::BatchPartAnswer& part) {
  BatchSubResponse r{.status = part.status,
                     .error_code = std::string(http::HeaderValue(part.headers, "x-ms-error-code")),
                     .message = part.reason};
  const AzureError e = ParseAzureError(part.body);
  if (r.error_code.empty()) r.error_code = e.code;
  if (!e.message.empty()) r.message = e.message;
  return r;
}

}  // namespace

Result<BatchAnswer> ReadBatchAnswer(std::string_view subject,
                                    const std::vector<http::BatchPartAnswer>& parts, size_t count) {
  auto bad = [&](const std::string& why) {
    return Status::Permanent(subject, "malformed Blob Batch answer: " + why);
  };
  BatchAnswer answer;
  if (parts.size() == 1 && parts[0].content_id.empty()) {
    answer.whole = SubResponseOf(parts[0]);
    return answer;
  }
  std::vector<bool> seen(count, false);
  answer.each.resize(count);
  for (const http::BatchPartAnswer& part : parts) {
    size_t id = 0;
    const std::string& cid = part.content_id;
    bool ok = !cid.empty() && cid.size() <= 9;
    for (char c : cid) {
      ok = ok && c >= '0' && c <= '9';
      if (ok) id = id * 10 + static_cast<size_t>(c - '0');
    }
    if (!ok || id >= count) {
      return bad("Content-ID '" + cid.substr(0, 20) + "' is not a sub-request of this batch of " +
                 std::to_string(count));
    }
    if (seen[id]) return bad("Content-ID " + cid + " is answered twice");
    seen[id] = true;
    answer.each[id] = SubResponseOf(part);
  }
  for (size_t i = 0; i < count; ++i) {
    if (!seen[i]) return bad("sub-request " + std::to_string(i) + " has no answer");
  }
  return answer;
}

}  // namespace kb::storage::azure
