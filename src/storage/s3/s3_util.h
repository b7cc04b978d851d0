// Small pure helpers of the S3 wire protocol: AWS URI encoding, digests, XML error parsing.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "storage/http/uri.h"

namespace kb::storage::s3 {

// URI encoding as SigV4 wants it (storage/http/uri.h).
using http::UriDecode;
using http::UriEncode;

// Lower-case hex SHA-256 of `data`, or of `parts` concatenated.
std::string Sha256Hex(std::string_view data);
std::string Sha256Hex(std::span<const std::string_view> parts);

// Base64 MD5 of `data`, or of `parts` concatenated (the Content-MD5 header).
std::string Md5Base64(std::string_view data);
std::string Md5Base64(std::span<const std::string_view> parts);

// x-amz-object-lock-retain-until-date for an upload at `now_ms` locked for `retention_ms`:
// ISO 8601 UTC with whole seconds ("2026-12-04T23:36:07Z"), rounded UP so that an object is never
// locked for less than `retention_ms`.
std::string RetainUntilDate(int64_t now_ms, int64_t retention_ms);

// Parses an ISO 8601 UTC timestamp as S3 sends it in x-amz-object-lock-retain-until-date
// ("2026-12-04T23:36:07Z", "2026-12-04T23:36:07.123Z", "+00:00" also accepted) into Unix ms;
// nullopt when it is not one.
std::optional<int64_t> ParseIso8601Ms(std::string_view text);

// Whether requests to `host` (an endpoint's host[:port]) must use path-style URLs
// (scheme://host/bucket/key) whatever storage.s3.path_style says, as the AWS SDKs do: an IPv4 or
// bracketed IPv6 address, or localhost (and *.localhost), has no bucket.host DNS name.
bool HostNeedsPathStyle(std::string_view host);

// Escapes text for inclusion in an XML element.
std::string XmlEscape(std::string_view in);

// The <Code> and <Message> of an S3 XML error body; empty strings if the body is not one.
struct S3Error {
  std::string code;
  std::string message;
};
S3Error ParseS3Error(std::string_view body);

}  // namespace kb::storage::s3
