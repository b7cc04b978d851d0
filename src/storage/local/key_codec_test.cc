#include "storage/local/key_codec.h"

#include <gtest/gtest.h>

#include <random>

namespace kb::storage::local {
namespace {

TEST(KeyCodecTest, KeepsReadableCharacters) {
  for (std::string_view c :
       {"plain.txt", "with space", "a+b=c&d?e#f:g@h!i'j(k)l*m,n;o$p",
        "donn\xc3\xa9"
        "es",
        "\xe6\x97\xa5\xe6\x9c\xac", "...", ".hidden", "back\\slash", "\"<>|"}) {
    EXPECT_EQ(EncodeComponent(c), c);
    EXPECT_EQ(DecodeName(c), std::string(c));
  }
}

TEST(KeyCodecTest, EscapesWhatAFileSystemCannotHoldOrWouldMisread) {
  EXPECT_EQ(EncodeComponent("100%"), "100%25");
  EXPECT_EQ(EncodeComponent("%25"), "%2525");
  EXPECT_EQ(EncodeComponent("home~user"), "home%7Euser");
  EXPECT_EQ(EncodeComponent("tab\there"), "tab%09here");
  EXPECT_EQ(EncodeComponent("\x01\x1f\x7f"), "%01%1F%7F");
  EXPECT_EQ(EncodeComponent("."), "%2E");
  EXPECT_EQ(EncodeComponent(".."), "%2E%2E");
  EXPECT_EQ(EncodeComponent(""), "%");
  EXPECT_EQ(EncodeComponent("\x80\xff"), "\x80\xff");  // high bytes stay (UTF-8 or not)
}

TEST(KeyCodecTest, DecodesOnlyCanonicalNames) {
  EXPECT_EQ(DecodeName("%"), "");
  EXPECT_EQ(DecodeName("%2E"), ".");
  EXPECT_EQ(DecodeName("%2E%2E"), "..");
  EXPECT_EQ(DecodeName("100%25"), "100%");
  EXPECT_EQ(DecodeName("home%7Euser"), "home~user");
  for (std::string_view name : {"", ".", "..", "%41", "%2e", "%2F", "%2f", "%00", "%4", "%zz", "a%",
                                "%%", "%7e", ".~kbtmp-0123abcd", "a~b", "~", "%2E%2Ex", "%2Ea"}) {
    EXPECT_EQ(DecodeName(name), std::nullopt) << "\"" << name << "\"";
  }
}

TEST(KeyCodecTest, EveryByteRoundTrips) {
  for (int b = 1; b < 256; ++b) {
    if (b == '/') continue;
    const std::string component = "x" + std::string(1, static_cast<char>(b)) + "y";
    const std::string name = EncodeComponent(component);
    EXPECT_EQ(name.find('/'), std::string::npos);
    EXPECT_EQ(name.find('~'), std::string::npos);
    EXPECT_EQ(DecodeName(name), component) << "byte " << b;
  }
}

TEST(KeyCodecTest, RandomComponentsRoundTrip) {
  std::mt19937 rng(7);
  for (int i = 0; i < 2000; ++i) {
    std::string component(rng() % 12, '\0');
    for (auto& c : component) {
      do {
        c = static_cast<char>(rng() % 256);
      } while (c == '\0' || c == '/');
    }
    const std::string name = EncodeComponent(component);
    ASSERT_EQ(DecodeName(name), component) << "name " << name;
  }
}

TEST(KeyCodecTest, EncodeKeySplitsOnSlashIncludingEmptyComponents) {
  auto names = EncodeKey("a//b/");
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(*names, (std::vector<std::string>{"a", "%", "b", "%"}));
  names = EncodeKey("/");
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(*names, (std::vector<std::string>{"%", "%"}));
  names = EncodeKey("./../x");
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(*names, (std::vector<std::string>{"%2E", "%2E%2E", "x"}));
}

TEST(KeyCodecTest, ComponentLongerThanANameIsInvalidArgument) {
  EXPECT_TRUE(EncodeKey("d/" + std::string(255, 'x')).ok());
  EXPECT_TRUE(EncodeKey(std::string(85, '%')).ok());  // 255 bytes once encoded
  const std::string key = "d/" + std::string(256, 'x');
  auto r = EncodeKey(key);
  ASSERT_TRUE(r.status().IsInvalidArgument());
  EXPECT_EQ(r.status().subject(), key);
  EXPECT_NE(r.status().message().find("255"), std::string::npos) << r.status().ToString();
  // Escaping expands: 86 '~' are 258 bytes on disk.
  EXPECT_TRUE(EncodeKey(std::string(86, '~')).status().IsInvalidArgument());
}

}  // namespace
}  // namespace kb::storage::local
