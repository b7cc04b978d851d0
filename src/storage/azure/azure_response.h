// Parsers of what Azure Blob Storage answers: the XML error body (<Error><Code>, <Message>) and a
// List Blobs page (<EnumerationResults>). Pure functions over the bytes the server sent, apart
// from AzureClient so that they are tested without a server.
//
// Failure contract: whatever the bytes, they return (never throw); a malformed list is Permanent
// naming `subject` (the prefix listed). Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"
#include "storage/object_store.h"

namespace kb::storage::azure {

// Blob names of object keys. Azure (and Azurite) read '\\' in a blob name as '/', so a key with a
// backslash would come back as another key: '\\' is stored as "%5C" and, to keep the mapping
// one-to-one, '%' as "%25". Every other byte is kept (keys the layout names have neither). A key
// with those bytes lists in a slightly different order ('\\' sorts as '%'); a name with another
// "%XY" (not written by this tool) decodes as it is.
std::string BlobNameOf(std::string_view key);
std::string KeyOfBlobName(std::string_view name);

struct AzureError {
  std::string code;  // e.g. "BlobNotFound"; "" when the body is not an Azure error
  std::string message;
};
AzureError ParseAzureError(std::string_view body);

// One page of List Blobs: each <Blob>'s <Name> (percent-decoded when Encoded="true") and
// <Properties><Content-Length> (names mapped back with KeyOfBlobName), and <NextMarker> as the
// continuation token. Permanent if the body is not an EnumerationResults or a Content-Length is not
// a decimal number fitting in 64 bits.
Result<ListPage> ParseListBlobs(std::string_view subject, std::string_view body);

}  // namespace kb::storage::azure
