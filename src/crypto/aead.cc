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

// Starts AES-256-GCM in `ctx` (encrypting or decrypting) with `key` and `nonce`, and feeds `aad`.
Status Begin(EVP_CIPHER_CTX* ctx, bool encrypt, const unsigned char* key, const char* nonce,
             std::string_view aad) {
  const auto* iv = reinterpret_cast<const unsigned char*>(nonce);
  if (EVP_CipherInit_ex(ctx, Cipher(), nullptr, key, iv, encrypt ? 1 : 0) != 1) {
    return OpensslError("AES-256-GCM init");
  }
  int len = 0;
  for (size_t at = 0; at < aad.size(); at += kChunk) {
    const size_t m = std::min(kChunk, aad.size() - at);
    if (EVP_CipherUpdate(ctx, nullptr, &len,
                         reinterpret_cast<const unsigned char*>(aad.data() + at),
                         static_cast<int>(m)) != 1) {
      return OpensslError("AES-256-GCM associated data");
    }
  }
  return Status::OK();
}

// Encrypts or decrypts data[0, n) in place.
Status Transform(EVP_CIPHER_CTX* ctx, char* data, size_t n) {
  auto* p = reinterpret_cast<unsigned char*>(data);
  int len = 0;
  for (size_t at = 0; at < n; at += kChunk) {
    const size_t m = std::min(kChunk, n - at);
    if (EVP_CipherUpdate(ctx, p + at, &len, p + at, static_cast<int>(m)) != 1) {
      return OpensslError("AES-256-GCM");
    }
  }
  return Status::OK();
}

}  // namespace

Status SealInPlace(const unsigned char* key, std::string_view aad, char* data, size_t n,
                   char* nonce_out, char* tag_out) {
  if (RAND_bytes(reinterpret_cast<unsigned char*>(nonce_out), kNonceSize) != 1) {
    return OpensslError("drawing a random nonce");
  }
  Ctx ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return OpensslError("EVP_CIPHER_CTX_new");
  KB_RETURN_IF_ERROR(Begin(ctx.get(), true, key, nonce_out, aad));
  KB_RETURN_IF_ERROR(Transform(ctx.get(), data, n));
  int len = 0;
  unsigned char end[16];
  if (EVP_EncryptFinal_ex(ctx.get(), end, &len) != 1) return OpensslError("AES-256-GCM final");
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagSize, tag_out) != 1) {
    return OpensslError("AES-256-GCM tag");
  }
  return Status::OK();
}

Result<bool> OpenInPlace(const unsigned char* key, std::string_view aad, const char* nonce,
                         const char* tag, char* data, size_t n) {
  Ctx ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return OpensslError("EVP_CIPHER_CTX_new");
  KB_RETURN_IF_ERROR(Begin(ctx.get(), false, key, nonce, aad));
  KB_RETURN_IF_ERROR(Transform(ctx.get(), data, n));
  char tag_copy[kTagSize];
  std::memcpy(tag_copy, tag, kTagSize);
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagSize, tag_copy) != 1) {
    return OpensslError("AES-256-GCM tag");
  }
  int len = 0;
  unsigned char end[16];
  const bool ok = EVP_DecryptFinal_ex(ctx.get(), end, &len) == 1;
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
