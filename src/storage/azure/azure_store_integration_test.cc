// AzureStore against the real Azure Blob Storage emulator started by scripts/test.sh (Azurite,
// which checks Shared Key signatures and SAS tokens): the store conformance suite, unchanged, and
// what is Azure's own (auth modes, block uploads, errors, secrets kept out of messages).
#include <gtest/gtest.h>

#include <cstdlib>
#include <map>

#include "crypto/key_ring.h"
#include "storage/azure/azure_store.h"
#include "storage/store_conformance.h"
#include "testing/azure_server.h"
#include "testing/test_env.h"

namespace kb::storage::azure {
namespace {

AzureStoreConfig ServerConfig() { return testing::TestAzureServerConfig(); }

EnvFn NoEnv() {
  return [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
}

std::unique_ptr<AzureStore> MakeStore(const AzureStoreConfig& cfg, AzureStoreOptions options = {},
                                      const EnvFn& env = NoEnv()) {
  auto s = AzureStore::Make(cfg, options, env);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? std::move(s).value() : nullptr;
}

// An account SAS (version 2019-12-12) for the blob service, signed with the account key.
std::string AccountSas(const AzureStoreConfig& cfg, const std::string& permissions) {
  const std::string version = "2019-12-12", expiry = "2099-01-01T00:00:00Z";
  const std::string sts =
      cfg.account + "\n" + permissions + "\nb\nsco\n\n" + expiry + "\n\n\n" + version + "\n";
  auto auth = SharedKeyAuthorization(cfg.account, cfg.key, sts, "test");
  EXPECT_TRUE(auth.ok());
  const std::string sig = auth->substr(auth->find(':') + 1);
  std::string enc;
  for (char c : sig) {
    if (c == '+') {
      enc += "%2B";
    } else if (c == '/') {
      enc += "%2F";
    } else if (c == '=') {
      enc += "%3D";
    } else {
      enc += c;
    }
  }
  return "sv=" + version + "&ss=b&srt=sco&sp=" + permissions + "&se=" + expiry + "&sig=" + enc;
}

class AzureSetup : public ::testing::Environment {
 public:
  void SetUp() override {
    if (std::getenv("KB_TEST_AZURE_ENDPOINT") == nullptr) return;
    auto store = AzureStore::Make(ServerConfig(), {}, NoEnv());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    Status s = (*store)->client().CreateContainer();
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
};
const auto* const kSetup = ::testing::AddGlobalTestEnvironment(new AzureSetup);

TEST(AzureSmokeTest, SharedKeyRoundTrip) {
  auto store = MakeStore(ServerConfig());
  ASSERT_TRUE(store);
  const std::string key = testing::UniqueName("smoke") + "/hello world+=.txt";
  ASSERT_TRUE(store->Put(key, "hello, azure").ok());
  EXPECT_EQ(*store->Get(key), "hello, azure");
  EXPECT_EQ(*store->Head(key), 12u);
  EXPECT_EQ(*store->GetRange(key, 7, 100), "azure");
  EXPECT_EQ(store->Describe(),
            "azure://" + ServerConfig().account + "/" + ServerConfig().container);
  ASSERT_TRUE(store->Delete({key}).ok());
  EXPECT_TRUE(store->Get(key).status().IsNotFound());
}

TEST(AzureSmokeTest, WrongKeyIsPermissionDeniedNamingTheKeyOnly) {
  AzureStoreConfig cfg = ServerConfig();
  cfg.key = crypto::EncodeBase64("not the account key, 0123456789abcdef");
  auto store = MakeStore(cfg);
  ASSERT_TRUE(store);
  const std::string key = testing::UniqueName("auth") + "/x";
  Status put = store->Put(key, "data");
  ASSERT_FALSE(put.ok());
  EXPECT_TRUE(put.IsPermissionDenied()) << put.ToString();
  EXPECT_NE(put.message().find("check the Azure credentials"), std::string::npos) << put.ToString();
  EXPECT_EQ(put.subject(), key);
  EXPECT_EQ(put.ToString().find(cfg.key), std::string::npos);
}

TEST(AzureSmokeTest, SasTokenWorksAndIsNeverInAnError) {
  AzureStoreConfig cfg = ServerConfig();
  const std::string sas = AccountSas(cfg, "rwdlac");
  cfg.key.clear();
  cfg.sas_token = sas;
  auto store = MakeStore(cfg);
  ASSERT_TRUE(store);
  const std::string key = testing::UniqueName("sas") + "/k";
  ASSERT_TRUE(store->Put(key, "via sas").ok());
  EXPECT_EQ(*store->Get(key), "via sas");
  auto page = store->List(key, "", 10);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  EXPECT_EQ(page->objects.size(), 1u);
  ASSERT_TRUE(store->Delete({key}).ok());

  // A tampered signature: refused, and the message shows neither signature.
  const std::string sig = sas.substr(sas.find("sig=") + 4);
  cfg.sas_token = sas.substr(0, sas.find("sig=") + 4) + "AAAA" + sig.substr(4);
  auto bad = MakeStore(cfg);
  ASSERT_TRUE(bad);
  Status s = bad->Put(key, "x");
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(s.IsPermissionDenied()) << s.ToString();
  EXPECT_EQ(s.ToString().find(sig), std::string::npos) << s.ToString();
  EXPECT_EQ(s.ToString().find(sig.substr(4)), std::string::npos) << s.ToString();
  Result<std::string> get = bad->Get(key);
  EXPECT_EQ(get.status().ToString().find(sig.substr(4)), std::string::npos);
}

TEST(AzureSmokeTest, ReadOnlySasCannotWrite) {
  AzureStoreConfig cfg = ServerConfig();
  cfg.sas_token = AccountSas(cfg, "rl");
  cfg.key.clear();
  auto store = MakeStore(cfg);
  ASSERT_TRUE(store);
  Status s = store->Put(testing::UniqueName("ro") + "/k", "x");
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(s.IsPermissionDenied()) << s.ToString();
}

TEST(AzureSmokeTest, ConnectionStringFromTheEnvironment) {
  const AzureStoreConfig server = ServerConfig();
  std::map<std::string, std::string> vars = {
      {"AZURE_STORAGE_CONNECTION_STRING",
       "DefaultEndpointsProtocol=http;AccountName=" + server.account + ";AccountKey=" + server.key +
           ";BlobEndpoint=" + server.endpoint + ";"}};
  EnvFn env = [vars](const std::string& n) -> std::optional<std::string> {
    auto it = vars.find(n);
    return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
  auto store = MakeStore(AzureStoreConfig{.container = server.container}, {}, env);
  ASSERT_TRUE(store);
  const std::string key = testing::UniqueName("connstr") + "/k";
  ASSERT_TRUE(store->Put(key, "cs").ok());
  EXPECT_EQ(*store->Get(key), "cs");
  ASSERT_TRUE(store->Delete({key}).ok());
}

TEST(AzureSmokeTest, MissingContainerNamesTheConfigKey) {
  AzureStoreConfig cfg = ServerConfig();
  cfg.container = "kb-no-such-container";
  auto store = MakeStore(cfg);
  ASSERT_TRUE(store);
  Result<std::string> get = store->Get("k");
  ASSERT_FALSE(get.ok());
  EXPECT_FALSE(get.status().IsNotFound()) << get.status().ToString();
  EXPECT_NE(get.status().message().find("storage.azure.container"), std::string::npos);
}

// A service SAS for the container (version 2019-12-12), signed with the account key.
std::string ContainerSas(const AzureStoreConfig& cfg, const std::string& permissions) {
  const std::string version = "2019-12-12", expiry = "2099-01-01T00:00:00Z";
  const std::string sts = permissions + "\n\n" + expiry + "\n/blob/" + cfg.account + "/" +
                          cfg.container + "\n\n\n\n" + version + "\nc\n\n\n\n\n\n";
  auto auth = SharedKeyAuthorization(cfg.account, cfg.key, sts, "test");
  EXPECT_TRUE(auth.ok());
  std::string sig;
  for (char c : auth->substr(auth->find(':') + 1)) {
    sig += c == '+' ? "%2B" : c == '/' ? "%2F" : c == '=' ? "%3D" : std::string(1, c);
  }
  return "sv=" + version + "&sr=c&sp=" + permissions + "&se=" + expiry + "&sig=" + sig;
}

// Deletes of many keys go in Blob Batches, which Azurite takes with a Shared Key and a container
// SAS (and checks each sub-request's signature). Under an account SAS Azurite refuses the batch
// (a bare HTTP 500): the store deletes one blob per request instead. A missing blob counts as
// deleted either way.
TEST(AzureSmokeTest, ManyDeletesGoInBlobBatches) {
  AzureStoreConfig container_sas = ServerConfig(), account_sas = ServerConfig();
  container_sas.sas_token = ContainerSas(container_sas, "rwdl");
  container_sas.key.clear();
  account_sas.sas_token = AccountSas(account_sas, "rwdlac");
  account_sas.key.clear();
  const std::vector<std::pair<AzureStoreConfig, bool>> cases = {
      {ServerConfig(), true}, {container_sas, true}, {account_sas, false}};
  for (const auto& [cfg, batched] : cases) {
    auto store = MakeStore(cfg);
    ASSERT_TRUE(store);
    const std::string prefix = testing::UniqueName("batch") + "/";
    std::vector<std::string> keys;
    for (int i = 0; i < 300; ++i) {
      keys.push_back(prefix + "k " + std::to_string(i) + (i % 50 == 0 ? "%\\+" : ""));
      if (i != 7) {
        ASSERT_TRUE(store->Put(keys.back(), "x").ok());
      }
    }
    Status s = store->Delete(keys);
    ASSERT_TRUE(s.ok()) << s.ToString();
    EXPECT_EQ(store->batch_delete(), batched) << cfg.sas_token.substr(0, 20);
    auto page = store->List(prefix, "", 1000);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    EXPECT_TRUE(page->objects.empty()) << page->objects.size() << " left";
  }
}

// Blocks of 1 MiB cut across the caller's parts; the object appears whole.
TEST(AzureSmokeTest, BlockUploadCutsAcrossParts) {
  auto store = MakeStore(ServerConfig(), {.single_put_bytes = 2 << 20, .block_bytes = 1 << 20});
  ASSERT_TRUE(store);
  std::string data((5 << 20) + 123, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>((i * 131) >> 7);
  const std::string_view all(data);
  const std::vector<std::string_view> parts = {all.substr(0, 1000), all.substr(1000, 3 << 20),
                                               all.substr(1000 + (3 << 20), 0),
                                               all.substr(1000 + (3 << 20))};
  const std::string key = testing::UniqueName("blocks") + "/parts";
  Status put = store->PutParts(key, parts);
  ASSERT_TRUE(put.ok()) << put.ToString();
  auto got = store->Get(key);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_TRUE(*got == data);
  EXPECT_EQ(*store->GetRange(key, (1 << 20) - 3, 6), data.substr((1 << 20) - 3, 6));
  ASSERT_TRUE(store->Delete({key}).ok());
}

}  // namespace
}  // namespace kb::storage::azure

KB_INSTANTIATE_STORE_CONFORMANCE(Azure, kb::storage::StoreFactory{
                                            .name = "azure",
                                            .make =
                                                [] {
                                                  auto s = kb::storage::azure::AzureStore::Make(
                                                      kb::storage::azure::ServerConfig());
                                                  EXPECT_TRUE(s.ok()) << s.status().ToString();
                                                  return std::unique_ptr<kb::storage::ObjectStore>(
                                                      std::move(s).value());
                                                },
                                            .large_object_bytes = 100 << 20});
