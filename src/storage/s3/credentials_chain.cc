// MakeDefaultCredentialsProvider: the default chain of credentials.h.
#include <spdlog/spdlog.h>

#include "storage/s3/credentials.h"
#include "storage/s3/imds.h"
#include "storage/s3/profile_file.h"
#include "storage/s3/sts.h"

namespace kb::storage::s3 {
namespace {

std::string WithoutTrailingSlash(std::string s) {
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}

std::string Join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (const std::string& p : parts) out += (out.empty() ? "" : std::string(sep)) + p;
  return out;
}

bool IsRegionName(std::string_view r) {
  if (r.empty() || r.size() > 64) return false;
  for (char c : r) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.' && c != '_') {
      return false;
    }
  }
  return true;
}

std::shared_ptr<CredentialsProvider> Static(std::string source, Credentials c) {
  spdlog::info("S3 credentials from {} (key id {}{})", source, AbbreviateKeyId(c.access_key_id),
               c.session_token.empty() ? "" : ", with a session token");
  return std::make_shared<StaticCredentialsProvider>(std::move(source), std::move(c));
}

}  // namespace

Result<ResolvedCredentials> MakeDefaultCredentialsProvider(const S3StoreConfig& cfg,
                                                           const CredentialsEnvironment& world) {
  auto env = [&world](const char* name) -> std::string {
    std::optional<std::string> v = world.env(name);
    return v ? *v : std::string();
  };
  const std::string home = env("HOME");
  auto file_path = [&](const char* var, const char* under_home) {
    std::string p = env(var);
    if (p.empty() && !home.empty()) p = home + under_home;
    if (p.starts_with("~/") && !home.empty()) p = home + p.substr(1);
    return p;
  };
  const std::string credentials_file =
      file_path("AWS_SHARED_CREDENTIALS_FILE", "/.aws/credentials");
  const std::string config_file = file_path("AWS_CONFIG_FILE", "/.aws/config");
  const std::string profile_key = cfg.profile.empty() ? "AWS_PROFILE" : "storage.s3.profile";
  std::string profile_name = cfg.profile.empty() ? env("AWS_PROFILE") : cfg.profile;
  const bool named_profile = !profile_name.empty();
  if (!named_profile) profile_name = "default";
  const std::string files = credentials_file + ", " + config_file;

  std::optional<AwsProfile> profile;  // loaded when first needed
  auto load_profile = [&]() -> Status {
    if (profile) return Status::OK();
    KB_ASSIGN_OR_RETURN(AwsProfile p, LoadProfile(profile_name, credentials_file, config_file));
    if (named_profile && !p.found) {
      return Status::InvalidArgument(profile_key,
                                     "profile '" + profile_name + "' is in neither " + files);
    }
    profile = std::move(p);
    return Status::OK();
  };

  ResolvedCredentials out;
  out.region = cfg.region;
  if (out.region.empty()) {
    KB_RETURN_IF_ERROR(load_profile());
    auto it = profile->values.find("region");
    if (it != profile->values.end()) {
      if (!IsRegionName(it->second)) {
        return Status::InvalidArgument(
            profile->file_of.at("region"),
            "profile '" + profile_name + "': region '" + it->second + "' is not a region name");
      }
      out.region = it->second;
    }
    if (out.region.empty()) out.region = "us-east-1";
  }

  std::vector<std::string> tried;
  // 1. The config file's keys (config.cc checked they come in pairs).
  if (!cfg.access_key_id.empty()) {
    out.provider = Static("storage.s3.access_key_id/secret_access_key",
                          {cfg.access_key_id, cfg.secret_access_key, cfg.session_token, {}});
    return out;
  }
  tried.push_back("storage.s3.access_key_id (not set)");

  // 2. The environment.
  const std::string env_id = env("AWS_ACCESS_KEY_ID");
  const std::string env_secret = env("AWS_SECRET_ACCESS_KEY");
  const std::string env_token = env("AWS_SESSION_TOKEN");
  if (env_id.empty() != env_secret.empty()) {
    return Status::InvalidArgument(
        env_id.empty() ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
        "is not set while " +
            std::string(env_id.empty() ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID") +
            " is: set both or neither");
  }
  if (env_id.empty() && !env_token.empty()) {
    return Status::InvalidArgument("AWS_SESSION_TOKEN",
                                   "is set without AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY");
  }
  if (!env_id.empty()) {
    out.provider =
        Static("the environment (AWS_ACCESS_KEY_ID)", {env_id, env_secret, env_token, {}});
    return out;
  }
  tried.push_back("environment (AWS_ACCESS_KEY_ID not set)");

  // 3. The shared credentials and config files.
  KB_RETURN_IF_ERROR(load_profile());
  KB_ASSIGN_OR_RETURN(std::optional<Credentials> from_profile, ProfileCredentials(*profile));
  if (from_profile) {
    out.provider =
        Static("profile '" + profile_name + "' in " + profile->file_of.at("aws_access_key_id"),
               std::move(*from_profile));
    return out;
  }
  tried.push_back("profile '" + profile_name + "' (" +
                  (profile->found ? "has no aws_access_key_id" : "not found") + " in " + files +
                  ")");

  // 4. Web identity.
  const std::string token_file = env("AWS_WEB_IDENTITY_TOKEN_FILE");
  const std::string role_arn = env("AWS_ROLE_ARN");
  if (token_file.empty() != role_arn.empty()) {
    return Status::InvalidArgument(
        token_file.empty() ? "AWS_WEB_IDENTITY_TOKEN_FILE" : "AWS_ROLE_ARN",
        "is not set while " +
            std::string(token_file.empty() ? "AWS_ROLE_ARN" : "AWS_WEB_IDENTITY_TOKEN_FILE") +
            " is: web identity needs both");
  }
  // Temporary credentials are fetched once now: a refusal ends here, an outage is retried by
  // the requests (storage/retrying_store.h).
  auto adopt = [&out](std::shared_ptr<CredentialsProvider> p,
                      const Result<Credentials>& first) -> Status {
    if (!first.ok() && !first.status().IsRetryable()) return first.status();
    if (!first.ok()) {
      spdlog::warn("{}; S3 requests will try again", first.status().ToString());
    }
    out.provider = std::move(p);
    return Status::OK();
  };
  if (!token_file.empty()) {
    WebIdentitySettings s{.token_file = token_file,
                          .role_arn = role_arn,
                          .session_name = env("AWS_ROLE_SESSION_NAME"),
                          .endpoint = WithoutTrailingSlash(env("AWS_ENDPOINT_URL_STS")),
                          .ca_bundle = env("AWS_CA_BUNDLE")};
    if (s.session_name.empty()) {
      s.session_name =
          "kafka-backup-" + std::to_string(std::chrono::system_clock::to_time_t(world.clock()));
    }
    if (s.endpoint.empty()) {
      s.endpoint = "https://sts." + out.region + ".amazonaws.com" +
                   (out.region.starts_with("cn-") ? ".cn" : "");
    }
    const std::string source = "web identity (role " + role_arn + ", token file " + token_file +
                               ", STS " + s.endpoint + ")";
    auto provider = std::make_shared<RefreshingCredentialsProvider>(
        source, [s] { return AssumeRoleWithWebIdentity(s); }, world.clock);
    Result<Credentials> first = provider->Get();
    KB_RETURN_IF_ERROR(adopt(std::move(provider), first));
    return out;
  }
  tried.push_back("web identity (AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN not set)");

  // Not implemented: say so rather than fall through to the instance's own role (ECS on EC2).
  for (const char* var :
       {"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI"}) {
    if (!env(var).empty()) {
      return Status::InvalidArgument(
          var,
          "container (ECS/EKS Pod Identity) credentials are not supported by kafka-backup; "
          "use web identity (AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE), a profile or "
          "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY");
    }
  }

  // 5. Instance metadata.
  std::string disabled = env("AWS_EC2_METADATA_DISABLED");
  for (char& c : disabled) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (disabled == "true") {
    tried.push_back("instance metadata (AWS_EC2_METADATA_DISABLED=true)");
  } else {
    std::string endpoint = WithoutTrailingSlash(env("AWS_EC2_METADATA_SERVICE_ENDPOINT"));
    if (endpoint.empty()) {
      std::string mode = env("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE");
      for (char& c : mode) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (!mode.empty() && mode != "ipv4" && mode != "ipv6") {
        return Status::InvalidArgument("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE",
                                       "'" + mode + "' is neither IPv4 nor IPv6");
      }
      endpoint = mode == "ipv6" ? "http://[fd00:ec2::254]" : "http://169.254.169.254";
    }
    ImdsSettings s{.endpoint = endpoint,
                   .connect_timeout = world.imds_connect_timeout,
                   .timeout = world.imds_timeout};
    auto reachable = std::make_shared<bool>(false);
    auto provider = std::make_shared<RefreshingCredentialsProvider>(
        "instance metadata " + endpoint,
        [s, reachable] {
          bool r = false;
          Result<Credentials> c = FetchImdsCredentials(s, &r);
          *reachable = *reachable || r;
          return c;
        },
        world.clock);
    Result<Credentials> first = provider->Get();
    if (first.ok() || *reachable) {
      KB_RETURN_IF_ERROR(adopt(std::move(provider), first));
      return out;
    }
    tried.push_back("instance metadata at " + endpoint +
                    " (no answer: " + first.status().message() + ")");
  }
  return Status::InvalidArgument("storage.s3",
                                 "no S3 credentials found; tried: " + Join(tried, "; ") +
                                     ". See docs/security.md, section 'S3 credentials'");
}

}  // namespace kb::storage::s3
