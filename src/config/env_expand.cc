#include "config/env_expand.h"

#include <cctype>
#include <cstdlib>
#include <string>

namespace kb {
namespace {

bool IsNameStart(char c) { return c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
bool IsNameChar(char c) { return IsNameStart(c) || (c >= '0' && c <= '9'); }

// Keys whose values are secrets (passwords, secret keys, tokens, JAAS configs holding a password):
// an error about their value never quotes it.
bool IsSecretKey(std::string_view config_key) {
  const size_t dot = config_key.rfind('.');
  std::string last(dot == std::string_view::npos ? config_key : config_key.substr(dot + 1));
  if (dot != std::string_view::npos && config_key.substr(0, dot).ends_with("sasl.jaas")) {
    return true;
  }
  for (char& c : last) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (std::string_view word : {"password", "secret", "token", "jaas", "key", "pem"}) {
    if (last.find(word) != std::string::npos) return true;
  }
  return config_key.find("secret") != std::string_view::npos ||
         config_key.find("password") != std::string_view::npos;
}

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
      if (IsSecretKey(config_key)) {
        return Status::InvalidArgument(
            config_key, "invalid environment variable name in '${...}' (value not shown: secret)");
      }
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
