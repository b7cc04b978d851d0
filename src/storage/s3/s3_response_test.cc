#include "storage/s3/s3_response.h"

#include <gtest/gtest.h>

namespace kb::storage::s3 {
namespace {

TEST(S3ResponseTest, ParsesAListingPage) {
  auto page = ParseListObjectsV2(
      "p/",
      "<ListBucketResult><EncodingType>url</EncodingType><IsTruncated>true</IsTruncated>"
      "<NextContinuationToken>tok</NextContinuationToken>"
      "<Contents><Key>p/a%20b</Key><Size>12</Size></Contents>"
      "<Contents><Key>p/c</Key></Contents></ListBucketResult>");
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->objects.size(), 2u);
  EXPECT_EQ(page->objects[0], (ObjectInfo{"p/a b", 12}));
  EXPECT_EQ(page->objects[1], (ObjectInfo{"p/c", 0}));
  EXPECT_EQ(page->next_token, "tok");
}

TEST(S3ResponseTest, MalformedListingsArePermanentErrorsNamingThePrefix) {
  for (const char* bad :
       {"not xml", "<ListAllMyBucketsResult/>",
        "<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>",
        "<ListBucketResult><Contents><Key>k</Key><Size>12abc</Size></Contents></ListBucketResult>",
        "<ListBucketResult><Contents><Key>k</Key><Size>-1</Size></Contents></ListBucketResult>",
        // std::stoull used to throw std::out_of_range out of ListObjectsV2 (seen when moving the
        // parser out of S3Client for s3_response_fuzz).
        "<ListBucketResult><Contents><Key>k</Key><Size>99999999999999999999</Size></Contents>"
        "</ListBucketResult>"}) {
    auto page = ParseListObjectsV2("p/", bad);
    ASSERT_FALSE(page.ok()) << bad;
    EXPECT_EQ(page.status().code(), Status::Code::kPermanent) << bad;
    EXPECT_EQ(page.status().subject(), "p/") << bad;
  }
}

TEST(S3ResponseTest, DeleteErrorsSkipNoSuchKey) {
  auto e = ParseDeleteErrors(
      "<DeleteResult><Error><Key>a</Key><Code>NoSuchKey</Code></Error>"
      "<Error><Key>b</Key><Code>AccessDenied</Code><Message>no</Message></Error></DeleteResult>");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->key, "b");
  EXPECT_EQ(e->code, "AccessDenied");
  EXPECT_EQ(e->message, "no");
  EXPECT_FALSE(ParseDeleteErrors("<DeleteResult><Deleted><Key>a</Key></Deleted></DeleteResult>"));
  EXPECT_FALSE(ParseDeleteErrors("garbage"));
}

TEST(S3ResponseTest, UploadId) {
  auto id = ParseUploadId(
      "k",
      "<InitiateMultipartUploadResult><UploadId>u-1</UploadId></InitiateMultipartUploadResult>");
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(*id, "u-1");
  EXPECT_EQ(ParseUploadId("k", "<x/>").status().code(), Status::Code::kPermanent);
  EXPECT_EQ(ParseUploadId("k", "").status().subject(), "k");
}

// A Content-Length that is not a number used to throw std::invalid_argument / std::out_of_range
// (std::stoull) out of HeadObject.
TEST(S3ResponseTest, ContentLength) {
  EXPECT_EQ(*ParseContentLength("k", "0"), 0u);
  EXPECT_EQ(*ParseContentLength("k", "18446744073709551615"), UINT64_MAX);
  for (const char* bad : {"", "abc", "-1", "+1", "18446744073709551616", "12 34"}) {
    auto n = ParseContentLength("k", bad);
    ASSERT_FALSE(n.ok()) << bad;
    EXPECT_EQ(n.status().code(), Status::Code::kPermanent) << bad;
    EXPECT_EQ(n.status().subject(), "k");
  }
}

}  // namespace
}  // namespace kb::storage::s3
