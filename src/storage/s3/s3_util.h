// Small pure helpers of the S3 wire protocol: AWS URI encoding, digests, XML error parsing.
//
// Thread-safety: pure functions.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace kb::storage::s3 {

// AWS SigV4 URI encoding: every byte except A-Z a-z 0-9 - . _ ~ becomes %XX (upper-case hex).
// With keep_slash, '/' is kept (object key paths); otherwise it is encoded (query values).
std::string UriEncode(std::string_view in, bool keep_slash);

// Reverses %XX escapes (and '+' is kept literally, as S3's encoding-type=url uses %20 for spaces).
std::string UriDecode(std::string_view in);

// Lower-case hex SHA-256 of `data`, or of `parts` concatenated.
std::string Sha256Hex(std::string_view data);
std::string Sha256Hex(std::span<const std::string_view> parts);

// Base64 MD5 of `data` (the Content-MD5 header).
std::string Md5Base64(std::string_view data);

// Escapes text for inclusion in an XML element.
std::string XmlEscape(std::string_view in);

// The <Code> and <Message> of an S3 XML error body; empty strings if the body is not one.
struct S3Error {
  std::string code;
  std::string message;
};
S3Error ParseS3Error(std::string_view body);

}  // namespace kb::storage::s3
