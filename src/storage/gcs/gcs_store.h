// GcsStore: the ObjectStore backend for Google Cloud Storage (and emulators such as
// fake-gcs-server), over GcsClient and the JSON API. Composes the client's calls into ObjectStore
// semantics:
//  - Put / PutParts: objects up to GcsStoreOptions::resumable_threshold go in one multipart
//    (metadata + media) request; larger ones through a resumable upload session in chunks of
//    chunk_size (a multiple of 256 KiB, as GCS requires of all but the last chunk), streamed from
//    the caller's parts without copying them together. A failed resumable upload is cancelled
//    (best effort) and the whole Put fails; the retry layer repeats the Put. An object becomes
//    visible only when complete, so Put is all-or-nothing.
//  - Get / GetRange: alt=media downloads, ranged with a Range header, clipped at the end.
//  - Head: the object resource's size. List: objects.list with prefix and pageToken (at most 1000
//    per page).
//  - Delete: objects.delete calls, up to 100 in one batch request (POST /batch/storage/v1); a
//    missing key is fine.
//  - Lock: nullopt (the default): GCS retention policies and object holds are not read.
// Nothing here needs a conditional write (ifGenerationMatch): the interface overwrites.
//
// No retries here: wrap in RetryingStore (storage/retrying_store.h), as storage/factory does.
// Thread-safety: all methods may be called concurrently (GcsClient is thread-safe).
#pragma once

#include <memory>

#include "storage/gcs/gcs_client.h"
#include "storage/object_store.h"

namespace kb::storage::gcs {

struct GcsStoreOptions {
  size_t resumable_threshold = 8 << 20;  // larger objects use a resumable upload
  size_t chunk_size = 8 << 20;           // a positive multiple of 256 KiB
};

class GcsStore : public ObjectStore {
 public:
  static Result<std::unique_ptr<GcsStore>> Make(const GcsStoreConfig& cfg,
                                                GcsStoreOptions options = {});

  Status Put(const std::string& key, std::string_view data) override;
  Status PutParts(const std::string& key, std::span<const std::string_view> parts) override;
  Result<std::string> Get(const std::string& key) override;
  Result<std::string> GetRange(const std::string& key, uint64_t offset, uint64_t length) override;
  Result<uint64_t> Head(const std::string& key) override;
  Result<ListPage> List(const std::string& prefix, const std::string& token,
                        size_t max_keys) override;
  Status Delete(const std::vector<std::string>& keys) override;
  std::string Describe() const override { return client_->Describe(); }

 private:
  GcsStore(std::unique_ptr<GcsClient> client, GcsStoreOptions options)
      : client_(std::move(client)), options_(options) {}
  Status PutResumable(const std::string& key, std::span<const std::string_view> parts, size_t size);

  std::unique_ptr<GcsClient> client_;
  GcsStoreOptions options_;
};

}  // namespace kb::storage::gcs
