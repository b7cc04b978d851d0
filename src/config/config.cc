#include "config/config.h"

#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <cctype>
#include <cstring>
#include <fstream>
#include <sstream>

#include "common/name_pattern.h"
#include "config/config_internal.h"
#include "config/units.h"
#include "config/yaml_reader.h"
#include "layout/keys.h"

namespace kb {

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
