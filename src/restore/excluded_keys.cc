#include "restore/excluded_keys.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

namespace kb::restore {
namespace {

constexpr std::string_view kFlag = "--exclude-keys";
constexpr std::string_view kBase64Prefix = "base64:";
constexpr std::string_view kTextPrefix = "text:";

int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

std::string Hex(const unsigned char* p, size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * n);
  for (size_t i = 0; i < n; ++i) {
    out += kDigits[p[i] >> 4];
    out += kDigits[p[i] & 15];
  }
  return out;
}

// SHA-256 of the sorted keys, each preceded by its length (8 bytes, big-endian).
template <typename Set>
std::string DigestOf(const Set& keys) {
  std::vector<std::string_view> sorted(keys.begin(), keys.end());
  std::sort(sorted.begin(), sorted.end());
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  for (std::string_view k : sorted) {
    unsigned char len[8];
    for (int i = 0; i < 8; ++i)
      len[i] = static_cast<unsigned char>(uint64_t{k.size()} >> (56 - 8 * i));
    EVP_DigestUpdate(ctx, len, sizeof(len));
    EVP_DigestUpdate(ctx, k.data(), k.size());
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  EVP_DigestFinal_ex(ctx, md, &md_len);
  EVP_MD_CTX_free(ctx);
  return Hex(md, md_len);
}

}  // namespace

std::optional<std::string> DecodeBase64(std::string_view text) {
  size_t end = text.size();
  size_t padding = 0;
  while (end > 0 && text[end - 1] == '=' && padding < 2) {
    --end;
    ++padding;
  }
  // With padding the whole must be a multiple of 4; a single leftover character holds no byte.
  if ((padding > 0 && text.size() % 4 != 0) || end % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(end / 4 * 3 + 2);
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < end; ++i) {
    const int v = Base64Value(text[i]);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  // The bits left over must be zero (one encoding per byte string).
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

Result<ExcludedKeys> ParseExcludedKeys(std::string_view text, std::string_view path) {
  ExcludedKeys out;
  out.path_ = std::string(path);
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  const auto bad = [&](size_t line, std::string_view why) {
    return Status::InvalidArgument(
        kFlag, std::string(path) + " line " + std::to_string(line) + ": " + std::string(why));
  };
  size_t line_no = 0;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = text.substr(start, nl - start);
    start = nl + 1;
    ++line_no;
    if (line.ends_with('\r')) line.remove_suffix(1);
    if (line.empty() || line.starts_with('#')) continue;
    std::string key;
    if (line.starts_with(kBase64Prefix)) {
      std::optional<std::string> decoded = DecodeBase64(line.substr(kBase64Prefix.size()));
      if (!decoded) {
        return bad(line_no,
                   "not valid base64 after 'base64:' (standard alphabet A-Z a-z 0-9 + /, '=' "
                   "padding optional, no spaces)");
      }
      key = std::move(*decoded);
    } else if (line.starts_with(kTextPrefix)) {
      key = std::string(line.substr(kTextPrefix.size()));
    } else {
      const auto space = [](char c) { return c == ' ' || c == '\t'; };
      if (space(line.front()) || space(line.back())) {
        return bad(line_no,
                   "the key starts or ends with a space or tab, which is most likely a mistake; "
                   "if it belongs to the key, write the line as 'text:<key>' or 'base64:<key in "
                   "base64>'");
      }
      key = std::string(line);
    }
    if (!out.keys_.insert(std::move(key)).second) ++out.duplicates_;
  }
  if (out.keys_.empty()) {
    return Status::InvalidArgument(
        kFlag, std::string(path) +
                   " lists no key (only blank lines and comments): an exclusion that leaves "
                   "nothing out is most likely the wrong file; leave the flag out instead");
  }
  out.digest_ = DigestOf(out.keys_);
  return out;
}

Result<std::shared_ptr<const ExcludedKeys>> LoadExcludedKeys(const std::string& path) {
  if (path.empty()) return Status::InvalidArgument(kFlag, "empty file name");
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return Status::InvalidArgument(kFlag, "cannot open '" + path + "': " + std::strerror(errno));
  }
  std::string text;
  char buf[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      return Status::InvalidArgument(kFlag, "cannot read '" + path + "': " + std::strerror(err));
    }
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  KB_ASSIGN_OR_RETURN(ExcludedKeys keys, ParseExcludedKeys(text, path));
  return std::make_shared<const ExcludedKeys>(std::move(keys));
}

}  // namespace kb::restore
