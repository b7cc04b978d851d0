// ExcludedKeys: the record keys a restore leaves out (`restore --exclude-keys FILE`), e.g. for
// erasure requests that arrived after the backup was taken. Every record whose key is one of them
// is not produced; the offset map has a hole where it was (restore/offset_map.h), so consumer
// group translation stays exact.
//
// File format (ParseExcludedKeys), one entry per line, lines split at '\n':
//   - a trailing '\r' is removed (CRLF files), and a UTF-8 byte order mark at the very start of
//     the file is ignored;
//   - an empty line is skipped, and so is a line whose first character is '#' (a comment);
//   - "base64:<data>" is a key given in base64 (RFC 4648 standard alphabet, '=' padding optional):
//     binary keys, keys with a trailing '\r' or with whitespace at either end; "base64:" alone is
//     the empty (zero-length, non-null) key;
//   - "text:<key>" is the rest of the line taken literally (for a key that starts with '#',
//     "base64:" or "text:", or that has whitespace at either end);
//   - any other line is the key itself, byte for byte. A plain line with a space or tab at either
//     end is refused: trailing whitespace is invisible and mostly a copy-paste accident, and a key
//     that silently does not match would bring back a record that had to stay out (write
//     "text:<key>" or base64 when the whitespace belongs to the key).
// Keys are compared byte for byte with the record key. A null key (no key at all) never matches
// anything: records without a key are always restored. Duplicate entries count once. A file with
// no key is refused (an exclusion that excludes nothing is most likely the wrong file).
//
// Keys may be personal data: they are never printed, logged or stored. What identifies a list is
// its size and Digest(), the SHA-256 of the sorted distinct keys (each preceded by its length as
// 8 bytes big-endian), which the restore keeps in its restore record's selection
// (RestoreSelection::Describe) so that a resumed restore with another list is refused.
//
// Failure contract: ParseExcludedKeys returns InvalidArgument with subject "--exclude-keys" and a
// message naming the file and the line number (never the line's content); LoadExcludedKeys
// returns InvalidArgument naming the flag, the path and the system's reason for a file that
// cannot be opened or read (a bad flag value: exit 2).
// Thread-safety: immutable after construction; Contains may be called from any number of threads.
// Lookups hash the key (one hash set; 100k+ keys are fine).
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>

#include "common/status.h"

namespace kb::restore {

class ExcludedKeys {
 public:
  // Whether a record with this key is left out (never for a null key).
  bool Contains(const std::optional<std::string_view>& key) const {
    return key.has_value() && keys_.find(*key) != keys_.end();
  }
  size_t size() const { return keys_.size(); }
  // Lines that repeated a key already listed (counted once).
  size_t duplicates() const { return duplicates_; }
  // Lower-case hex SHA-256 of the key set (see above); the same for every order and duplicate.
  const std::string& Digest() const { return digest_; }
  // Where the keys were read from (for messages), "" when parsed from text.
  const std::string& path() const { return path_; }

 private:
  friend Result<ExcludedKeys> ParseExcludedKeys(std::string_view text, std::string_view path);
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_set<std::string, Hash, std::equal_to<>> keys_;
  size_t duplicates_ = 0;
  std::string digest_;
  std::string path_;
};

// Parses the file format above; `path` is only used to name the file in errors.
Result<ExcludedKeys> ParseExcludedKeys(std::string_view text, std::string_view path);
// Reads and parses the file at `path`.
Result<std::shared_ptr<const ExcludedKeys>> LoadExcludedKeys(const std::string& path);

// Strict base64 (standard alphabet, padding optional); nullopt for anything else.
std::optional<std::string> DecodeBase64(std::string_view text);

}  // namespace kb::restore
