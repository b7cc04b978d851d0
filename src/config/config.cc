#include "config/config.h"

#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <cctype>
#include <cstring>
#include <fstream>
#include <sstream>

#include "common/name_pattern.h"
#include "config/azure_config.h"
#include "config/config_internal.h"
#include "config/gcs_config.h"
#include "config/units.h"
#include "config/yaml_reader.h"
#include "layout/keys.h"

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

namespace {

// Checks that every '^' entry is a valid regular expression and every other entry a topic name.
Status CheckPatterns(const YamlMapReader& r, const std::string& key,
                     const std::vector<std::string>& patterns) {
  for (size_t i = 0; i < patterns.size(); ++i) {
    std::string path = r.PathOf(key) + "[" + std::to_string(i) + "]";
    if (patterns[i].empty()) return Status::InvalidArgument(path, "is empty");
    if (patterns[i][0] != '^') {
      KB_RETURN_IF_ERROR(layout::ValidateTopicNameOf(path, patterns[i]));
      continue;
    }
    KB_RETURN_IF_ERROR(NamePattern::Make(patterns[i], path).status());
  }
  return Status::OK();
}

Status ParseBackup(YamlMapReader& r, BackupConfig* out) {
  using std::chrono::milliseconds;
  constexpr milliseconds kDay{86'400'000};
  KB_ASSIGN_OR_RETURN(auto group, r.GetString("group_id"));
  if (group) {
    if (group->empty()) return Status::InvalidArgument(r.PathOf("group_id"), "is empty");
    out->group_id = *group;
  }
  KB_ASSIGN_OR_RETURN(auto instance, r.GetString("instance_id"));
  if (instance) {
    if (instance->size() > 249) {
      return Status::InvalidArgument(r.PathOf("instance_id"), "is longer than 249 characters");
    }
    for (char c : *instance) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') {
        return Status::InvalidArgument(
            r.PathOf("instance_id"),
            "'" + *instance +
                "' may hold only letters, digits, '.', '_' and '-' (\"\" turns "
                "static membership off)");
      }
    }
    out->instance_id = *instance;
  }
  KB_ASSIGN_OR_RETURN(auto topics, r.GetStringList("topics"));
  if (topics) out->topics = *topics;
  KB_RETURN_IF_ERROR(CheckPatterns(r, "topics", out->topics));
  KB_ASSIGN_OR_RETURN(auto exclude, r.GetStringList("exclude"));
  if (exclude) out->exclude = *exclude;
  KB_RETURN_IF_ERROR(CheckPatterns(r, "exclude", out->exclude));
  KB_ASSIGN_OR_RETURN(auto internal, r.GetBool("include_internal"));
  out->include_internal = internal.value_or(out->include_internal);

  KB_ASSIGN_OR_RETURN(YamlMapReader seg, r.GetMap("segment"));
  KB_ASSIGN_OR_RETURN(auto max_bytes, seg.GetBytes("max_bytes", 1024, 4ull << 30));
  out->segment_max_bytes = max_bytes.value_or(out->segment_max_bytes);
  KB_ASSIGN_OR_RETURN(auto max_records, seg.GetInt("max_records", 1, 1'000'000'000));
  if (max_records) out->segment_max_records = static_cast<uint64_t>(*max_records);
  KB_ASSIGN_OR_RETURN(auto max_age, seg.GetDuration("max_age", milliseconds(100), kDay));
  out->segment_max_age = max_age.value_or(out->segment_max_age);
  KB_ASSIGN_OR_RETURN(auto codec, seg.GetString("codec"));
  if (codec) {
    if (*codec == "zstd") {
      out->codec = BackupConfig::Codec::kZstd;
    } else if (*codec == "lz4") {
      out->codec = BackupConfig::Codec::kLz4;
    } else if (*codec == "none") {
      out->codec = BackupConfig::Codec::kNone;
    } else {
      return Status::InvalidArgument(seg.PathOf("codec"),
                                     "'" + *codec + "' is not one of zstd, lz4, none");
    }
  }
  KB_ASSIGN_OR_RETURN(auto level, seg.GetInt("zstd_level", -7, 19));
  if (level) {
    if (out->codec != BackupConfig::Codec::kZstd) {
      return Status::InvalidArgument(
          seg.PathOf("zstd_level"),
          "is a zstd setting but " + seg.PathOf("codec") + " is " + *codec +
              "; remove one of them (zstd_level 0 or codec none both store blocks uncompressed)");
    }
    out->zstd_level = static_cast<int>(*level);
  }
  KB_ASSIGN_OR_RETURN(auto block, seg.GetBytes("block_bytes", 1024, 64ull << 20));
  out->block_bytes = block.value_or(out->block_bytes);
  KB_RETURN_IF_ERROR(seg.Finish());

  KB_ASSIGN_OR_RETURN(auto memory, r.GetBytes("buffer_memory", 1ull << 20, 1ull << 40));
  out->buffer_memory = memory.value_or(out->buffer_memory);
  KB_ASSIGN_OR_RETURN(auto uploads, r.GetInt("upload_concurrency", 1, 256));
  if (uploads) out->upload_concurrency = static_cast<int>(*uploads);
  KB_ASSIGN_OR_RETURN(auto compressors, r.GetInt("compression_threads", 0, 64));
  if (compressors) out->compression_threads = static_cast<int>(*compressors);
  KB_ASSIGN_OR_RETURN(auto offsets, r.GetDuration("offsets_interval", milliseconds(100), kDay));
  out->offsets_interval = offsets.value_or(out->offsets_interval);
  KB_ASSIGN_OR_RETURN(auto metadata, r.GetDuration("metadata_interval", milliseconds(100), kDay));
  out->metadata_interval = metadata.value_or(out->metadata_interval);
  KB_ASSIGN_OR_RETURN(auto acls, r.GetString("acls"));
  if (acls) {
    if (*acls == "off") {
      out->acls = BackupConfig::Acls::kOff;
    } else if (*acls == "related") {
      out->acls = BackupConfig::Acls::kRelated;
    } else if (*acls == "all") {
      out->acls = BackupConfig::Acls::kAll;
    } else {
      return Status::InvalidArgument(r.PathOf("acls"),
                                     "'" + *acls + "' is not one of off, related, all");
    }
  }
  KB_ASSIGN_OR_RETURN(auto shutdown, r.GetDuration("shutdown_timeout", milliseconds(1000), kDay));
  out->shutdown_timeout = shutdown.value_or(out->shutdown_timeout);
  KB_ASSIGN_OR_RETURN(auto unhealthy,
                      r.GetDuration("store_unhealthy_after", milliseconds(1000), kDay));
  out->store_unhealthy_after = unhealthy.value_or(out->store_unhealthy_after);
  return r.Finish();
}

Status ParseRestore(YamlMapReader& r, RestoreConfig* out) {
  using std::chrono::milliseconds;
  constexpr milliseconds kDay{86'400'000};
  KB_ASSIGN_OR_RETURN(auto parallelism, r.GetInt("parallelism", 1, 256));
  if (parallelism) out->parallelism = static_cast<int>(*parallelism);
  KB_ASSIGN_OR_RETURN(auto rate, r.GetBytes("max_bytes_per_second", 0, 1ull << 40));
  out->max_bytes_per_second = rate.value_or(out->max_bytes_per_second);
  KB_ASSIGN_OR_RETURN(auto interval, r.GetDuration("checkpoint_interval", milliseconds(100), kDay));
  out->checkpoint_interval = interval.value_or(out->checkpoint_interval);
  KB_ASSIGN_OR_RETURN(auto not_empty, r.GetBool("fail_if_target_not_empty"));
  out->fail_if_target_not_empty = not_empty.value_or(out->fail_if_target_not_empty);
  return r.Finish();
}

Status ParseMetrics(YamlMapReader& r, MetricsConfig* out) {
  KB_ASSIGN_OR_RETURN(auto listen, r.GetString("listen"));
  out->listen = listen.value_or("");
  if (!out->listen.empty() && out->listen.rfind(':') == std::string::npos) {
    return Status::InvalidArgument(r.PathOf("listen"),
                                   "expected host:port, got '" + out->listen + "'");
  }
  return r.Finish();
}

Status ParseRetention(YamlMapReader& r, RetentionConfig* out) {
  using std::chrono::milliseconds;
  constexpr milliseconds kYear{365LL * 86'400'000};
  KB_ASSIGN_OR_RETURN(auto enabled, r.GetBool("enabled"));
  out->enabled = enabled.value_or(out->enabled);
  KB_ASSIGN_OR_RETURN(auto interval, r.GetDuration("interval", milliseconds(100), kYear));
  out->interval = interval.value_or(out->interval);
  KB_ASSIGN_OR_RETURN(auto grace, r.GetDuration("grace", milliseconds(0), 10 * kYear));
  out->grace = grace.value_or(out->grace);
  // "never" (the default) or a duration.
  KB_ASSIGN_OR_RETURN(auto max_age, r.GetString("deleted_topic_max_age"));
  if (max_age && *max_age != "never") {
    const std::string path = r.PathOf("deleted_topic_max_age");
    KB_ASSIGN_OR_RETURN(milliseconds age, ParseDuration(*max_age, path));
    if (age > 100 * kYear) return Status::InvalidArgument(path, "is more than 100 years");
    out->deleted_topic_max_age = age;
  }
  return r.Finish();
}

Status ParseVerifySchedule(YamlMapReader& r, VerifyScheduleConfig* out) {
  using std::chrono::milliseconds;
  KB_ASSIGN_OR_RETURN(auto interval,
                      r.GetDuration("interval", milliseconds(0), milliseconds(365LL * 86'400'000)));
  out->interval = interval.value_or(out->interval);
  if (out->interval.count() > 0 && out->interval < milliseconds(100)) {
    return Status::InvalidArgument(r.PathOf("interval"), "must be 0 (off) or at least 100ms");
  }
  KB_ASSIGN_OR_RETURN(auto sample, r.GetInt("sample", 1, 1'000'000));
  if (sample) out->sample = static_cast<uint64_t>(*sample);
  return r.Finish();
}

}  // namespace

Result<Config> ParseConfig(std::string_view yaml_text, std::string_view source,
                           const EnvLookup& env) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml_text));
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(source, "not valid YAML: " + std::string(e.what()));
  }
  Config cfg;
  KB_ASSIGN_OR_RETURN(YamlMapReader top, YamlMapReader::Make(root, "", &env));
  KB_ASSIGN_OR_RETURN(YamlMapReader kafka, top.GetMap("kafka"));
  KB_ASSIGN_OR_RETURN(auto props, kafka.AllScalars());
  for (auto& [k, v] : props) cfg.kafka.properties[k] = v;
  KB_ASSIGN_OR_RETURN(YamlMapReader storage, top.GetMap("storage"));
  KB_RETURN_IF_ERROR(ParseStorage(storage, env, &cfg.storage));
  KB_ASSIGN_OR_RETURN(YamlMapReader backup, top.GetMap("backup"));
  KB_RETURN_IF_ERROR(ParseBackup(backup, &cfg.backup));
  KB_ASSIGN_OR_RETURN(YamlMapReader restore, top.GetMap("restore"));
  KB_RETURN_IF_ERROR(ParseRestore(restore, &cfg.restore));
  KB_ASSIGN_OR_RETURN(YamlMapReader metrics, top.GetMap("metrics"));
  KB_RETURN_IF_ERROR(ParseMetrics(metrics, &cfg.metrics));
  KB_ASSIGN_OR_RETURN(YamlMapReader retention, top.GetMap("retention"));
  KB_RETURN_IF_ERROR(ParseRetention(retention, &cfg.retention));
  KB_ASSIGN_OR_RETURN(YamlMapReader verify, top.GetMap("verify"));
  KB_RETURN_IF_ERROR(ParseVerifySchedule(verify, &cfg.verify));
  KB_RETURN_IF_ERROR(top.Finish());
  return cfg;
}

Result<Config> LoadConfigFile(const std::string& path, const EnvLookup& env) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound(path, "cannot open config file");
  std::stringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return Status::Permanent(path, "cannot read config file");
  Result<Config> cfg = ParseConfig(ss.str(), path, env);
  if (!cfg.ok()) return cfg.status().WithContext("in config file " + path);
  return cfg;
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

std::string DefaultInstanceId() {
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0') std::strcpy(host, "localhost");
  std::string id = "kafka-backup-";
  for (const char* c = host; *c != '\0'; ++c) {
    const bool ok =
        std::isalnum(static_cast<unsigned char>(*c)) || *c == '.' || *c == '_' || *c == '-';
    id += ok ? *c : '-';
  }
  return id.substr(0, 249);
}

std::string EffectiveInstanceId(const BackupConfig& backup) {
  return backup.instance_id.value_or(DefaultInstanceId());
}

}  // namespace kb
