#include "config/env_expand.h"

#include <cstdlib>

namespace kb {
namespace {

bool IsNameStart(char c) { return c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
bool IsNameChar(char c) { return IsNameStart(c) || (c >= '0' && c <= '9'); }

}  // namespace

EnvLookup ProcessEnv() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

Result<std::string> ExpandEnv(std::string_view value, std::string_view config_key,
                              const EnvLookup& env) {
  std::string out;
  out.reserve(value.size());
  for (size_t i = 0; i < value.size(); ++i) {
    char c = value[i];
    if (c != '$' || i + 1 >= value.size()) {
      out += c;
      continue;
    }
    if (value[i + 1] == '$') {
      out += '$';
      ++i;
      continue;
    }
    if (value[i + 1] != '{') {
      out += c;
      continue;
    }
    size_t close = value.find('}', i + 2);
    if (close == std::string_view::npos) {
      return Status::InvalidArgument(config_key, "unterminated '${' in value");
    }
    std::string_view body = value.substr(i + 2, close - i - 2);
    std::string_view name = body;
    std::optional<std::string_view> fallback;
    if (size_t sep = body.find(":-"); sep != std::string_view::npos) {
      name = body.substr(0, sep);
      fallback = body.substr(sep + 2);
    }
    bool valid = !name.empty() && IsNameStart(name[0]);
    for (char n : name) valid = valid && IsNameChar(n);
    if (!valid) {
      return Status::InvalidArgument(config_key, "invalid environment variable name '" +
                                                     std::string(name) + "' in '${" +
                                                     std::string(body) + "}'");
    }
    std::optional<std::string> v = env(std::string(name));
    if (fallback && (!v || v->empty())) {
      out += *fallback;
    } else if (v) {
      out += *v;
    } else {
      return Status::InvalidArgument(config_key, "environment variable " + std::string(name) +
                                                     " is not set (use ${" + std::string(name) +
                                                     ":-default} to give a default)");
    }
    i = close;
  }
  return out;
}

}  // namespace kb
