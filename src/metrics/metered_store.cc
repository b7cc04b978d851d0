#include "metrics/metered_store.h"

#include <chrono>
#include <utility>

namespace kb::metrics {

namespace {

const Status& StatusOf(const Status& s) { return s; }
template <typename T>
const Status& StatusOf(const Result<T>& r) {
  return r.status();
}

}  // namespace

MeteredStore::MeteredStore(std::unique_ptr<storage::ObjectStore> inner, BackupMetrics& metrics)
    : inner_(std::move(inner)), metrics_(metrics) {}

template <typename Call>
auto MeteredStore::Measure(StoreOp op, Call&& call) {
  const auto start = std::chrono::steady_clock::now();
  auto result = std::forward<Call>(call)();
  metrics_.ObserveStoreRequest(op, std::chrono::steady_clock::now() - start);
  const Status& status = StatusOf(result);
  if (!status.ok()) metrics_.AddStoreError(op, status.code());
  return result;
}

Status MeteredStore::Put(const std::string& key, std::string_view data) {
  return Measure(StoreOp::kPut, [&] { return inner_->Put(key, data); });
}

Status MeteredStore::PutParts(const std::string& key, std::span<const std::string_view> parts) {
  return Measure(StoreOp::kPut, [&] { return inner_->PutParts(key, parts); });
}

Result<std::string> MeteredStore::Get(const std::string& key) {
  return Measure(StoreOp::kGet, [&] { return inner_->Get(key); });
}

Result<std::string> MeteredStore::GetRange(const std::string& key, uint64_t offset,
                                           uint64_t length) {
  return Measure(StoreOp::kGetRange, [&] { return inner_->GetRange(key, offset, length); });
}

Result<uint64_t> MeteredStore::Head(const std::string& key) {
  return Measure(StoreOp::kHead, [&] { return inner_->Head(key); });
}

Result<std::optional<storage::ObjectLock>> MeteredStore::Lock(const std::string& key) {
  return Measure(StoreOp::kHead, [&] { return inner_->Lock(key); });
}

Result<storage::ListPage> MeteredStore::List(const std::string& prefix, const std::string& token,
                                             size_t max_keys) {
  return Measure(StoreOp::kList, [&] { return inner_->List(prefix, token, max_keys); });
}

Status MeteredStore::Delete(const std::vector<std::string>& keys) {
  return Measure(StoreOp::kDelete, [&] { return inner_->Delete(keys); });
}

}  // namespace kb::metrics
