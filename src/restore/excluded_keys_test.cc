// The --exclude-keys file: text and base64 lines, comments, CRLF, duplicates, the refusals (each
// naming the file and line, never the key), loading from disk, a large list, the digest.
#include "restore/excluded_keys.h"

#include <gtest/gtest.h>

#include <fstream>

#include "testing/test_env.h"

namespace kb::restore {
namespace {

ExcludedKeys Parse(std::string_view text) {
  Result<ExcludedKeys> k = ParseExcludedKeys(text, "erase.txt");
  EXPECT_TRUE(k.ok()) << k.status().ToString();
  return k.ok() ? std::move(k).value() : ExcludedKeys();
}

// The error of a file that must be refused.
Status Refused(std::string_view text) {
  Result<ExcludedKeys> k = ParseExcludedKeys(text, "erase.txt");
  EXPECT_FALSE(k.ok());
  return k.ok() ? Status::OK() : k.status();
}

TEST(ExcludedKeysTest, TextBase64CommentsBlankLinesAndCrlf) {
  const ExcludedKeys k = Parse(
      "# erasure requests of 2026-12\n"
      "user-17\r\n"
      "\n"
      "\r\n"
      "base64:AAH/\n"      // binary 00 01 ff
      "text:#hashtag\n"    // a key starting with '#'
      "text: padded \n"    // spaces kept
      "base64:\n"          // the empty key
      "base64:dXNlci0x\n"  // "user-1"
      "with inner space\n"
      "last-no-newline");
  EXPECT_EQ(k.size(), 8u);
  EXPECT_TRUE(k.Contains("user-17"));
  EXPECT_TRUE(k.Contains(std::string_view("\x00\x01\xff", 3)));
  EXPECT_TRUE(k.Contains("#hashtag"));
  EXPECT_TRUE(k.Contains(" padded "));
  EXPECT_TRUE(k.Contains(""));
  EXPECT_TRUE(k.Contains("user-1"));
  EXPECT_TRUE(k.Contains("with inner space"));
  EXPECT_TRUE(k.Contains("last-no-newline"));
  // Not keys: the comment, the CR, the prefixes themselves, a prefix of a key.
  EXPECT_FALSE(k.Contains("# erasure requests of 2026-12"));
  EXPECT_FALSE(k.Contains("user-17\r"));
  EXPECT_FALSE(k.Contains("text:#hashtag"));
  EXPECT_FALSE(k.Contains("base64:AAH/"));
  EXPECT_FALSE(k.Contains("user"));
  EXPECT_FALSE(k.Contains("padded"));
  // A null key never matches, even with the empty key listed.
  EXPECT_FALSE(k.Contains(std::nullopt));
  EXPECT_EQ(k.duplicates(), 0u);
}

TEST(ExcludedKeysTest, ByteOrderMarkAtTheStartIsIgnored) {
  const ExcludedKeys k = Parse("\xEF\xBB\xBFuser-1\nuser-2\n");
  EXPECT_TRUE(k.Contains("user-1"));
  EXPECT_EQ(k.size(), 2u);
}

TEST(ExcludedKeysTest, DuplicatesCountOnceAndTheDigestIgnoresOrderAndDuplicates) {
  const ExcludedKeys a = Parse("u1\nu2\nu1\nbase64:dTI=\n");  // dTI= is "u2"
  EXPECT_EQ(a.size(), 2u);
  EXPECT_EQ(a.duplicates(), 2u);
  const ExcludedKeys b = Parse("u2\nu1\n");
  EXPECT_EQ(a.Digest(), b.Digest());
  EXPECT_EQ(a.Digest().size(), 64u);
  EXPECT_NE(Parse("u1\nu3\n").Digest(), a.Digest());
  // Length-prefixed: two keys never hash like one key holding both.
  EXPECT_NE(Parse("ab\nc\n").Digest(), Parse("a\nbc\n").Digest());
  // SHA-256 of the length-prefixed sorted keys, computed independently with
  // printf '\x00\x00\x00\x00\x00\x00\x00\x01x' | sha256sum (and the same for "a", "b").
  EXPECT_EQ(Parse("x\n").Digest(),
            "028f0df5b8596fbcd10c9720b7a4784f8e7e04f629bd5a62bfbdf139678b6624");
  EXPECT_EQ(Parse("b\na\n").Digest(),
            "3c9d591045bc8876f9d0399bbfb05c6a412096e906f73278f98406cd5dca86df");
}

TEST(ExcludedKeysTest, BadBase64NamesTheFileAndLineButNotTheContent) {
  for (const char* bad : {"base64:AAH", "base64:A", "base64:AA=A", "base64:AAH/ ", "base64:a-b_",
                          "base64:AAE=====", "base64:AB=="}) {
    const Status s = Refused(std::string("ok-1\n# c\n") + bad + "\n");
    EXPECT_TRUE(s.IsInvalidArgument()) << bad;
    EXPECT_EQ(s.subject(), "--exclude-keys") << bad;
    EXPECT_NE(s.message().find("erase.txt line 3:"), std::string::npos) << s.ToString();
    EXPECT_NE(s.message().find("base64"), std::string::npos) << s.ToString();
    EXPECT_EQ(s.message().find(bad), std::string::npos) << s.ToString();  // the line itself
  }
  // Padding is optional; both forms decode alike.
  EXPECT_EQ(DecodeBase64("AAE="), std::string("\x00\x01", 2));
  EXPECT_EQ(DecodeBase64("AAE"), std::string("\x00\x01", 2));
  EXPECT_EQ(DecodeBase64("dXNlcg=="), "user");
  EXPECT_EQ(DecodeBase64("dXNlcg"), "user");
  EXPECT_EQ(DecodeBase64(""), "");
}

TEST(ExcludedKeysTest, PlainKeyWithSpaceOrTabAtAnEndIsRefused) {
  for (const char* line : {"user-1 ", " user-1", "user-1\t", "\tuser-1", "user-1 \r"}) {
    const Status s = Refused(std::string("ok\n") + line + "\n");
    EXPECT_TRUE(s.IsInvalidArgument());
    EXPECT_NE(s.message().find("erase.txt line 2:"), std::string::npos) << s.ToString();
    EXPECT_NE(s.message().find("text:"), std::string::npos) << s.ToString();
    EXPECT_EQ(s.message().find("user-1"), std::string::npos)
        << "the key is printed: " << s.ToString();
  }
}

TEST(ExcludedKeysTest, AFileWithoutKeysIsRefused) {
  for (const char* text : {"", "\n\n", "# only\n# comments\n", "\xEF\xBB\xBF", "\r\n"}) {
    const Status s = Refused(text);
    EXPECT_TRUE(s.IsInvalidArgument());
    EXPECT_EQ(s.subject(), "--exclude-keys");
    EXPECT_NE(s.message().find("erase.txt lists no key"), std::string::npos) << s.ToString();
  }
}

TEST(ExcludedKeysTest, LoadsFromDiskAndNamesAMissingFile) {
  kb::testing::TempDir dir;
  const std::string path = dir.path() + "/erase.txt";
  std::ofstream(path) << "a\nbase64:Yg==\n";
  auto k = LoadExcludedKeys(path);
  ASSERT_TRUE(k.ok()) << k.status().ToString();
  EXPECT_TRUE((*k)->Contains("a"));
  EXPECT_TRUE((*k)->Contains("b"));
  EXPECT_EQ((*k)->path(), path);

  auto missing = LoadExcludedKeys(dir.path() + "/nope.txt");
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(missing.status().IsInvalidArgument());
  EXPECT_EQ(missing.status().subject(), "--exclude-keys");
  EXPECT_NE(missing.status().message().find(dir.path() + "/nope.txt"), std::string::npos);
  EXPECT_NE(missing.status().message().find("No such file"), std::string::npos)
      << missing.status().ToString();
  // A directory cannot be read as a list.
  auto directory = LoadExcludedKeys(dir.path());
  ASSERT_FALSE(directory.ok());
  EXPECT_TRUE(directory.status().IsInvalidArgument());
  EXPECT_NE(directory.status().message().find(dir.path()), std::string::npos);
  // An error of the content names the path given.
  std::ofstream(dir.path() + "/bad.txt") << "x\nbase64:!!\n";
  auto bad = LoadExcludedKeys(dir.path() + "/bad.txt");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find(dir.path() + "/bad.txt line 2:"), std::string::npos)
      << bad.status().ToString();
}

TEST(ExcludedKeysTest, AHundredThousandKeysLoadOnceAndMatchExactly) {
  std::string text;
  for (int i = 0; i < 150'000; ++i) text += "customer-" + std::to_string(i * 2) + "\n";
  const ExcludedKeys k = Parse(text);
  EXPECT_EQ(k.size(), 150'000u);
  int hits = 0;
  for (int i = 0; i < 300'000; ++i) hits += k.Contains("customer-" + std::to_string(i)) ? 1 : 0;
  EXPECT_EQ(hits, 150'000);
  EXPECT_TRUE(k.Contains("customer-299998"));
  EXPECT_FALSE(k.Contains("customer-299999"));
}

}  // namespace
}  // namespace kb::restore
