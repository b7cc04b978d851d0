// The kafka-backup configuration file (YAML) and its typed form.
//
// Every key the file may contain is listed here and in docs/configuration.md; an unknown key
// anywhere is an InvalidArgument error naming its full dotted path ("storage.s3.bukcet"), never
// ignored. Values go through ${VAR} expansion (config/env_expand.h) before they are typed.
//
// The `kafka:` section is passed to librdkafka unchanged (bootstrap.servers, security.protocol,
// sasl.*, ssl.* ...); its keys are checked against librdkafka itself by kafka::ValidateProperties.
//
// Thread-safety: the structs are plain values; parsing functions are reentrant.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "config/env_expand.h"

namespace kb {

// librdkafka properties, in the order they appear in the file.
struct KafkaConfig {
  std::map<std::string, std::string> properties;
};

struct LocalStoreConfig {
  std::string path;  // directory that holds the objects; created if missing
};

struct S3StoreConfig {
  std::string bucket;
  // Default: AWS_REGION, AWS_DEFAULT_REGION; "" when neither is set (the S3 client then takes the
  // AWS profile's region, then us-east-1: storage/s3/credentials.h).
  std::string region;
  std::string endpoint;     // default: AWS_ENDPOINT_URL, then https://s3.<region>.amazonaws.com
  bool path_style = false;  // https://endpoint/bucket/key instead of https://bucket.endpoint/key
  // Credentials written in the file (both keys or neither; a token needs the keys). When absent,
  // the S3 client's default chain (storage/s3/credentials.h) looks at the environment, the AWS
  // profile, web identity and instance metadata.
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;
  std::string profile;  // the AWS profile of that chain; "" means AWS_PROFILE, then "default"
  // PEM file of the CAs that may sign the endpoint's TLS certificate; default: AWS_CA_BUNDLE,
  // then the system trust store.
  std::string ca_bundle;

  // --- How objects are uploaded (docs/security.md, "S3 encryption, storage class and payload
  // signing"). Values are checked when the config is loaded; S3Client::Make checks them again.
  enum class PayloadSigning {
    kAuto,    // UNSIGNED-PAYLOAD over https (TLS protects the body), the body's SHA-256 over http
    kAlways,  // the body's SHA-256 always (for servers that refuse UNSIGNED-PAYLOAD)
    kNever,   // UNSIGNED-PAYLOAD always; needs an https endpoint
  };
  PayloadSigning payload_signing = PayloadSigning::kAuto;
  // x-amz-server-side-encryption on PutObject / CreateMultipartUpload: "" (none sent: the
  // bucket's default encryption applies), "AES256" (SSE-S3) or "aws:kms" (SSE-KMS).
  std::string sse;
  // x-amz-server-side-encryption-aws-kms-key-id (key id, key ARN or alias); only with "aws:kms";
  // "" = the account's AWS managed key aws/s3.
  std::string sse_kms_key_id;
  // x-amz-storage-class of data segments only (storage/factory decides which keys those are);
  // "" = none sent (the bucket's default, STANDARD on AWS). GLACIER and DEEP_ARCHIVE are refused.
  std::string storage_class;
  // storage.s3.object_lock: S3 Object Lock (WORM) retention on data segments only (storage/factory
  // decides which keys those are; docs/security.md "Tamper-proof backups"). Each segment is put
  // with x-amz-object-lock-mode and x-amz-object-lock-retain-until-date = upload time +
  // `retention`; the bucket must have Object Lock enabled. Off when mode is "".
  struct ObjectLock {
    std::string mode;                        // "" (off), "GOVERNANCE" or "COMPLIANCE"
    std::chrono::milliseconds retention{0};  // > 0 when mode is set
  };
  ObjectLock object_lock;
};

// storage.gcs: Google Cloud Storage through its JSON API (storage/gcs/, docs/configuration.md).
struct GcsStoreConfig {
  std::string bucket;
  // Default: http://$STORAGE_EMULATOR_HOST when that is set (an emulator), else
  // https://storage.googleapis.com.
  std::string endpoint;
  enum class Auth {
    kServiceAccount,  // a service-account JSON key file (credentials_file): signed JWT -> token
    kMetadata,        // the GCE/GKE metadata server's token of the attached service account
    kNone,            // anonymous (emulators, public buckets)
  };
  // Default: none with STORAGE_EMULATOR_HOST (and no endpoint given), else service_account when
  // GOOGLE_APPLICATION_CREDENTIALS is set, else metadata.
  Auth auth = Auth::kMetadata;
  std::string credentials_file;  // service_account only; default GOOGLE_APPLICATION_CREDENTIALS
  std::string ca_bundle;         // PEM CAs for the endpoint's TLS; "" = the system trust store
  // Host[:port] of the metadata server (GCE_METADATA_HOST; default metadata.google.internal).
  // Not a config key: taken from the environment when the config is loaded.
  std::string metadata_host;
};

// "storage.gcs.auth" value names: "service_account", "metadata", "none".
std::string_view GcsAuthName(GcsStoreConfig::Auth a);

// "storage.s3.payload_signing" value names: "auto", "always", "never".
std::string_view PayloadSigningName(S3StoreConfig::PayloadSigning p);

// storage.azure: Azure Blob Storage (storage/azure/; docs/configuration.md). Only what the file
// says; the Azure client fills the rest from AZURE_STORAGE_* variables
// (storage/azure/azure_auth.h).
struct AzureStoreConfig {
  std::string account;    // default: AZURE_STORAGE_ACCOUNT, then the connection string's
  std::string container;  // required
  // default: https://<account>.blob.core.windows.net; a path (Azurite: http://127.0.0.1:10000/
  // devstoreaccount1) is kept and blob paths go below it.
  std::string endpoint;
  enum class Auth { kAuto, kSharedKey, kSas, kWorkloadIdentity, kManagedIdentity };
  // kAuto: key, then sas_token, then AZURE_STORAGE_KEY, AZURE_STORAGE_SAS_TOKEN,
  // AZURE_STORAGE_CONNECTION_STRING, then workload identity when AZURE_FEDERATED_TOKEN_FILE is set.
  Auth auth = Auth::kAuto;
  std::string key;        // the account key (base64) for Shared Key
  std::string sas_token;  // a SAS token ("sv=...&sig=..."; a leading '?' is dropped)
  std::string ca_bundle;  // PEM of the CAs for the endpoint's TLS; default: the system trust store
};

std::string_view AzureAuthName(AzureStoreConfig::Auth a);

// storage.encryption: client-side encryption at rest (docs/security.md). Only where the key
// material comes from is kept here; crypto::KeyRing::Load reads it.
struct EncryptionConfig {
  struct KeySource {
    std::string id;          // 1..32 of [A-Za-z0-9._-]
    std::string config_key;  // "storage.encryption.keys.<id>", for messages
    enum class Kind { kFile, kEnv } kind = Kind::kFile;
    std::string where;  // file path or environment variable name
  };
  bool enabled = false;           // the section has keys
  std::string current_key;        // id of the key new objects are sealed with
  bool encrypt_metadata = false;  // also seal consumers_offset, offset history and topic.json
  std::vector<KeySource> keys;
};

struct StorageConfig {
  enum class Type { kLocal, kS3, kGcs, kAzure };
  Type type = Type::kLocal;
  std::string prefix;  // user-defined key prefix; may be empty
  // How long one store operation is retried before a command gives up; the backup daemon retries
  // without limit.
  std::chrono::milliseconds retry_timeout{300'000};
  LocalStoreConfig local;
  S3StoreConfig s3;
  GcsStoreConfig gcs;
  AzureStoreConfig azure;
  EncryptionConfig encryption;
};

// The backup daemon (`kafka-backup backup`); see docs/configuration.md for each key.
struct BackupConfig {
  std::string group_id = "kafka-backup";
  // Static group membership (librdkafka's group.instance.id): a member restarted under the same id
  // gets its partitions back at once instead of after the dead member's session timeout. nullopt:
  // derived from the host name (DefaultInstanceId); "": dynamic membership.
  std::optional<std::string> instance_id;
  // Topic names, or regular expressions when the entry starts with '^' (librdkafka's convention);
  // a regex must match the whole topic name.
  std::vector<std::string> topics;
  std::vector<std::string> exclude;
  bool include_internal = false;  // topics whose names start with "__"
  uint64_t segment_max_bytes = 64ull << 20;
  uint64_t segment_max_records = 1'000'000;
  std::chrono::milliseconds segment_max_age{60'000};
  // How segment blocks are compressed (docs/format.md): zstd at zstd_level (0 = no compression,
  // -7..-1 = zstd's fast levels, 1..19), LZ4 (segments of format version 3/4, which readers from
  // before LZ4 do not read), or none. zstd_level is set only with codec zstd.
  enum class Codec { kZstd, kLz4, kNone };
  Codec codec = Codec::kZstd;
  int zstd_level = 3;
  uint64_t block_bytes = 256 << 10;
  uint64_t buffer_memory = 128ull << 20;  // all partitions' buffers and uploads in flight
  int upload_concurrency = 4;
  // Threads compressing segment blocks; -1 (default) = one per CPU, up to 8; 0 = compress on the
  // consume thread.
  int compression_threads = -1;
  std::chrono::milliseconds offsets_interval{60'000};   // consumer group offsets sync
  std::chrono::milliseconds metadata_interval{30'000};  // topic discovery and topic.json
  // Which ACLs the metadata rounds keep in <prefix>/@cluster/security.json (with the SCRAM users):
  // those naming a backed-up topic or one of their consumer groups, all of them, or none.
  enum class Acls { kOff, kRelated, kAll };
  Acls acls = Acls::kRelated;
  std::chrono::milliseconds shutdown_timeout{60'000};
  // /healthz fails once the store has been failing (retried without answer) this long.
  std::chrono::milliseconds store_unhealthy_after{120'000};
};

// "kafka-backup-<host name>", the host name's characters outside [A-Za-z0-9._-] replaced by '-'.
std::string DefaultInstanceId();
// The group.instance.id the backup consumer uses; "" for dynamic membership.
std::string EffectiveInstanceId(const BackupConfig& backup);

// `kafka-backup restore`; command-line flags override these. See docs/configuration.md.
struct RestoreConfig {
  int parallelism = 0;                // partitions restored at once; 0: chosen from the work
  uint64_t max_bytes_per_second = 0;  // record payload bytes; 0 = unlimited
  std::chrono::milliseconds checkpoint_interval{5'000};
  bool fail_if_target_not_empty = false;  // refuse targets holding records of someone else
};

struct MetricsConfig {
  std::string listen;  // "host:port" of /metrics and /healthz; empty = off
};

// Retention propagation inside the backup daemon (ops/retention.h); docs/configuration.md.
struct RetentionConfig {
  bool enabled = true;
  std::chrono::milliseconds interval{600'000};        // between rounds
  std::chrono::milliseconds grace{7 * 86'400'000LL};  // from first seen expired to deletion
  // From first seen missing from the cluster to deleting the topic's backup; nullopt: never.
  std::optional<std::chrono::milliseconds> deleted_topic_max_age;
};

// The backup daemon's scheduled, sampled verify (ops/verify.h), exported as metrics.
struct VerifyScheduleConfig {
  std::chrono::milliseconds interval{6 * 3'600'000LL};  // 0: off
  uint64_t sample = 1;  // segments read per partition (evenly spaced, always the newest)
};

struct Config {
  KafkaConfig kafka;
  StorageConfig storage;
  BackupConfig backup;
  RestoreConfig restore;
  MetricsConfig metrics;
  RetentionConfig retention;
  VerifyScheduleConfig verify;
};

// The directory used when no storage section is given.
inline constexpr std::string_view kDefaultLocalStorePath = "kafka-backup-data";

// Checks S3StoreConfig's upload options (payload_signing against the endpoint's scheme, sse,
// sse_kms_key_id, storage_class, object_lock); InvalidArgument naming the storage.s3.* key at
// fault.
Status ValidateS3UploadOptions(const S3StoreConfig& s3);

// Parses YAML text. `source` names the file in error messages.
Result<Config> ParseConfig(std::string_view yaml_text, std::string_view source,
                           const EnvLookup& env);

// Reads and parses a file; a missing or unreadable file is an error naming the path.
Result<Config> LoadConfigFile(const std::string& path, const EnvLookup& env);

}  // namespace kb
