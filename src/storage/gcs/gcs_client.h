// GcsClient: the wire client of Google Cloud Storage's JSON API (storage/v1), over GcsHttp.
//
// One method per API call; each makes exactly ONE HTTP request (plus, at most, one to the token
// endpoint when the cached access token needs renewing) and never retries: retries belong to
// storage/retrying_store.h. Errors go through gcs_response's MapGcsError with the object key as
// subject (the bucket, as gs://bucket, for bucket-level calls).
//
// Requests: objects.insert uploadType=multipart (metadata + media in one multipart/related body,
// streamed from the caller's parts), the resumable upload protocol (a session started with
// uploadType=resumable, then PUTs of chunks with Content-Range; the session URI is whatever the
// server's Location header says), objects.get (metadata, or alt=media with a Range), objects.list
// (prefix, maxResults, pageToken) and objects.delete (alone, or up to 100 in one batch request).
// Object names are percent-encoded as one path segment ('/' included).
//
// Thread-safety: all methods may be called concurrently.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "common/status.h"
#include "config/config.h"
#include "storage/gcs/gcs_auth.h"
#include "storage/gcs/gcs_http.h"
#include "storage/object_store.h"

namespace kb::storage::gcs {

class GcsClient {
 public:
  // Checks cfg (InvalidArgument naming storage.gcs.<key>) and sets up its token source.
  static Result<std::unique_ptr<GcsClient>> Make(const GcsStoreConfig& cfg);

  // objects.insert of `parts` concatenated in one multipart/related request.
  Status InsertMultipart(const std::string& key, std::span<const std::string_view> parts);
  // Starts a resumable upload of a `size`-byte object; returns the session URI.
  Result<std::string> StartResumable(const std::string& key, uint64_t size);
  // Sends bytes [offset, offset + size of parts) of a `total`-byte object to the session. Returns
  // the offset the server has persisted up to (== total once the object is complete). Every chunk
  // but the last must be a multiple of 256 KiB.
  Result<uint64_t> UploadChunk(const std::string& session, const std::string& key, uint64_t offset,
                               std::span<const std::string_view> parts, uint64_t total);
  Status CancelResumable(const std::string& session, const std::string& key);

  // The object's bytes; [first, last] inclusive with `range` (last UINT64_MAX: to the end).
  Result<std::string> GetMedia(const std::string& key,
                               std::optional<std::pair<uint64_t, uint64_t>> range = {});
  Result<uint64_t> GetSize(const std::string& key);
  Result<ListPage> List(const std::string& prefix, const std::string& token, size_t max_keys);
  // A missing object is not an error.
  Status DeleteObject(const std::string& key);
  // At most kMaxBatch keys in one batch request (POST /batch/storage/v1) of objects.delete calls;
  // missing objects are not an error; the first other failure is returned, naming its key.
  static constexpr size_t kMaxBatch = 100;
  Status DeleteBatch(const std::vector<std::string>& keys);

  // The server's clock: the Date header of an objects.list of one object (the backup's own
  // permission).
  Result<int64_t> ServerTimeMs();

  std::string Describe() const { return "gs://" + cfg_.bucket; }

  // The JSON API URL of `key` (for tests).
  std::string ObjectUrl(const std::string& key) const;

 private:
  GcsClient(GcsStoreConfig cfg, std::shared_ptr<GcsHttp> http, std::unique_ptr<TokenSource> tokens)
      : cfg_(std::move(cfg)), http_(std::move(http)), tokens_(std::move(tokens)) {}
  // Adds the Authorization header and performs `req`; answers outside 2xx (and 308 when
  // `allow_308`) become a Status with `subject`.
  Result<GcsHttpResponse> Send(GcsHttpRequest req, const std::string& subject,
                               bool allow_308 = false);

  const GcsStoreConfig cfg_;
  const std::shared_ptr<GcsHttp> http_;
  const std::unique_ptr<TokenSource> tokens_;
};

}  // namespace kb::storage::gcs
