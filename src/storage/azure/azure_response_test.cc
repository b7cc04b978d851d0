// Unit tests of the Azure answer parsers (azure_response.h) and of the error mapping
// (azure_errors.h).
#include "storage/azure/azure_response.h"

#include <gtest/gtest.h>

#include "storage/azure/azure_errors.h"

namespace kb::storage::azure {
namespace {

TEST(ParseListBlobsTest, NamesSizesAndNextMarker) {
  const std::string body =
      "\xef\xbb\xbf<?xml version=\"1.0\" encoding=\"utf-8\"?>"
      "<EnumerationResults ServiceEndpoint=\"http://127.0.0.1/devstoreaccount1\" "
      "ContainerName=\"kb-test\"><Prefix>p/</Prefix><MaxResults>2</MaxResults><Blobs>"
      "<Blob><Name>p/a &amp; b</Name><Properties><Content-Length>12</Content-Length>"
      "<BlobType>BlockBlob</BlobType></Properties></Blob>"
      "<Blob><Name Encoded=\"true\">p/%01ctl</Name><Properties><Content-Length>0</Content-Length>"
      "</Properties></Blob></Blobs><NextMarker>2!64!MDAwMDE3IXAvYi0xMCEwMDAwMjgh</NextMarker>"
      "</EnumerationResults>";
  auto page = ParseListBlobs("p/", body);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->objects.size(), 2u);
  EXPECT_EQ(page->objects[0], (ObjectInfo{"p/a & b", 12}));
  EXPECT_EQ(page->objects[1], (ObjectInfo{"p/\x01"
                                          "ctl",
                                          0}));
  EXPECT_EQ(page->next_token, "2!64!MDAwMDE3IXAvYi0xMCEwMDAwMjgh");
}

TEST(ParseListBlobsTest, LastPageHasNoMarker) {
  auto page = ParseListBlobs("x", "<EnumerationResults><Blobs/><NextMarker/></EnumerationResults>");
  ASSERT_TRUE(page.ok());
  EXPECT_TRUE(page->objects.empty());
  EXPECT_EQ(page->next_token, "");
}

TEST(ParseListBlobsTest, MalformedAnswersArePermanentNamingThePrefix) {
  for (std::string_view body :
       {std::string_view("not xml <"), std::string_view("<Other/>"),
        std::string_view("<EnumerationResults><Blobs><Blob><Name>k</Name><Properties>"
                         "<Content-Length>-1</Content-Length></Properties></Blob></Blobs>"
                         "</EnumerationResults>"),
        std::string_view("<EnumerationResults><Blobs><Blob><Name>k</Name><Properties>"
                         "<Content-Length>99999999999999999999999</Content-Length></Properties>"
                         "</Blob></Blobs></EnumerationResults>")}) {
    auto page = ParseListBlobs("the/prefix", body);
    ASSERT_FALSE(page.ok()) << body;
    EXPECT_EQ(page.status().code(), Status::Code::kPermanent);
    EXPECT_EQ(page.status().subject(), "the/prefix");
  }
}

TEST(BlobNameTest, BackslashAndPercentRoundTrip) {
  EXPECT_EQ(BlobNameOf("a\\b%c/d e"), "a%5Cb%25c/d e");
  for (std::string key : {"plain/key", "a\\b", "%", "%%", "%25", "%5C", "\\%5C\\", "x%2"}) {
    EXPECT_EQ(KeyOfBlobName(BlobNameOf(key)), key) << key;
  }
  EXPECT_EQ(KeyOfBlobName("foreign%41name"), "foreign%41name");
  auto page = ParseListBlobs(
      "p",
      "<EnumerationResults><Blobs><Blob><Name>p/a%5Cb%25</Name><Properties><Content-Length>1"
      "</Content-Length></Properties></Blob></Blobs></EnumerationResults>");
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->objects[0].key, "p/a\\b%");
}

TEST(ParseAzureErrorTest, CodeAndFirstLineOfMessage) {
  AzureError e = ParseAzureError(
      "<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>BlobNotFound</Code><Message>The "
      "specified blob does not exist.\nRequestId:1\nTime:2026</Message></Error>");
  EXPECT_EQ(e.code, "BlobNotFound");
  EXPECT_EQ(e.message, "The specified blob does not exist.");
  EXPECT_EQ(ParseAzureError("").code, "");
  EXPECT_EQ(ParseAzureError("<html/>").code, "");
}

TEST(FromAzureErrorTest, Mapping) {
  EXPECT_TRUE(FromAzureError(201, "", "k", "").ok());
  EXPECT_TRUE(FromAzureError(503, "ServerBusy", "k", "").IsRetryable());
  EXPECT_TRUE(FromAzureError(500, "InternalError", "k", "").IsRetryable());
  EXPECT_TRUE(FromAzureError(429, "", "k", "").IsRetryable());
  EXPECT_TRUE(FromAzureError(408, "OperationTimedOut", "k", "").IsRetryable());
  Status nf = FromAzureError(404, "BlobNotFound", "k", "m");
  EXPECT_TRUE(nf.IsNotFound());
  EXPECT_EQ(nf.subject(), "k");
  Status container = FromAzureError(404, "ContainerNotFound", "k", "");
  EXPECT_EQ(container.code(), Status::Code::kPermanent);
  EXPECT_NE(container.message().find("storage.azure.container"), std::string::npos);
  Status auth = FromAzureError(403, "AuthenticationFailed", "k", "");
  EXPECT_TRUE(auth.IsPermissionDenied());
  EXPECT_NE(auth.message().find("check the Azure credentials"), std::string::npos);
  EXPECT_TRUE(FromAzureError(403, "AuthorizationPermissionMismatch", "k", "").IsPermissionDenied());
  EXPECT_TRUE(FromAzureError(401, "", "k", "").IsPermissionDenied());
  EXPECT_TRUE(FromAzureError(416, "InvalidRange", "k", "").IsInvalidArgument());
  EXPECT_EQ(FromAzureError(409, "ContainerAlreadyExists", "k", "").code(),
            Status::Code::kFailedPrecondition);
  EXPECT_EQ(FromAzureError(412, "ConditionNotMet", "k", "").code(),
            Status::Code::kFailedPrecondition);
  EXPECT_EQ(FromAzureError(400, "InvalidBlockList", "k", "").code(), Status::Code::kPermanent);
}

TEST(FromAzureErrorTest, SasSignatureInTheMessageIsRedacted) {
  Status s = FromAzureError(403, "AuthenticationFailed", "k",
                            "GET http://h/c/k?sv=2021&sig=VERYSECRET%3D&sp=r");
  EXPECT_EQ(s.ToString().find("VERYSECRET"), std::string::npos) << s.ToString();
  EXPECT_NE(s.ToString().find("sig=REDACTED"), std::string::npos);
}

}  // namespace
}  // namespace kb::storage::azure
