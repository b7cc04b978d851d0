#include "crypto/aead.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <memory>
#include <string>

namespace kb::crypto {
namespace {

struct CtxDeleter {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
using Ctx = std::unique_ptr<EVP_CIPHER_CTX, CtxDeleter>;

Status OpensslError(std::string_view what) {
  const unsigned long code = ERR_get_error();  // NOLINT(runtime/int): OpenSSL's type
  char text[256] = "no error queued";
  if (code != 0) ERR_error_string_n(code, text, sizeof(text));
  ERR_clear_error();
  return Status::Permanent("openssl", std::string(what) + " failed: " + text);
}

const EVP_CIPHER* Cipher() {
  static const EVP_CIPHER* cipher = EVP_aes_256_gcm();
  return cipher;
}

// EVP takes int lengths: data is processed in chunks below INT_MAX.
constexpr size_t kChunk = size_t{1} << 30;

}  // namespace

Status SealInPlace(const unsigned char* key, std::string_view aad, char* data, size_t n,
                   char* nonce_out, char* tag_out) {
  if (RAND_bytes(reinterpret_cast<unsigned char*>(nonce_out), kNonceSize) != 1) {
    return OpensslError("drawing a random nonce");
  }
  Ctx ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return OpensslError("EVP_CIPHER_CTX_new");
  int len = 0;
  if (EVP_EncryptInit_ex(ctx.get(), Cipher(), nullptr, key,
                         reinterpret_cast<const unsigned char*>(nonce_out)) != 1) {
    return OpensslError("AES-256-GCM init");
  }
  for (size_t at = 0; at < aad.size(); at += kChunk) {
    const size_t m = std::min(kChunk, aad.size() - at);
    if (EVP_EncryptUpdate(ctx.get(), nullptr, &len,
                          reinterpret_cast<const unsigned char*>(aad.data() + at),
                          static_cast<int>(m)) != 1) {
      return OpensslError("AES-256-GCM associated data");
    }
  }
  auto* p = reinterpret_cast<unsigned char*>(data);
  for (size_t at = 0; at < n; at += kChunk) {
    const size_t m = std::min(kChunk, n - at);
    if (EVP_EncryptUpdate(ctx.get(), p + at, &len, p + at, static_cast<int>(m)) != 1) {
      return OpensslError("AES-256-GCM encryption");
    }
  }
  if (EVP_EncryptFinal_ex(ctx.get(), p + n, &len) != 1) return OpensslError("AES-256-GCM final");
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagSize, tag_out) != 1) {
    return OpensslError("AES-256-GCM tag");
  }
  return Status::OK();
}

Result<bool> OpenInPlace(const unsigned char* key, std::string_view aad, const char* nonce,
                         const char* tag, char* data, size_t n) {
  Ctx ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return OpensslError("EVP_CIPHER_CTX_new");
  int len = 0;
  if (EVP_DecryptInit_ex(ctx.get(), Cipher(), nullptr, key,
                         reinterpret_cast<const unsigned char*>(nonce)) != 1) {
    return OpensslError("AES-256-GCM init");
  }
  for (size_t at = 0; at < aad.size(); at += kChunk) {
    const size_t m = std::min(kChunk, aad.size() - at);
    if (EVP_DecryptUpdate(ctx.get(), nullptr, &len,
                          reinterpret_cast<const unsigned char*>(aad.data() + at),
                          static_cast<int>(m)) != 1) {
      return OpensslError("AES-256-GCM associated data");
    }
  }
  auto* p = reinterpret_cast<unsigned char*>(data);
  for (size_t at = 0; at < n; at += kChunk) {
    const size_t m = std::min(kChunk, n - at);
    if (EVP_DecryptUpdate(ctx.get(), p + at, &len, p + at, static_cast<int>(m)) != 1) {
      return OpensslError("AES-256-GCM decryption");
    }
  }
  char tag_copy[kTagSize];
  std::memcpy(tag_copy, tag, kTagSize);
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagSize, tag_copy) != 1) {
    return OpensslError("AES-256-GCM tag");
  }
  const bool ok = EVP_DecryptFinal_ex(ctx.get(), p + n, &len) == 1;
  ERR_clear_error();
  return ok;
}

Status RandomBytes(char* out, size_t n) {
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out), static_cast<int>(n)) != 1) {
    return OpensslError("drawing random bytes");
  }
  return Status::OK();
}

Status KeyCheck(const unsigned char* key, char out[8]) {
  static constexpr std::string_view kLabel = "kafka-backup key check v1";
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  if (HMAC(EVP_sha256(), key, kKeySize, reinterpret_cast<const unsigned char*>(kLabel.data()),
           kLabel.size(), mac, &mac_len) == nullptr) {
    return OpensslError("HMAC-SHA256");
  }
  std::memcpy(out, mac, 8);
  return Status::OK();
}

}  // namespace kb::crypto
