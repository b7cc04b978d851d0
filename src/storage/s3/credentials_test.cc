// Unit tests of the credential parsers (profile INI, STS XML, IMDS JSON, timestamps) and of
// RefreshingCredentialsProvider with a fake clock.
#include "storage/s3/credentials.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "storage/s3/imds.h"
#include "storage/s3/profile_file.h"
#include "storage/s3/sts.h"

namespace kb::storage::s3 {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;
using TimePoint = std::chrono::system_clock::time_point;

TimePoint At(const char* iso) { return *ParseAwsTimestamp(iso); }

TEST(CredentialsTest, AbbreviatesKeyIdsAndRedacts) {
  EXPECT_EQ(AbbreviateKeyId("AKIAIOSFODNN7EXAMPLE"), "AKIA****MPLE");
  EXPECT_EQ(AbbreviateKeyId("short"), "****");
  EXPECT_EQ(AbbreviateKeyId("kbtestaccess"), "****");
  EXPECT_EQ(Redact("a tok b tok", "tok"), "a **** b ****");
  EXPECT_EQ(Redact("nothing", ""), "nothing");
}

TEST(CredentialsTest, ParsesAwsTimestamps) {
  auto t = ParseAwsTimestamp("2026-12-04T15:30:00Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(std::chrono::system_clock::to_time_t(*t), 1796398200);
  EXPECT_EQ(ParseAwsTimestamp("2026-12-04T15:30:00.123Z"), t);
  EXPECT_EQ(ParseAwsTimestamp("2026-12-04T15:30:00+00:00"), t);
  for (const char* bad : {"", "2026-12-04", "2026-12-04T15:30:00", "2026-13-04T15:30:00Z",
                          "2026-12-04T15:30:00+02:00", "2026-12-04T15:30:00.Z", "soon"}) {
    EXPECT_FALSE(ParseAwsTimestamp(bad)) << bad;
  }
}

TEST(ProfileFileTest, ParsesSectionsKeysCommentsAndNestedSettings) {
  auto f = ParseProfileFile(
      "# comment\n"
      "[default]\n"
      "aws_access_key_id = AKIADEFAULT\n"
      "AWS_Secret_Access_Key=sec#ret ; kept\r\n"
      "\n"
      "; another comment\n"
      "[profile prod]  # trailing comment\n"
      "region = eu-west-1\n"
      "s3 =\n"
      "  max_concurrent_requests = 4\n"
      "output = json\n",
      "cfg");
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(f->at("default").at("aws_access_key_id"), "AKIADEFAULT");
  EXPECT_EQ(f->at("default").at("aws_secret_access_key"), "sec#ret ; kept");
  EXPECT_EQ(f->at("profile prod").at("region"), "eu-west-1");
  EXPECT_EQ(f->at("profile prod").at("output"), "json");
  EXPECT_EQ(f->at("profile prod").count("max_concurrent_requests"), 0u);
}

TEST(ProfileFileTest, MalformedLinesNameFileAndLineButNeverTheirText) {
  const std::string secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRET";
  for (const std::string& text :
       {"[default]\naws_access_key_id = AKIA\naws_secret_access_key " + secret + "\n",
        "aws_secret_access_key = " + secret + "\n[default]\n", "[default\n" + secret + "\n",
        "[default]\n= " + secret + "\n", "[default] " + secret + "\n", std::string("[]\n")}) {
    auto f = ParseProfileFile(text, "/home/u/.aws/credentials");
    ASSERT_FALSE(f.ok()) << text;
    EXPECT_TRUE(f.status().IsInvalidArgument());
    EXPECT_EQ(f.status().subject(), "/home/u/.aws/credentials");
    EXPECT_NE(f.status().message().find("line "), std::string::npos) << f.status().ToString();
    EXPECT_EQ(f.status().ToString().find(secret), std::string::npos) << f.status().ToString();
  }
}

AwsProfile Profile(std::map<std::string, std::string> values) {
  AwsProfile p{.name = "prod", .found = true, .values = values};
  for (const auto& [k, v] : values) p.file_of[k] = "/tmp/creds";
  return p;
}

TEST(ProfileFileTest, ProfileCredentialsAndUnsupportedKeys) {
  auto ok = ProfileCredentials(Profile({{"aws_access_key_id", "AKIA"},
                                        {"aws_secret_access_key", "s"},
                                        {"aws_session_token", "t"},
                                        {"region", "eu-west-1"}}));
  ASSERT_TRUE(ok.ok() && *ok);
  EXPECT_EQ((*ok)->access_key_id, "AKIA");
  EXPECT_EQ((*ok)->secret_access_key, "s");
  EXPECT_EQ((*ok)->session_token, "t");
  EXPECT_FALSE((*ok)->expiration);
  auto none = ProfileCredentials(Profile({{"region", "eu-west-1"}}));
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(*none);
  for (const char* key : {"role_arn", "source_profile", "credential_process", "sso_start_url",
                          "sso_session", "web_identity_token_file", "credential_source"}) {
    auto r = ProfileCredentials(Profile(
        {{"aws_access_key_id", "AKIA"}, {"aws_secret_access_key", "SECRETVALUE"}, {key, "x"}}));
    ASSERT_FALSE(r.ok()) << key;
    EXPECT_EQ(r.status().subject(), "/tmp/creds");
    EXPECT_NE(r.status().message().find("profile 'prod'"), std::string::npos);
    EXPECT_NE(r.status().message().find(key), std::string::npos) << r.status().ToString();
    EXPECT_EQ(r.status().ToString().find("SECRETVALUE"), std::string::npos);
  }
  auto half = ProfileCredentials(Profile({{"aws_access_key_id", "AKIA"}}));
  ASSERT_FALSE(half.ok());
  EXPECT_NE(half.status().message().find("aws_access_key_id is set without"), std::string::npos);
  auto secret_only = ProfileCredentials(Profile({{"aws_secret_access_key", "SECRETVALUE"}}));
  ASSERT_FALSE(secret_only.ok());
  EXPECT_EQ(secret_only.status().ToString().find("SECRETVALUE"), std::string::npos);
}

TEST(StsTest, ParsesAssumeRoleWithWebIdentityResponse) {
  const std::string body =
      R"(<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleWithWebIdentityResult>
    <SubjectFromWebIdentityToken>system:serviceaccount:ns:sa</SubjectFromWebIdentityToken>
    <Credentials>
      <SessionToken>FQoGZXIvYXdzE</SessionToken>
      <SecretAccessKey>wJalrXUtnFEMI</SecretAccessKey>
      <Expiration>2026-12-04T16:30:00Z</Expiration>
      <AccessKeyId>ASIAEXAMPLE12345</AccessKeyId>
    </Credentials>
  </AssumeRoleWithWebIdentityResult>
</AssumeRoleWithWebIdentityResponse>)";
  auto c = ParseAssumeRoleWithWebIdentityResponse(body, "arn");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->access_key_id, "ASIAEXAMPLE12345");
  EXPECT_EQ(c->secret_access_key, "wJalrXUtnFEMI");
  EXPECT_EQ(c->session_token, "FQoGZXIvYXdzE");
  EXPECT_EQ(c->expiration, At("2026-12-04T16:30:00Z"));
  for (const std::string& bad :
       {std::string("not xml"), std::string("<ErrorResponse/>"),
        body.substr(0, body.find("<SessionToken>")) + body.substr(body.find("<SecretAccessKey>")),
        std::string(body).replace(body.find("2026-12-04T16:30:00Z"), 20, "tomorrow")}) {
    auto r = ParseAssumeRoleWithWebIdentityResponse(bad, "arn");
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().subject(), "arn");
    EXPECT_EQ(r.status().ToString().find("wJalrXUtnFEMI"), std::string::npos);
  }
  StsError e = ParseStsError(
      "<ErrorResponse><Error><Type>Sender</Type><Code>InvalidIdentityToken</Code>"
      "<Message>Token expired</Message></Error><RequestId>1</RequestId></ErrorResponse>");
  EXPECT_EQ(e.code, "InvalidIdentityToken");
  EXPECT_EQ(e.message, "Token expired");
  EXPECT_EQ(ParseStsError("garbage").code, "");
}

TEST(ImdsTest, ParsesCredentialsJson) {
  auto c = ParseImdsCredentials(R"({"Code":"Success","LastUpdated":"2026-12-04T10:00:00Z",
      "Type":"AWS-HMAC","AccessKeyId":"ASIAIMDS","SecretAccessKey":"imds-secret",
      "Token":"imds-token","Expiration":"2026-12-04T16:00:00Z"})",
                                "imds");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->access_key_id, "ASIAIMDS");
  EXPECT_EQ(c->secret_access_key, "imds-secret");
  EXPECT_EQ(c->session_token, "imds-token");
  EXPECT_EQ(c->expiration, At("2026-12-04T16:00:00Z"));
  for (const char* bad :
       {"", "[]", "{", R"({"Code":"Failure","AccessKeyId":"a","SecretAccessKey":"imds-secret"})",
        R"({"AccessKeyId":"a","SecretAccessKey":"imds-secret","Token":"t"})",
        R"({"AccessKeyId":"a","SecretAccessKey":"imds-secret","Token":"t","Expiration":7})"}) {
    auto r = ParseImdsCredentials(bad, "imds");
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().ToString().find("imds-secret"), std::string::npos);
  }
}

TEST(RefreshingProviderTest, RefreshTimeIsFiveMinutesBeforeOrAtHalfLife) {
  const TimePoint now = At("2026-12-04T12:00:00Z");
  EXPECT_EQ(RefreshingCredentialsProvider::RefreshTime(now, now + std::chrono::hours(1)),
            now + minutes(55));
  EXPECT_EQ(RefreshingCredentialsProvider::RefreshTime(now, now + minutes(6)), now + minutes(3));
  EXPECT_EQ(RefreshingCredentialsProvider::RefreshTime(now, now + minutes(4)), now + minutes(2));
}

// A fake clock and a scripted fetch.
struct Script {
  TimePoint now = At("2026-12-04T12:00:00Z");
  int fetches = 0;
  std::vector<Result<Credentials>> answers;
  WallClock Clock() {
    return [this] { return now; };
  }
  RefreshingCredentialsProvider::Fetch Fetch() {
    return [this]() -> Result<Credentials> {
      ++fetches;
      Result<Credentials> r = answers.front();
      if (answers.size() > 1) answers.erase(answers.begin());
      return r;
    };
  }
};

Credentials Temp(std::string id, TimePoint expiration) {
  return {id, "secret-" + id, "token-" + id, expiration};
}

TEST(RefreshingProviderTest, RefreshesBeforeExpiryAndKeepsValidOnesWhenRefreshFails) {
  Script s;
  const TimePoint t0 = s.now;
  s.answers = {Temp("A1", t0 + minutes(60)), Temp("A2", t0 + minutes(120)),
               Status::Retryable("sts", "connection refused"), Temp("A3", t0 + minutes(300))};
  RefreshingCredentialsProvider p("test source", s.Fetch(), s.Clock(), seconds(10));
  EXPECT_EQ(p.Get()->access_key_id, "A1");
  s.now = t0 + minutes(54);
  EXPECT_EQ(p.Get()->access_key_id, "A1");
  EXPECT_EQ(s.fetches, 1);
  s.now = t0 + minutes(55);  // 5 minutes before expiry
  EXPECT_EQ(p.Get()->access_key_id, "A2");
  EXPECT_EQ(s.fetches, 2);
  s.now = t0 + minutes(115);  // refresh fails: A2 is still valid for 5 minutes
  Result<Credentials> kept = p.Get();
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(kept->access_key_id, "A2");
  EXPECT_EQ(kept->session_token, "token-A2");
  EXPECT_EQ(s.fetches, 3);
  s.now += seconds(5);  // within the retry interval: no new fetch
  EXPECT_EQ(p.Get()->access_key_id, "A2");
  EXPECT_EQ(s.fetches, 3);
  s.now += seconds(10);
  EXPECT_EQ(p.Get()->access_key_id, "A3");
  EXPECT_EQ(s.fetches, 4);
}

TEST(RefreshingProviderTest, ExpiredCredentialsAndAFailedRefreshFailWithTheFetchStatus) {
  Script s;
  const TimePoint t0 = s.now;
  s.answers = {Temp("A1", t0 + minutes(10)), Status::Retryable("sts", "HTTP 503"),
               Status::PermissionDenied("arn:aws:iam::1:role/r", "HTTP 403 AccessDenied")};
  RefreshingCredentialsProvider p("web identity (role r)", s.Fetch(), s.Clock());
  ASSERT_TRUE(p.Get().ok());
  s.now = t0 + minutes(11);
  Result<Credentials> r = p.Get();
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsRetryable());
  EXPECT_NE(r.status().message().find("web identity (role r)"), std::string::npos);
  EXPECT_NE(r.status().message().find("expired at 2026-12-04T12:10:00Z"), std::string::npos)
      << r.status().ToString();
  r = p.Get();
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsPermissionDenied());
  EXPECT_EQ(r.status().ToString().find("secret-A1"), std::string::npos);
}

TEST(RefreshingProviderTest, ConcurrentGetsAlwaysSeeOneConsistentTriple) {
  std::atomic<int> generation{0};
  std::atomic<int64_t> now_s{0};
  const TimePoint base = At("2026-12-04T12:00:00Z");
  RefreshingCredentialsProvider p(
      "test",
      [&]() -> Result<Credentials> {
        std::string g = std::to_string(++generation);
        return Credentials{"id" + g, "secret" + g, "token" + g, base + seconds(now_s + 2)};
      },
      [&] { return base + seconds(now_s.load()); });
  std::vector<std::thread> threads;
  std::atomic<int> bad{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 2000; ++i) {
        Result<Credentials> c = p.Get();
        if (!c.ok() || c->secret_access_key != "secret" + c->access_key_id.substr(2) ||
            c->session_token != "token" + c->access_key_id.substr(2)) {
          ++bad;
        }
        if (i % 50 == 0) ++now_s;  // every 50 calls: past the refresh time of the last ones
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(bad, 0);
  EXPECT_GT(generation, 10);
}

}  // namespace
}  // namespace kb::storage::s3
