#include "format/segment_seal.h"

#include <xxhash.h>

#include <memory>

#include "crypto/aead.h"
#include "format/coding.h"
#include "format/decode_util.h"

namespace kb::format {

using internal::Corrupt;
using internal::Hex;
using internal::Num;

std::string_view BoundName(std::string_view key) {
  size_t start = key.size();
  for (int parts = 0; parts < 3; ++parts) {
    const size_t slash = start == 0 ? std::string_view::npos : key.rfind('/', start - 1);
    if (slash == std::string_view::npos) return key;
    start = slash;
  }
  return key.substr(start + 1);
}

std::string BlockAad(std::string_view segment_id, uint32_t index) {
  std::string aad = "kafka-backup segment block";
  aad += segment_id;
  char i[4];
  coding::EncodeFixed32(i, index);
  aad.append(i, 4);
  return aad;
}

std::string FooterAad(std::string_view segment_id, std::string_view key_id,
                      std::string_view bound_name) {
  std::string aad = "kafka-backup segment footer";
  aad += segment_id;
  aad.push_back(static_cast<char>(key_id.size()));
  aad += key_id;
  aad += bound_name;
  return aad;
}

Status SealFrame(const crypto::Key& key, std::string_view aad, char* frame, size_t n) {
  return SealFrameParts(key, aad, frame, frame + kFrameHeaderSize, n, frame + kFrameHeaderSize + n);
}

Status SealFrameParts(const crypto::Key& key, std::string_view aad, char* head, char* data,
                      size_t n, char* tag) {
  coding::EncodeFixed32(head + 8, static_cast<uint32_t>(n));
  KB_RETURN_IF_ERROR(crypto::SealInPlace(key.bytes.data(), aad, data, n, head + 12, tag));
  std::unique_ptr<XXH3_state_t, decltype(&XXH3_freeState)> state(XXH3_createState(),
                                                                 &XXH3_freeState);
  if (!state) return Status::Permanent("xxhash", "cannot allocate a hash state");
  XXH3_64bits_reset(state.get());
  XXH3_64bits_update(state.get(), head + 8, kFrameHeaderSize - 8);
  XXH3_64bits_update(state.get(), data, n);
  XXH3_64bits_update(state.get(), tag, kFrameOverhead - kFrameHeaderSize);
  coding::EncodeFixed64(head, XXH3_64bits_digest(state.get()));
  return Status::OK();
}

Status CheckFrame(std::string_view object, uint64_t at, std::string_view frame, const char* what) {
  if (frame.size() < kFrameOverhead) {
    return Corrupt(object, at,
                   std::string(what) + " frame of " + Num(frame.size()) +
                       " bytes is shorter than its " + Num(kFrameOverhead) +
                       "-byte header and tag");
  }
  const uint64_t stored = coding::DecodeFixed64(frame.data());
  const uint64_t computed = XXH3_64bits(frame.data() + 8, frame.size() - 8);
  if (internal::kVerifyChecksums && stored != computed) {
    return Corrupt(object, at,
                   std::string(what) + " frame checksum mismatch (stored " + Hex(stored) +
                       ", computed " + Hex(computed) + ") in the " + Num(frame.size()) +
                       "-byte frame");
  }
  const uint32_t n = coding::DecodeFixed32(frame.data() + 8);
  if (uint64_t{n} + kFrameOverhead != frame.size()) {
    return Corrupt(object, at + 8,
                   std::string(what) + " frame says " + Num(n) + " bytes of ciphertext but is " +
                       Num(frame.size()) + " bytes long");
  }
  return Status::OK();
}

Status OpenFrame(const crypto::Key& key, std::string_view object, uint64_t at, std::string_view aad,
                 char* frame, size_t size, const char* what) {
  KB_RETURN_IF_ERROR(CheckFrame(object, at, std::string_view(frame, size), what));
  const size_t n = size - kFrameOverhead;
  KB_ASSIGN_OR_RETURN(
      bool ok, crypto::OpenInPlace(key.bytes.data(), aad, frame + 12, frame + kFrameHeaderSize + n,
                                   frame + kFrameHeaderSize, n));
  if (!ok) {
    return Corrupt(object, at,
                   std::string(what) + " does not authenticate with key id '" + key.id +
                       "' (AES-GCM tag mismatch): the object was altered, or this frame was "
                       "moved here from another place");
  }
  return Status::OK();
}

}  // namespace kb::format
