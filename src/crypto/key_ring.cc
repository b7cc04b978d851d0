#include "crypto/key_ring.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <utility>

namespace kb::crypto {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// The base64 text of one key, from its file or variable.
Result<std::string> ReadSource(const EncryptionConfig::KeySource& k, const EnvLookup& env) {
  if (k.kind == EncryptionConfig::KeySource::Kind::kEnv) {
    std::optional<std::string> v = env(k.where);
    if (!v || v->empty()) {
      return Status::InvalidArgument(k.config_key,
                                     "environment variable " + k.where + " is not set or empty");
    }
    return std::move(*v);
  }
  std::ifstream in(k.where, std::ios::binary);
  if (!in) {
    return Status::InvalidArgument(k.config_key,
                                   "cannot read key file " + k.where + ": " + std::strerror(errno));
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (text.str().size() > 4096) {
    return Status::InvalidArgument(k.config_key,
                                   "key file " + k.where + " is too large to be a base64 key");
  }
  return text.str();
}

}  // namespace

Key::~Key() { OPENSSL_cleanse(bytes.data(), bytes.size()); }

Status ValidateKeyId(std::string_view subject, std::string_view id) {
  bool ok = !id.empty() && id.size() <= kMaxKeyIdSize;
  for (char c : id) {
    ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-');
  }
  if (ok) return Status::OK();
  return Status::InvalidArgument(subject, "a key id is 1 to 32 letters, digits, '.', '_' or '-'");
}

std::optional<std::string> DecodeBase64(std::string_view text) {
  text = Trim(text);
  if (text.empty() || text.size() % 4 != 0) return std::nullopt;
  std::string out(text.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  // EVP_DecodeBlock counts padding as zero bytes and skips no whitespace inside; strict check.
  size_t pad = 0;
  if (text.back() == '=') ++pad;
  if (text.size() >= 2 && text[text.size() - 2] == '=') ++pad;
  for (size_t i = 0; i + pad < text.size(); ++i) {
    const char c = text[i];
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '/') return std::nullopt;
  }
  out.resize(static_cast<size_t>(n) - pad);
  return out;
}

std::string EncodeBase64(std::string_view bytes) {
  std::string out((bytes.size() + 2) / 3 * 4 + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

Result<std::shared_ptr<const KeyRing>> KeyRing::Load(const EncryptionConfig& cfg,
                                                     const EnvLookup& env) {
  if (!cfg.enabled) {
    return Status::InvalidArgument("storage.encryption", "is not configured (no keys)");
  }
  std::vector<std::pair<std::string, std::array<unsigned char, kKeySize>>> keys;
  for (const auto& k : cfg.keys) {
    KB_ASSIGN_OR_RETURN(std::string text, ReadSource(k, env));
    std::optional<std::string> raw = DecodeBase64(text);
    OPENSSL_cleanse(text.data(), text.size());
    if (!raw) {
      return Status::InvalidArgument(k.config_key,
                                     "the key is not valid base64 (expected 44 characters, e.g. "
                                     "from `openssl rand -base64 32`)");
    }
    if (raw->size() != kKeySize) {
      const size_t got = raw->size();
      OPENSSL_cleanse(raw->data(), raw->size());
      return Status::InvalidArgument(
          k.config_key, "the key is " + std::to_string(got) + " bytes; AES-256 needs exactly 32");
    }
    std::array<unsigned char, kKeySize> bytes{};
    std::memcpy(bytes.data(), raw->data(), kKeySize);
    OPENSSL_cleanse(raw->data(), raw->size());
    keys.emplace_back(k.id, bytes);
    OPENSSL_cleanse(bytes.data(), bytes.size());
  }
  auto ring = Make(std::move(keys), cfg.current_key, cfg.encrypt_metadata);
  if (!ring.ok()) return Status::InvalidArgument("storage.encryption", ring.status().message());
  return ring;
}

Result<std::shared_ptr<const KeyRing>> KeyRing::Make(
    std::vector<std::pair<std::string, std::array<unsigned char, kKeySize>>> keys,
    std::string current, bool encrypt_metadata) {
  std::shared_ptr<KeyRing> ring(new KeyRing());
  ring->encrypt_metadata_ = encrypt_metadata;
  for (auto& [id, bytes] : keys) {
    KB_RETURN_IF_ERROR(ValidateKeyId("key id", id));
    if (ring->Find(id) != nullptr) {
      return Status::InvalidArgument(id, "key id given twice");
    }
    auto key = std::make_unique<Key>();
    key->id = id;
    key->bytes = bytes;
    OPENSSL_cleanse(bytes.data(), bytes.size());
    KB_RETURN_IF_ERROR(KeyCheck(key->bytes.data(), key->check.data()));
    ring->keys_.push_back(std::move(key));
  }
  ring->current_ = ring->Find(current);
  if (ring->current_ == nullptr) {
    return Status::InvalidArgument(current, "the current key is not among the keys");
  }
  // Two ids for one key would make the key check useless for telling keys apart.
  for (size_t i = 0; i < ring->keys_.size(); ++i) {
    for (size_t j = i + 1; j < ring->keys_.size(); ++j) {
      if (ring->keys_[i]->bytes == ring->keys_[j]->bytes) {
        return Status::InvalidArgument(ring->keys_[j]->id,
                                       "is the same key as '" + ring->keys_[i]->id + "'");
      }
    }
  }
  return std::shared_ptr<const KeyRing>(std::move(ring));
}

const Key* KeyRing::Find(std::string_view id) const {
  for (const auto& k : keys_) {
    if (k->id == id) return k.get();
  }
  return nullptr;
}

std::string KeyRing::IdList() const {
  std::string out;
  for (const auto& k : keys_) out += (out.empty() ? "'" : ", '") + k->id + "'";
  return out;
}

}  // namespace kb::crypto
