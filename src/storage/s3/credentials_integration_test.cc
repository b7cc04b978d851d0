// The credentials chain against the real S3 server started by scripts/test.sh (versitygw, which
// verifies SigV4): keys from an AWS profile file sign requests it accepts, and a wrong secret in
// the profile is the clear authentication error. Web identity and instance metadata need AWS; they
// are tested against loopback stand-ins in credentials_chain_test.cc.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <fstream>

#include "storage/s3/s3_client.h"
#include "storage/s3/s3_store.h"
#include "testing/s3_server.h"
#include "testing/test_env.h"

namespace kb::storage::s3 {
namespace {

class ProfileCredentialsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = kb::testing::TestS3ServerConfig();
    cfg_ = server_;
    cfg_.access_key_id.clear();  // the credentials come from the profile
    cfg_.secret_access_key.clear();
    cfg_.region.clear();  // and the region too
    vars_ = {{"HOME", dir_.path()},
             {"AWS_EC2_METADATA_DISABLED", "true"},
             {"AWS_PROFILE", "kb-backup"},
             {"AWS_SHARED_CREDENTIALS_FILE", dir_.path() + "/credentials"},
             {"AWS_CONFIG_FILE", dir_.path() + "/config"}};
    std::ofstream(dir_.path() + "/config")
        << "[profile kb-backup]\nregion = " << server_.region << "\noutput = json\n";
  }

  void WriteCredentials(const std::string& secret, const std::string& token = "") {
    std::ofstream(dir_.path() + "/credentials")
        << "[default]\naws_access_key_id = AKIANOTTHISONE\naws_secret_access_key = nope\n"
        << "[kb-backup]\naws_access_key_id = " << server_.access_key_id
        << "\naws_secret_access_key = " << secret << "\n"
        << (token.empty() ? "" : "aws_session_token = " + token + "\n");
  }

  CredentialsEnvironment World() {
    CredentialsEnvironment w = ProcessCredentialsEnvironment();
    w.env = [this](const std::string& n) -> std::optional<std::string> {
      auto it = vars_.find(n);
      if (it == vars_.end()) return std::nullopt;
      return it->second;
    };
    return w;
  }

  kb::testing::TempDir dir_;
  S3StoreConfig server_, cfg_;
  std::map<std::string, std::string> vars_;
};

TEST_F(ProfileCredentialsTest, ProfileKeysSignRequestsTheServerAccepts) {
  WriteCredentials(server_.secret_access_key);
  auto client = S3Client::Make(cfg_, World());
  ASSERT_TRUE(client.ok()) << client.status().ToString();
  const std::string key = kb::testing::UniqueName("creds") + "/profile.txt";
  const std::string_view body = "signed with profile keys";
  ASSERT_TRUE((*client)->PutObject(key, std::span<const std::string_view>(&body, 1)).ok());
  auto got = (*client)->GetObject(key);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, body);
  EXPECT_TRUE((*client)->DeleteObjects({key}).ok());
}

TEST_F(ProfileCredentialsTest, AWrongSecretInTheProfileIsAClearAuthError) {
  const std::string wrong = "wrong-profile-secret-4711";
  WriteCredentials(wrong);
  auto client = S3Client::Make(cfg_, World());
  ASSERT_TRUE(client.ok()) << client.status().ToString();
  const std::string key = kb::testing::UniqueName("creds") + "/wrong.txt";
  const std::string_view body = "x";
  Status put = (*client)->PutObject(key, std::span<const std::string_view>(&body, 1));
  ASSERT_FALSE(put.ok());
  EXPECT_TRUE(put.IsPermissionDenied()) << put.ToString();
  EXPECT_NE(put.message().find("SignatureDoesNotMatch"), std::string::npos) << put.ToString();
  EXPECT_NE(put.message().find("check the S3 access key and secret"), std::string::npos);
  EXPECT_EQ(put.ToString().find(wrong), std::string::npos);
}

// versitygw has no temporary credentials: it refuses any x-amz-security-token sent with its
// static users (400 InvalidToken). That shows the profile's token is sent, and how a refused token
// reads; the token itself is not in the error.
TEST_F(ProfileCredentialsTest, TheProfileSessionTokenIsSentAndARefusalIsClear) {
  const std::string token = "FwoGZXIvYXdzEXAMPLE-session-token-0815";
  WriteCredentials(server_.secret_access_key, token);
  auto client = S3Client::Make(cfg_, World());
  ASSERT_TRUE(client.ok()) << client.status().ToString();
  auto list = (*client)->ListObjectsV2("", "", 1);
  ASSERT_FALSE(list.ok());
  EXPECT_TRUE(list.status().IsPermissionDenied()) << list.status().ToString();
  EXPECT_NE(list.status().message().find("InvalidToken"), std::string::npos);
  EXPECT_NE(list.status().message().find("check the S3 session token"), std::string::npos);
  EXPECT_EQ(list.status().ToString().find(token), std::string::npos);
}

// The same through the process environment, as the commands run: S3Store::Make reads AWS_PROFILE
// and the file variables with getenv.
TEST_F(ProfileCredentialsTest, ThroughTheProcessEnvironment) {
  WriteCredentials(server_.secret_access_key);
  for (const auto& [k, v] : vars_) ::setenv(k.c_str(), v.c_str(), 1);
  for (const char* k : {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                        "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN"}) {
    ::unsetenv(k);
  }
  auto store = S3Store::Make(cfg_);
  for (const auto& [k, v] : vars_) ::unsetenv(k.c_str());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  const std::string key = kb::testing::UniqueName("creds") + "/env.txt";
  ASSERT_TRUE((*store)->Put(key, "via AWS_PROFILE").ok());
  EXPECT_EQ(*(*store)->Get(key), "via AWS_PROFILE");
  EXPECT_TRUE((*store)->Delete({key}).ok());
}

}  // namespace
}  // namespace kb::storage::s3
