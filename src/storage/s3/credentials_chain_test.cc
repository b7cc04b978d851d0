// The default credentials chain with a fake environment (temp files through the AWS_* variables,
// never the machine's own HOME) and loopback stand-ins for STS and the instance metadata service
// (no real one runs here).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "storage/s3/credentials.h"
#include "storage/s3/s3_client.h"
#include "testing/stand_in_http_server.h"
#include "testing/test_env.h"

namespace kb::storage::s3 {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;
using TimePoint = std::chrono::system_clock::time_point;
using FakeAnswer = kb::testing::StandInAnswer;
using FakeAwsServer = kb::testing::StandInHttpServer;
using FakeRequest = kb::testing::StandInRequest;

class ChainTest : public ::testing::Test {
 protected:
  void SetUp() override {
    vars_["HOME"] = dir_.path();  // an empty home: no ~/.aws
    vars_["AWS_EC2_METADATA_DISABLED"] = "true";
  }

  CredentialsEnvironment World() {
    return CredentialsEnvironment{
        .env = [this](const std::string& n) -> std::optional<std::string> {
          auto it = vars_.find(n);
          if (it == vars_.end()) return std::nullopt;
          return it->second;
        },
        .clock = [this] { return now_; },
        .imds_connect_timeout = std::chrono::milliseconds(500),
        .imds_timeout = std::chrono::milliseconds(2000)};
  }

  std::string Write(const std::string& name, const std::string& text) {
    std::string path = dir_.path() + "/" + name;
    std::ofstream(path) << text;
    return path;
  }

  Result<ResolvedCredentials> Resolve() { return MakeDefaultCredentialsProvider(cfg_, World()); }

  kb::testing::TempDir dir_;
  std::map<std::string, std::string> vars_;
  S3StoreConfig cfg_{.bucket = "b"};
  TimePoint now_ = *ParseAwsTimestamp("2026-12-04T12:00:00Z");
};

TEST_F(ChainTest, ConfigKeysComeFirstThenEnvironmentThenProfile) {
  vars_["AWS_SHARED_CREDENTIALS_FILE"] = Write("credentials",
                                               "[default]\naws_access_key_id = AKIAPROFILE\n"
                                               "aws_secret_access_key = profile-secret\n");
  vars_["AWS_ACCESS_KEY_ID"] = "AKIAENV";
  vars_["AWS_SECRET_ACCESS_KEY"] = "env-secret";
  vars_["AWS_SESSION_TOKEN"] = "env-token";
  cfg_.access_key_id = "AKIACONFIG";
  cfg_.secret_access_key = "config-secret";
  auto r = Resolve();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->provider->Get()->access_key_id, "AKIACONFIG");
  EXPECT_EQ(r->provider->Get()->session_token, "");
  EXPECT_EQ(r->provider->Source(), "storage.s3.access_key_id/secret_access_key");
  EXPECT_EQ(r->region, "us-east-1");

  cfg_.access_key_id = cfg_.secret_access_key = "";
  r = Resolve();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->provider->Get()->access_key_id, "AKIAENV");
  EXPECT_EQ(r->provider->Get()->secret_access_key, "env-secret");
  EXPECT_EQ(r->provider->Get()->session_token, "env-token");

  vars_.erase("AWS_ACCESS_KEY_ID");
  vars_.erase("AWS_SECRET_ACCESS_KEY");
  vars_.erase("AWS_SESSION_TOKEN");
  r = Resolve();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->provider->Get()->access_key_id, "AKIAPROFILE");
  EXPECT_EQ(r->provider->Get()->secret_access_key, "profile-secret");
  EXPECT_EQ(r->provider->Source(), "profile 'default' in " + vars_["AWS_SHARED_CREDENTIALS_FILE"]);
}

TEST_F(ChainTest, NamedProfileFromBothFilesWithItsRegion) {
  vars_["AWS_SHARED_CREDENTIALS_FILE"] =
      Write("credentials",
            "[default]\naws_access_key_id = AKIADEFAULT\naws_secret_access_key = d\n"
            "[prod]\naws_access_key_id = AKIAPROD\naws_secret_access_key = p\n"
            "aws_session_token = prod-token\n");
  vars_["AWS_CONFIG_FILE"] =
      Write("config",
            "[default]\nregion = us-west-2\n[profile prod]\nregion = eu-west-1\n"
            "[profile other]\naws_access_key_id = AKIAOTHER\n"
            "aws_secret_access_key = o\nregion = ap-south-1\n");
  vars_["AWS_PROFILE"] = "prod";
  auto r = Resolve();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->provider->Get()->access_key_id, "AKIAPROD");
  EXPECT_EQ(r->provider->Get()->session_token, "prod-token");
  EXPECT_EQ(r->region, "eu-west-1");
  // storage.s3.profile wins over AWS_PROFILE; a profile of the config file alone works.
  cfg_.profile = "other";
  r = Resolve();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->provider->Get()->access_key_id, "AKIAOTHER");
  EXPECT_EQ(r->region, "ap-south-1");
  // The region of the file or environment wins over the profile's.
  cfg_.region = "eu-central-1";
  EXPECT_EQ(Resolve()->region, "eu-central-1");
  // The default profile under $HOME/.aws when no file variable is set.
  cfg_ = {.bucket = "b"};
  vars_.erase("AWS_PROFILE");
  vars_.erase("AWS_SHARED_CREDENTIALS_FILE");
  vars_.erase("AWS_CONFIG_FILE");
  std::filesystem::create_directories(dir_.path() + "/.aws");
  Write(".aws/credentials", "[default]\naws_access_key_id = AKIAHOME\naws_secret_access_key = h\n");
  Write(".aws/config", "[default]\nregion = sa-east-1\n");
  r = Resolve();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->provider->Get()->access_key_id, "AKIAHOME");
  EXPECT_EQ(r->region, "sa-east-1");
}

TEST_F(ChainTest, ProfileErrorsNameTheProfileFileAndKey) {
  const std::string creds = Write(
      "credentials", "[assume]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = default\n");
  vars_["AWS_SHARED_CREDENTIALS_FILE"] = creds;
  vars_["AWS_CONFIG_FILE"] = dir_.path() + "/no-config";
  vars_["AWS_PROFILE"] = "missing";
  auto r = Resolve();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().subject(), "AWS_PROFILE");
  EXPECT_NE(r.status().message().find("profile 'missing' is in neither " + creds),
            std::string::npos)
      << r.status().ToString();
  cfg_.profile = "missing-too";
  r = Resolve();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().subject(), "storage.s3.profile");

  cfg_.profile = "assume";
  r = Resolve();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().subject(), creds);
  EXPECT_NE(r.status().message().find("profile 'assume': role_arn is not supported"),
            std::string::npos)
      << r.status().ToString();

  // One malformed line makes the whole file unusable (as for the AWS CLI).
  Write("credentials",
        "[assume]\nrole_arn = arn:aws:iam::1:role/r\n"
        "[broken]\naws_access_key_id = AKIA\naws_secret_access_key SECRETLINE\n");
  cfg_.profile = "broken";
  r = Resolve();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().subject(), creds);
  EXPECT_NE(r.status().message().find("line 5:"), std::string::npos) << r.status().ToString();
  EXPECT_EQ(r.status().ToString().find("SECRETLINE"), std::string::npos);
}

TEST_F(ChainTest, HalfAPairInTheEnvironmentIsAnError) {
  vars_["AWS_ACCESS_KEY_ID"] = "AKIA";
  auto r = Resolve();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().subject(), "AWS_SECRET_ACCESS_KEY");
  vars_.erase("AWS_ACCESS_KEY_ID");
  vars_["AWS_SESSION_TOKEN"] = "stale";
  r = Resolve();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().subject(), "AWS_SESSION_TOKEN");
  vars_.erase("AWS_SESSION_TOKEN");
  vars_["AWS_ROLE_ARN"] = "arn:aws:iam::1:role/r";
  r = Resolve();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().subject(), "AWS_WEB_IDENTITY_TOKEN_FILE");
  vars_.erase("AWS_ROLE_ARN");
  // Container credentials are not implemented: an error, not the instance's role instead.
  vars_["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"] = "/v2/credentials/x";
  r = Resolve();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().subject(), "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
  EXPECT_NE(r.status().message().find("not supported"), std::string::npos);
}

TEST_F(ChainTest, NothingFoundListsWhatWasTried) {
  auto r = Resolve();
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsInvalidArgument());
  EXPECT_EQ(r.status().subject(), "storage.s3");
  const std::string& m = r.status().message();
  for (const char* part : {"no S3 credentials found", "storage.s3.access_key_id (not set)",
                           "AWS_ACCESS_KEY_ID not set", "profile 'default' (not found in",
                           "web identity", "AWS_EC2_METADATA_DISABLED=true"}) {
    EXPECT_NE(m.find(part), std::string::npos) << part << " in " << m;
  }
  // With instance metadata enabled but nothing listening: fails fast, saying so.
  vars_.erase("AWS_EC2_METADATA_DISABLED");
  vars_["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = "http://127.0.0.1:9/";
  const auto start = std::chrono::steady_clock::now();
  r = Resolve();
  EXPECT_LT(std::chrono::steady_clock::now() - start, seconds(5));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("instance metadata at http://127.0.0.1:9 (no answer"),
            std::string::npos)
      << r.status().ToString();
  vars_.erase("AWS_EC2_METADATA_SERVICE_ENDPOINT");
  vars_["AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE"] = "ipv5";
  r = Resolve();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().subject(), "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE");
}

// ---- Web identity against a stand-in STS ----

std::string StsAnswer(const std::string& id, const std::string& expiration) {
  return "<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult><Credentials>"
         "<AccessKeyId>" +
         id + "</AccessKeyId><SecretAccessKey>secret-" + id +
         "</SecretAccessKey><SessionToken>token-" + id + "</SessionToken><Expiration>" +
         expiration +
         "</Expiration></Credentials></AssumeRoleWithWebIdentityResult>"
         "</AssumeRoleWithWebIdentityResponse>";
}

TEST_F(ChainTest, WebIdentityAssumesTheRoleAndRereadsTheTokenAtEachRefresh) {
  std::atomic<int> calls{0};
  std::atomic<bool> failing{false};
  FakeAwsServer sts([&](const FakeRequest&) -> FakeAnswer {
    if (failing)
      return {503,
              "<ErrorResponse><Error><Code>ServiceUnavailable</Code></Error>"
              "</ErrorResponse>"};
    int n = ++calls;
    // Each answer expires an hour after the fake clock's start, plus an hour per call.
    return {200, StsAnswer("ASIASTS" + std::to_string(n),
                           n == 1 ? "2026-12-04T13:00:00Z" : "2026-12-04T14:00:00Z")};
  });
  const std::string token_file = Write("token", "eyJhbGciOiJSUzI1NiJ9.first-token\n");
  vars_["AWS_WEB_IDENTITY_TOKEN_FILE"] = token_file;
  vars_["AWS_ROLE_ARN"] = "arn:aws:iam::123456789012:role/kafka-backup";
  vars_["AWS_ROLE_SESSION_NAME"] = "kb-test";
  vars_["AWS_ENDPOINT_URL_STS"] = sts.Url() + "/";
  auto r = Resolve();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->provider->Get()->access_key_id, "ASIASTS1");
  EXPECT_EQ(r->provider->Get()->session_token, "token-ASIASTS1");
  EXPECT_NE(r->provider->Source().find("web identity (role arn:aws:iam::123456789012"),
            std::string::npos);
  std::vector<FakeRequest> reqs = sts.Requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].method, "POST");
  EXPECT_EQ(reqs[0].headers["authorization"], "");  // unsigned
  const std::string& body = reqs[0].body;
  for (const char* part :
       {"Action=AssumeRoleWithWebIdentity", "Version=2011-06-15",
        "RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fkafka-backup",
        "RoleSessionName=kb-test", "WebIdentityToken=eyJhbGciOiJSUzI1NiJ9.first-token"}) {
    EXPECT_NE(body.find(part), std::string::npos) << part << " in " << body;
  }
  // Kubernetes rotates the token; the refresh 5 minutes before expiry sends the new one.
  Write("token", "eyJhbGciOiJSUzI1NiJ9.second-token");
  now_ += minutes(54);
  EXPECT_EQ(r->provider->Get()->access_key_id, "ASIASTS1");
  now_ += minutes(1);
  EXPECT_EQ(r->provider->Get()->access_key_id, "ASIASTS2");
  reqs = sts.Requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_NE(reqs[1].body.find("WebIdentityToken=eyJhbGciOiJSUzI1NiJ9.second-token"),
            std::string::npos);
  // STS down: the held credentials (valid until 14:00) keep working, then fail retryably.
  failing = true;
  now_ = *ParseAwsTimestamp("2026-12-04T13:56:00Z");
  Result<Credentials> kept = r->provider->Get();
  ASSERT_TRUE(kept.ok()) << kept.status().ToString();
  EXPECT_EQ(kept->access_key_id, "ASIASTS2");
  now_ = *ParseAwsTimestamp("2026-12-04T14:00:01Z");
  Result<Credentials> gone = r->provider->Get();
  ASSERT_FALSE(gone.ok());
  EXPECT_TRUE(gone.status().IsRetryable()) << gone.status().ToString();
  EXPECT_NE(gone.status().message().find("expired at 2026-12-04T14:00:00Z"), std::string::npos);
  EXPECT_EQ(gone.status().ToString().find("secret-ASIASTS"), std::string::npos);
}

TEST_F(ChainTest, AnStsRefusalIsAClearErrorWithoutTheToken) {
  const std::string token = "eyJhbGciOiJSUzI1NiJ9.SECRET-JWT-PAYLOAD.sig";
  FakeAwsServer sts([&](const FakeRequest&) -> FakeAnswer {
    return {400,
            "<ErrorResponse><Error><Type>Sender</Type><Code>InvalidIdentityToken</Code>"
            "<Message>Couldn't retrieve verification key from your identity provider for token " +
                token + "</Message></Error></ErrorResponse>"};
  });
  vars_["AWS_WEB_IDENTITY_TOKEN_FILE"] = Write("token", token);
  vars_["AWS_ROLE_ARN"] = "arn:aws:iam::1:role/r";
  vars_["AWS_ENDPOINT_URL_STS"] = sts.Url();
  auto r = Resolve();
  ASSERT_FALSE(r.ok());
  EXPECT_FALSE(r.status().IsRetryable());
  EXPECT_EQ(r.status().subject(), "arn:aws:iam::1:role/r");
  const std::string text = r.status().ToString();
  EXPECT_NE(text.find("HTTP 400 InvalidIdentityToken"), std::string::npos) << text;
  EXPECT_NE(text.find("Couldn't retrieve verification key"), std::string::npos) << text;
  EXPECT_NE(text.find("STS AssumeRoleWithWebIdentity at " + sts.Url()), std::string::npos);
  EXPECT_EQ(text.find("SECRET-JWT-PAYLOAD"), std::string::npos) << text;
  // A token file that is not there.
  vars_["AWS_WEB_IDENTITY_TOKEN_FILE"] = dir_.path() + "/nope";
  r = Resolve();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().subject(), "AWS_WEB_IDENTITY_TOKEN_FILE");
}

// ---- Instance metadata (IMDSv2) against a stand-in ----

TEST_F(ChainTest, InstanceMetadataV2TokenFirstThenRoleThenCredentials) {
  std::atomic<int> served{0};
  std::atomic<bool> failing{false};
  FakeAwsServer imds([&](FakeRequest req) -> FakeAnswer {
    if (failing) return {500, "oops"};
    if (req.method == "PUT" && req.target == "/latest/api/token") {
      if (req.headers.count("x-aws-ec2-metadata-token-ttl-seconds") == 0) return {400, ""};
      return {200, "imds-session-" + std::to_string(served + 1)};
    }
    if (req.headers["x-aws-ec2-metadata-token"] != "imds-session-" + std::to_string(served + 1)) {
      return {401, ""};
    }
    if (req.target == "/latest/meta-data/iam/security-credentials/") return {200, "kb-role\n"};
    if (req.target == "/latest/meta-data/iam/security-credentials/kb-role") {
      int n = ++served;
      return {200, R"({"Code":"Success","Type":"AWS-HMAC","AccessKeyId":"ASIAIMDS)" +
                       std::to_string(n) +
                       R"(","SecretAccessKey":"imds-secret","Token":"imds-token",)" +
                       R"("Expiration":")" +
                       (n == 1 ? "2026-12-04T12:10:00Z" : "2026-12-04T18:00:00Z") + "\"}"};
    }
    return {404, ""};
  });
  vars_.erase("AWS_EC2_METADATA_DISABLED");
  vars_["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = imds.Url();
  auto r = Resolve();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->provider->Get()->access_key_id, "ASIAIMDS1");
  EXPECT_EQ(r->provider->Get()->session_token, "imds-token");
  std::vector<FakeRequest> reqs = imds.Requests();
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_EQ(reqs[0].method, "PUT");
  EXPECT_EQ(reqs[0].target, "/latest/api/token");
  EXPECT_EQ(reqs[0].headers["x-aws-ec2-metadata-token-ttl-seconds"], "21600");
  EXPECT_EQ(reqs[1].method, "GET");
  EXPECT_EQ(reqs[1].headers["x-aws-ec2-metadata-token"], "imds-session-1");
  EXPECT_EQ(reqs[2].target, "/latest/meta-data/iam/security-credentials/kb-role");
  EXPECT_EQ(reqs[2].headers["x-aws-ec2-metadata-token"], "imds-session-1");
  // Valid for 10 minutes: refreshed 5 minutes before expiry, which is also its half life.
  now_ += minutes(4);
  EXPECT_EQ(r->provider->Get()->access_key_id, "ASIAIMDS1");
  now_ += minutes(1);
  EXPECT_EQ(r->provider->Get()->access_key_id, "ASIAIMDS2");
  EXPECT_EQ(imds.Requests().size(), 6u);
  // The service failing while the credentials are valid: they are kept.
  failing = true;
  now_ = *ParseAwsTimestamp("2026-12-04T17:58:00Z");
  EXPECT_EQ(r->provider->Get()->access_key_id, "ASIAIMDS2");
  now_ = *ParseAwsTimestamp("2026-12-04T18:00:00Z");
  Result<Credentials> gone = r->provider->Get();
  ASSERT_FALSE(gone.ok());
  EXPECT_TRUE(gone.status().IsRetryable()) << gone.status().ToString();
  EXPECT_EQ(gone.status().ToString().find("imds-secret"), std::string::npos);
}

TEST_F(ChainTest, S3ClientTakesTheRegionFromTheProfile) {
  vars_["AWS_SHARED_CREDENTIALS_FILE"] =
      Write("credentials", "[default]\naws_access_key_id = AKIA\naws_secret_access_key = s\n");
  vars_["AWS_CONFIG_FILE"] = Write("config", "[default]\nregion = eu-north-1\n");
  auto client = S3Client::Make(cfg_, World());
  ASSERT_TRUE(client.ok()) << client.status().ToString();
  EXPECT_EQ((*client)->UrlFor("k", {}), "https://b.s3.eu-north-1.amazonaws.com/k");
}

}  // namespace
}  // namespace kb::storage::s3
