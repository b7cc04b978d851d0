// The AWS shared credentials file (~/.aws/credentials, sections [name]) and config file
// (~/.aws/config, sections [profile name] and [default]), as the AWS CLI and SDKs read them.
//
// Format: "[section]" lines, "key = value" lines (keys are case-insensitive, stored lower-case;
// values trimmed, '#' inside a value is kept), whole-line comments starting with '#' or ';', and
// indented lines under a key with an empty value (nested settings such as "s3 =", which are not
// credentials and are skipped).
//
// Failure contract: a malformed line is InvalidArgument naming the file and the line NUMBER only —
// the line itself may hold a secret and never appears in an error. Pure functions except
// LoadProfile, which reads the two files.
// Thread-safety: reentrant.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "storage/s3/credentials.h"

namespace kb::storage::s3 {

// Section name (as written between the brackets, trimmed) -> key -> value.
using ProfileFile = std::map<std::string, std::map<std::string, std::string>>;

Result<ProfileFile> ParseProfileFile(std::string_view text, std::string_view path);

// One profile merged from both files: a key in the credentials file wins over the config file.
struct AwsProfile {
  std::string name;
  bool found = false;                          // a section of that name is in either file
  std::map<std::string, std::string> values;   // key -> value
  std::map<std::string, std::string> file_of;  // key -> path of the file it came from
};

// The profile `name` from the credentials file (section [name]) and the config file (section
// [profile name]; [default] or [profile default] for "default"). A file that does not exist is
// skipped; one that exists but cannot be read or parsed is an error naming it.
Result<AwsProfile> LoadProfile(const std::string& name, const std::string& credentials_path,
                               const std::string& config_path);

// The static credentials of a profile: nullopt when it has no aws_access_key_id and no
// aws_secret_access_key. InvalidArgument naming the profile, the file and the key when it has only
// one of them, or uses a way of getting credentials not implemented here (role_arn,
// source_profile, credential_source, credential_process, web_identity_token_file, sso_*).
Result<std::optional<Credentials>> ProfileCredentials(const AwsProfile& profile);

}  // namespace kb::storage::s3
