#include "storage/s3/imds.h"

#include <nlohmann/json.hpp>

#include "common/error_map.h"
#include "storage/http/simple_http.h"

namespace kb::storage::s3 {
namespace {

constexpr const char* kCredentialsPath = "/latest/meta-data/iam/security-credentials/";

}  // namespace

Result<Credentials> ParseImdsCredentials(std::string_view json, std::string_view subject) {
  nlohmann::json doc = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) {
    return Status::Permanent(subject, "instance metadata credentials are not a JSON object");
  }
  auto text = [&doc](const char* name) -> std::string {
    auto it = doc.find(name);
    return it != doc.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  if (doc.contains("Code") && text("Code") != "Success") {
    return Status::Permanent(
        subject, "instance metadata credentials have Code '" + text("Code") + "', not 'Success'");
  }
  Credentials c{.access_key_id = text("AccessKeyId"),
                .secret_access_key = text("SecretAccessKey"),
                .session_token = text("Token")};
  for (const auto& [name, value] :
       {std::pair{"AccessKeyId", &c.access_key_id},
        std::pair{"SecretAccessKey", &c.secret_access_key}, std::pair{"Token", &c.session_token}}) {
    if (value->empty()) {
      return Status::Permanent(subject,
                               std::string("instance metadata credentials have no ") + name);
    }
  }
  const std::string expiration = text("Expiration");
  std::optional<std::chrono::system_clock::time_point> t = ParseAwsTimestamp(expiration);
  if (!t) {
    return Status::Permanent(
        subject, "instance metadata credentials have a bad Expiration '" + expiration + "'");
  }
  c.expiration = *t;
  return c;
}

Result<Credentials> FetchImdsCredentials(const ImdsSettings& s, bool* reachable) {
  const std::string subject = "instance metadata " + s.endpoint;
  if (reachable != nullptr) *reachable = false;
  auto call = [&s, &subject](const char* method, const std::string& path,
                             std::vector<std::string> headers) -> Result<http::HttpAnswer> {
    http::HttpRequest req{.method = method,
                          .url = s.endpoint + path,
                          .headers = std::move(headers),
                          .connect_timeout = s.connect_timeout,
                          .timeout = s.timeout};
    KB_ASSIGN_OR_RETURN(http::HttpAnswer a, http::PerformHttp(req, subject));
    if (a.status < 200 || a.status >= 300) {
      return FromHttpStatus(a.status, "", subject, std::string(method) + " " + path);
    }
    return a;
  };
  KB_ASSIGN_OR_RETURN(
      http::HttpAnswer token,
      call("PUT", "/latest/api/token", {"X-aws-ec2-metadata-token-ttl-seconds: 21600"}));
  if (reachable != nullptr) *reachable = true;
  if (token.body.empty()) {
    return Status::Permanent(subject, "PUT /latest/api/token answered an empty token");
  }
  const std::string auth = "X-aws-ec2-metadata-token: " + token.body;
  KB_ASSIGN_OR_RETURN(http::HttpAnswer roles, call("GET", kCredentialsPath, {auth}));
  std::string role = roles.body.substr(0, roles.body.find_first_of("\r\n"));
  if (role.empty()) {
    return Status::PermissionDenied(subject, "no IAM role is attached to this instance");
  }
  KB_ASSIGN_OR_RETURN(http::HttpAnswer creds, call("GET", kCredentialsPath + role, {auth}));
  return ParseImdsCredentials(creds.body, subject + " role " + role);
}

}  // namespace kb::storage::s3
