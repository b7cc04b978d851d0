// The GCS token paths against loopback stand-ins (no real Google endpoint is reachable here; these
// paths are not tested against real Google): the RS256 JWT of a service-account key that the test
// generates (its signature checked with the public key), its exchange at token_uri, the metadata
// server, token caching, and that no private key or token leaks into an error message.
#include "storage/gcs/gcs_auth.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <atomic>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>

#include "storage/gcs/gcs_store.h"
#include "testing/stand_in_http_server.h"
#include "testing/test_env.h"

namespace kb::storage::gcs {
namespace {

using kb::testing::StandInAnswer;
using kb::testing::StandInHttpServer;
using kb::testing::StandInRequest;

constexpr const char* kToken = "ya29.test-access-token-SECRET";

// A fresh 2048-bit RSA key pair: PEM private key (PKCS#8) and PEM public key.
struct KeyPair {
  std::string private_pem;
  std::string public_pem;
};

KeyPair GenerateKeyPair() {
  KeyPair kp;
  EVP_PKEY* pkey = EVP_RSA_gen(2048);
  EXPECT_NE(pkey, nullptr);
  BIO* priv = BIO_new(BIO_s_mem());
  BIO* pub = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(priv, pkey, nullptr, nullptr, 0, nullptr, nullptr);
  PEM_write_bio_PUBKEY(pub, pkey);
  char* data = nullptr;
  long n = BIO_get_mem_data(priv, &data);
  kp.private_pem.assign(data, static_cast<size_t>(n));
  n = BIO_get_mem_data(pub, &data);
  kp.public_pem.assign(data, static_cast<size_t>(n));
  BIO_free(priv);
  BIO_free(pub);
  EVP_PKEY_free(pkey);
  return kp;
}

std::string DecodeBase64Url(std::string s) {
  for (char& c : s) {
    if (c == '-') c = '+';
    if (c == '_') c = '/';
  }
  const size_t pad = (4 - s.size() % 4) % 4;
  s.append(pad, '=');
  std::string out(s.size(), '\0');
  const int n =
      EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                      reinterpret_cast<const unsigned char*>(s.data()), static_cast<int>(s.size()));
  EXPECT_GE(n, 0);
  out.resize(static_cast<size_t>(n) - pad);
  return out;
}

// Whether `jwt` carries a valid RS256 signature by the key whose public half is `public_pem`.
bool VerifyRs256(const std::string& jwt, const std::string& public_pem) {
  const size_t last_dot = jwt.rfind('.');
  if (last_dot == std::string::npos) return false;
  const std::string input = jwt.substr(0, last_dot);
  const std::string sig = DecodeBase64Url(jwt.substr(last_dot + 1));
  BIO* bio = BIO_new_mem_buf(public_pem.data(), static_cast<int>(public_pem.size()));
  EVP_PKEY* pkey = PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const bool ok =
      pkey != nullptr && EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, pkey) == 1 &&
      EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                       reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(pkey);
  return ok;
}

// The value of form field `name` in an application/x-www-form-urlencoded body (no decoding).
std::string FormField(const std::string& body, const std::string& name) {
  size_t pos = 0;
  while (pos <= body.size()) {
    size_t end = body.find('&', pos);
    if (end == std::string::npos) end = body.size();
    const std::string field = body.substr(pos, end - pos);
    if (field.starts_with(name + "=")) return field.substr(name.size() + 1);
    pos = end + 1;
  }
  return "";
}

const KeyPair& TestKeys() {
  static const KeyPair kp = GenerateKeyPair();
  return kp;
}

TEST(GcsJwtTest, TheAssertionIsSignedWithTheKeyAndCarriesTheClaims) {
  ServiceAccountKey key{.client_email = "kb@proj.iam.gserviceaccount.com",
                        .private_key = TestKeys().private_pem,
                        .private_key_id = "kid-1",
                        .token_uri = "https://oauth2.example/token"};
  auto jwt = MakeSignedJwt(key, kStorageScope, 1'700'000'000, "t");
  ASSERT_TRUE(jwt.ok()) << jwt.status().ToString();
  const size_t d1 = jwt->find('.');
  const size_t d2 = jwt->find('.', d1 + 1);
  ASSERT_NE(d2, std::string::npos);
  auto header = nlohmann::json::parse(DecodeBase64Url(jwt->substr(0, d1)));
  auto claims = nlohmann::json::parse(DecodeBase64Url(jwt->substr(d1 + 1, d2 - d1 - 1)));
  EXPECT_EQ(header["alg"], "RS256");
  EXPECT_EQ(header["typ"], "JWT");
  EXPECT_EQ(header["kid"], "kid-1");
  EXPECT_EQ(claims["iss"], key.client_email);
  EXPECT_EQ(claims["aud"], key.token_uri);
  EXPECT_EQ(claims["scope"], std::string(kStorageScope));
  EXPECT_EQ(claims["iat"], 1'700'000'000);
  EXPECT_EQ(claims["exp"], 1'700'003'600);
  EXPECT_TRUE(VerifyRs256(*jwt, TestKeys().public_pem));
  // Another key's public half does not verify it; a changed claim breaks the signature.
  EXPECT_FALSE(VerifyRs256(*jwt, GenerateKeyPair().public_pem));
  std::string tampered = *jwt;
  tampered[d1 + 5] = tampered[d1 + 5] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(VerifyRs256(tampered, TestKeys().public_pem));
}

TEST(GcsJwtTest, Base64UrlHasNoPaddingAndUrlSafeLetters) {
  EXPECT_EQ(Base64Url(""), "");
  EXPECT_EQ(Base64Url("f"), "Zg");
  EXPECT_EQ(Base64Url("fo"), "Zm8");
  EXPECT_EQ(Base64Url("foo"), "Zm9v");
  EXPECT_EQ(Base64Url("\xfb\xff\xbf"), "-_-_");
}

TEST(GcsJwtTest, KeyFileErrorsNeverQuoteTheKey) {
  auto bad = ParseServiceAccountKey(R"({"type":"authorized_user","client_secret":"xyz"})", "f");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("service_account"), std::string::npos);
  EXPECT_EQ(bad.status().message().find("xyz"), std::string::npos);
  EXPECT_FALSE(ParseServiceAccountKey("not json", "f").ok());
  EXPECT_FALSE(ParseServiceAccountKey(R"({"type":"service_account","private_key":"k"})", "f").ok());
  ServiceAccountKey key{.client_email = "a@b",
                        .private_key =
                            "-----BEGIN PRIVATE KEY-----\nSECRETJUNK\n-----END "
                            "PRIVATE KEY-----\n",
                        .token_uri = "https://t"};
  auto jwt = MakeSignedJwt(key, kStorageScope, 0, "storage.gcs.credentials_file");
  ASSERT_FALSE(jwt.ok());
  EXPECT_EQ(jwt.status().subject(), "storage.gcs.credentials_file");
  EXPECT_EQ(jwt.status().ToString().find("SECRETJUNK"), std::string::npos);
}

TEST(GcsTokenTest, TokenAnswersAreChecked) {
  auto t =
      ParseTokenAnswer(R"({"access_token":"abc","expires_in":3599,"token_type":"Bearer"})", "s");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->value, "abc");
  EXPECT_EQ(t->expires_in.count(), 3599);
  EXPECT_FALSE(ParseTokenAnswer(R"({"expires_in":3599})", "s").ok());
  EXPECT_FALSE(ParseTokenAnswer(R"({"access_token":"abc"})", "s").ok());
  EXPECT_FALSE(
      ParseTokenAnswer(R"({"access_token":"abc","expires_in":1,"token_type":"MAC"})", "s").ok());
  EXPECT_FALSE(ParseTokenAnswer("<html>", "s").ok());
}

// A stand-in for both Google endpoints: /token (the OAuth2 token endpoint, checking the JWT's
// signature), /computeMetadata/... (the metadata server) and one object's metadata (which needs
// the Bearer token).
class GcsTokenFlowTest : public ::testing::Test {
 protected:
  GcsTokenFlowTest() : server_([this](const StandInRequest& r) { return Answer(r); }) {}

  StandInAnswer Answer(const StandInRequest& r) {
    if (r.target == "/token") {
      ++token_requests_;
      if (refuse_token_) {
        return {
            .status = 400,
            .body = R"({"error":"invalid_grant","error_description":"Invalid JWT Signature."})"};
      }
      const std::string jwt = FormField(r.body, "assertion");
      if (FormField(r.body, "grant_type") !=
              "urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer" ||
          !VerifyRs256(jwt, TestKeys().public_pem)) {
        return {.status = 400, .body = R"({"error":"invalid_grant"})"};
      }
      return {.body = std::string(R"({"access_token":")") + kToken + R"(","expires_in":)" +
                      std::to_string(expires_in_) + R"(,"token_type":"Bearer"})"};
    }
    if (r.target == "/computeMetadata/v1/instance/service-accounts/default/token") {
      ++token_requests_;
      auto flavor = r.headers.find("metadata-flavor");
      if (flavor == r.headers.end() || flavor->second != "Google") return {.status = 403};
      if (refuse_token_) return {.status = 404, .body = "not found"};
      return {.body = std::string(R"({"access_token":")") + kToken +
                      R"(","expires_in":3600,"token_type":"Bearer"})"};
    }
    if (r.target == "/storage/v1/b/bkt/o/dir%2Fobj?fields=size") {
      auto auth = r.headers.find("authorization");
      if (auth == r.headers.end() || auth->second != std::string("Bearer ") + kToken) {
        return {
            .status = 401,
            .body =
                R"({"error":{"code":401,"message":"Invalid Credentials","errors":[{"reason":"authError"}]}})"};
      }
      return {.body = R"({"size":"5"})"};
    }
    if (r.target == "/storage/v1/b/bkt/o/dir%2Frefused?fields=size") {
      return {.status = 401, .body = R"({"error":{"code":401,"message":"Invalid Credentials"}})"};
    }
    return {.status = 404, .body = "no route " + r.target};
  }

  std::string WriteKeyFile() {
    nlohmann::json key = {{"type", "service_account"},
                          {"project_id", "p"},
                          {"private_key_id", "k1"},
                          {"private_key", TestKeys().private_pem},
                          {"client_email", "kb@p.iam.gserviceaccount.com"},
                          {"token_uri", server_.Url() + "/token"}};
    const std::string path = dir_.path() + "/sa.json";
    std::ofstream(path) << key.dump();
    return path;
  }

  GcsStoreConfig Config(GcsStoreConfig::Auth auth) {
    GcsStoreConfig c{.bucket = "bkt", .endpoint = server_.Url(), .auth = auth};
    if (auth == GcsStoreConfig::Auth::kServiceAccount) c.credentials_file = WriteKeyFile();
    c.metadata_host = server_.Url().substr(std::string("http://").size());
    return c;
  }

  kb::testing::TempDir dir_;
  std::atomic<int> token_requests_{0};
  std::atomic<bool> refuse_token_{false};
  std::atomic<int> expires_in_{3600};
  StandInHttpServer server_;
};

TEST_F(GcsTokenFlowTest, AServiceAccountTokenIsFetchedOnceAndSent) {
  auto store = GcsStore::Make(Config(GcsStoreConfig::Auth::kServiceAccount));
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  for (int i = 0; i < 3; ++i) {
    auto size = (*store)->Head("dir/obj");
    ASSERT_TRUE(size.ok()) << size.status().ToString();
    EXPECT_EQ(*size, 5u);
  }
  EXPECT_EQ(token_requests_.load(), 1);
}

TEST_F(GcsTokenFlowTest, ATokenTheServerRefusesIsFetchedAgain) {
  auto store = GcsStore::Make(Config(GcsStoreConfig::Auth::kServiceAccount));
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  ASSERT_TRUE((*store)->Head("dir/obj").ok());
  auto refused = (*store)->Head("dir/refused");  // the stand-in answers 401 here
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(refused.status().IsPermissionDenied()) << refused.status().ToString();
  ASSERT_TRUE((*store)->Head("dir/obj").ok());
  EXPECT_EQ(token_requests_.load(), 2);
}

TEST_F(GcsTokenFlowTest, AnExpiringTokenIsFetchedAgain) {
  expires_in_ = 0;
  auto store = GcsStore::Make(Config(GcsStoreConfig::Auth::kServiceAccount));
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  ASSERT_TRUE((*store)->Head("dir/obj").ok());
  ASSERT_TRUE((*store)->Head("dir/obj").ok());
  EXPECT_EQ(token_requests_.load(), 2);
}

TEST_F(GcsTokenFlowTest, ARefusedServiceAccountIsPermissionDeniedWithoutSecrets) {
  refuse_token_ = true;
  auto store = GcsStore::Make(Config(GcsStoreConfig::Auth::kServiceAccount));
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto size = (*store)->Head("dir/obj");
  ASSERT_FALSE(size.ok());
  const Status& s = size.status();
  EXPECT_TRUE(s.IsPermissionDenied()) << s.ToString();
  EXPECT_EQ(s.subject(), "storage.gcs.credentials_file");
  EXPECT_NE(s.message().find("invalid_grant"), std::string::npos) << s.ToString();
  EXPECT_NE(s.message().find("Invalid JWT Signature."), std::string::npos) << s.ToString();
  // Neither the private key nor the signed assertion appear.
  std::string pem_body = TestKeys().private_pem.substr(30, 40);
  EXPECT_EQ(s.ToString().find(pem_body), std::string::npos);
  EXPECT_EQ(s.ToString().find("eyJ"), std::string::npos) << s.ToString();
}

TEST_F(GcsTokenFlowTest, TheMetadataServerTokenIsUsed) {
  auto store = GcsStore::Make(Config(GcsStoreConfig::Auth::kMetadata));
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto size = (*store)->Head("dir/obj");
  ASSERT_TRUE(size.ok()) << size.status().ToString();
  EXPECT_EQ(*size, 5u);
  ASSERT_TRUE((*store)->Head("dir/obj").ok());
  EXPECT_EQ(token_requests_.load(), 1);
}

TEST_F(GcsTokenFlowTest, AMetadataServerWithoutAServiceAccountIsPermissionDenied) {
  refuse_token_ = true;
  auto store = GcsStore::Make(Config(GcsStoreConfig::Auth::kMetadata));
  ASSERT_TRUE(store.ok());
  auto size = (*store)->Head("dir/obj");
  ASSERT_FALSE(size.ok());
  EXPECT_TRUE(size.status().IsPermissionDenied()) << size.status().ToString();
  EXPECT_NE(size.status().message().find("no service account"), std::string::npos);
}

TEST_F(GcsTokenFlowTest, AnonymousRequestsCarryNoTokenAndARefusalNamesTheCredentials) {
  auto store = GcsStore::Make(Config(GcsStoreConfig::Auth::kNone));
  ASSERT_TRUE(store.ok());
  auto size = (*store)->Head("dir/obj");
  ASSERT_FALSE(size.ok());
  EXPECT_TRUE(size.status().IsPermissionDenied()) << size.status().ToString();
  EXPECT_EQ(size.status().subject(), "dir/obj");
  EXPECT_NE(size.status().message().find("storage.gcs.auth"), std::string::npos);
  EXPECT_EQ(token_requests_.load(), 0);
}

// The token a request carried never shows in the error of that request.
TEST_F(GcsTokenFlowTest, ARefusedTokenIsNotQuotedInTheError) {
  auto store = GcsStore::Make(Config(GcsStoreConfig::Auth::kServiceAccount));
  ASSERT_TRUE(store.ok());
  auto r = (*store)->Get("dir/other");  // 404 from the stand-in, with the token sent
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().ToString().find(kToken), std::string::npos) << r.status().ToString();
  EXPECT_EQ(r.status().ToString().find("Bearer"), std::string::npos) << r.status().ToString();
}

TEST_F(GcsTokenFlowTest, AnUnreadableOrBadKeyFileIsAConfigError) {
  GcsStoreConfig c = Config(GcsStoreConfig::Auth::kServiceAccount);
  c.credentials_file = dir_.path() + "/missing.json";
  auto store = GcsStore::Make(c);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().subject(), "storage.gcs.credentials_file");
  EXPECT_NE(store.status().message().find("missing.json"), std::string::npos);

  const std::string bad = dir_.path() + "/bad.json";
  std::ofstream(bad)
      << R"({"type":"service_account","client_email":"a@b",)"
      << R"("private_key":"-----BEGIN PRIVATE KEY-----\nTOPSECRET\n-----END PRIVATE KEY-----\n"})";
  c.credentials_file = bad;
  store = GcsStore::Make(c);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().subject(), "storage.gcs.credentials_file");
  EXPECT_TRUE(store.status().IsInvalidArgument()) << store.status().ToString();
  EXPECT_EQ(store.status().ToString().find("TOPSECRET"), std::string::npos);
}

TEST(GcsStoreMakeTest, AnUnreadableCaBundleOrBadEndpointNamesTheKey) {
  GcsStoreConfig cfg{.bucket = "bkt",
                     .endpoint = "https://127.0.0.1:9",
                     .auth = GcsStoreConfig::Auth::kNone,
                     .ca_bundle = "/nonexistent/kb-gcs-ca.pem"};
  auto store = GcsStore::Make(cfg);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().subject(), "storage.gcs.ca_bundle");
  EXPECT_NE(store.status().message().find("/nonexistent/kb-gcs-ca.pem"), std::string::npos);
  cfg.ca_bundle.clear();
  cfg.endpoint = "storage.googleapis.com";
  store = GcsStore::Make(cfg);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().subject(), "storage.gcs.endpoint");
}

// Real GCS may persist less of a chunk than was sent (308 with a shorter Range): the upload goes
// on from where the server says, not from where the client got to; no progress at all is an error.
TEST(GcsResumableTest, TheNextChunkStartsWhereTheServerPersisted) {
  std::string url;
  std::mutex mu;
  std::string received;  // the bytes the server kept, in order
  bool never_persist = false;
  StandInHttpServer server([&](const StandInRequest& r) -> StandInAnswer {
    if (r.method == "POST") {
      return {.headers = "Location: " + url + "/session?upload_id=u1\r\n"};
    }
    if (r.method == "DELETE") return {.status = 499};
    std::lock_guard<std::mutex> lock(mu);
    if (never_persist) return {.status = 308};
    const std::string range = r.headers.at("content-range");
    if (range.starts_with("bytes 0-")) {
      received = r.body.substr(0, 256 << 10);  // keeps only the first 256 KiB
      return {.status = 308, .headers = "Range: bytes=0-262143\r\n"};
    }
    received += r.body;
    return {.body = R"({"name":"k","size":"716800"})"};
  });
  url = server.Url();
  GcsStoreConfig cfg{.bucket = "bkt", .endpoint = url, .auth = GcsStoreConfig::Auth::kNone};
  auto store = GcsStore::Make(cfg, {.resumable_threshold = 1, .chunk_size = 512 << 10});
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  std::string data(700 << 10, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 7 + (i >> 11));
  ASSERT_TRUE((*store)->Put("k", data).ok());
  {
    std::lock_guard<std::mutex> lock(mu);
    EXPECT_TRUE(received == data);
    never_persist = true;
  }
  std::vector<std::string> ranges;
  for (const StandInRequest& r : server.Requests()) {
    if (r.method == "PUT") ranges.push_back(r.headers.at("content-range"));
  }
  EXPECT_EQ(ranges,
            (std::vector<std::string>{"bytes 0-524287/716800", "bytes 262144-716799/716800"}));

  Status s = (*store)->Put("k", data);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.subject(), "k");
  EXPECT_NE(s.message().find("made no progress"), std::string::npos) << s.ToString();
}

// A resumable upload whose chunk fails: the error names the key, and not the session's upload_id
// (whoever holds it may upload to the session).
TEST(GcsRedactionTest, AFailedResumableChunkDoesNotQuoteTheSessionId) {
  std::string url;
  StandInHttpServer server([&url](const StandInRequest& r) -> StandInAnswer {
    if (r.method == "POST") {
      return {.headers = "Location: " + url +
                         "/upload/storage/v1/b/bkt/o?uploadType=resumable&upload_id=SESSION-SECRET"
                         "\r\n"};
    }
    return {.status = 503, .body = "overloaded"};
  });
  url = server.Url();
  GcsStoreConfig cfg{.bucket = "bkt", .endpoint = url, .auth = GcsStoreConfig::Auth::kNone};
  auto store = GcsStore::Make(cfg, {.resumable_threshold = 1, .chunk_size = 256 << 10});
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  Status s = (*store)->Put("dir/big", std::string(300 << 10, 'x'));
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(s.IsRetryable()) << s.ToString();
  EXPECT_EQ(s.subject(), "dir/big");
  EXPECT_NE(s.message().find("upload_id=REDACTED"), std::string::npos) << s.ToString();
  EXPECT_EQ(s.ToString().find("SESSION-SECRET"), std::string::npos) << s.ToString();
  // The session was cancelled after the failure.
  auto requests = server.Requests();
  ASSERT_GE(requests.size(), 3u);
  EXPECT_EQ(requests.back().method, "DELETE");
}

}  // namespace
}  // namespace kb::storage::gcs
