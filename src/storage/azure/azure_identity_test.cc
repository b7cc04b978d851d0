// Azure AD bearer tokens (azure_auth.h) against a local stand-in HTTP server playing Azure AD's
// token endpoint and the instance metadata service: what is sent, how answers are read, caching,
// and that failures name the service without quoting the token or the assertion. Not tested
// against real Azure AD.
#include <gtest/gtest.h>

#include <fstream>

#include "storage/azure/azure_auth.h"
#include "storage/azure/azure_store.h"
#include "storage/http/uri.h"
#include "testing/stand_in_http_server.h"
#include "testing/test_env.h"

namespace kb::storage::azure {
namespace {

using testing::StandInAnswer;
using testing::StandInHttpServer;
using testing::StandInRequest;

TEST(WorkloadIdentityTest, ExchangesTheFederatedTokenAtAzureAd) {
  StandInHttpServer aad([](const StandInRequest&) {
    return StandInAnswer{.body =
                             R"({"token_type":"Bearer","expires_in":3599,"access_token":"AT-1"})"};
  });
  testing::TempDir dir;
  const std::string file = dir.path() + "/token";
  std::ofstream(file) << "federated.jwt.value\n";
  auto source = MakeWorkloadIdentitySource({.federated_token_file = file,
                                            .client_id = "client-1",
                                            .tenant_id = "tenant-1",
                                            .authority_host = aad.Url() + "/"});
  auto token = source->Token();
  ASSERT_TRUE(token.ok()) << token.status().ToString();
  EXPECT_EQ(*token, "AT-1");
  EXPECT_EQ(*source->Token(), "AT-1");  // cached: one request
  auto requests = aad.Requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].target, "/tenant-1/oauth2/v2.0/token");
  const std::string body = http::UriDecode(requests[0].body);
  EXPECT_NE(body.find("client_assertion=federated.jwt.value&"), std::string::npos) << body;
  EXPECT_NE(body.find("client_id=client-1"), std::string::npos);
  EXPECT_NE(body.find("grant_type=client_credentials"), std::string::npos);
  EXPECT_NE(body.find("scope=https://storage.azure.com/.default"), std::string::npos);
  EXPECT_NE(body.find("urn:ietf:params:oauth:client-assertion-type:jwt-bearer"), std::string::npos);
}

TEST(WorkloadIdentityTest, RefusalIsPermissionDeniedWithoutTheAssertion) {
  StandInHttpServer aad([](const StandInRequest& r) {
    return StandInAnswer{
        .status = 401,
        .body = R"({"error":"invalid_client","error_description":"bad )" + r.body + "\"}"};
  });
  testing::TempDir dir;
  const std::string file = dir.path() + "/token";
  std::ofstream(file) << "SECRET-ASSERTION";
  auto source = MakeWorkloadIdentitySource({.federated_token_file = file,
                                            .client_id = "c",
                                            .tenant_id = "t",
                                            .authority_host = aad.Url()});
  auto token = source->Token();
  ASSERT_FALSE(token.ok());
  EXPECT_TRUE(token.status().IsPermissionDenied()) << token.status().ToString();
  EXPECT_NE(token.status().ToString().find("invalid_client"), std::string::npos);
  EXPECT_EQ(token.status().ToString().find("SECRET-ASSERTION"), std::string::npos);
}

TEST(WorkloadIdentityTest, MissingTokenFileNamesTheVariable) {
  auto source = MakeWorkloadIdentitySource({.federated_token_file = "/nonexistent/kb/token",
                                            .client_id = "c",
                                            .tenant_id = "t",
                                            .authority_host = "http://127.0.0.1:9"});
  auto token = source->Token();
  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.status().subject(), "AZURE_FEDERATED_TOKEN_FILE");
}

TEST(ManagedIdentityTest, AsksTheMetadataServiceWithMetadataHeader) {
  int calls = 0;
  StandInHttpServer imds([&calls](const StandInRequest&) {
    ++calls;
    // expires_in as a string, as IMDS sends it; 60 s is inside the refresh margin.
    return StandInAnswer{.body = R"({"access_token":"MI-)" + std::to_string(calls) +
                                 R"(","expires_in":"60","resource":"https://storage.azure.com/"})"};
  });
  auto source = MakeManagedIdentitySource({.client_id = "uami-1", .imds = imds.Url()});
  auto token = source->Token();
  ASSERT_TRUE(token.ok()) << token.status().ToString();
  EXPECT_EQ(*token, "MI-1");
  EXPECT_EQ(*source->Token(), "MI-2");  // near expiry: fetched again
  auto requests = imds.Requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].method, "GET");
  EXPECT_EQ(requests[0].headers.at("metadata"), "true");
  EXPECT_EQ(http::UriDecode(requests[0].target),
            "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://"
            "storage.azure.com/&client_id=uami-1");
}

TEST(ManagedIdentityTest, ServerErrorIsRetryableAndGarbageIsPermanent) {
  StandInHttpServer down([](const StandInRequest&) { return StandInAnswer{.status = 503}; });
  auto t = MakeManagedIdentitySource({.imds = down.Url()})->Token();
  ASSERT_FALSE(t.ok());
  EXPECT_TRUE(t.status().IsRetryable()) << t.status().ToString();
  StandInHttpServer garbage([](const StandInRequest&) { return StandInAnswer{.body = "{}"}; });
  auto g = MakeManagedIdentitySource({.imds = garbage.Url()})->Token();
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.status().code(), Status::Code::kPermanent);
}

// The store sends the managed identity's token as a bearer token (a stand-in plays the Blob
// service over loopback http, the only http a token is sent to).
TEST(ManagedIdentityTest, StoreRequestsCarryTheBearerToken) {
  StandInHttpServer imds([](const StandInRequest&) {
    return StandInAnswer{.body = R"({"access_token":"MI-TOKEN","expires_in":"3600"})"};
  });
  StandInHttpServer blob([](const StandInRequest& r) {
    if (r.method == "PUT") return StandInAnswer{.status = 201};
    return StandInAnswer{.status = 403,
                         .body =
                             "<?xml version=\"1.0\"?><Error><Code>AuthorizationPermissionMismatch"
                             "</Code><Message>no role</Message></Error>"};
  });
  AzureStoreConfig cfg{.account = "acct",
                       .container = "c01",
                       .endpoint = blob.Url() + "/acct",
                       .auth = AzureStoreConfig::Auth::kManagedIdentity};
  EnvFn env = [&imds](const std::string& n) -> std::optional<std::string> {
    if (n == "AZURE_IMDS_ENDPOINT") return imds.Url();
    return std::nullopt;
  };
  auto store = AzureStore::Make(cfg, {}, env);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  ASSERT_TRUE((*store)->Put("dir/k 1", "data").ok());
  Result<std::string> get = (*store)->Get("dir/k 1");
  ASSERT_FALSE(get.ok());
  EXPECT_TRUE(get.status().IsPermissionDenied()) << get.status().ToString();
  EXPECT_NE(get.status().message().find("Storage Blob Data Contributor"), std::string::npos);
  auto requests = blob.Requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].target, "/acct/c01/dir/k%201");
  EXPECT_EQ(requests[0].headers.at("authorization"), "Bearer MI-TOKEN");
  EXPECT_EQ(requests[0].headers.at("x-ms-blob-type"), "BlockBlob");
  EXPECT_EQ(requests[0].headers.at("x-ms-version"), kApiVersion);
  EXPECT_EQ(requests[0].body, "data");
  EXPECT_EQ(requests[1].headers.at("authorization"), "Bearer MI-TOKEN");
  EXPECT_EQ(imds.Requests().size(), 1u);  // one token for both requests
}

TEST(ParseTokenAnswerTest, Shapes) {
  auto a = ParseTokenAnswer("s", R"({"access_token":"x","expires_in":10})");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->second.count(), 10);
  EXPECT_FALSE(ParseTokenAnswer("s", R"({"access_token":"x"})").ok());
  EXPECT_FALSE(ParseTokenAnswer("s", R"({"access_token":"","expires_in":1})").ok());
  EXPECT_FALSE(ParseTokenAnswer("s", R"({"access_token":"x","expires_in":"-1"})").ok());
  EXPECT_FALSE(ParseTokenAnswer("s", "not json").ok());
}

}  // namespace
}  // namespace kb::storage::azure
