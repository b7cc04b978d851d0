// The `storage:` section of the config (config_internal.h's ParseStorage): the local directory,
// S3 (credentials, upload options, object lock), GCS and Azure (their own files), encryption keys;
// and the S3 upload options' checks (config.h). Errors name the key at fault.

#include <cctype>
#include <string>

#include "config/azure_config.h"
#include "config/config.h"
#include "config/config_internal.h"
#include "config/gcs_config.h"
#include "config/units.h"
#include "config/yaml_reader.h"

namespace kb {
namespace {

// A file system path or key prefix: any text but control characters (a NUL would cut it short).
Status CheckNoControlCharacters(const std::string& path, const std::string& value) {
  for (char c : value) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return Status::InvalidArgument(path, "contains a control character");
    }
  }
  return Status::OK();
}

// S3 bucket names (3 to 255 of [A-Za-z0-9._-]; AWS's own rules are stricter, legacy and
// self-hosted buckets looser) and region names (1 to 64 of [A-Za-z0-9._-]): both become part of
// the request's host name or path and its signature.
Status CheckS3Name(const std::string& path, const std::string& value, size_t min, size_t max) {
  if (value.size() < min || value.size() > max) {
    return Status::InvalidArgument(path, "'" + value + "' is not " + std::to_string(min) + " to " +
                                             std::to_string(max) + " characters");
  }
  for (char c : value) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') {
      return Status::InvalidArgument(
          path, "'" + value + "' may hold only letters, digits, '.', '_' and '-'");
    }
  }
  return Status::OK();
}

// The credential keys of storage.s3: only what the file says (the environment, profiles, web
// identity and instance metadata are the S3 client's default chain, storage/s3/credentials.h).
Status ParseS3Credentials(YamlMapReader& r, S3StoreConfig* out) {
  KB_ASSIGN_OR_RETURN(auto key_id, r.GetString("access_key_id"));
  out->access_key_id = key_id.value_or("");
  KB_ASSIGN_OR_RETURN(auto secret, r.GetString("secret_access_key"));
  out->secret_access_key = secret.value_or("");
  KB_ASSIGN_OR_RETURN(auto token, r.GetString("session_token"));
  out->session_token = token.value_or("");
  KB_ASSIGN_OR_RETURN(auto profile, r.GetString("profile"));
  if (profile && profile->empty()) {
    return Status::InvalidArgument(r.PathOf("profile"),
                                   "is empty (leave it out for AWS_PROFILE or 'default')");
  }
  out->profile = profile.value_or("");
  KB_RETURN_IF_ERROR(CheckNoControlCharacters(r.PathOf("profile"), out->profile));
  if (out->access_key_id.empty() != out->secret_access_key.empty()) {
    return Status::InvalidArgument(
        r.PathOf(out->access_key_id.empty() ? "access_key_id" : "secret_access_key"),
        "access_key_id and secret_access_key must be given together");
  }
  if (out->access_key_id.empty() && !out->session_token.empty()) {
    return Status::InvalidArgument(r.PathOf("session_token"),
                                   "needs access_key_id and secret_access_key");
  }
  return Status::OK();
}

// --- storage.s3 upload options: payload_signing, sse, sse_kms_key_id, storage_class ---

// The storage classes S3 documents for PutObject's x-amz-storage-class that can be read back
// with a plain GET. GLACIER and DEEP_ARCHIVE are refused by ValidateS3UploadOptions.
constexpr std::string_view kReadableStorageClasses[] = {
    "STANDARD",   "REDUCED_REDUNDANCY", "STANDARD_IA",     "ONEZONE_IA", "INTELLIGENT_TIERING",
    "GLACIER_IR", "OUTPOSTS",           "EXPRESS_ONEZONE", "SNOW"};

std::string JoinedStorageClasses() {
  std::string out;
  for (std::string_view c : kReadableStorageClasses) {
    if (!out.empty()) out += ", ";
    out += c;
  }
  return out;
}

// The four keys of one storage.s3 map; ValidateS3UploadOptions checks the values.
Status ParseS3UploadOptions(YamlMapReader& r, S3StoreConfig* out) {
  KB_ASSIGN_OR_RETURN(auto signing, r.GetString("payload_signing"));
  if (signing) {
    if (*signing == "auto") {
      out->payload_signing = S3StoreConfig::PayloadSigning::kAuto;
    } else if (*signing == "always") {
      out->payload_signing = S3StoreConfig::PayloadSigning::kAlways;
    } else if (*signing == "never") {
      out->payload_signing = S3StoreConfig::PayloadSigning::kNever;
    } else {
      return Status::InvalidArgument(r.PathOf("payload_signing"),
                                     "'" + *signing + "' is not one of auto, always, never");
    }
  }
  KB_ASSIGN_OR_RETURN(auto sse, r.GetString("sse"));
  if (sse && sse->empty()) {
    return Status::InvalidArgument(r.PathOf("sse"), "is empty (write none, AES256 or aws:kms)");
  }
  out->sse = sse && *sse != "none" ? *sse : "";
  KB_ASSIGN_OR_RETURN(auto key_id, r.GetString("sse_kms_key_id"));
  if (key_id && key_id->empty()) {
    return Status::InvalidArgument(r.PathOf("sse_kms_key_id"),
                                   "is empty (leave it out for the AWS managed key aws/s3)");
  }
  out->sse_kms_key_id = key_id.value_or("");
  KB_ASSIGN_OR_RETURN(auto storage_class, r.GetString("storage_class"));
  if (storage_class && storage_class->empty()) {
    return Status::InvalidArgument(r.PathOf("storage_class"),
                                   "is empty (leave it out for the bucket's default)");
  }
  out->storage_class = storage_class.value_or("");
  return ValidateS3UploadOptions(*out);
}

// storage.s3.object_lock: {mode: GOVERNANCE | COMPLIANCE, retention: <duration>}, both required
// when the section is there.
Status ParseS3ObjectLock(YamlMapReader& s3, S3StoreConfig* out) {
  if (!s3.Has("object_lock")) return Status::OK();
  KB_ASSIGN_OR_RETURN(YamlMapReader r, s3.GetMap("object_lock"));
  KB_ASSIGN_OR_RETURN(auto mode, r.GetString("mode"));
  if (!mode) {
    return Status::InvalidArgument(r.PathOf("mode"), "is required (GOVERNANCE or COMPLIANCE)");
  }
  std::string upper = *mode;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (upper != "GOVERNANCE" && upper != "COMPLIANCE") {
    return Status::InvalidArgument(r.PathOf("mode"),
                                   "'" + *mode + "' is not one of GOVERNANCE, COMPLIANCE");
  }
  // 100 years: beyond that a typo (a retention in ms read as days) is likelier than an intent.
  constexpr std::chrono::milliseconds kMax = std::chrono::hours(24 * 36500);
  KB_ASSIGN_OR_RETURN(auto retention,
                      r.GetDuration("retention", std::chrono::milliseconds(1000), kMax));
  if (!retention) {
    return Status::InvalidArgument(r.PathOf("retention"),
                                   "is required (how long each segment is locked, e.g. 30d)");
  }
  KB_RETURN_IF_ERROR(r.Finish());
  out->object_lock = {.mode = upper, .retention = *retention};
  return Status::OK();
}

Status ParseS3(YamlMapReader& r, const EnvLookup& env, S3StoreConfig* out) {
  auto env_or = [&env](const char* a, const char* b = nullptr) -> std::string {
    for (const char* name : {a, b}) {
      if (name == nullptr) continue;
      if (auto v = env(name); v && !v->empty()) return *v;
    }
    return "";
  };
  KB_ASSIGN_OR_RETURN(auto bucket, r.GetString("bucket"));
  if (!bucket || bucket->empty()) return Status::InvalidArgument(r.PathOf("bucket"), "is required");
  KB_RETURN_IF_ERROR(CheckS3Name(r.PathOf("bucket"), *bucket, 3, 255));
  out->bucket = *bucket;
  KB_ASSIGN_OR_RETURN(auto region, r.GetString("region"));
  if (region) {
    if (region->empty()) {
      return Status::InvalidArgument(r.PathOf("region"), "is empty (leave it out for the default)");
    }
    KB_RETURN_IF_ERROR(CheckS3Name(r.PathOf("region"), *region, 1, 64));
  }
  out->region = region ? *region : env_or("AWS_REGION", "AWS_DEFAULT_REGION");
  KB_ASSIGN_OR_RETURN(auto endpoint, r.GetString("endpoint"));
  if (endpoint && endpoint->empty()) {
    return Status::InvalidArgument(r.PathOf("endpoint"), "is empty (leave it out for AWS)");
  }
  out->endpoint = endpoint ? *endpoint : env_or("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL");
  KB_ASSIGN_OR_RETURN(auto path_style, r.GetBool("path_style"));
  out->path_style = path_style.value_or(false);
  KB_ASSIGN_OR_RETURN(auto ca_bundle, r.GetString("ca_bundle"));
  if (ca_bundle && ca_bundle->empty()) {
    return Status::InvalidArgument(r.PathOf("ca_bundle"),
                                   "is empty (leave it out for the system trust store)");
  }
  out->ca_bundle = ca_bundle ? *ca_bundle : env_or("AWS_CA_BUNDLE");
  KB_RETURN_IF_ERROR(CheckNoControlCharacters(r.PathOf("ca_bundle"), out->ca_bundle));
  KB_RETURN_IF_ERROR(ParseS3Credentials(r, out));
  KB_RETURN_IF_ERROR(ParseS3UploadOptions(r, out));
  KB_RETURN_IF_ERROR(ParseS3ObjectLock(r, out));
  return r.Finish();
}

// storage.encryption: `keys` maps each key id to "file:<path>" or "env:<VARIABLE>" (never the key
// itself: a config file is no place for it).
Status ParseEncryption(YamlMapReader& r, EncryptionConfig* out) {
  KB_ASSIGN_OR_RETURN(YamlMapReader keys, r.GetMap("keys"));
  KB_ASSIGN_OR_RETURN(auto entries, keys.AllScalars());
  for (auto& [id, source] : entries) {
    EncryptionConfig::KeySource k;
    k.config_key = keys.PathOf(id);
    k.id = id;
    if (id.empty() || id.size() > 32 ||
        id.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") !=
            std::string::npos) {
      return Status::InvalidArgument(k.config_key,
                                     "a key id is 1 to 32 letters, digits, '.', '_' or '-'");
    }
    if (source.starts_with("file:") && source.size() > 5) {
      k.kind = EncryptionConfig::KeySource::Kind::kFile;
      k.where = source.substr(5);
    } else if (source.starts_with("env:") && source.size() > 4) {
      k.kind = EncryptionConfig::KeySource::Kind::kEnv;
      k.where = source.substr(4);
    } else {
      // Never echo the value: it may be the key itself.
      return Status::InvalidArgument(
          k.config_key,
          "must be \"file:<path>\" or \"env:<VARIABLE>\" naming where the base64 key is (the "
          "key itself does not belong in the config file)");
    }
    out->keys.push_back(std::move(k));
  }
  KB_RETURN_IF_ERROR(keys.Finish());
  KB_ASSIGN_OR_RETURN(auto current, r.GetString("current_key"));
  KB_ASSIGN_OR_RETURN(auto metadata, r.GetBool("encrypt_metadata"));
  out->encrypt_metadata = metadata.value_or(false);
  if (out->keys.empty()) {
    if (current || metadata) {
      return Status::InvalidArgument(r.PathOf("keys"),
                                     "is empty: encryption needs at least one key");
    }
    return r.Finish();
  }
  out->enabled = true;
  if (current) {
    out->current_key = *current;
  } else if (out->keys.size() == 1) {
    out->current_key = out->keys[0].id;
  } else {
    return Status::InvalidArgument(r.PathOf("current_key"),
                                   "is required when there is more than one key: name the key "
                                   "new objects are sealed with");
  }
  bool known = false;
  for (const auto& k : out->keys) known = known || k.id == out->current_key;
  if (!known) {
    return Status::InvalidArgument(
        r.PathOf("current_key"),
        "'" + out->current_key + "' is not one of storage.encryption.keys");
  }
  return r.Finish();
}

}  // namespace

Status ParseStorage(YamlMapReader& r, const EnvLookup& env, StorageConfig* out) {
  KB_ASSIGN_OR_RETURN(auto prefix, r.GetString("prefix"));
  out->prefix = prefix.value_or("");
  KB_RETURN_IF_ERROR(CheckNoControlCharacters(r.PathOf("prefix"), out->prefix));
  KB_ASSIGN_OR_RETURN(auto retry, r.GetDuration("retry_timeout", std::chrono::milliseconds(1000),
                                                std::chrono::milliseconds(7 * 86'400'000LL)));
  out->retry_timeout = retry.value_or(out->retry_timeout);
  bool has_local = r.Has("local");
  bool has_s3 = r.Has("s3");
  if (has_local && has_s3) {
    return Status::InvalidArgument(r.PathOf("s3"),
                                   "give either storage.local or storage.s3, not both");
  }
  const bool has_gcs = r.Has("gcs");
  const bool has_azure = r.Has("azure");
  if ((has_gcs || has_azure) && int{has_local} + int{has_s3} + int{has_gcs} + int{has_azure} > 1) {
    return Status::InvalidArgument(
        r.PathOf(has_azure ? "azure" : "gcs"),
        "give only one of storage.local, storage.s3, storage.gcs, storage.azure");
  }
  KB_ASSIGN_OR_RETURN(YamlMapReader local, r.GetMap("local"));
  KB_ASSIGN_OR_RETURN(auto path, local.GetString("path"));
  out->local.path = path.value_or(std::string(kDefaultLocalStorePath));
  if (out->local.path.empty()) return Status::InvalidArgument(local.PathOf("path"), "is empty");
  KB_RETURN_IF_ERROR(CheckNoControlCharacters(local.PathOf("path"), out->local.path));
  KB_RETURN_IF_ERROR(local.Finish());
  KB_ASSIGN_OR_RETURN(YamlMapReader s3, r.GetMap("s3"));
  if (has_s3) {
    out->type = StorageConfig::Type::kS3;
    KB_RETURN_IF_ERROR(ParseS3(s3, env, &out->s3));
  }
  KB_ASSIGN_OR_RETURN(YamlMapReader gcs, r.GetMap("gcs"));
  if (has_gcs) {
    out->type = StorageConfig::Type::kGcs;
    KB_RETURN_IF_ERROR(ParseGcs(gcs, env, &out->gcs));
  }
  KB_ASSIGN_OR_RETURN(YamlMapReader azure, r.GetMap("azure"));
  if (has_azure) {
    out->type = StorageConfig::Type::kAzure;
    KB_RETURN_IF_ERROR(ParseAzureStoreConfig(azure, &out->azure));
  }
  KB_ASSIGN_OR_RETURN(YamlMapReader encryption, r.GetMap("encryption"));
  KB_RETURN_IF_ERROR(ParseEncryption(encryption, &out->encryption));
  return r.Finish();
}

std::string_view PayloadSigningName(S3StoreConfig::PayloadSigning p) {
  switch (p) {
    case S3StoreConfig::PayloadSigning::kAlways:
      return "always";
    case S3StoreConfig::PayloadSigning::kNever:
      return "never";
    case S3StoreConfig::PayloadSigning::kAuto:
      break;
  }
  return "auto";
}

Status ValidateS3UploadOptions(const S3StoreConfig& s3) {
  if (s3.payload_signing == S3StoreConfig::PayloadSigning::kNever &&
      s3.endpoint.starts_with("http://")) {
    return Status::InvalidArgument(
        "storage.s3.payload_signing",
        "'never' needs an https endpoint: over http (" + s3.endpoint +
            ") the body's SHA-256 in the signature is all that protects an upload from being "
            "altered on the way; use auto or always");
  }
  if (!s3.sse.empty() && s3.sse != "AES256" && s3.sse != "aws:kms") {
    return Status::InvalidArgument(
        "storage.s3.sse",
        "'" + s3.sse + "' is not one of none, AES256 (SSE-S3), aws:kms (SSE-KMS)");
  }
  if (!s3.sse_kms_key_id.empty()) {
    if (s3.sse != "aws:kms") {
      return Status::InvalidArgument("storage.s3.sse_kms_key_id",
                                     "is set but storage.s3.sse is '" +
                                         (s3.sse.empty() ? std::string("none") : s3.sse) +
                                         "': a KMS key is used only with sse: aws:kms");
    }
    // Sent as a header: printable ASCII without spaces (key ids, ARNs and aliases all are).
    if (s3.sse_kms_key_id.size() > 2048) {
      return Status::InvalidArgument("storage.s3.sse_kms_key_id", "is longer than 2048 characters");
    }
    for (char c : s3.sse_kms_key_id) {
      if (c <= 0x20 || c >= 0x7f) {
        return Status::InvalidArgument(
            "storage.s3.sse_kms_key_id",
            "may hold only printable ASCII characters without spaces (a key id, key ARN or "
            "alias/name)");
      }
    }
  }
  if (!s3.storage_class.empty()) {
    if (s3.storage_class == "GLACIER" || s3.storage_class == "DEEP_ARCHIVE") {
      return Status::InvalidArgument(
          "storage.s3.storage_class",
          s3.storage_class +
              " objects cannot be read without a restore request first (GET answers 403 "
              "InvalidObjectState), so a restore, verify or the backup's own reads would fail; "
              "use GLACIER_IR (instant retrieval) or a lifecycle rule that archives old "
              "segments, and restore them with S3 before running kafka-backup restore");
    }
    bool known = false;
    for (std::string_view c : kReadableStorageClasses) known = known || c == s3.storage_class;
    if (!known) {
      return Status::InvalidArgument(
          "storage.s3.storage_class",
          "'" + s3.storage_class + "' is not one of " + JoinedStorageClasses());
    }
  }
  if (!s3.object_lock.mode.empty()) {
    if (s3.object_lock.mode != "GOVERNANCE" && s3.object_lock.mode != "COMPLIANCE") {
      return Status::InvalidArgument(
          "storage.s3.object_lock.mode",
          "'" + s3.object_lock.mode + "' is not one of GOVERNANCE, COMPLIANCE");
    }
    if (s3.object_lock.retention.count() <= 0) {
      return Status::InvalidArgument("storage.s3.object_lock.retention", "must be more than 0");
    }
  }
  return Status::OK();
}

}  // namespace kb
