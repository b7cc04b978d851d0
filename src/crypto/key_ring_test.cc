#include "crypto/key_ring.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

namespace kb::crypto {
namespace {

const std::string kKey1 = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";  // bytes 0..31

EnvLookup FakeEnv(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

EncryptionConfig::KeySource Source(std::string id, EncryptionConfig::KeySource::Kind kind,
                                   std::string where) {
  return {id, "storage.encryption.keys." + id, kind, std::move(where)};
}

TEST(Base64Test, DecodesStrictly) {
  auto k = DecodeBase64(" " + kKey1 + "\n");
  ASSERT_TRUE(k);
  ASSERT_EQ(k->size(), 32u);
  EXPECT_EQ((*k)[31], 31);
  EXPECT_EQ(DecodeBase64("YQ=="), "a");
  EXPECT_EQ(DecodeBase64("YWI="), "ab");
  EXPECT_EQ(DecodeBase64("YWJj"), "abc");
  EXPECT_FALSE(DecodeBase64("YWJ"));
  EXPECT_FALSE(DecodeBase64("Y$Jj"));
  EXPECT_FALSE(DecodeBase64(""));
  EXPECT_EQ(EncodeBase64(*k), kKey1);
}

TEST(KeyRingTest, LoadsKeysFromEnvAndFiles) {
  const auto dir = std::filesystem::temp_directory_path() / "kb_key_ring_test";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "k1.key") << kKey1 << "\n";
  EncryptionConfig cfg;
  cfg.enabled = true;
  cfg.current_key = "k2";
  cfg.keys = {Source("k1", EncryptionConfig::KeySource::Kind::kFile, (dir / "k1.key").string()),
              Source("k2", EncryptionConfig::KeySource::Kind::kEnv, "KB_K2")};
  auto ring = KeyRing::Load(cfg, FakeEnv({{"KB_K2", EncodeBase64(std::string(32, 'x'))}}));
  ASSERT_TRUE(ring.ok()) << ring.status().ToString();
  EXPECT_EQ((*ring)->current().id, "k2");
  ASSERT_NE((*ring)->Find("k1"), nullptr);
  EXPECT_EQ((*ring)->Find("k1")->bytes[5], 5);
  EXPECT_EQ((*ring)->Find("k3"), nullptr);
  EXPECT_EQ((*ring)->IdList(), "'k1', 'k2'");
  std::filesystem::remove_all(dir);
}

TEST(KeyRingTest, ErrorsNameTheConfigKeyAndNeverTheKey) {
  EncryptionConfig cfg;
  cfg.enabled = true;
  cfg.current_key = "k1";
  cfg.keys = {Source("k1", EncryptionConfig::KeySource::Kind::kEnv, "KB_K1")};
  auto missing = KeyRing::Load(cfg, FakeEnv({}));
  EXPECT_TRUE(missing.status().IsInvalidArgument());
  EXPECT_EQ(missing.status().subject(), "storage.encryption.keys.k1");
  EXPECT_NE(missing.status().message().find("KB_K1"), std::string::npos);

  const std::string short_key = EncodeBase64("sixteen byte key");
  auto wrong_size = KeyRing::Load(cfg, FakeEnv({{"KB_K1", short_key}}));
  EXPECT_EQ(wrong_size.status().subject(), "storage.encryption.keys.k1");
  EXPECT_NE(wrong_size.status().message().find("16 bytes"), std::string::npos);
  EXPECT_EQ(wrong_size.status().ToString().find(short_key), std::string::npos);

  auto not_base64 = KeyRing::Load(cfg, FakeEnv({{"KB_K1", "secret-not-base64!"}}));
  EXPECT_EQ(not_base64.status().subject(), "storage.encryption.keys.k1");
  EXPECT_EQ(not_base64.status().ToString().find("secret-not-base64"), std::string::npos);

  cfg.keys[0] = Source("k1", EncryptionConfig::KeySource::Kind::kFile, "/nonexistent/k1.key");
  auto no_file = KeyRing::Load(cfg, FakeEnv({}));
  EXPECT_EQ(no_file.status().subject(), "storage.encryption.keys.k1");
  EXPECT_NE(no_file.status().message().find("/nonexistent/k1.key"), std::string::npos);
}

TEST(KeyRingTest, RefusesDuplicateKeysAndUnknownCurrent) {
  std::array<unsigned char, kKeySize> a{}, b{};
  b[0] = 1;
  EXPECT_TRUE(KeyRing::Make({{"a", a}, {"b", a}}, "a").status().IsInvalidArgument());
  EXPECT_TRUE(KeyRing::Make({{"a", a}, {"a", b}}, "a").status().IsInvalidArgument());
  EXPECT_TRUE(KeyRing::Make({{"a", a}}, "b").status().IsInvalidArgument());
  EXPECT_TRUE(KeyRing::Make({{"bad id", a}}, "bad id").status().IsInvalidArgument());
  EXPECT_TRUE(KeyRing::Make({{"a", a}, {"b", b}}, "b").ok());
}

}  // namespace
}  // namespace kb::crypto
