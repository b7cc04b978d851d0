// OpenStore: the store described by the `storage:` config section, ready to use — the local
// directory (the default) or S3, under the one retry layer (RetryingStore). A caller may insert a
// decorator between the two (e.g. metrics::MeteredStore, so every real request is measured).
//
// Thread-safety: the returned store is thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <optional>

#include "config/config.h"
#include "storage/object_store.h"
#include "storage/retrying_store.h"

namespace kb::storage {

using StoreDecorator = std::function<std::unique_ptr<ObjectStore>(std::unique_ptr<ObjectStore>)>;

// `policy` defaults to retries for up to storage.retry_timeout.
Result<std::unique_ptr<ObjectStore>> OpenStore(const StorageConfig& cfg,
                                               const StoreDecorator& decorate = {},
                                               std::optional<RetryPolicy> policy = std::nullopt);

}  // namespace kb::storage
