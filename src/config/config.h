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
  std::string region;         // default: AWS_REGION, AWS_DEFAULT_REGION, then us-east-1
  std::string endpoint;       // default: AWS_ENDPOINT_URL, then https://s3.<region>.amazonaws.com
  bool path_style = false;    // https://endpoint/bucket/key instead of https://bucket.endpoint/key
  std::string access_key_id;  // default: AWS_ACCESS_KEY_ID
  std::string secret_access_key;  // default: AWS_SECRET_ACCESS_KEY
  std::string session_token;      // default: AWS_SESSION_TOKEN
};

struct StorageConfig {
  enum class Type { kLocal, kS3 };
  Type type = Type::kLocal;
  std::string prefix;  // user-defined key prefix; may be empty
  LocalStoreConfig local;
  S3StoreConfig s3;
};

// The backup daemon (`kafka-backup backup`); see docs/configuration.md for each key.
struct BackupConfig {
  std::string group_id = "kafka-backup";
  // Topic names, or regular expressions when the entry starts with '^' (librdkafka's convention);
  // a regex must match the whole topic name.
  std::vector<std::string> topics;
  std::vector<std::string> exclude;
  bool include_internal = false;  // topics whose names start with "__"
  uint64_t segment_max_bytes = 64ull << 20;
  uint64_t segment_max_records = 1'000'000;
  std::chrono::milliseconds segment_max_age{60'000};
  int zstd_level = 3;  // 0 = no compression
  uint64_t block_bytes = 256 << 10;
  uint64_t buffer_memory = 256ull << 20;  // all partitions' buffers and uploads in flight
  int upload_concurrency = 4;
  std::chrono::milliseconds offsets_interval{60'000};   // consumer group offsets sync
  std::chrono::milliseconds metadata_interval{30'000};  // topic discovery and topic.json
  std::chrono::milliseconds shutdown_timeout{60'000};
};

struct MetricsConfig {
  std::string listen;  // "host:port" of /metrics and /healthz; empty = off
};

struct Config {
  KafkaConfig kafka;
  StorageConfig storage;
  BackupConfig backup;
  MetricsConfig metrics;
};

// The directory used when no storage section is given.
inline constexpr std::string_view kDefaultLocalStorePath = "kafka-backup-data";

// Parses YAML text. `source` names the file in error messages.
Result<Config> ParseConfig(std::string_view yaml_text, std::string_view source,
                           const EnvLookup& env);

// Reads and parses a file; a missing or unreadable file is an error naming the path.
Result<Config> LoadConfigFile(const std::string& path, const EnvLookup& env);

}  // namespace kb
