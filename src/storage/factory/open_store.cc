#include "storage/factory/open_store.h"

#include "crypto/sealing_store.h"
#include "layout/keys.h"
#include "storage/azure/azure_store.h"
#include "storage/gcs/gcs_store.h"
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

crypto::SealPolicyFn SealPolicyFor(std::string_view prefix, bool encrypt_metadata) {
  return [keys = layout::Keys(prefix), encrypt_metadata](const std::string& key) {
    crypto::SealPolicy policy;
    const layout::Keys* k = &keys;
    std::optional<layout::Keys> generation;
    if (std::optional<layout::Keys::GenerationKey> g = keys.ParseGenerationKey(key)) {
      generation = keys.Generation(g->generation);
      k = &*generation;
    }
    const std::string root = k->Root();
    if (!key.starts_with(root)) return policy;
    if (key == keys.ClusterSecurity() || key.starts_with(keys.ClusterSecurityHistoryPrefix())) {
      policy.seal_on_put = encrypt_metadata;  // ACLs and SCRAM user names
      policy.bound_name = key.substr(root.size());
      return policy;
    }
    switch (k->Classify(key)) {
      case layout::KeyKind::kRestoreOffsetMap:
        policy.seal_on_put = true;
        break;
      case layout::KeyKind::kConsumerOffsets:
      case layout::KeyKind::kConsumerOffsetsHistory:
      case layout::KeyKind::kTopicMetadata:
        policy.seal_on_put = encrypt_metadata;
        break;
      default:
        return policy;  // segments (sealed by format/), gaps, retention state: never enveloped
    }
    policy.bound_name = key.substr(root.size());
    return policy;
  };
}

namespace {

// The backend the section names (no retries, no sealing).
Result<std::unique_ptr<ObjectStore>> OpenBackend(const StorageConfig& cfg) {
  std::unique_ptr<ObjectStore> backend;
  if (cfg.type == StorageConfig::Type::kS3) {
    KB_ASSIGN_OR_RETURN(
        auto s3,
        s3::S3Store::Make(cfg.s3, {.storage_class_applies = SegmentKeyPredicate(cfg.prefix),
                                   .object_lock_applies = SegmentKeyPredicate(cfg.prefix)}));
    backend = std::move(s3);
  } else if (cfg.type == StorageConfig::Type::kGcs) {
    KB_ASSIGN_OR_RETURN(auto gcs, gcs::GcsStore::Make(cfg.gcs));
    backend = std::move(gcs);
  } else if (cfg.type == StorageConfig::Type::kAzure) {
    KB_ASSIGN_OR_RETURN(auto azure, azure::AzureStore::Make(cfg.azure));
    backend = std::move(azure);
  } else {
    auto local = LocalStore::Open(cfg.local.path);
    if (!local.ok()) return local.status().WithContext("storage.local.path");
    backend = std::move(local).value();
  }
  return backend;
}

}  // namespace

Result<std::unique_ptr<ObjectStore>> OpenRawStore(const StorageConfig& cfg) {
  KB_ASSIGN_OR_RETURN(std::unique_ptr<ObjectStore> backend, OpenBackend(cfg));
  return std::unique_ptr<ObjectStore>(std::make_unique<RetryingStore>(
      std::move(backend), RetryPolicy{.deadline = cfg.retry_timeout}));
}

Result<std::unique_ptr<ObjectStore>> OpenStore(const StorageConfig& cfg,
                                               const StoreDecorator& decorate,
                                               std::optional<RetryPolicy> policy) {
  KB_ASSIGN_OR_RETURN(std::unique_ptr<ObjectStore> backend, OpenBackend(cfg));
  if (decorate) backend = decorate(std::move(backend));
  std::shared_ptr<const crypto::KeyRing> ring;
  if (cfg.encryption.enabled) {
    KB_ASSIGN_OR_RETURN(ring, crypto::KeyRing::Load(cfg.encryption, ProcessEnv()));
  }
  // Always in place, so that an encrypted object read without keys is an error naming its key id.
  backend = std::make_unique<crypto::SealingStore>(
      std::move(backend), std::move(ring),
      SealPolicyFor(cfg.prefix, cfg.encryption.encrypt_metadata));
  return std::unique_ptr<ObjectStore>(std::make_unique<RetryingStore>(
      std::move(backend), policy.value_or(RetryPolicy{.deadline = cfg.retry_timeout})));
}

}  // namespace kb::storage
