// AES-256-GCM (OpenSSL EVP) over buffers in place: the one cipher of kafka-backup's encryption at
// rest (docs/format.md, "Encryption"). Every call seals with a fresh random 96-bit nonce.
//
// Ownership: nothing is kept; the caller owns every buffer.
// Thread-safety: the functions are reentrant (one EVP context per call).
// Failure contract: an OpenSSL failure (no randomness, allocation) is Status::Permanent with
// subject "openssl". Open reports a tag mismatch (wrong key, or altered bytes/nonce/associated
// data) as `false`, never as decrypted garbage: on mismatch the buffer's contents are unspecified.
#pragma once

#include <cstddef>
#include <string_view>

#include "common/status.h"

namespace kb::crypto {

inline constexpr size_t kKeySize = 32;
inline constexpr size_t kNonceSize = 12;
inline constexpr size_t kTagSize = 16;

// Encrypts data[0, n) in place with `key` (kKeySize bytes), authenticating `aad` too; writes a
// fresh random nonce to nonce_out (kNonceSize) and the tag to tag_out (kTagSize).
Status SealInPlace(const unsigned char* key, std::string_view aad, char* data, size_t n,
                   char* nonce_out, char* tag_out);

// Decrypts data[0, n) in place; true when the tag matches.
Result<bool> OpenInPlace(const unsigned char* key, std::string_view aad, const char* nonce,
                         const char* tag, char* data, size_t n);

// Fills out[0, n) with cryptographically strong random bytes.
Status RandomBytes(char* out, size_t n);

// The first 8 bytes of HMAC-SHA256(key, "kafka-backup key check v1"): written next to a key id so
// that a reader tells "this is not the key the object was written with" from altered bytes. Reveals
// nothing usable about the key.
Status KeyCheck(const unsigned char* key, char out[8]);

}  // namespace kb::crypto
