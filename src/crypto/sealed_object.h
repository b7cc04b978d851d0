// The sealed-object envelope: how a small whole object (a JSON restore record, and with
// storage.encryption.encrypt_metadata the group offsets and topic.json) is stored encrypted
// (docs/format.md, "Sealed objects"):
//
//   magic "\x89KBENC\r\n" (8) | version u16 = 1 | ~version u16 | cipher u8 = 1 (AES-256-GCM) |
//   key id length u8 | reserved u16 = 0 | key check (8) | key id | nonce (12) | ciphertext | tag
//   (16)
//
// The header (magic to key id) and the object's bound name (its key below the store prefix, e.g.
// "orders/0/restore/<cluster>/orders") are the associated data: an envelope moved to another key,
// or given another key id, does not open.
//
// Thread-safety: pure functions. Failure contract: Open returns Corruption (subject = `object`,
// the object key) for a malformed envelope or a tag mismatch under the right key,
// FailedPrecondition naming the key id when the ring lacks that key (or no ring is configured) or
// holds another key under that id; NotImplemented for a newer envelope version.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"
#include "crypto/key_ring.h"

namespace kb::crypto {

inline constexpr std::string_view kSealedMagic{"\x89KBENC\r\n", 8};

// True when `bytes` start like an envelope (JSON never starts with byte 0x89).
bool LooksSealed(std::string_view bytes);

// Seals `plaintext` with `key`, bound to `bound_name`.
Result<std::string> SealObject(const Key& key, std::string_view bound_name,
                               std::string_view plaintext);

// Opens an envelope read from `object` (its key, for messages) bound to `bound_name`. `ring` may
// be null (encryption not configured). Sets *key_id to the id the envelope names when not null.
Result<std::string> OpenObject(const KeyRing* ring, std::string_view object,
                               std::string_view bound_name, std::string bytes,
                               std::string* key_id = nullptr);

// The key of `ring` an object sealed with `key_id` and `check` opens with: FailedPrecondition
// naming the object and the key id when the ring (null: encryption not configured) has no such key
// or another key under that id. Shared by envelopes and segments.
Result<const Key*> FindKey(const KeyRing* ring, std::string_view object, std::string_view key_id,
                           std::string_view check);

}  // namespace kb::crypto
