#include "storage/s3/s3_response.h"

#include <charconv>
#include <pugixml.hpp>

#include "storage/s3/s3_util.h"

namespace kb::storage::s3 {
namespace {

std::string ChildText(const pugi::xml_node& n, const char* name) { return n.child_value(name); }

// Decimal digits only (no sign; surrounding XML whitespace ignored), fitting in 64 bits.
std::optional<uint64_t> ParseDecimal(std::string_view text) {
  constexpr std::string_view kSpace = " \t\r\n";
  const size_t first = text.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return std::nullopt;
  text = text.substr(first, text.find_last_not_of(kSpace) - first + 1);
  if (text.front() == '+' || text.front() == '-') return std::nullopt;
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

}  // namespace

Result<ListPage> ParseListObjectsV2(std::string_view subject, std::string_view body) {
  pugi::xml_document doc;
  pugi::xml_node root;
  if (!doc.load_buffer(body.data(), body.size()) || !(root = doc.child("ListBucketResult"))) {
    return Status::Permanent(subject, "ListObjectsV2 answer is not a ListBucketResult");
  }
  const bool url_encoded = ChildText(root, "EncodingType") == "url";
  ListPage page;
  for (pugi::xml_node c : root.children("Contents")) {
    std::string key = ChildText(c, "Key");
    if (url_encoded) key = UriDecode(key);
    const std::string size_text = ChildText(c, "Size");
    std::optional<uint64_t> size = size_text.empty() ? 0 : ParseDecimal(size_text);
    if (!size) {
      return Status::Permanent(subject, "ListObjectsV2 answer has a Size that is not a number: '" +
                                            size_text + "' (key '" + key + "')");
    }
    page.objects.push_back({std::move(key), *size});
  }
  if (ChildText(root, "IsTruncated") == "true") {
    page.next_token = ChildText(root, "NextContinuationToken");
    if (page.next_token.empty()) {
      return Status::Permanent(subject, "truncated listing without NextContinuationToken");
    }
  }
  return page;
}

std::optional<DeleteError> ParseDeleteErrors(std::string_view body) {
  pugi::xml_document doc;
  if (!doc.load_buffer(body.data(), body.size())) return std::nullopt;
  for (pugi::xml_node e : doc.child("DeleteResult").children("Error")) {
    std::string code = ChildText(e, "Code");
    if (code == "NoSuchKey") continue;
    return DeleteError{ChildText(e, "Key"), std::move(code), ChildText(e, "Message")};
  }
  return std::nullopt;
}

Result<std::string> ParseUploadId(std::string_view subject, std::string_view body) {
  pugi::xml_document doc;
  doc.load_buffer(body.data(), body.size());
  std::string id = doc.child("InitiateMultipartUploadResult").child_value("UploadId");
  if (id.empty()) return Status::Permanent(subject, "CreateMultipartUpload answer has no UploadId");
  return id;
}

Result<uint64_t> ParseContentLength(std::string_view subject, std::string_view value) {
  std::optional<uint64_t> n = ParseDecimal(value);
  if (!n) {
    return Status::Permanent(subject,
                             "HEAD answer has a bad Content-Length '" + std::string(value) + "'");
  }
  return *n;
}

}  // namespace kb::storage::s3
