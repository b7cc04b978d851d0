#include "config/config.h"

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <sstream>

#include "config/yaml_reader.h"

namespace kb {
namespace {

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
  out->bucket = *bucket;
  KB_ASSIGN_OR_RETURN(auto region, r.GetString("region"));
  out->region = region ? *region : env_or("AWS_REGION", "AWS_DEFAULT_REGION");
  if (out->region.empty()) out->region = "us-east-1";
  KB_ASSIGN_OR_RETURN(auto endpoint, r.GetString("endpoint"));
  out->endpoint = endpoint ? *endpoint : env_or("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL");
  KB_ASSIGN_OR_RETURN(auto path_style, r.GetBool("path_style"));
  out->path_style = path_style.value_or(false);
  KB_ASSIGN_OR_RETURN(auto key_id, r.GetString("access_key_id"));
  out->access_key_id = key_id ? *key_id : env_or("AWS_ACCESS_KEY_ID");
  KB_ASSIGN_OR_RETURN(auto secret, r.GetString("secret_access_key"));
  out->secret_access_key = secret ? *secret : env_or("AWS_SECRET_ACCESS_KEY");
  KB_ASSIGN_OR_RETURN(auto token, r.GetString("session_token"));
  out->session_token = token ? *token : env_or("AWS_SESSION_TOKEN");
  if (out->access_key_id.empty() != out->secret_access_key.empty()) {
    return Status::InvalidArgument(
        r.PathOf(out->access_key_id.empty() ? "access_key_id" : "secret_access_key"),
        "access_key_id and secret_access_key must be given together");
  }
  if (out->access_key_id.empty()) {
    return Status::InvalidArgument(r.PathOf("access_key_id"),
                                   "no S3 credentials: set access_key_id/secret_access_key or "
                                   "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY");
  }
  return r.Finish();
}

Status ParseStorage(YamlMapReader& r, const EnvLookup& env, StorageConfig* out) {
  KB_ASSIGN_OR_RETURN(auto prefix, r.GetString("prefix"));
  out->prefix = prefix.value_or("");
  bool has_local = r.Has("local");
  bool has_s3 = r.Has("s3");
  if (has_local && has_s3) {
    return Status::InvalidArgument(r.PathOf("s3"),
                                   "give either storage.local or storage.s3, not both");
  }
  KB_ASSIGN_OR_RETURN(YamlMapReader local, r.GetMap("local"));
  KB_ASSIGN_OR_RETURN(auto path, local.GetString("path"));
  out->local.path = path.value_or(std::string(kDefaultLocalStorePath));
  if (out->local.path.empty()) return Status::InvalidArgument(local.PathOf("path"), "is empty");
  KB_RETURN_IF_ERROR(local.Finish());
  KB_ASSIGN_OR_RETURN(YamlMapReader s3, r.GetMap("s3"));
  if (has_s3) {
    out->type = StorageConfig::Type::kS3;
    KB_RETURN_IF_ERROR(ParseS3(s3, env, &out->s3));
  }
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

}  // namespace kb
