#include "storage/local/key_codec.h"

namespace kb::storage::local {
namespace {

constexpr char kHex[] = "0123456789ABCDEF";

bool NeedsEscape(unsigned char c) { return c == '%' || c == '~' || c < 0x20 || c == 0x7f; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;  // lower-case hex is not canonical
}

}  // namespace

std::string EncodeComponent(std::string_view component) {
  if (component.empty()) return "%";
  if (component == ".") return "%2E";
  if (component == "..") return "%2E%2E";
  std::string out;
  out.reserve(component.size());
  for (char ch : component) {
    const auto c = static_cast<unsigned char>(ch);
    if (NeedsEscape(c)) {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    } else {
      out += ch;
    }
  }
  return out;
}

std::optional<std::string> DecodeName(std::string_view name) {
  if (name == "%") return std::string();
  if (name.empty() || name.find('~') != std::string_view::npos) return std::nullopt;
  std::string out;
  out.reserve(name.size());
  for (size_t i = 0; i < name.size(); ++i) {
    if (name[i] != '%') {
      out += name[i];
      continue;
    }
    if (i + 2 >= name.size()) return std::nullopt;  // needs two hex digits
    const int hi = HexValue(name[i + 1]);
    const int lo = HexValue(name[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  // Only names EncodeComponent produces: rejects "%41" for "A", "." and "..", "%2F", "%00" ...
  if (out.find('/') != std::string::npos || out.find('\0') != std::string::npos ||
      EncodeComponent(out) != name) {
    return std::nullopt;
  }
  return out;
}

Result<std::vector<std::string>> EncodeKey(std::string_view key) {
  std::vector<std::string> names;
  size_t start = 0;
  while (true) {
    const size_t slash = key.find('/', start);
    const std::string_view component =
        key.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    names.push_back(EncodeComponent(component));
    if (names.back().size() > kMaxNameBytes) {
      return Status::InvalidArgument(
          key, "path component " + std::to_string(names.size()) + " is " +
                   std::to_string(names.back().size()) +
                   " bytes once encoded as a file name; a local store allows at most " +
                   std::to_string(kMaxNameBytes) + " bytes between two '/'");
    }
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return names;
}

}  // namespace kb::storage::local
