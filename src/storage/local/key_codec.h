// Key <-> file-name mapping of LocalStore (storage/local/local_store.h).
//
// An object key "a/b/c" is stored as the file <root>/a/b/c: every '/'-separated component becomes a
// directory or file name. Names stay readable so an operator can browse a backup with `ls`; only
// what a file system cannot hold, or would misread, is percent-encoded (%XX, upper-case hex):
//   * '%' itself (so decoding is unambiguous) and '~' (reserved: LocalStore's temp files contain
//     '~', so a name with '~' is never an object and listing skips it);
//   * control bytes 0x01-0x1f and 0x7f;
//   * a whole component "." or ".." (as "%2E" and "%2E%2E");
//   * an empty component (from "a//b", a leading or a trailing '/') as a lone "%", which encoding
//     never produces otherwise because a literal '%' is always "%25".
// Everything else (spaces, UTF-8, + = & ? # : @ ! ' ( * ...) is kept as is.
//
// Thread-safety: pure functions. Failure contract: EncodeKey returns InvalidArgument naming the key
// when a component is longer than kMaxNameBytes after encoding; DecodeName returns nullopt for any
// name EncodeComponent would not produce (temp files, foreign files, non-canonical escapes).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace kb::storage::local {

// Longest file name most Linux file systems accept (NAME_MAX).
inline constexpr size_t kMaxNameBytes = 255;

// The file name for one key component (which holds no '/'). May exceed kMaxNameBytes.
std::string EncodeComponent(std::string_view component);

// The component a file name stands for, or nullopt if `name` is not an encoded component.
std::optional<std::string> DecodeName(std::string_view name);

// The encoded components of `key`, one per path level. `key` must pass ValidateKey.
Result<std::vector<std::string>> EncodeKey(std::string_view key);

}  // namespace kb::storage::local
