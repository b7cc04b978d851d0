#include "storage/s3/sts.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <pugixml.hpp>
#include <sstream>

#include "common/error_map.h"
#include "storage/http/simple_http.h"
#include "storage/s3/s3_util.h"

namespace kb::storage::s3 {

Result<Credentials> ParseAssumeRoleWithWebIdentityResponse(std::string_view body,
                                                           std::string_view subject) {
  pugi::xml_document doc;
  pugi::xml_node creds;
  if (!doc.load_buffer(body.data(), body.size()) ||
      !(creds = doc.child("AssumeRoleWithWebIdentityResponse")
                    .child("AssumeRoleWithWebIdentityResult")
                    .child("Credentials"))) {
    return Status::Permanent(subject,
                             "STS answer is not an AssumeRoleWithWebIdentityResponse with "
                             "Credentials");
  }
  Credentials c{.access_key_id = creds.child_value("AccessKeyId"),
                .secret_access_key = creds.child_value("SecretAccessKey"),
                .session_token = creds.child_value("SessionToken")};
  for (const auto& [name, value] : {std::pair{"AccessKeyId", &c.access_key_id},
                                    std::pair{"SecretAccessKey", &c.secret_access_key},
                                    std::pair{"SessionToken", &c.session_token}}) {
    if (value->empty()) {
      return Status::Permanent(subject, std::string("STS answer has no ") + name);
    }
  }
  const std::string expiration = creds.child_value("Expiration");
  std::optional<std::chrono::system_clock::time_point> t = ParseAwsTimestamp(expiration);
  if (!t) {
    return Status::Permanent(subject, "STS answer has a bad Expiration '" + expiration + "'");
  }
  c.expiration = *t;
  return c;
}

StsError ParseStsError(std::string_view body) {
  pugi::xml_document doc;
  if (!doc.load_buffer(body.data(), body.size())) return {};
  pugi::xml_node e = doc.child("ErrorResponse").child("Error");
  if (!e) e = doc.child("Error");
  return {e.child_value("Code"), e.child_value("Message")};
}

Result<Credentials> AssumeRoleWithWebIdentity(const WebIdentitySettings& s) {
  std::ifstream in(s.token_file, std::ios::binary);
  if (!in) {
    return Status::InvalidArgument("AWS_WEB_IDENTITY_TOKEN_FILE",
                                   "cannot read " + s.token_file + ": " + std::strerror(errno));
  }
  std::ostringstream text;
  text << in.rdbuf();
  std::string token = text.str();
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r' || token.back() == ' ')) {
    token.pop_back();
  }
  if (token.empty()) {
    return Status::InvalidArgument("AWS_WEB_IDENTITY_TOKEN_FILE", s.token_file + " is empty");
  }
  http::HttpRequest req{.method = "POST", .url = s.endpoint + "/", .ca_bundle = s.ca_bundle};
  req.headers = {"Content-Type: application/x-www-form-urlencoded", "Accept: application/xml",
                 "Expect:"};
  req.body = "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=" +
             UriEncode(s.role_arn, false) + "&RoleSessionName=" + UriEncode(s.session_name, false) +
             "&WebIdentityToken=" + UriEncode(token, false);
  KB_ASSIGN_OR_RETURN(http::HttpAnswer answer, http::PerformHttp(req, s.role_arn));
  if (answer.status < 200 || answer.status >= 300) {
    StsError e = ParseStsError(answer.body);
    std::string msg = "STS AssumeRoleWithWebIdentity at " + s.endpoint;
    if (!e.message.empty()) msg += ": " + e.message;
    return FromHttpStatus(answer.status, Redact(e.code, token), s.role_arn, Redact(msg, token));
  }
  return ParseAssumeRoleWithWebIdentityResponse(answer.body, s.role_arn);
}

}  // namespace kb::storage::s3
