#include "config/gcs_config.h"

#include <cctype>

namespace kb {
namespace {

std::string EnvOr(const EnvLookup& env, const char* name) {
  if (auto v = env(name); v && !v->empty()) return *v;
  return "";
}

Status CheckNoControl(const std::string& path, const std::string& value) {
  for (char c : value) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return Status::InvalidArgument(path, "contains a control character");
    }
  }
  return Status::OK();
}

// GCS bucket names: 3 to 222 of [a-z0-9._-] (Google's rules are stricter per dot-separated
// component; the server judges those). They become part of every request's path.
Status CheckBucket(const std::string& path, const std::string& value) {
  if (value.size() < 3 || value.size() > 222) {
    return Status::InvalidArgument(path, "'" + value + "' is not 3 to 222 characters");
  }
  for (char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if (!std::islower(u) && !std::isdigit(u) && c != '.' && c != '_' && c != '-') {
      return Status::InvalidArgument(
          path, "'" + value + "' may hold only lower-case letters, digits, '.', '_' and '-'");
    }
  }
  return Status::OK();
}

// scheme://host[:port] with no path.
Status CheckEndpoint(const std::string& path, const std::string& value) {
  const size_t sep = value.find("://");
  const std::string scheme = sep == std::string::npos ? "" : value.substr(0, sep);
  if (scheme != "http" && scheme != "https") {
    return Status::InvalidArgument(path, "'" + value +
                                             "' must look like https://host[:port] (scheme "
                                             "http or https)");
  }
  std::string rest = value.substr(sep + 3);
  while (!rest.empty() && rest.back() == '/') rest.pop_back();
  if (rest.empty() || rest.find_first_of("/?#@ ") != std::string::npos) {
    return Status::InvalidArgument(path,
                                   "'" + value + "' must be scheme://host[:port] with no path");
  }
  return CheckNoControl(path, value);
}

}  // namespace

Status ParseGcs(YamlMapReader& r, const EnvLookup& env, GcsStoreConfig* out) {
  KB_ASSIGN_OR_RETURN(auto bucket, r.GetString("bucket"));
  if (!bucket || bucket->empty()) return Status::InvalidArgument(r.PathOf("bucket"), "is required");
  KB_RETURN_IF_ERROR(CheckBucket(r.PathOf("bucket"), *bucket));
  out->bucket = *bucket;

  KB_ASSIGN_OR_RETURN(auto endpoint, r.GetString("endpoint"));
  const std::string emulator = EnvOr(env, "STORAGE_EMULATOR_HOST");
  bool emulated = false;
  if (endpoint) {
    if (endpoint->empty()) {
      return Status::InvalidArgument(r.PathOf("endpoint"),
                                     "is empty (leave it out for https://storage.googleapis.com)");
    }
    KB_RETURN_IF_ERROR(CheckEndpoint(r.PathOf("endpoint"), *endpoint));
    out->endpoint = *endpoint;
  } else if (!emulator.empty()) {
    // The convention of Google's client libraries: host[:port], or a URL.
    out->endpoint = emulator.find("://") == std::string::npos ? "http://" + emulator : emulator;
    KB_RETURN_IF_ERROR(CheckEndpoint("STORAGE_EMULATOR_HOST", out->endpoint));
    emulated = true;
  } else {
    out->endpoint = "https://storage.googleapis.com";
  }
  while (out->endpoint.back() == '/') out->endpoint.pop_back();

  const std::string adc = EnvOr(env, "GOOGLE_APPLICATION_CREDENTIALS");
  KB_ASSIGN_OR_RETURN(auto auth, r.GetString("auth"));
  if (auth) {
    if (*auth == "service_account") {
      out->auth = GcsStoreConfig::Auth::kServiceAccount;
    } else if (*auth == "metadata") {
      out->auth = GcsStoreConfig::Auth::kMetadata;
    } else if (*auth == "none") {
      out->auth = GcsStoreConfig::Auth::kNone;
    } else {
      return Status::InvalidArgument(
          r.PathOf("auth"), "'" + *auth + "' is not one of service_account, metadata, none");
    }
  } else if (emulated) {
    out->auth = GcsStoreConfig::Auth::kNone;
  } else if (!adc.empty()) {
    out->auth = GcsStoreConfig::Auth::kServiceAccount;
  } else {
    out->auth = GcsStoreConfig::Auth::kMetadata;
  }

  KB_ASSIGN_OR_RETURN(auto file, r.GetString("credentials_file"));
  if (file) {
    if (file->empty()) {
      return Status::InvalidArgument(r.PathOf("credentials_file"),
                                     "is empty (leave it out for GOOGLE_APPLICATION_CREDENTIALS)");
    }
    if (out->auth != GcsStoreConfig::Auth::kServiceAccount) {
      return Status::InvalidArgument(r.PathOf("credentials_file"),
                                     "is set but storage.gcs.auth is '" +
                                         std::string(GcsAuthName(out->auth)) +
                                         "' (it is read with auth: service_account only)");
    }
    KB_RETURN_IF_ERROR(CheckNoControl(r.PathOf("credentials_file"), *file));
    out->credentials_file = *file;
  } else if (out->auth == GcsStoreConfig::Auth::kServiceAccount) {
    if (adc.empty()) {
      return Status::InvalidArgument(r.PathOf("credentials_file"),
                                     "is required with auth: service_account (or set "
                                     "GOOGLE_APPLICATION_CREDENTIALS)");
    }
    out->credentials_file = adc;
  }

  KB_ASSIGN_OR_RETURN(auto ca_bundle, r.GetString("ca_bundle"));
  if (ca_bundle) {
    if (ca_bundle->empty()) {
      return Status::InvalidArgument(r.PathOf("ca_bundle"),
                                     "is empty (leave it out for the system trust store)");
    }
    KB_RETURN_IF_ERROR(CheckNoControl(r.PathOf("ca_bundle"), *ca_bundle));
    out->ca_bundle = *ca_bundle;
  }
  out->metadata_host = EnvOr(env, "GCE_METADATA_HOST");
  if (out->metadata_host.empty()) out->metadata_host = "metadata.google.internal";
  return r.Finish();
}

std::string_view GcsAuthName(GcsStoreConfig::Auth a) {
  switch (a) {
    case GcsStoreConfig::Auth::kServiceAccount:
      return "service_account";
    case GcsStoreConfig::Auth::kNone:
      return "none";
    case GcsStoreConfig::Auth::kMetadata:
      break;
  }
  return "metadata";
}

}  // namespace kb
