// GCS JSON answers and the mapping of GCS errors to Status codes.
#include "storage/gcs/gcs_response.h"

#include <gtest/gtest.h>

namespace kb::storage::gcs {
namespace {

TEST(GcsResponseTest, PercentEncodeKeepsOnlyUnreservedBytes) {
  EXPECT_EQ(PercentEncode("a/b c+d%e~f_g.h-i"), "a%2Fb%20c%2Bd%25e~f_g.h-i");
  EXPECT_EQ(PercentEncode("\xc3\xa9?#&="), "%C3%A9%3F%23%26%3D");
}

TEST(GcsResponseTest, RedactUrlHidesTheUploadSessionId) {
  EXPECT_EQ(RedactUrl("https://h/upload/storage/v1/b/b/o?uploadType=resumable&name=k&upload_id="
                      "ADPycdSECRET&x=1"),
            "https://h/upload/storage/v1/b/b/o?uploadType=resumable&name=k&upload_id=REDACTED&x=1");
  EXPECT_EQ(RedactUrl("http://h/u?upload_id=SECRET"), "http://h/u?upload_id=REDACTED");
  EXPECT_EQ(RedactUrl("http://h/o/my_upload_id=x"), "http://h/o/my_upload_id=x");
  EXPECT_EQ(RedactUrl("http://h/o/k?alt=media"), "http://h/o/k?alt=media");
}

TEST(GcsResponseTest, ObjectSizeIsADecimalString) {
  EXPECT_EQ(*ParseObjectSize(R"({"name":"k","size":"12345678901"})", "k"), 12345678901u);
  EXPECT_EQ(*ParseObjectSize(R"({"size":7})", "k"), 7u);
  auto bad = ParseObjectSize(R"({"size":"12x"})", "k");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().subject(), "k");
  EXPECT_FALSE(ParseObjectSize(R"({"name":"k"})", "k").ok());
  EXPECT_FALSE(ParseObjectSize("[]", "k").ok());
}

TEST(GcsResponseTest, ObjectListItemsAndToken) {
  auto page = ParseObjectList(
      R"({"kind":"storage#objects","items":[{"name":"a/1","size":"3"},{"name":"a/2","size":"0"}],
          "nextPageToken":"tok"})",
      "gs://b");
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->objects.size(), 2u);
  EXPECT_EQ(page->objects[0], (ObjectInfo{.key = "a/1", .size = 3}));
  EXPECT_EQ(page->objects[1], (ObjectInfo{.key = "a/2", .size = 0}));
  EXPECT_EQ(page->next_token, "tok");
  auto empty = ParseObjectList(R"({"kind":"storage#objects"})", "gs://b");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->objects.empty());
  EXPECT_EQ(empty->next_token, "");
  EXPECT_FALSE(ParseObjectList(R"({"items":[{"size":"1"}]})", "gs://b").ok());
  EXPECT_FALSE(ParseObjectList(R"({"items":{}})", "gs://b").ok());
}

TEST(GcsResponseTest, ErrorsMapToStatusCodes) {
  const std::string body =
      R"({"error":{"code":404,"message":"No such object: b/k","errors":[{"reason":"notFound"}]}})";
  Status nf = MapGcsError(404, body, "k", "GET url");
  EXPECT_TRUE(nf.IsNotFound());
  EXPECT_EQ(nf.subject(), "k");
  EXPECT_NE(nf.message().find("notFound: No such object: b/k (GET url)"), std::string::npos)
      << nf.ToString();
  EXPECT_TRUE(MapGcsError(503, "", "k", "").IsRetryable());
  EXPECT_TRUE(MapGcsError(500, "oops", "k", "").IsRetryable());
  EXPECT_TRUE(MapGcsError(429, "", "k", "").IsRetryable());
  EXPECT_TRUE(MapGcsError(408, "", "k", "").IsRetryable());
  EXPECT_TRUE(MapGcsError(403,
                          R"({"error":{"code":403,"errors":[{"reason":"rateLimitExceeded"}]}})",
                          "k", "")
                  .IsRetryable());
  Status denied = MapGcsError(
      403,
      R"({"error":{"code":403,"message":"no storage.objects.get","errors":[{"reason":"forbidden"}]}})",
      "k", "");
  EXPECT_TRUE(denied.IsPermissionDenied());
  Status unauth = MapGcsError(401, "", "k", "");
  EXPECT_TRUE(unauth.IsPermissionDenied());
  EXPECT_NE(unauth.message().find("storage.gcs.credentials_file"), std::string::npos);
  EXPECT_TRUE(MapGcsError(416, "", "k", "").IsInvalidArgument());
  EXPECT_EQ(MapGcsError(412, "", "k", "").code(), Status::Code::kFailedPrecondition);
  EXPECT_EQ(MapGcsError(400, "bad", "k", "").code(), Status::Code::kPermanent);
  // OAuth2 token endpoint errors.
  Status grant =
      MapGcsError(400, R"({"error":"invalid_grant","error_description":"Bad JWT"})", "f", "");
  EXPECT_NE(grant.message().find("invalid_grant: Bad JWT"), std::string::npos) << grant.ToString();
  // A plain-text body is quoted (first line-ish, control characters blanked).
  Status text = MapGcsError(400, "line one\nline two", "k", "");
  EXPECT_NE(text.message().find("line one line two"), std::string::npos) << text.ToString();
}

}  // namespace
}  // namespace kb::storage::gcs
