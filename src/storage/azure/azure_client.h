// AzureClient: the wire client for Azure Blob Storage (and Azurite), over libcurl. Block blobs
// only.
//
// One method per Blob service operation; each makes exactly ONE HTTP request and never retries —
// retries, backoff and deadlines belong to storage/retrying_store.h. Non-2xx answers are mapped by
// azure_errors.h (x-ms-error-code / the XML <Code>, HTTP status) with the blob key as subject.
//
// Requests carry x-ms-version (kApiVersion) and x-ms-date and are authorized per
// AzureCredentials (azure_auth.h): a Shared Key signature, a SAS token appended to the query, or
// an Azure AD bearer token. URLs are <endpoint>/<container>/<URI-encoded key>; the endpoint may
// have a path (Azurite: http://127.0.0.1:10000/devstoreaccount1). A URL in an error message has
// its SAS signature redacted.
//
// Connections are reused (a pool of curl easy handles; a request borrows one).
// Thread-safety: all methods may be called concurrently.
#pragma once

#include <curl/curl.h>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "config/config.h"
#include "storage/azure/azure_auth.h"
#include "storage/object_store.h"

namespace kb::storage::azure {

class AzureClient {
 public:
  // Checks the config, resolves the credentials (azure_auth.h) with `env` (default: the process
  // environment) and the endpoint (InvalidArgument naming storage.azure.endpoint if malformed).
  static Result<std::unique_ptr<AzureClient>> Make(const AzureStoreConfig& cfg,
                                                   const EnvFn& env = {});
  ~AzureClient();

  // Put Blob (a block blob) of `parts` concatenated, sent as they are.
  Status PutBlob(const std::string& key, std::span<const std::string_view> parts);
  // Put Block: an uncommitted block `block_id` (base64, all ids of a blob the same length).
  Status PutBlock(const std::string& key, const std::string& block_id,
                  std::span<const std::string_view> parts);
  // Put Block List: commits the blocks, in order, as the blob's content.
  Status PutBlockList(const std::string& key, const std::vector<std::string>& block_ids);
  // Get Blob: whole, or bytes [first, last] (last UINT64_MAX: to the end) with x-ms-range.
  Result<std::string> GetBlob(const std::string& key,
                              std::optional<std::pair<uint64_t, uint64_t>> range = {});
  // Get Blob Properties: the size (Content-Length).
  Result<uint64_t> GetBlobSize(const std::string& key);
  // List Blobs: flat, up to `max_results` (1..5000), from `marker`.
  Result<ListPage> ListBlobs(const std::string& prefix, const std::string& marker,
                             size_t max_results);
  // Delete Blob (with its snapshots). A missing blob is NotFound.
  Status DeleteBlob(const std::string& key);
  // Blob Batch of Delete Blob (with snapshots) for up to kMaxBatchSize keys, in one request:
  // the outcome of each delete, in `keys` order (a missing blob is NotFound). The error is the
  // whole batch's (HTTP, or the service refusing the batch: see BatchRefused).
  Result<std::vector<Status>> DeleteBlobs(const std::vector<std::string>& keys);
  // The server's clock: the Date header of a List Blobs of one blob (the backup's own permission).
  Result<int64_t> ServerTimeMs();
  // Create Container (tests: Azurite starts empty). An existing container is OK.
  Status CreateContainer();

  std::string Describe() const;
  const AzureCredentials& credentials() const { return creds_; }

  struct Response {
    long status = 0;
    std::string body;
    std::map<std::string, std::string> headers;  // lower-case names
  };

 private:
  struct Request {
    const char* method = "GET";
    std::string key;  // raw blob key; empty for container requests
    std::vector<std::pair<std::string, std::string>> query;       // raw names and values
    std::vector<std::pair<std::string, std::string>> ms_headers;  // x-ms-* besides date/version
    std::span<const std::string_view> upload;                     // PUT/POST body, in parts
    std::string content_type = "application/octet-stream";        // of the body
    bool head = false;
  };
  AzureClient(AzureStoreConfig cfg, AzureCredentials creds, std::string base_url,
              std::string base_path);
  Result<Response> Send(const Request& req);
  std::string PathFor(const std::string& key) const;
  // The Authorization header value for a request on `path` (none for SAS).
  Result<std::string> Authorization(const SharedKeyInput& in, const std::string& where);
  CURL* Acquire();
  void Release(CURL* h);

  AzureStoreConfig cfg_;
  AzureCredentials creds_;
  std::string base_url_;   // scheme://host[:port]
  std::string base_path_;  // the endpoint's path ("" or "/devstoreaccount1")
  std::mutex mu_;
  std::vector<CURL*> idle_;
};

}  // namespace kb::storage::azure
