#include "storage/s3/s3_util.h"

#include <gtest/gtest.h>

namespace kb::storage::s3 {
namespace {

TEST(S3UtilTest, UriEncodeFollowsAwsRules) {
  EXPECT_EQ(UriEncode("AZaz09-._~", false), "AZaz09-._~");
  EXPECT_EQ(UriEncode("a b+c=d/e", true), "a%20b%2Bc%3Dd/e");
  EXPECT_EQ(UriEncode("a/b", false), "a%2Fb");
  EXPECT_EQ(UriEncode("ü", true), "%C3%BC");
  EXPECT_EQ(UriEncode(std::string("\x00\xff", 2), true), "%00%FF");
}

TEST(S3UtilTest, UriDecodeReversesEncoding) {
  for (std::string s : {"plain", "a b+c=d/e?f#g%h", "données/日本", "100%"}) {
    EXPECT_EQ(UriDecode(UriEncode(s, false)), s);
  }
  EXPECT_EQ(UriDecode("50%"), "50%");  // dangling escape kept
  EXPECT_EQ(UriDecode("%zz"), "%zz");  // invalid escape kept
  EXPECT_EQ(UriDecode("a+b"), "a+b");  // '+' is not a space here
}

TEST(S3UtilTest, Digests) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const std::vector<std::string_view> parts = {"a", "", "bc"};
  EXPECT_EQ(Sha256Hex(parts), Sha256Hex("abc"));
  EXPECT_EQ(Sha256Hex(std::span<const std::string_view>()), Sha256Hex(""));
  EXPECT_EQ(Md5Base64(""), "1B2M2Y8AsgTpgAmY7PhCfg==");
  EXPECT_EQ(Md5Base64("abc"), "kAFQmDzST7DWlj99KOF/cg==");
}

TEST(S3UtilTest, IpAndLocalhostEndpointsNeedPathStyle) {
  for (const char* host : {"127.0.0.1", "127.0.0.1:9000", "10.1.2.3:443", "[::1]:9000", "[fd00::5]",
                           "localhost", "localhost:9000", "LOCALHOST:1", "s3.localhost:80"}) {
    EXPECT_TRUE(HostNeedsPathStyle(host)) << host;
  }
  for (const char* host : {"s3.eu-west-1.amazonaws.com", "minio.internal:9000", "localhost.example",
                           "1.2.3.4.example.com", "10.1.2", "mylocalhost:9000"}) {
    EXPECT_FALSE(HostNeedsPathStyle(host)) << host;
  }
}

TEST(S3UtilTest, XmlEscape) { EXPECT_EQ(XmlEscape("a<b>&\"'"), "a&lt;b&gt;&amp;&quot;&apos;"); }

TEST(S3UtilTest, ParsesS3ErrorBodies) {
  S3Error e = ParseS3Error(
      "<?xml version=\"1.0\"?><Error><Code>NoSuchKey</Code><Message>gone</Message></Error>");
  EXPECT_EQ(e.code, "NoSuchKey");
  EXPECT_EQ(e.message, "gone");
  EXPECT_TRUE(ParseS3Error("not xml").code.empty());
  EXPECT_TRUE(ParseS3Error("<ListBucketResult/>").code.empty());
}

TEST(S3UtilTest, Md5Base64OfPartsIsThatOfTheWhole) {
  EXPECT_EQ(Md5Base64(""), "1B2M2Y8AsgTpgAmY7PhCfg==");
  EXPECT_EQ(Md5Base64("hello"), "XUFAKrxLKna5cZ2REBfFkg==");
  const std::vector<std::string_view> parts = {"he", "", "llo"};
  EXPECT_EQ(Md5Base64(parts), Md5Base64("hello"));
}

TEST(S3UtilTest, RetainUntilDateIsIso8601UtcRoundedUpToTheSecond) {
  // 2026-12-04T22:00:00Z = 1796421600 s.
  const int64_t t0 = int64_t{1796421600} * 1000;
  EXPECT_EQ(RetainUntilDate(t0, 30LL * 86'400'000), "2027-01-03T22:00:00Z");
  EXPECT_EQ(RetainUntilDate(t0, 1000), "2026-12-04T22:00:01Z");
  // Never shorter than asked: a fraction of a second rounds up.
  EXPECT_EQ(RetainUntilDate(t0 + 1, 1000), "2026-12-04T22:00:02Z");
  EXPECT_EQ(RetainUntilDate(t0 + 999, 0), "2026-12-04T22:00:01Z");
}

TEST(S3UtilTest, ParseIso8601Ms) {
  const int64_t t0 = int64_t{1796421600} * 1000;
  EXPECT_EQ(ParseIso8601Ms("2026-12-04T22:00:00Z"), t0);
  EXPECT_EQ(ParseIso8601Ms("2026-12-04T22:00:00.250Z"), t0 + 250);
  EXPECT_EQ(ParseIso8601Ms("2026-12-04T22:00:00.5Z"), t0 + 500);
  EXPECT_EQ(ParseIso8601Ms("2026-12-04T22:00:00+00:00"), t0);
  EXPECT_EQ(ParseIso8601Ms(RetainUntilDate(t0, 3'600'000)), t0 + 3'600'000);
  for (const char* bad : {"", "2026-12-04", "2026-12-04T22:00:00", "2026-12-04T22:00:00+01:00",
                          "2026-13-04T22:00:00Z", "2026-12-04 22:00:00Z", "2026-12-04T22:00:00.Z",
                          "Fri, 04 Dec 2026 22:00:00 GMT", "2026-12-04T2x:00:00Z"}) {
    EXPECT_EQ(ParseIso8601Ms(bad), std::nullopt) << bad;
  }
}

}  // namespace
}  // namespace kb::storage::s3
