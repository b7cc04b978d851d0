// Parsers of what S3 answers: the XML bodies of ListObjectsV2, DeleteObjects and
// CreateMultipartUpload (error bodies: ParseS3Error in s3_util.h) and the Content-Length of a
// HEAD answer. Pure functions over the bytes the server sent, separate from S3Client so that they
// can be tested and fuzzed (s3_response_fuzz.cc) without a server.
//
// Failure contract: whatever the bytes, they return (never throw); a malformed answer is Permanent
// naming `subject` (the prefix or key the request was for).
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "storage/object_store.h"

namespace kb::storage::s3 {

// One page of a ListObjectsV2 answer (a ListBucketResult). Keys are URL-decoded when the answer
// says EncodingType url; a missing or empty Size is 0. Permanent if the body is not a
// ListBucketResult, a Size is not a decimal number that fits in 64 bits, or the page is truncated
// without a NextContinuationToken.
Result<ListPage> ParseListObjectsV2(std::string_view subject, std::string_view body);

// The first per-key <Error> of a DeleteObjects answer (a DeleteResult) other than NoSuchKey (an
// object already gone is deleted); nullopt when there is none or the body is not XML.
struct DeleteError {
  std::string key;
  std::string code;
  std::string message;
};
std::optional<DeleteError> ParseDeleteErrors(std::string_view body);

// The UploadId of a CreateMultipartUpload answer (an InitiateMultipartUploadResult); Permanent
// naming `subject` when there is none.
Result<std::string> ParseUploadId(std::string_view subject, std::string_view body);

// The value of a Content-Length header: decimal digits only, fitting in 64 bits; Permanent naming
// `subject` otherwise.
Result<uint64_t> ParseContentLength(std::string_view subject, std::string_view value);

}  // namespace kb::storage::s3
