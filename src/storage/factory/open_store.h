// OpenStore: the store described by the `storage:` config section, ready to use — the local
// directory (the default), S3 or Azure Blob Storage, under the one retry layer (RetryingStore). A
// caller may insert a decorator between the two (e.g. metrics::MeteredStore, so every real request
// is measured).
//
// storage.s3.storage_class applies to data segments only (S3StoreOptions::storage_class_applies
// is SegmentKeyPredicate of storage.prefix): the factory is where the S3 layer and the key layout
// (layout/keys.h) meet, neither knowing the other. storage.s3.object_lock likewise (segments are
// immutable; metadata and offsets are overwritten in place and are never locked).
//
// Thread-safety: the returned store is thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string_view>

#include "config/config.h"
#include "crypto/sealing_store.h"
#include "storage/object_store.h"
#include "storage/retrying_store.h"

namespace kb::storage {

using StoreDecorator = std::function<std::unique_ptr<ObjectStore>(std::unique_ptr<ObjectStore>)>;

// True for the keys of data segments under `prefix` (archived generations' included), as
// layout::Keys classifies them; false for every other object (metadata, offsets, gaps, ...).
std::function<bool(std::string_view key)> SegmentKeyPredicate(std::string_view prefix);

// Which objects crypto::SealingStore envelopes under `prefix` (archived generations' included), and
// the name each is bound to (its key below the prefix): restore records always, group offsets,
// their history and topic.json when `encrypt_metadata`.
crypto::SealPolicyFn SealPolicyFor(std::string_view prefix, bool encrypt_metadata);

// storage.encryption's keys are loaded here (their files and variables read once); the store
// carries them (ObjectStore::keys()) to every reader and writer of encrypted objects.
// `policy` defaults to retries for up to storage.retry_timeout.
Result<std::unique_ptr<ObjectStore>> OpenStore(const StorageConfig& cfg,
                                               const StoreDecorator& decorate = {},
                                               std::optional<RetryPolicy> policy = std::nullopt);

// The same backend under the retry layer, without crypto::SealingStore: objects exactly as they
// are stored (sealed ones stay sealed; no key is loaded). For copying a store byte for byte
// (ops/copy.h); readers of records use OpenStore.
Result<std::unique_ptr<ObjectStore>> OpenRawStore(const StorageConfig& cfg);

}  // namespace kb::storage
