// Percent-encoding of URL paths and query values, as AWS SigV4 and Azure Blob Storage both want it.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

namespace kb::storage::http {

// URI encoding (AWS SigV4's, also right for Azure): every byte except A-Z a-z 0-9 - . _ ~ becomes
// %XX (upper-case hex). With keep_slash, '/' is kept (object key paths); otherwise it is encoded
// (query values).
std::string UriEncode(std::string_view in, bool keep_slash);

// Reverses %XX escapes (and '+' is kept literally, as S3's encoding-type=url uses %20 for spaces).
std::string UriDecode(std::string_view in);

}  // namespace kb::storage::http
