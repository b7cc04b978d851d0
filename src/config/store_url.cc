#include "config/store_url.h"

#include <yaml-cpp/yaml.h>

#include <map>
#include <vector>

#include "config/config_internal.h"

namespace kb {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Result<std::string> Decode(std::string_view s, std::string_view flag, std::string_view what) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    const int hi = i + 2 < s.size() ? HexValue(s[i + 1]) : -1;
    const int lo = i + 2 < s.size() ? HexValue(s[i + 2]) : -1;
    if (hi < 0 || lo < 0) {
      return Status::InvalidArgument(
          flag, std::string("bad percent-encoding in the ") + std::string(what));
    }
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

// The parameters each scheme takes, and the storage.<backend> key each one sets.
const std::map<std::string, std::map<std::string, std::string>>& Parameters() {
  static const auto* params = new std::map<std::string, std::map<std::string, std::string>>{
      {"file", {{"prefix", ""}}},
      {"s3",
       {{"region", "region"},
        {"endpoint", "endpoint"},
        {"path_style", "path_style"},
        {"profile", "profile"},
        {"ca_bundle", "ca_bundle"}}},
      {"az", {{"endpoint", "endpoint"}, {"auth", "auth"}, {"ca_bundle", "ca_bundle"}}},
      {"gs",
       {{"endpoint", "endpoint"},
        {"auth", "auth"},
        {"credentials_file", "credentials_file"},
        {"ca_bundle", "ca_bundle"}}},
  };
  return *params;
}

std::string Known(const std::map<std::string, std::string>& params) {
  std::string out;
  for (const auto& [name, key] : params) out += (out.empty() ? "" : ", ") + name;
  return out.empty() ? "none" : out;
}

}  // namespace

Result<StorageConfig> ParseStoreUrl(std::string_view url, std::string_view flag,
                                    const StorageConfig& base, const EnvLookup& env) {
  const size_t sep = url.find("://");
  if (sep == std::string_view::npos || sep == 0) {
    return Status::InvalidArgument(
        flag, "'" + std::string(url) +
                  "' is not a store URL: give file:///path, s3://bucket/prefix, gs://bucket/prefix "
                  "or az://account/container/prefix");
  }
  const std::string scheme(url.substr(0, sep));
  auto params = Parameters().find(scheme);
  if (params == Parameters().end()) {
    return Status::InvalidArgument(
        flag, "unknown store URL scheme '" + scheme + "://' (file://, s3://, gs:// or az://)");
  }
  std::string_view rest = url.substr(sep + 3);
  std::string_view query;
  if (size_t q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  if (rest.find('#') != std::string_view::npos) {
    return Status::InvalidArgument(flag, "a store URL has no fragment ('#')");
  }
  const size_t slash = rest.find('/');
  const std::string_view authority = rest.substr(0, slash);
  if (authority.find('@') != std::string_view::npos) {
    return Status::InvalidArgument(
        flag,
        "a store URL carries no credentials (user information before '@'): give them in "
        "the environment (docs/configuration.md)");
  }
  std::map<std::string, std::string> values;
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    const size_t eq = pair.find('=');
    KB_ASSIGN_OR_RETURN(std::string name, Decode(pair.substr(0, eq), flag, "parameter names"));
    if (!params->second.contains(name)) {
      return Status::InvalidArgument(flag, "unknown parameter '" + name + "' for " + scheme +
                                               ":// (known: " + Known(params->second) + ")");
    }
    if (eq == std::string_view::npos) {
      return Status::InvalidArgument(flag, "parameter '" + name + "' has no value");
    }
    if (values.contains(name)) {
      return Status::InvalidArgument(flag, "parameter '" + name + "' is given twice");
    }
    KB_ASSIGN_OR_RETURN(values[name], Decode(pair.substr(eq + 1), flag, "value of " + name));
  }

  YAML::Node section(YAML::NodeType::Map);
  if (scheme == "file") {
    if (!authority.empty() && authority != "localhost") {
      return Status::InvalidArgument(
          flag, "file:// URLs name a local directory: file:///absolute/path (host '" +
                    std::string(authority) + "' given)");
    }
    KB_ASSIGN_OR_RETURN(std::string path, Decode(rest.substr(authority.size()), flag, "path"));
    if (path.empty() || path == "/") {
      return Status::InvalidArgument(flag, "file:// needs a directory: file:///absolute/path");
    }
    section["local"]["path"] = path;
    if (values.contains("prefix")) section["prefix"] = values["prefix"];
  } else if (scheme == "az") {  // <account>/<container>[/<prefix>]
    KB_ASSIGN_OR_RETURN(std::string account, Decode(authority, flag, "account"));
    std::string_view path = slash == std::string_view::npos ? "" : rest.substr(slash + 1);
    const size_t end = path.find('/');
    KB_ASSIGN_OR_RETURN(std::string container, Decode(path.substr(0, end), flag, "container"));
    if (account.empty() || container.empty()) {
      return Status::InvalidArgument(
          flag, "az:// needs an account and a container: az://account/container/prefix");
    }
    section["azure"]["account"] = account;
    section["azure"]["container"] = container;
    if (end != std::string_view::npos) {
      KB_ASSIGN_OR_RETURN(std::string prefix, Decode(path.substr(end + 1), flag, "prefix"));
      while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
      if (!prefix.empty()) section["prefix"] = prefix;
    }
    for (const auto& [name, value] : values) section["azure"][params->second.at(name)] = value;
  } else {  // s3, gs: <bucket>[/<prefix>]
    const std::string backend = scheme == "gs" ? "gcs" : "s3";
    KB_ASSIGN_OR_RETURN(std::string bucket, Decode(authority, flag, "bucket"));
    if (bucket.empty()) {
      return Status::InvalidArgument(flag,
                                     scheme + ":// needs a bucket: " + scheme + "://bucket/prefix");
    }
    section[backend]["bucket"] = bucket;
    if (slash != std::string_view::npos) {
      KB_ASSIGN_OR_RETURN(std::string prefix, Decode(rest.substr(slash + 1), flag, "prefix"));
      while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
      if (!prefix.empty()) section["prefix"] = prefix;
    }
    for (const auto& [name, value] : values) section[backend][params->second.at(name)] = value;
  }
  KB_ASSIGN_OR_RETURN(YamlMapReader r, YamlMapReader::Make(section, std::string(flag), &env));
  StorageConfig out;
  KB_RETURN_IF_ERROR(ParseStorage(r, env, &out));
  out.encryption = base.encryption;
  out.retry_timeout = base.retry_timeout;
  return out;
}

std::string StoreUrlOf(const StorageConfig& storage) {
  if (storage.type == StorageConfig::Type::kS3 || storage.type == StorageConfig::Type::kGcs) {
    const bool s3 = storage.type == StorageConfig::Type::kS3;
    std::string url = (s3 ? "s3://" : "gs://") + (s3 ? storage.s3.bucket : storage.gcs.bucket);
    if (!storage.prefix.empty()) url += "/" + storage.prefix;
    const std::string& endpoint = s3 ? storage.s3.endpoint : storage.gcs.endpoint;
    if (!endpoint.empty()) url += "?endpoint=" + endpoint;
    return url;
  }
  if (storage.type == StorageConfig::Type::kAzure) {
    std::string url = "az://" + storage.azure.account + "/" + storage.azure.container;
    if (!storage.prefix.empty()) url += "/" + storage.prefix;
    if (!storage.azure.endpoint.empty()) url += "?endpoint=" + storage.azure.endpoint;
    return url;
  }
  std::string url = "file://" + storage.local.path;
  if (!storage.prefix.empty()) url += "?prefix=" + storage.prefix;
  return url;
}

}  // namespace kb
