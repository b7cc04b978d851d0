#include "config/azure_config.h"

#include <cctype>

namespace kb {
namespace {

// Azure storage account names: 3 to 24 lower-case letters and digits.
Status CheckAccount(const std::string& path, const std::string& value) {
  bool ok = value.size() >= 3 && value.size() <= 24;
  for (char c : value) ok = ok && (std::islower(static_cast<unsigned char>(c)) || std::isdigit(c));
  if (!ok) {
    return Status::InvalidArgument(path,
                                   "'" + value + "' is not 3 to 24 lower-case letters and digits");
  }
  return Status::OK();
}

// Azure container names: 3 to 63 of lower-case letters, digits and '-', starting and ending with a
// letter or digit, no "--".
Status CheckContainer(const std::string& path, const std::string& value) {
  bool ok = value.size() >= 3 && value.size() <= 63 && value.front() != '-' &&
            value.back() != '-' && value.find("--") == std::string::npos;
  for (char c : value) {
    ok = ok && (std::islower(static_cast<unsigned char>(c)) || std::isdigit(c) || c == '-');
  }
  if (!ok) {
    return Status::InvalidArgument(
        path, "'" + value +
                  "' is not a container name (3 to 63 lower-case letters, digits and single "
                  "'-', starting and ending with a letter or digit)");
  }
  return Status::OK();
}

}  // namespace

std::string_view AzureAuthName(AzureStoreConfig::Auth a) {
  switch (a) {
    case AzureStoreConfig::Auth::kAuto:
      return "auto";
    case AzureStoreConfig::Auth::kSharedKey:
      return "shared_key";
    case AzureStoreConfig::Auth::kSas:
      return "sas";
    case AzureStoreConfig::Auth::kWorkloadIdentity:
      return "workload_identity";
    case AzureStoreConfig::Auth::kManagedIdentity:
      return "managed_identity";
  }
  return "auto";
}

Status ParseAzureStoreConfig(YamlMapReader& r, AzureStoreConfig* out) {
  auto text = [&r](const char* key, std::string* field) -> Status {
    KB_ASSIGN_OR_RETURN(auto v, r.GetString(key));
    if (!v) return Status::OK();
    if (v->empty()) return Status::InvalidArgument(r.PathOf(key), "is empty (leave it out)");
    for (char c : *v) {
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
        return Status::InvalidArgument(r.PathOf(key), "contains a control character");
      }
    }
    *field = *v;
    return Status::OK();
  };
  KB_RETURN_IF_ERROR(text("account", &out->account));
  if (!out->account.empty()) KB_RETURN_IF_ERROR(CheckAccount(r.PathOf("account"), out->account));
  KB_RETURN_IF_ERROR(text("container", &out->container));
  if (out->container.empty()) return Status::InvalidArgument(r.PathOf("container"), "is required");
  KB_RETURN_IF_ERROR(CheckContainer(r.PathOf("container"), out->container));
  KB_RETURN_IF_ERROR(text("endpoint", &out->endpoint));
  if (!out->endpoint.empty() && !out->endpoint.starts_with("http://") &&
      !out->endpoint.starts_with("https://")) {
    return Status::InvalidArgument(r.PathOf("endpoint"),
                                   "'" + out->endpoint + "' must start with https:// or http://");
  }
  // The values of key and sas_token are secrets: never quoted in a message.
  KB_RETURN_IF_ERROR(text("key", &out->key));
  KB_RETURN_IF_ERROR(text("sas_token", &out->sas_token));
  if (out->sas_token.starts_with('?')) out->sas_token.erase(0, 1);
  KB_RETURN_IF_ERROR(text("ca_bundle", &out->ca_bundle));
  std::string auth;
  KB_RETURN_IF_ERROR(text("auth", &auth));
  using Auth = AzureStoreConfig::Auth;
  if (!auth.empty()) {
    bool known = false;
    for (Auth a : {Auth::kSharedKey, Auth::kSas, Auth::kWorkloadIdentity, Auth::kManagedIdentity}) {
      if (AzureAuthName(a) == auth) {
        out->auth = a;
        known = true;
      }
    }
    if (!known) {
      return Status::InvalidArgument(
          r.PathOf("auth"),
          "'" + auth + "' is not one of shared_key, sas, workload_identity, managed_identity");
    }
  }
  if (!out->key.empty() && !out->sas_token.empty()) {
    return Status::InvalidArgument(r.PathOf("sas_token"), "give either key or sas_token, not both");
  }
  const bool identity = out->auth == Auth::kWorkloadIdentity || out->auth == Auth::kManagedIdentity;
  if (identity && (!out->key.empty() || !out->sas_token.empty())) {
    return Status::InvalidArgument(r.PathOf(out->key.empty() ? "sas_token" : "key"),
                                   "is set but storage.azure.auth is " + auth);
  }
  if (out->auth == Auth::kSas && !out->key.empty()) {
    return Status::InvalidArgument(r.PathOf("key"), "is set but storage.azure.auth is sas");
  }
  if (out->auth == Auth::kSharedKey && !out->sas_token.empty()) {
    return Status::InvalidArgument(r.PathOf("sas_token"),
                                   "is set but storage.azure.auth is shared_key");
  }
  return r.Finish();
}

}  // namespace kb
