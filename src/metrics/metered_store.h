// MeteredStore: an ObjectStore decorator that measures every call of the store it wraps into
// BackupMetrics: one kafka_backup_store_request_seconds{op} observation per call (successful or
// not), and one kafka_backup_store_errors_total{op,code} increment per call that returns a non-OK
// Status, labelled with StatusCodeLabel(code) ("not_found", "retryable", ...). Results pass through
// unchanged; Describe() is the wrapped store's.
//
// Where to put it: beneath RetryingStore (RetryingStore(MeteredStore(S3Store))), so that every
// request on the wire is timed and every retried failure is counted; above it, it would time whole
// operations including backoff and see only the final outcome. Both compose.
//
// Ownership: owns the wrapped store, like RetryingStore, so a stack of decorators is one
// unique_ptr. Does not own `metrics`, which must outlive the MeteredStore.
//
// Thread-safety: as thread-safe as the wrapped store (ObjectStore requires every backend to be);
// the measurements themselves are thread-safe (BackupMetrics).
//
// Failure contract: adds no failures of its own; every Status and value is the wrapped store's.
#pragma once

#include <memory>

#include "metrics/backup_metrics.h"
#include "storage/object_store.h"

namespace kb::metrics {

class MeteredStore : public storage::ObjectStore {
 public:
  MeteredStore(std::unique_ptr<storage::ObjectStore> inner, BackupMetrics& metrics);

  Status Put(const std::string& key, std::string_view data) override;
  Status PutParts(const std::string& key, std::span<const std::string_view> parts) override;
  Result<std::string> Get(const std::string& key) override;
  Result<std::string> GetRange(const std::string& key, uint64_t offset, uint64_t length) override;
  Result<uint64_t> Head(const std::string& key) override;
  // Measured as a head (S3: one HEAD request).
  Result<std::optional<storage::ObjectLock>> Lock(const std::string& key) override;
  Result<storage::ListPage> List(const std::string& prefix, const std::string& token,
                                 size_t max_keys) override;
  Status Delete(const std::vector<std::string>& keys) override;
  std::string Describe() const override { return inner_->Describe(); }
  std::shared_ptr<const crypto::KeyRing> keys() const override { return inner_->keys(); }

  storage::ObjectStore* inner() { return inner_.get(); }

 private:
  // Runs `call`, records its latency and, if it failed, its Status code; returns its result.
  template <typename Call>
  auto Measure(StoreOp op, Call&& call);

  std::unique_ptr<storage::ObjectStore> inner_;
  BackupMetrics& metrics_;
};

}  // namespace kb::metrics
