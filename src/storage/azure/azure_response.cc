#include "storage/azure/azure_response.h"

#include <cctype>
#include <pugixml.hpp>

#include "storage/http/uri.h"

namespace kb::storage::azure {

std::string BlobNameOf(std::string_view key) {
  std::string out;
  out.reserve(key.size());
  for (char c : key) {
    if (c == '%') {
      out += "%25";
    } else if (c == '\\') {
      out += "%5C";
    } else {
      out += c;
    }
  }
  return out;
}

std::string KeyOfBlobName(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  for (size_t i = 0; i < name.size(); ++i) {
    if (name.substr(i, 3) == "%25") {
      out += '%';
      i += 2;
    } else if (name.substr(i, 3) == "%5C") {
      out += '\\';
      i += 2;
    } else {
      out += name[i];
    }
  }
  return out;
}

AzureError ParseAzureError(std::string_view body) {
  AzureError e;
  pugi::xml_document doc;
  if (!doc.load_buffer(body.data(), body.size())) return e;
  pugi::xml_node err = doc.child("Error");
  if (!err) return e;
  e.code = err.child_value("Code");
  e.message = err.child_value("Message");
  // Azure's messages end with "\nRequestId:...\nTime:..."; keep the first line.
  if (size_t nl = e.message.find('\n'); nl != std::string::npos) e.message.resize(nl);
  return e;
}

Result<ListPage> ParseListBlobs(std::string_view subject, std::string_view body) {
  pugi::xml_document doc;
  if (!doc.load_buffer(body.data(), body.size())) {
    return Status::Permanent(subject, "List Blobs answer is not XML");
  }
  pugi::xml_node root = doc.child("EnumerationResults");
  if (!root) return Status::Permanent(subject, "List Blobs answer is not an EnumerationResults");
  ListPage page;
  for (pugi::xml_node blob : root.child("Blobs").children("Blob")) {
    pugi::xml_node name = blob.child("Name");
    ObjectInfo info;
    info.key = name.child_value();
    if (std::string_view(name.attribute("Encoded").value()) == "true") {
      info.key = http::UriDecode(info.key);
    }
    const std::string size = blob.child("Properties").child_value("Content-Length");
    uint64_t n = 0;
    for (char c : size) {
      if (!std::isdigit(static_cast<unsigned char>(c)) || n > (UINT64_MAX - 9) / 10) {
        return Status::Permanent(subject,
                                 "List Blobs answer has a Content-Length that is not a "
                                 "64-bit decimal number for blob " +
                                     info.key);
      }
      n = n * 10 + static_cast<uint64_t>(c - '0');
    }
    info.size = n;
    info.key = KeyOfBlobName(info.key);
    page.objects.push_back(std::move(info));
  }
  page.next_token = root.child_value("NextMarker");
  return page;
}

}  // namespace kb::storage::azure
