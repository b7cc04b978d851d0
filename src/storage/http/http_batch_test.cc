// The multipart/mixed batch codec shared by the GCS and Azure stores: what a request body looks
// like, and how answers are split into parts (the servers' own answers are exercised against
// fake-gcs-server and Azurite by the stores' integration tests).
#include "storage/http/http_batch.h"

#include <gtest/gtest.h>

namespace kb::storage::http {
namespace {

TEST(HttpBatchTest, RequestBodyHasOnePartPerRequestAndAClosingBoundary) {
  const std::vector<BatchPart> parts = {
      {.content_id = "0",
       .method = "DELETE",
       .target = "/c/a%20b",
       .headers = {{"x-ms-date", "Sat, 05 Dec 2026 08:00:00 GMT"}, {"Content-Length", "0"}}},
      {.content_id = "1", .method = "DELETE", .target = "/c/d?sv=1&sig=x"}};
  EXPECT_EQ(BuildHttpBatch("bnd", parts),
            "--bnd\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n"
            "Content-ID: 0\r\n\r\n"
            "DELETE /c/a%20b HTTP/1.1\r\nx-ms-date: Sat, 05 Dec 2026 08:00:00 GMT\r\n"
            "Content-Length: 0\r\n\r\n\r\n"
            "--bnd\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n"
            "Content-ID: 1\r\n\r\n"
            "DELETE /c/d?sv=1&sig=x HTTP/1.1\r\n\r\n\r\n"
            "--bnd--\r\n");
}

TEST(HttpBatchTest, BoundaryOccursInNoneOfTheTexts) {
  const std::string a = "/c/kb_0123", b = "/c/other";
  const std::vector<std::string_view> texts = {a, b};
  const std::string boundary = MultipartBoundary(texts);
  EXPECT_TRUE(boundary.starts_with("kb_"));
  EXPECT_EQ(boundary.size(), 35u);
  EXPECT_NE(boundary, MultipartBoundary(texts));  // random
}

TEST(HttpBatchTest, AnswersAreSplitWithTheirContentIdsHeadersAndBodies) {
  const std::string body =
      "--bnd\r\nContent-Type: application/http\r\nContent-ID: <response-2>\r\n\r\n"
      "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\n"
      "x-ms-error-code: BlobNotFound\r\n\r\n"
      "{\"error\":{\"code\":404}}\r\n\r\n"
      "--bnd\r\nContent-Type: application/http\r\nContent-ID: <response-1>\r\n\r\n"
      "HTTP/1.1 204 No Content\r\n\r\n\r\n"
      "--bnd--\r\n";
  auto answers = ParseHttpBatch("gs://b", "multipart/mixed; boundary=bnd", body);
  ASSERT_TRUE(answers.ok()) << answers.status().ToString();
  ASSERT_EQ(answers->size(), 2u);
  EXPECT_EQ((*answers)[0].content_id, "<response-2>");
  EXPECT_EQ((*answers)[0].status, 404);
  EXPECT_EQ((*answers)[0].reason, "Not Found");
  EXPECT_EQ(HeaderValue((*answers)[0].headers, "x-ms-error-code"), "BlobNotFound");
  EXPECT_EQ(HeaderValue((*answers)[0].headers, "content-type"), "application/json");
  EXPECT_EQ(HeaderValue((*answers)[0].headers, "absent"), "");
  EXPECT_EQ((*answers)[0].body, "{\"error\":{\"code\":404}}");
  EXPECT_EQ((*answers)[1].content_id, "<response-1>");
  EXPECT_EQ((*answers)[1].status, 204);
  EXPECT_EQ((*answers)[1].body, "");

  // Bare LF line ends and a quoted boundary read the same.
  std::string lf;
  for (char c : body) {
    if (c != '\r') lf += c;
  }
  auto same = ParseHttpBatch("gs://b", "multipart/mixed; boundary=\"bnd\"; charset=x", lf);
  ASSERT_TRUE(same.ok()) << same.status().ToString();
  ASSERT_EQ(same->size(), 2u);
  EXPECT_EQ((*same)[0].status, 404);
  EXPECT_EQ((*same)[0].body, "{\"error\":{\"code\":404}}");
}

TEST(HttpBatchTest, MalformedAnswersArePermanentNamingTheSubject) {
  const std::string ok = "--bnd\r\nContent-ID: 0\r\n\r\nHTTP/1.1 202 Accepted\r\n\r\n--bnd--";
  ASSERT_TRUE(ParseHttpBatch("s", "multipart/mixed; boundary=bnd", ok).ok());
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"application/xml", ok},                                         // not multipart
      {"multipart/mixed", ok},                                         // no boundary
      {"multipart/mixed; boundary=", ok},                              // empty boundary
      {"multipart/mixed; boundary=other", ok},                         // no part
      {"multipart/mixed; boundary=bnd", ok.substr(0, ok.size() - 7)},  // cut short
      {"multipart/mixed; boundary=bnd", "--bnd\r\n\r\nnot http\r\n--bnd--"},
      {"multipart/mixed; boundary=bnd", "--bnd\r\n\r\nHTTP/1.1 2x2 Odd\r\n--bnd--"},
      {"multipart/mixed; boundary=bnd", "--bnd\r\n\r\nHTTP/1.1\r\n--bnd--"},
  };
  for (const auto& [content_type, body] : cases) {
    auto r = ParseHttpBatch("azure://a/c", content_type, body);
    ASSERT_FALSE(r.ok()) << content_type << " | " << body;
    EXPECT_EQ(r.status().code(), Status::Code::kPermanent);
    EXPECT_EQ(r.status().subject(), "azure://a/c");
    EXPECT_NE(r.status().message().find("malformed batch answer"), std::string::npos);
  }
}

}  // namespace
}  // namespace kb::storage::http
