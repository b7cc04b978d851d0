#include "crypto/sealed_object.h"

#include <cstring>

#include "crypto/aead.h"

namespace kb::crypto {
namespace {

constexpr uint16_t kEnvelopeVersion = 1;
constexpr uint8_t kCipherAes256Gcm = 1;
constexpr size_t kFixedHeader = 24;  // magic .. key check

void Put16(char* p, uint16_t v) {
  p[0] = static_cast<char>(v & 0xff);
  p[1] = static_cast<char>(v >> 8);
}
uint16_t Get16(const char* p) {
  return static_cast<uint16_t>(static_cast<uint8_t>(p[0]) | (static_cast<uint8_t>(p[1]) << 8));
}

std::string Aad(std::string_view header, std::string_view bound_name) {
  std::string aad(header);
  aad += bound_name;
  return aad;
}

}  // namespace

bool LooksSealed(std::string_view bytes) { return bytes.starts_with(kSealedMagic); }

Result<const Key*> FindKey(const KeyRing* ring, std::string_view object, std::string_view key_id,
                           std::string_view check) {
  const std::string id(key_id);
  if (ring == nullptr) {
    return Status::FailedPrecondition(
        object, "is encrypted with key id '" + id +
                    "' and storage.encryption is not configured: add that key to "
                    "storage.encryption.keys");
  }
  const Key* key = ring->Find(key_id);
  if (key == nullptr) {
    return Status::FailedPrecondition(object, "is encrypted with key id '" + id +
                                                  "', which storage.encryption.keys does not "
                                                  "have (it has " +
                                                  ring->IdList() + ")");
  }
  if (std::string_view(key->check.data(), key->check.size()) != check) {
    return Status::FailedPrecondition(
        object, "is encrypted with another key than the one configured as key id '" + id +
                    "' (storage.encryption.keys." + id + " holds a different key)");
  }
  return key;
}

Result<std::string> SealObject(const Key& key, std::string_view bound_name,
                               std::string_view plaintext) {
  const size_t header_size = kFixedHeader + key.id.size();
  std::string out(header_size + kNonceSize + plaintext.size() + kTagSize, '\0');
  char* p = out.data();
  std::memcpy(p, kSealedMagic.data(), kSealedMagic.size());
  Put16(p + 8, kEnvelopeVersion);
  Put16(p + 10, static_cast<uint16_t>(~kEnvelopeVersion));
  p[12] = static_cast<char>(kCipherAes256Gcm);
  p[13] = static_cast<char>(key.id.size());
  std::memcpy(p + 16, key.check.data(), key.check.size());
  std::memcpy(p + kFixedHeader, key.id.data(), key.id.size());
  char* nonce = p + header_size;
  char* data = nonce + kNonceSize;
  if (!plaintext.empty()) std::memcpy(data, plaintext.data(), plaintext.size());
  KB_RETURN_IF_ERROR(SealInPlace(key.bytes.data(), Aad(out.substr(0, header_size), bound_name),
                                 data, plaintext.size(), nonce, data + plaintext.size()));
  return out;
}

Result<std::string> OpenObject(const KeyRing* ring, std::string_view object,
                               std::string_view bound_name, std::string bytes,
                               std::string* key_id) {
  auto corrupt = [&](const std::string& what) {
    return Status::Corruption(object, "sealed object: " + what);
  };
  if (!LooksSealed(bytes)) return corrupt("bad magic at byte 0");
  if (bytes.size() < kFixedHeader) return corrupt("truncated header");
  const uint16_t version = Get16(bytes.data() + 8);
  if (static_cast<uint16_t>(~version) != Get16(bytes.data() + 10) || version == 0) {
    return corrupt("damaged version at byte 8");
  }
  if (version > kEnvelopeVersion) {
    return Status::NotImplemented(object, "sealed-object version " + std::to_string(version) +
                                              " is newer than this kafka-backup supports (" +
                                              std::to_string(kEnvelopeVersion) +
                                              "); upgrade kafka-backup");
  }
  if (static_cast<uint8_t>(bytes[12]) != kCipherAes256Gcm) {
    return corrupt("unknown cipher " + std::to_string(static_cast<uint8_t>(bytes[12])) +
                   " at byte 12");
  }
  const size_t id_size = static_cast<uint8_t>(bytes[13]);
  if (id_size == 0 || id_size > kMaxKeyIdSize || bytes[14] != 0 || bytes[15] != 0) {
    return corrupt("bad key id length or reserved bytes at byte 13");
  }
  const size_t header_size = kFixedHeader + id_size;
  if (bytes.size() < header_size + kNonceSize + kTagSize) return corrupt("truncated");
  const std::string id = bytes.substr(kFixedHeader, id_size);
  if (!ValidateKeyId(object, id).ok()) return corrupt("bad key id at byte 24");
  if (key_id != nullptr) *key_id = id;
  KB_ASSIGN_OR_RETURN(const Key* key,
                      FindKey(ring, object, id, std::string_view(bytes.data() + 16, 8)));
  const size_t n = bytes.size() - header_size - kNonceSize - kTagSize;
  char* data = bytes.data() + header_size + kNonceSize;
  KB_ASSIGN_OR_RETURN(bool ok,
                      OpenInPlace(key->bytes.data(), Aad(bytes.substr(0, header_size), bound_name),
                                  bytes.data() + header_size, data + n, data, n));
  if (!ok) {
    return corrupt("authentication failed with key id '" + id +
                   "': the object was altered or moved from another key");
  }
  return bytes.substr(header_size + kNonceSize, n);
}

}  // namespace kb::crypto
