#include "crypto/aead.h"

#include <gtest/gtest.h>

#include <array>
#include <string>

namespace kb::crypto {
namespace {

std::array<unsigned char, kKeySize> KeyOf(unsigned char fill) {
  std::array<unsigned char, kKeySize> k{};
  k.fill(fill);
  return k;
}

TEST(AeadTest, RoundTripsAndAuthenticatesEverything) {
  const auto key = KeyOf(7);
  const std::string plain = "records of partition 3";
  std::string data = plain;
  char nonce[kNonceSize], tag[kTagSize];
  ASSERT_TRUE(SealInPlace(key.data(), "aad", data.data(), data.size(), nonce, tag).ok());
  EXPECT_NE(data, plain);

  std::string copy = data;
  auto ok = OpenInPlace(key.data(), "aad", nonce, tag, copy.data(), copy.size());
  ASSERT_TRUE(ok.ok());
  EXPECT_TRUE(*ok);
  EXPECT_EQ(copy, plain);

  // Wrong key, wrong associated data, a flipped ciphertext bit, nonce or tag: no plaintext.
  const auto other = KeyOf(8);
  copy = data;
  EXPECT_FALSE(*OpenInPlace(other.data(), "aad", nonce, tag, copy.data(), copy.size()));
  copy = data;
  EXPECT_FALSE(*OpenInPlace(key.data(), "aae", nonce, tag, copy.data(), copy.size()));
  copy = data;
  copy[3] ^= 1;
  EXPECT_FALSE(*OpenInPlace(key.data(), "aad", nonce, tag, copy.data(), copy.size()));
  copy = data;
  nonce[0] ^= 1;
  EXPECT_FALSE(*OpenInPlace(key.data(), "aad", nonce, tag, copy.data(), copy.size()));
  nonce[0] ^= 1;
  tag[15] ^= 1;
  EXPECT_FALSE(*OpenInPlace(key.data(), "aad", nonce, tag, copy.data(), copy.size()));
}

TEST(AeadTest, EveryCallDrawsAFreshNonce) {
  const auto key = KeyOf(1);
  std::string a = "same", b = "same";
  char na[kNonceSize], nb[kNonceSize], ta[kTagSize], tb[kTagSize];
  ASSERT_TRUE(SealInPlace(key.data(), "", a.data(), a.size(), na, ta).ok());
  ASSERT_TRUE(SealInPlace(key.data(), "", b.data(), b.size(), nb, tb).ok());
  EXPECT_NE(std::string(na, kNonceSize), std::string(nb, kNonceSize));
  EXPECT_NE(a, b);
}

TEST(AeadTest, EmptyPlaintextIsStillAuthenticated) {
  const auto key = KeyOf(2);
  char nonce[kNonceSize], tag[kTagSize];
  ASSERT_TRUE(SealInPlace(key.data(), "bound", nullptr, 0, nonce, tag).ok());
  EXPECT_TRUE(*OpenInPlace(key.data(), "bound", nonce, tag, nullptr, 0));
  EXPECT_FALSE(*OpenInPlace(key.data(), "other", nonce, tag, nullptr, 0));
}

// NIST SP 800-38D / McGrew-Viega test case 16 (AES-256, 96-bit IV, with AAD): our decryption of
// the published ciphertext and tag must give the published plaintext.
TEST(AeadTest, OpensTheGcmSpecTestVector) {
  auto hex = [](std::string_view h) {
    std::string out;
    for (size_t i = 0; i + 1 < h.size(); i += 2) {
      out.push_back(static_cast<char>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16)));
    }
    return out;
  };
  const std::string key = hex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308");
  const std::string iv = hex("cafebabefacedbaddecaf888");
  const std::string aad = hex("feedfacedeadbeeffeedfacedeadbeefabaddad2");
  const std::string plain = hex(
      "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449"
      "a6b525b16aedf5aa0de657ba637b39");
  std::string data = hex(
      "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056"
      "828838c5f61e6393ba7a0abcc9f662");
  const std::string tag = hex("76fc6ece0f4e1768cddf8853bb2d551b");
  auto ok = OpenInPlace(reinterpret_cast<const unsigned char*>(key.data()), aad, iv.data(),
                        tag.data(), data.data(), data.size());
  ASSERT_TRUE(ok.ok());
  EXPECT_TRUE(*ok);
  EXPECT_EQ(data, plain);
}

TEST(AeadTest, KeyCheckTellsKeysApart) {
  char a[8], b[8], a2[8];
  ASSERT_TRUE(KeyCheck(KeyOf(1).data(), a).ok());
  ASSERT_TRUE(KeyCheck(KeyOf(2).data(), b).ok());
  ASSERT_TRUE(KeyCheck(KeyOf(1).data(), a2).ok());
  EXPECT_EQ(std::string(a, 8), std::string(a2, 8));
  EXPECT_NE(std::string(a, 8), std::string(b, 8));
}

}  // namespace
}  // namespace kb::crypto
