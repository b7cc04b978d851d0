#include "storage/s3/sigv4.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cctype>

#include "common/ascii.h"
#include "storage/s3/s3_util.h"

namespace kb::storage::s3 {
namespace {

// Leading and trailing spaces removed, inner runs of spaces collapsed to one (SigV4's Trimall).
std::string TrimAll(std::string_view v) {
  std::string out;
  bool space = false;
  for (char c : v) {
    if (c == ' ' || c == '\t') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

std::string Hmac(std::string_view key, std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), md, &len);
  return std::string(reinterpret_cast<const char*>(md), len);
}

std::string Hex(std::string_view bytes) {
  static constexpr char kLower[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char b : bytes) {
    out += kLower[b >> 4];
    out += kLower[b & 0xf];
  }
  return out;
}

// Sorted by lower-case name: the order both the canonical headers and SignedHeaders use.
std::vector<std::pair<std::string, std::string>> Canonical(const SigV4Request& req) {
  std::vector<std::pair<std::string, std::string>> h;
  h.reserve(req.headers.size());
  for (const auto& [name, value] : req.headers) h.emplace_back(AsciiLower(name), TrimAll(value));
  std::stable_sort(h.begin(), h.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  return h;
}

std::string SignedHeaders(const std::vector<std::pair<std::string, std::string>>& h) {
  std::string out;
  for (const auto& [name, value] : h) out += (out.empty() ? "" : ";") + name;
  return out;
}

}  // namespace

std::string CanonicalRequest(const SigV4Request& req) {
  const auto headers = Canonical(req);
  std::string out = req.method + "\n" + req.canonical_uri + "\n" + req.canonical_query + "\n";
  for (const auto& [name, value] : headers) out += name + ":" + value + "\n";
  out += "\n" + SignedHeaders(headers) + "\n" + req.payload_hash;
  return out;
}

std::string SignV4(const SigV4Request& req, const SigV4Key& key, std::string_view amz_date) {
  const std::string date(amz_date.substr(0, 8));
  const std::string scope = date + "/" + key.region + "/" + key.service + "/aws4_request";
  const std::string to_sign = "AWS4-HMAC-SHA256\n" + std::string(amz_date) + "\n" + scope + "\n" +
                              Sha256Hex(CanonicalRequest(req));
  std::string k = Hmac("AWS4" + key.secret_access_key, date);
  k = Hmac(k, key.region);
  k = Hmac(k, key.service);
  k = Hmac(k, "aws4_request");
  return "AWS4-HMAC-SHA256 Credential=" + key.access_key_id + "/" + scope +
         ", SignedHeaders=" + SignedHeaders(Canonical(req)) +
         ", Signature=" + Hex(Hmac(k, to_sign));
}

}  // namespace kb::storage::s3
