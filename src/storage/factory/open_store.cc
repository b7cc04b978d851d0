#include "storage/factory/open_store.h"

#include "layout/keys.h"
#include "storage/local/local_store.h"
#include "storage/s3/s3_store.h"

namespace kb::storage {

std::function<bool(std::string_view)> SegmentKeyPredicate(std::string_view prefix) {
  return [keys = layout::Keys(prefix)](std::string_view key) {
    if (keys.Classify(key) == layout::KeyKind::kSegment) return true;
    // A segment of an archived topic generation (backup/generations.h copies them there).
    std::optional<layout::Keys::GenerationKey> g = keys.ParseGenerationKey(key);
    return g && keys.Generation(g->generation).Classify(key) == layout::KeyKind::kSegment;
  };
}

Result<std::unique_ptr<ObjectStore>> OpenStore(const StorageConfig& cfg,
                                               const StoreDecorator& decorate,
                                               std::optional<RetryPolicy> policy) {
  std::unique_ptr<ObjectStore> backend;
  if (cfg.type == StorageConfig::Type::kS3) {
    KB_ASSIGN_OR_RETURN(auto s3, s3::S3Store::Make(cfg.s3, {.storage_class_applies =
                                                                SegmentKeyPredicate(cfg.prefix)}));
    backend = std::move(s3);
  } else {
    auto local = LocalStore::Open(cfg.local.path);
    if (!local.ok()) return local.status().WithContext("storage.local.path");
    backend = std::move(local).value();
  }
  if (decorate) backend = decorate(std::move(backend));
  return std::unique_ptr<ObjectStore>(std::make_unique<RetryingStore>(
      std::move(backend), policy.value_or(RetryPolicy{.deadline = cfg.retry_timeout})));
}

}  // namespace kb::storage
