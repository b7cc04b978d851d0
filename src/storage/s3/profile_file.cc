#include "storage/s3/profile_file.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "common/ascii.h"

namespace kb::storage::s3 {
namespace {

constexpr std::string_view kSpace = " \t\r\n";

std::string_view Trim(std::string_view s) {
  const size_t first = s.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(kSpace) - first + 1);
}

Status LineError(std::string_view path, size_t line, std::string_view what) {
  return Status::InvalidArgument(path, "line " + std::to_string(line) + ": " + std::string(what));
}

// The file's text; nullopt if it does not exist.
Result<std::optional<std::string>> ReadIfExists(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) return std::optional<std::string>();
    return Status::InvalidArgument(path, std::string("cannot read: ") + std::strerror(errno));
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return Status::InvalidArgument(path, "cannot read");
  return std::optional<std::string>(text.str());
}

}  // namespace

Result<ProfileFile> ParseProfileFile(std::string_view text, std::string_view path) {
  ProfileFile out;
  std::map<std::string, std::string>* section = nullptr;
  bool have_key = false;  // in this section: an indented line continues the last key's value
  size_t line_no = 0;
  while (!text.empty()) {
    ++line_no;
    const size_t nl = text.find('\n');
    std::string_view raw = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    const std::string_view line = Trim(raw);
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;
    const bool indented = raw.front() == ' ' || raw.front() == '\t';
    // A continuation or nested setting ("s3 =" then "  max_concurrent_requests = 4"): not one
    // of the credential keys, skipped as the AWS CLI's parser folds it into the key above.
    if (indented && have_key) continue;
    if (line.front() == '[') {
      const size_t close = line.find(']');
      if (close == std::string_view::npos) return LineError(path, line_no, "a '[' without ']'");
      const std::string_view rest = Trim(line.substr(close + 1));
      if (!rest.empty() && rest.front() != '#' && rest.front() != ';') {
        return LineError(path, line_no, "text after a [section] header");
      }
      const std::string_view name = Trim(line.substr(1, close - 1));
      if (name.empty()) return LineError(path, line_no, "an empty [section] name");
      section = &out[std::string(name)];
      have_key = false;
      continue;
    }
    const size_t eq = line.find('=');
    if (eq == std::string_view::npos) {
      return LineError(path, line_no, "expected 'key = value' or '[section]'");
    }
    if (section == nullptr) return LineError(path, line_no, "a setting before any [section]");
    const std::string key = AsciiLower(Trim(line.substr(0, eq)));
    if (key.empty()) return LineError(path, line_no, "a setting without a name");
    const std::string_view value = Trim(line.substr(eq + 1));
    have_key = true;
    (*section)[key] = std::string(value);
  }
  return out;
}

Result<AwsProfile> LoadProfile(const std::string& name, const std::string& credentials_path,
                               const std::string& config_path) {
  AwsProfile p{.name = name};
  // The config file first, so that the credentials file's values overwrite its.
  struct Source {
    const std::string& path;
    std::vector<std::string> sections;
  };
  std::vector<std::string> config_sections = {"profile " + name};
  if (name == "default") config_sections.insert(config_sections.begin(), "default");
  for (const Source& src :
       {Source{config_path, config_sections}, Source{credentials_path, {name}}}) {
    if (src.path.empty()) continue;
    KB_ASSIGN_OR_RETURN(std::optional<std::string> text, ReadIfExists(src.path));
    if (!text) continue;
    KB_ASSIGN_OR_RETURN(ProfileFile file, ParseProfileFile(*text, src.path));
    for (const std::string& section : src.sections) {
      auto it = file.find(section);
      if (it == file.end()) continue;
      p.found = true;
      for (const auto& [k, v] : it->second) {
        p.values[k] = v;
        p.file_of[k] = src.path;
      }
    }
  }
  return p;
}

Result<std::optional<Credentials>> ProfileCredentials(const AwsProfile& profile) {
  auto fail = [&profile](const std::string& key, const std::string& why) {
    return Status::InvalidArgument(profile.file_of.at(key),
                                   "profile '" + profile.name + "': " + key + " " + why);
  };
  for (const auto& [key, value] : profile.values) {
    const bool unsupported = key == "role_arn" || key == "source_profile" ||
                             key == "credential_source" || key == "credential_process" ||
                             key == "web_identity_token_file" || key.starts_with("sso_");
    if (unsupported) {
      return fail(key,
                  "is not supported by kafka-backup (only aws_access_key_id, "
                  "aws_secret_access_key, aws_session_token); run with credentials from the "
                  "environment, a profile with static keys, web identity (AWS_ROLE_ARN + "
                  "AWS_WEB_IDENTITY_TOKEN_FILE) or the instance metadata service instead");
    }
  }
  auto get = [&profile](const char* key) -> std::string {
    auto it = profile.values.find(key);
    return it == profile.values.end() ? std::string() : it->second;
  };
  Credentials c{.access_key_id = get("aws_access_key_id"),
                .secret_access_key = get("aws_secret_access_key"),
                .session_token = get("aws_session_token")};
  if (c.access_key_id.empty() && c.secret_access_key.empty()) {
    if (!c.session_token.empty()) {
      return fail("aws_session_token", "is set without aws_access_key_id/aws_secret_access_key");
    }
    return std::optional<Credentials>();
  }
  if (c.access_key_id.empty()) {
    return fail("aws_secret_access_key", "is set without aws_access_key_id");
  }
  if (c.secret_access_key.empty()) {
    return fail("aws_access_key_id", "is set without aws_secret_access_key");
  }
  return std::optional<Credentials>(std::move(c));
}

}  // namespace kb::storage::s3
