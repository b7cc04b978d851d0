// The binary finds S3 credentials in an AWS profile (AWS_PROFILE + AWS_SHARED_CREDENTIALS_FILE in
// its environment) and uses them against the real S3 server (versitygw); at trace level nothing
// prints the secret. Needs KB_TEST_S3_* (scripts/test.sh).
#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <fstream>

#include "cli/cli_test_util.h"
#include "testing/test_env.h"

namespace kb::cli {
namespace {

using namespace std::chrono_literals;
using testing::Ran;

class S3CredentialsCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_ = dir_.path() + "/kb.yaml";
    std::ofstream(config_) << "storage:\n  prefix: " << kb::testing::UniqueName("creds-cli")
                           << "\n  retry_timeout: 2s\n  s3:\n    endpoint: "
                           << kb::testing::RequireEnv("KB_TEST_S3_ENDPOINT")
                           << "\n    bucket: " << kb::testing::RequireEnv("KB_TEST_S3_BUCKET")
                           << "\n    path_style: true\n";
    std::ofstream(dir_.path() + "/config")
        << "[profile kb-cli]\nregion = " << kb::testing::RequireEnv("KB_TEST_S3_REGION") << "\n";
    // The child inherits this process's environment.
    for (const char* k : {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                          "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_REGION",
                          "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"}) {
      ::unsetenv(k);
    }
    for (const auto& [k, v] : std::map<std::string, std::string>{
             {"HOME", dir_.path()},
             {"AWS_EC2_METADATA_DISABLED", "true"},
             {"AWS_PROFILE", "kb-cli"},
             {"AWS_SHARED_CREDENTIALS_FILE", dir_.path() + "/credentials"},
             {"AWS_CONFIG_FILE", dir_.path() + "/config"}}) {
      ::setenv(k.c_str(), v.c_str(), 1);
    }
  }
  void TearDown() override {
    for (const char* k : {"AWS_EC2_METADATA_DISABLED", "AWS_PROFILE", "AWS_SHARED_CREDENTIALS_FILE",
                          "AWS_CONFIG_FILE"}) {
      ::unsetenv(k);
    }
  }
  void WriteSecret(const std::string& secret) {
    std::ofstream(dir_.path() + "/credentials")
        << "[kb-cli]\naws_access_key_id = " << kb::testing::RequireEnv("KB_TEST_S3_ACCESS_KEY")
        << "\naws_secret_access_key = " << secret << "\n";
  }
  Ran Ls() {
    return testing::Run(KB_BINARY, {"--config", config_, "--log-level", "trace", "ls"},
                        dir_.path() + "/out.log", 60s);
  }

  kb::testing::TempDir dir_;
  std::string config_;
};

TEST_F(S3CredentialsCliTest, LsWithProfileCredentials) {
  const std::string secret = kb::testing::RequireEnv("KB_TEST_S3_SECRET_KEY");
  WriteSecret(secret);
  Ran r = Ls();
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_NE(
      r.output.find("S3 credentials from profile 'kb-cli' in " + dir_.path() + "/credentials"),
      std::string::npos)
      << r.output;
  EXPECT_EQ(r.output.find(secret), std::string::npos) << r.output;
}

TEST_F(S3CredentialsCliTest, AWrongProfileSecretIsOneClearErrorWithoutTheSecret) {
  const std::string wrong = "not-the-secret-profile-8d1f";
  WriteSecret(wrong);
  Ran r = Ls();
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("SignatureDoesNotMatch"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find(wrong), std::string::npos) << r.output;
}

TEST_F(S3CredentialsCliTest, NoCredentialsAnywhereSaysWhatWasTried) {
  ::setenv("AWS_PROFILE", "no-such-profile", 1);
  WriteSecret("s");
  Ran r = Ls();
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("AWS_PROFILE"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("'no-such-profile'"), std::string::npos) << r.output;
  ::unsetenv("AWS_PROFILE");
  ::unlink((dir_.path() + "/credentials").c_str());
  r = Ls();
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("no S3 credentials found; tried:"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace kb::cli
