// SigV4: AWS Signature Version 4 for S3 requests, computed by kafka-backup itself.
//
// libcurl signs every other request (CURLOPT_AWS_SIGV4). Before curl 8.10 it sorts the canonical
// headers by "name:value" lines instead of by name, so a header whose name extends another's
// (x-amz-server-side-encryption-aws-kms-key-id after x-amz-server-side-encryption) lands in the
// wrong place and S3 answers 403 SignatureDoesNotMatch. Requests that carry such headers are signed
// here instead (s3_client.cc decides), following the published algorithm:
// https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html
//
// Thread-safety: pure functions. Secrets: the secret key only enters the HMAC; nothing here logs.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kb::storage::s3 {

struct SigV4Request {
  std::string method;         // "GET", "PUT", ...
  std::string canonical_uri;  // the URI-encoded path, e.g. "/bucket/a%24b" (UriEncode, keep '/')
  std::string canonical_query = {};  // "k=v&k2=v2": encoded, sorted by key (empty when none)
  // Every header to sign, e.g. host, x-amz-date, x-amz-content-sha256, x-amz-*; names in any case.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string payload_hash;  // hex SHA-256 of the body, or "UNSIGNED-PAYLOAD"
};

struct SigV4Key {
  std::string access_key_id;
  std::string secret_access_key;
  std::string region;   // e.g. "us-east-1"
  std::string service;  // "s3"
};

// The canonical request (exposed for tests and for debugging a 403 without secrets).
std::string CanonicalRequest(const SigV4Request& req);

// The value of the Authorization header for `req` at `amz_date` ("YYYYMMDDTHHMMSSZ", the value
// of the request's x-amz-date header).
std::string SignV4(const SigV4Request& req, const SigV4Key& key, std::string_view amz_date);

}  // namespace kb::storage::s3
