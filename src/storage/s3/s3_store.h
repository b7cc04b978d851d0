// S3Store: the ObjectStore backend for AWS S3 and S3-compatible servers (MinIO, versitygw, Ceph,
// R2 ...). Composes S3Client calls into ObjectStore semantics: objects above the multipart
// threshold are uploaded in parts (aborted on failure, so no orphaned parts are left behind),
// deletes are batched by 1000, ranged reads are clipped at the end of the object.
//
// No retries here: wrap in RetryingStore (storage/retrying_store.h), as storage/factory does.
// A failed multipart upload is aborted and the whole Put fails; the retry layer repeats the Put.
//
// storage.s3.storage_class is meant for data segments only: small objects (topic metadata,
// offsets, offset maps) would cost more in an infrequent-access class (billed at 128 KiB minimum,
// plus a retrieval charge per read). This layer does not know the key layout (layout/keys.h is
// the one place that does), so the caller says which keys get the class through
// S3StoreOptions::storage_class_applies; storage/factory passes one built on layout::Keys.
//
// storage.s3.object_lock likewise locks data segments only (S3StoreOptions::object_lock_applies):
// a segment is written once and never changed, while metadata and offsets are overwritten in
// place, which a lock would turn into one more locked version per write (docs/security.md).
//
// Thread-safety: all methods may be called concurrently (S3Client is thread-safe).
#pragma once

#include <functional>
#include <memory>
#include <string_view>

#include "storage/object_store.h"
#include "storage/s3/s3_client.h"

namespace kb::storage::s3 {

struct S3StoreOptions {
  size_t multipart_threshold = 16 << 20;  // objects larger than this use multipart upload
  size_t part_size = 8 << 20;             // >= 5 MiB, the S3 minimum for all but the last part
  // Whether an object put under `key` is stored in storage.s3.storage_class (when that is set);
  // the others get the bucket's default class. Empty: every object. Called concurrently from any
  // thread that puts; must be thread-safe and cheap.
  std::function<bool(std::string_view key)> storage_class_applies;
  // Whether an object put under `key` is locked per storage.s3.object_lock (when that is set).
  // Empty: every object. Same contract as storage_class_applies.
  std::function<bool(std::string_view key)> object_lock_applies;
};

class S3Store : public ObjectStore {
 public:
  static Result<std::unique_ptr<S3Store>> Make(const S3StoreConfig& cfg,
                                               S3StoreOptions options = {});

  Status Put(const std::string& key, std::string_view data) override;
  Status PutParts(const std::string& key, std::span<const std::string_view> parts) override;
  Result<std::string> Get(const std::string& key) override;
  Result<std::string> GetRange(const std::string& key, uint64_t offset, uint64_t length) override;
  Result<uint64_t> Head(const std::string& key) override;
  Result<ListPage> List(const std::string& prefix, const std::string& token,
                        size_t max_keys) override;
  Status Delete(const std::vector<std::string>& keys) override;
  // One HEAD: the lock the server reports (whatever storage.s3.object_lock says now, so objects
  // locked under an earlier config are seen too).
  Result<std::optional<ObjectLock>> Lock(const std::string& key) override;
  std::string Describe() const override { return client_->Describe(); }

 private:
  S3Store(std::unique_ptr<S3Client> client, S3StoreOptions options)
      : client_(std::move(client)), options_(options) {}
  Status PutMultipart(const std::string& key, std::span<const std::string_view> parts, size_t size);
  bool StorageClassApplies(const std::string& key) const {
    return !options_.storage_class_applies || options_.storage_class_applies(key);
  }
  bool ObjectLockApplies(const std::string& key) const {
    return !options_.object_lock_applies || options_.object_lock_applies(key);
  }

  std::unique_ptr<S3Client> client_;
  S3StoreOptions options_;
};

}  // namespace kb::storage::s3
