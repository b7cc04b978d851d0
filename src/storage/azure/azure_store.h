// AzureStore: the ObjectStore backend for Azure Blob Storage (block blobs; Azurite for tests).
// Composes AzureClient calls into ObjectStore semantics:
//  - Put/PutParts up to `single_put_bytes`: one Put Blob. Larger: Put Block of `block_bytes`
//    slices of the caller's parts (views, never copied together), then one Put Block List, which
//    makes the whole object visible at once. Block ids carry a random per-upload tag, so two
//    concurrent puts of one key never commit each other's blocks. A failed upload leaves its
//    uncommitted blocks to Azure, which drops them after 7 days (there is no abort call).
//  - GetRange: Get Blob with x-ms-range, clipped at the end (416 past the end: Get Blob
//    Properties tells whether the offset is at the end or past it).
//  - List: List Blobs with prefix, marker (the continuation token) and maxresults (capped at 5000).
//  - Delete: Blob Batch (container scope) of up to 256 Delete Blob sub-requests per request, each
//    signed on its own; one Delete Blob for a single key. A missing blob counts as deleted. A
//    sub-request's transient failure fails the call (RetryingStore repeats it: deletes are
//    idempotent). Where the service refuses Blob Batch itself (an emulator without it, an account
//    kind that does not offer it), the store logs it once and deletes one blob per request from
//    then on.
//  - Lock: Azure immutability policies are not read; nullopt (as local and memory stores).
//
// No retries here: wrap in RetryingStore, as storage/factory does.
// Thread-safety: all methods may be called concurrently.
#pragma once

#include <atomic>
#include <memory>

#include "storage/azure/azure_client.h"
#include "storage/object_store.h"

namespace kb::storage::azure {

struct AzureStoreOptions {
  size_t single_put_bytes = 16 << 20;  // objects larger than this are put in blocks
  size_t block_bytes = 8 << 20;  // block size of those (Azure's limit: 4000 MiB, 50,000 blocks)
};

class AzureStore : public ObjectStore {
 public:
  static Result<std::unique_ptr<AzureStore>> Make(const AzureStoreConfig& cfg,
                                                  AzureStoreOptions options = {},
                                                  const EnvFn& env = {});

  Status Put(const std::string& key, std::string_view data) override;
  Status PutParts(const std::string& key, std::span<const std::string_view> parts) override;
  Result<std::string> Get(const std::string& key) override;
  Result<std::string> GetRange(const std::string& key, uint64_t offset, uint64_t length) override;
  Result<uint64_t> Head(const std::string& key) override;
  Result<ListPage> List(const std::string& prefix, const std::string& token,
                        size_t max_keys) override;
  Status Delete(const std::vector<std::string>& keys) override;
  std::string Describe() const override { return client_->Describe(); }

  AzureClient& client() { return *client_; }
  // False once the service refused Blob Batch (deletes go one blob per request).
  bool batch_delete() const { return batch_delete_.load(); }

 private:
  AzureStore(std::unique_ptr<AzureClient> client, AzureStoreOptions options)
      : client_(std::move(client)), options_(options) {}
  Status PutBlocks(const std::string& key, std::span<const std::string_view> parts, size_t size);

  std::unique_ptr<AzureClient> client_;
  AzureStoreOptions options_;
  std::atomic<bool> batch_delete_{true};
};

}  // namespace kb::storage::azure
