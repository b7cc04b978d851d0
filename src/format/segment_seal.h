// Encrypted segments (format version 2, docs/format.md "Encrypted segments"): the frame that seals
// one block or the footer with AES-256-GCM, and what each frame is bound to.
//
//   frame = checksum u64 (XXH3-64 of the frame's bytes 8..end) | ciphertext length u32 |
//           nonce (12) | ciphertext | tag (16)
//
// The plaintext of a block's frame is the version-1 block (header and stored payload); of the
// footer's frame, the version-1 footer whose index gives the frames' positions and lengths. A block
// frame is bound to the segment id (random per segment, in the trailer) and its index; the footer
// frame to the segment id, the key id and the segment's bound name (its key without the store
// prefix: "<topic>/<partition>/<start>-<end>"), so no frame opens in another place or object.
//
// Thread-safety: pure functions. Failure contract: Corruption naming the object and byte position
// for a bad frame or a tag that does not match under the right key; openssl failures Permanent.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"
#include "crypto/key_ring.h"
#include "format/segment_layout.h"

namespace kb::format {

// "<topic>/<partition>/<start>-<end>": the last three '/'-separated parts of a segment's key, the
// same under any store prefix and in an archived generation.
std::string_view BoundName(std::string_view object_key);

std::string BlockAad(std::string_view segment_id, uint32_t index);
std::string FooterAad(std::string_view segment_id, std::string_view key_id,
                      std::string_view bound_name);

// Seals frame[kFrameHeaderSize, kFrameHeaderSize + n) in place and writes the frame header and tag
// (`frame` has n + kFrameOverhead bytes).
Status SealFrame(const crypto::Key& key, std::string_view aad, char* frame, size_t n);
// The same frame in three pieces: `head` (kFrameHeaderSize bytes) is written, data[0, n) is
// encrypted in place, `tag` (16 bytes) is written. The frame's bytes are head, data, tag.
Status SealFrameParts(const crypto::Key& key, std::string_view aad, char* head, char* data,
                      size_t n, char* tag);

// Checks a frame's length field and checksum (no key needed). `at`: its position in the object.
Status CheckFrame(std::string_view object, uint64_t at, std::string_view frame, const char* what);

// CheckFrame, then decrypts in place: the plaintext is frame[kFrameHeaderSize, size - 16).
Status OpenFrame(const crypto::Key& key, std::string_view object, uint64_t at, std::string_view aad,
                 char* frame, size_t size, const char* what);

}  // namespace kb::format
