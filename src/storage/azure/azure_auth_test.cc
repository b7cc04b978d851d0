// Unit tests of azure_auth.h: the Shared Key string to sign and signature (vectors computed with
// `openssl dgst -sha256 -mac HMAC` from the same strings, and the format checked against Azurite
// by test/services/azurite.sh's self-check and the integration tests), SAS redaction, connection
// strings and where credentials come from.
#include "storage/azure/azure_auth.h"

#include <gtest/gtest.h>

#include <map>

namespace kb::storage::azure {
namespace {

// Azurite's well-known development key (public).
constexpr std::string_view kDevKey =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
constexpr std::string_view kDate = "Sat, 05 Dec 2026 04:11:14 GMT";

TEST(SharedKeyTest, PutBlobStringToSignAndSignature) {
  SharedKeyInput in{.method = "PUT",
                    .content_length = 11,
                    .content_type = "application/octet-stream",
                    .ms_headers = {{"x-ms-version", "2021-08-06"},
                                   {"X-Ms-Date", std::string(kDate)},
                                   {"x-ms-blob-type", " BlockBlob "}},
                    .account = "devstoreaccount1",
                    .path = "/devstoreaccount1/kb-test/dir/a%20b.txt"};
  const std::string sts = SharedKeyStringToSign(in);
  EXPECT_EQ(sts,
            "PUT\n\n\n11\n\napplication/octet-stream\n\n\n\n\n\n\n"
            "x-ms-blob-type:BlockBlob\nx-ms-date:Sat, 05 Dec 2026 04:11:14 GMT\n"
            "x-ms-version:2021-08-06\n/devstoreaccount1/devstoreaccount1/kb-test/dir/a%20b.txt");
  auto auth = SharedKeyAuthorization("devstoreaccount1", kDevKey, sts, "storage.azure.key");
  ASSERT_TRUE(auth.ok()) << auth.status().ToString();
  EXPECT_EQ(*auth, "SharedKey devstoreaccount1:Y3SIDQ4Lt9ye/ztOXqPgNZL3dlhzGXZTeHyUasHAHL8=");
}

TEST(SharedKeyTest, ListQueryIsCanonicalizedSortedAndDecoded) {
  SharedKeyInput in{
      .method = "GET",
      .ms_headers = {{"x-ms-date", std::string(kDate)}, {"x-ms-version", "2021-08-06"}},
      .account = "devstoreaccount1",
      .path = "/devstoreaccount1/kb-test",
      .query = {{"restype", "container"},
                {"comp", "list"},
                {"maxresults", "1000"},
                {"prefix", "p q/"},
                {"Marker", "m/1"}}};
  const std::string sts = SharedKeyStringToSign(in);
  EXPECT_EQ(sts,
            "GET\n\n\n\n\n\n\n\n\n\n\n\nx-ms-date:Sat, 05 Dec 2026 04:11:14 GMT\n"
            "x-ms-version:2021-08-06\n/devstoreaccount1/devstoreaccount1/kb-test\ncomp:list\n"
            "marker:m/1\nmaxresults:1000\nprefix:p q/\nrestype:container");
  auto auth = SharedKeyAuthorization("devstoreaccount1", kDevKey, sts, "storage.azure.key");
  ASSERT_TRUE(auth.ok());
  EXPECT_EQ(*auth, "SharedKey devstoreaccount1:cWACcmDdOKDfc7dEFqYDw4RQGWlziGr3V77HdZ+Sd8U=");
}

TEST(SharedKeyTest, RepeatedQueryNamesAreOneLine) {
  SharedKeyInput in{
      .method = "GET", .account = "a", .path = "/c", .query = {{"x", "2"}, {"x", "1"}}};
  EXPECT_TRUE(SharedKeyStringToSign(in).ends_with("/a/c\nx:1,2"));
}

TEST(SharedKeyTest, KeyThatIsNotBase64IsAnErrorNamingTheKeyWithoutQuotingIt) {
  auto auth = SharedKeyAuthorization("a", "not*base64!secret", "x", "storage.azure.key");
  ASSERT_FALSE(auth.ok());
  EXPECT_TRUE(auth.status().IsInvalidArgument());
  EXPECT_EQ(auth.status().subject(), "storage.azure.key");
  EXPECT_EQ(auth.status().ToString().find("secret"), std::string::npos);
}

TEST(RedactSasTest, SignaturesAreRedactedEverywhere) {
  EXPECT_EQ(
      RedactSas("GET https://a.blob.core.windows.net/c/k?sv=2021-08-06&sig=abc%2Bdef%3D&se=x"),
      "GET https://a.blob.core.windows.net/c/k?sv=2021-08-06&sig=REDACTED&se=x");
  EXPECT_EQ(RedactSas("?sig=zzz"), "?sig=REDACTED");
  EXPECT_EQ(RedactSas("sig=zzz"), "sig=REDACTED");
  EXPECT_EQ(RedactSas("SharedAccessSignature=sv=1&sig=s3cr3t;AccountName=x"),
            "SharedAccessSignature=sv=1&sig=REDACTED;AccountName=x");
  EXPECT_EQ(RedactSas("a=1&sig=one&b=2&sig=two"), "a=1&sig=REDACTED&b=2&sig=REDACTED");
  EXPECT_EQ(RedactSas("nosig=keep&design=keep"), "nosig=keep&design=keep");
  EXPECT_EQ(RedactSas("no signature here"), "no signature here");
}

TEST(ConnectionStringTest, FieldsAndDefaults) {
  auto c = ParseConnectionString(
      "DefaultEndpointsProtocol=https;AccountName=acct1;AccountKey=a2V5;EndpointSuffix=core."
      "chinacloudapi.cn");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->account, "acct1");
  EXPECT_EQ(c->key, "a2V5");
  EXPECT_EQ(c->blob_endpoint, "https://acct1.blob.core.chinacloudapi.cn");
  auto sas = ParseConnectionString(
      "BlobEndpoint=http://127.0.0.1:1/dev;SharedAccessSignature=?sv=1&sig=abc==;");
  ASSERT_TRUE(sas.ok());
  EXPECT_EQ(sas->blob_endpoint, "http://127.0.0.1:1/dev");
  EXPECT_EQ(sas->sas_token, "sv=1&sig=abc==");  // '=' inside a value kept, '?' dropped
  auto dev = ParseConnectionString("UseDevelopmentStorage=true");
  ASSERT_TRUE(dev.ok());
  EXPECT_EQ(dev->account, "devstoreaccount1");
  EXPECT_EQ(dev->key, kDevKey);
  auto bad = ParseConnectionString("AccountName=a;AccountKeyS3CRET");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().subject(), "AZURE_STORAGE_CONNECTION_STRING");
  EXPECT_EQ(bad.status().ToString().find("S3CRET"), std::string::npos);
}

EnvFn EnvOf(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
}

TEST(ResolveCredentialsTest, ConfigKeyWinsOverEnvironment) {
  AzureStoreConfig cfg{.account = "acct", .container = "c", .key = std::string(kDevKey)};
  auto c = ResolveAzureCredentials(cfg, EnvOf({{"AZURE_STORAGE_SAS_TOKEN", "sv=1&sig=x"}}));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->kind, AzureCredentials::Kind::kSharedKey);
  EXPECT_EQ(c->endpoint, "https://acct.blob.core.windows.net");
}

TEST(ResolveCredentialsTest, EnvironmentAsAzureCliReadsIt) {
  AzureStoreConfig cfg{.container = "c"};
  auto key = ResolveAzureCredentials(
      cfg, EnvOf({{"AZURE_STORAGE_ACCOUNT", "envacct"}, {"AZURE_STORAGE_KEY", "a2V5"}}));
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_EQ(key->account, "envacct");
  EXPECT_EQ(key->kind, AzureCredentials::Kind::kSharedKey);
  EXPECT_EQ(key->key, "a2V5");
  EXPECT_EQ(key->source, "shared key from AZURE_STORAGE_KEY");

  auto sas = ResolveAzureCredentials(cfg, EnvOf({{"AZURE_STORAGE_ACCOUNT", "envacct"},
                                                 {"AZURE_STORAGE_SAS_TOKEN", "?sv=1&sig=s"}}));
  ASSERT_TRUE(sas.ok());
  EXPECT_EQ(sas->kind, AzureCredentials::Kind::kSas);
  EXPECT_EQ(sas->sas_token, "sv=1&sig=s");

  auto cs = ResolveAzureCredentials(
      cfg, EnvOf({{"AZURE_STORAGE_CONNECTION_STRING",
                   "AccountName=csacct;AccountKey=a2V5;BlobEndpoint=http://127.0.0.1:9/csacct/"}}));
  ASSERT_TRUE(cs.ok()) << cs.status().ToString();
  EXPECT_EQ(cs->account, "csacct");
  EXPECT_EQ(cs->endpoint, "http://127.0.0.1:9/csacct");
  EXPECT_EQ(cs->kind, AzureCredentials::Kind::kSharedKey);
  EXPECT_EQ(cs->source, "shared key from AZURE_STORAGE_CONNECTION_STRING");
}

TEST(ResolveCredentialsTest, AuthModeSelectsTheCredential) {
  AzureStoreConfig cfg{.account = "acct", .container = "c", .auth = AzureStoreConfig::Auth::kSas};
  auto c = ResolveAzureCredentials(
      cfg, EnvOf({{"AZURE_STORAGE_KEY", "a2V5"}, {"AZURE_STORAGE_SAS_TOKEN", "sv=1&sig=s"}}));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->kind, AzureCredentials::Kind::kSas);
  auto none = ResolveAzureCredentials(cfg, EnvOf({{"AZURE_STORAGE_KEY", "a2V5"}}));
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().subject(), "storage.azure.sas_token");
}

TEST(ResolveCredentialsTest, ErrorsNameTheKeyAndNeverTheSecret) {
  AzureStoreConfig no_account{.container = "c", .key = std::string(kDevKey)};
  auto a = ResolveAzureCredentials(no_account, EnvOf({}));
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.status().subject(), "storage.azure.account");

  AzureStoreConfig nothing{.account = "acct", .container = "c"};
  auto n = ResolveAzureCredentials(nothing, EnvOf({}));
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.status().subject(), "storage.azure.auth");

  AzureStoreConfig bad_key{.account = "acct", .container = "c", .key = "S3CRET-not-base64!"};
  auto k = ResolveAzureCredentials(bad_key, EnvOf({}));
  ASSERT_FALSE(k.ok());
  EXPECT_EQ(k.status().subject(), "storage.azure.key");
  EXPECT_EQ(k.status().ToString().find("S3CRET"), std::string::npos);

  AzureStoreConfig no_sig{.account = "acct", .container = "c", .sas_token = "sv=1&se=S3CRET"};
  auto s = ResolveAzureCredentials(no_sig, EnvOf({}));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().subject(), "storage.azure.sas_token");
  EXPECT_EQ(s.status().ToString().find("S3CRET"), std::string::npos);

  AzureStoreConfig wi{
      .account = "acct", .container = "c", .auth = AzureStoreConfig::Auth::kWorkloadIdentity};
  auto w = ResolveAzureCredentials(wi, EnvOf({{"AZURE_FEDERATED_TOKEN_FILE", "/f"}}));
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().subject(), "AZURE_CLIENT_ID");

  AzureStoreConfig http{.account = "acct",
                        .container = "c",
                        .endpoint = "http://blob.example.com/acct",
                        .auth = AzureStoreConfig::Auth::kManagedIdentity};
  auto h = ResolveAzureCredentials(http, EnvOf({}));
  ASSERT_FALSE(h.ok());
  EXPECT_EQ(h.status().subject(), "storage.azure.endpoint");
}

TEST(ResolveCredentialsTest, FederatedTokenFileSelectsWorkloadIdentity) {
  AzureStoreConfig cfg{.account = "acct", .container = "c"};
  auto c = ResolveAzureCredentials(cfg, EnvOf({{"AZURE_FEDERATED_TOKEN_FILE", "/var/run/token"},
                                               {"AZURE_CLIENT_ID", "cid"},
                                               {"AZURE_TENANT_ID", "tid"}}));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->kind, AzureCredentials::Kind::kBearer);
  EXPECT_EQ(c->tokens->Describe(), "workload identity");
}

}  // namespace
}  // namespace kb::storage::azure
