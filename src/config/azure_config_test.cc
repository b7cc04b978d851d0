// storage.azure: parsed values, ${VAR} expansion, and the errors that name storage.azure.<key>
// without quoting a secret.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "config/config.h"

namespace kb {
namespace {

EnvLookup EnvOf(std::map<std::string, std::string> vars) {
  return [vars](const std::string& n) -> std::optional<std::string> {
    auto it = vars.find(n);
    return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
}

Result<Config> Parse(const std::string& azure_lines, const EnvLookup& env = EnvOf({})) {
  return ParseConfig("storage:\n  azure:\n" + azure_lines, "t.yaml", env);
}

TEST(AzureConfigTest, AllKeys) {
  auto cfg = Parse(
      "    account: acct1\n    container: kb-backups\n    endpoint: http://127.0.0.1:10000/acct1\n"
      "    auth: shared_key\n    key: ${AZ_KEY}\n    ca_bundle: /etc/ca.pem\n",
      EnvOf({{"AZ_KEY", "a2V5"}}));
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  EXPECT_EQ(cfg->storage.type, StorageConfig::Type::kAzure);
  const AzureStoreConfig& a = cfg->storage.azure;
  EXPECT_EQ(a.account, "acct1");
  EXPECT_EQ(a.container, "kb-backups");
  EXPECT_EQ(a.endpoint, "http://127.0.0.1:10000/acct1");
  EXPECT_EQ(a.auth, AzureStoreConfig::Auth::kSharedKey);
  EXPECT_EQ(a.key, "a2V5");
  EXPECT_EQ(a.ca_bundle, "/etc/ca.pem");
}

TEST(AzureConfigTest, SasTokenLeadingQuestionMarkIsDropped) {
  auto cfg = Parse("    account: acct1\n    container: c01\n    sas_token: \"?sv=1&sig=x\"\n");
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  EXPECT_EQ(cfg->storage.azure.sas_token, "sv=1&sig=x");
  EXPECT_EQ(cfg->storage.azure.auth, AzureStoreConfig::Auth::kAuto);
}

TEST(AzureConfigTest, AuthModes) {
  for (auto [name, want] :
       {std::pair{"sas", AzureStoreConfig::Auth::kSas},
        std::pair{"workload_identity", AzureStoreConfig::Auth::kWorkloadIdentity},
        std::pair{"managed_identity", AzureStoreConfig::Auth::kManagedIdentity}}) {
    auto cfg = Parse(std::string("    container: c01\n    auth: ") + name + "\n");
    ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
    EXPECT_EQ(cfg->storage.azure.auth, want);
  }
}

struct BadCase {
  std::string lines;
  std::string subject;
};

TEST(AzureConfigTest, ErrorsNameTheKey) {
  const std::vector<BadCase> cases = {
      {"    account: acct1\n", "storage.azure.container"},
      {"    container: Upper\n", "storage.azure.container"},
      {"    container: a--b\n", "storage.azure.container"},
      {"    container: c01\n    account: Bad_Account\n", "storage.azure.account"},
      {"    container: c01\n    endpoint: ftp://x\n", "storage.azure.endpoint"},
      {"    container: c01\n    auth: password\n", "storage.azure.auth"},
      {"    container: c01\n    key: S3CRETKEY\n    sas_token: sig=S3CRETSIG\n",
       "storage.azure.sas_token"},
      {"    container: c01\n    auth: sas\n    key: S3CRETKEY\n", "storage.azure.key"},
      {"    container: c01\n    auth: managed_identity\n    key: S3CRETKEY\n", "storage.azure.key"},
      {"    container: c01\n    bucket: b\n", "storage.azure.bucket"},
      {"    container: c01\n    key: \"\"\n", "storage.azure.key"},
  };
  for (const BadCase& c : cases) {
    auto cfg = Parse(c.lines);
    ASSERT_FALSE(cfg.ok()) << c.lines;
    EXPECT_TRUE(cfg.status().IsInvalidArgument()) << cfg.status().ToString();
    EXPECT_EQ(cfg.status().subject(), c.subject) << cfg.status().ToString();
    EXPECT_EQ(cfg.status().ToString().find("S3CRET"), std::string::npos) << cfg.status().ToString();
  }
}

TEST(AzureConfigTest, OnlyOneStorageSection) {
  for (const char* other : {"  local:\n    path: /tmp/x\n", "  s3:\n    bucket: bkt\n"}) {
    auto cfg = ParseConfig(std::string("storage:\n") + other + "  azure:\n    container: c01\n",
                           "t.yaml", EnvOf({}));
    ASSERT_FALSE(cfg.ok());
    EXPECT_EQ(cfg.status().subject(), "storage.azure") << cfg.status().ToString();
  }
}

}  // namespace
}  // namespace kb
