// KeyRing: the data keys of encryption at rest (storage.encryption, docs/configuration.md), each a
// 32-byte AES-256 key with an id that is written into every object it seals. New objects are sealed
// with the current key; an object is opened with the key whose id it names, so keys rotate by
// adding a new key, making it current, and keeping the old ones for as long as objects use them.
//
// Keys come from files or environment variables holding the key in base64 (44 characters); they
// are never written anywhere, and no error or log line shows key material.
//
// Ownership: a KeyRing owns copies of its keys and wipes them when destroyed. Shared read-only
// (std::shared_ptr<const KeyRing>) by every reader and writer of one process.
// Thread-safety: immutable after Load/Make; safe to share.
// Failure contract: Load returns InvalidArgument naming the config key at fault
// (storage.encryption.keys.<id>, storage.encryption.current_key) for a missing file or variable,
// bad base64, a key of the wrong length, or an unknown current key.
#pragma once

#include <array>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "config/config.h"
#include "crypto/aead.h"

namespace kb::crypto {

// Longest key id; ids are 1..kMaxKeyIdSize of [A-Za-z0-9._-].
inline constexpr size_t kMaxKeyIdSize = 32;

struct Key {
  std::string id;
  std::array<unsigned char, kKeySize> bytes{};
  std::array<char, 8> check{};  // KeyCheck(bytes)
  ~Key();
};

class KeyRing {
 public:
  // Reads every key of `cfg` (files and environment variables through `env`). `cfg.enabled` must
  // be true.
  static Result<std::shared_ptr<const KeyRing>> Load(const EncryptionConfig& cfg,
                                                     const EnvLookup& env);
  // From raw keys (tests and tools); `current` must be one of their ids.
  static Result<std::shared_ptr<const KeyRing>> Make(
      std::vector<std::pair<std::string, std::array<unsigned char, kKeySize>>> keys,
      std::string current, bool encrypt_metadata = false);

  const Key& current() const { return *current_; }
  // The key with this id, or null.
  const Key* Find(std::string_view id) const;
  // storage.encryption.encrypt_metadata: seal consumers_offset, offset history and topic.json too.
  bool encrypt_metadata() const { return encrypt_metadata_; }
  // The ids, in configuration order (for messages).
  std::string IdList() const;

 private:
  KeyRing() = default;
  std::vector<std::unique_ptr<Key>> keys_;
  const Key* current_ = nullptr;
  bool encrypt_metadata_ = false;
};

// Checks a key id's syntax; `subject` names where it came from.
Status ValidateKeyId(std::string_view subject, std::string_view id);

// Decodes standard base64 (RFC 4648, with padding; surrounding whitespace ignored). nullopt when
// the text is not valid base64.
std::optional<std::string> DecodeBase64(std::string_view text);
std::string EncodeBase64(std::string_view bytes);

}  // namespace kb::crypto
