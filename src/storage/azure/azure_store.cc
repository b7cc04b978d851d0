#include "storage/azure/azure_store.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <random>

#include "crypto/key_ring.h"
#include "storage/azure/azure_batch.h"

namespace kb::storage::azure {
namespace {

// The views covering bytes [pos, pos + len) of `parts` concatenated.
std::vector<std::string_view> Slice(std::span<const std::string_view> parts, size_t pos,
                                    size_t len) {
  std::vector<std::string_view> out;
  for (std::string_view p : parts) {
    if (len == 0) break;
    if (pos >= p.size()) {
      pos -= p.size();
      continue;
    }
    std::string_view piece = p.substr(pos, len);
    out.push_back(piece);
    len -= piece.size();
    pos = 0;
  }
  return out;
}

// 16 random hex digits: this upload's tag in its block ids.
std::string UploadTag() {
  thread_local std::mt19937_64 rng(std::random_device{}());
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(rng()));
  return buf;
}

}  // namespace

Result<std::unique_ptr<AzureStore>> AzureStore::Make(const AzureStoreConfig& cfg,
                                                     AzureStoreOptions options, const EnvFn& env) {
  if (options.block_bytes == 0 || options.block_bytes > (size_t{4000} << 20)) {
    return Status::InvalidArgument("storage.azure", "block size must be 1 byte to 4000 MiB");
  }
  KB_ASSIGN_OR_RETURN(auto client, AzureClient::Make(cfg, env));
  return std::unique_ptr<AzureStore>(new AzureStore(std::move(client), options));
}

Status AzureStore::Put(const std::string& key, std::string_view data) {
  return PutParts(key, std::span<const std::string_view>(&data, 1));
}

Status AzureStore::PutParts(const std::string& key, std::span<const std::string_view> parts) {
  KB_RETURN_IF_ERROR(ValidateKey(key));
  size_t size = 0;
  for (std::string_view p : parts) size += p.size();
  if (size > options_.single_put_bytes) return PutBlocks(key, parts, size);
  return client_->PutBlob(key, parts);
}

Status AzureStore::PutBlocks(const std::string& key, std::span<const std::string_view> parts,
                             size_t size) {
  if (size / options_.block_bytes >= 50'000) {
    return Status::InvalidArgument(
        key, "object of " + std::to_string(size) + " bytes needs more than 50,000 Azure blocks");
  }
  const std::string tag = UploadTag();
  std::vector<std::string> ids;
  for (size_t pos = 0; pos < size; pos += options_.block_bytes) {
    char num[8];
    std::snprintf(num, sizeof(num), "%06zu", ids.size());
    // Every id of a blob must have the same length: 16 + 1 + 6 bytes before base64.
    const std::string id = crypto::EncodeBase64(tag + "-" + num);
    const std::vector<std::string_view> block = Slice(parts, pos, options_.block_bytes);
    KB_RETURN_IF_ERROR(client_->PutBlock(key, id, block));
    ids.push_back(id);
  }
  return client_->PutBlockList(key, ids);
}

Result<std::string> AzureStore::Get(const std::string& key) {
  KB_RETURN_IF_ERROR(ValidateKey(key));
  return client_->GetBlob(key);
}

Result<std::string> AzureStore::GetRange(const std::string& key, uint64_t offset, uint64_t length) {
  KB_RETURN_IF_ERROR(ValidateKey(key));
  return GetRangeOver(
      key, offset, length,
      [&](std::pair<uint64_t, uint64_t> range) { return client_->GetBlob(key, range); },
      [&] { return client_->GetBlobSize(key); });
}

Result<uint64_t> AzureStore::Head(const std::string& key) {
  KB_RETURN_IF_ERROR(ValidateKey(key));
  return client_->GetBlobSize(key);
}

Result<ListPage> AzureStore::List(const std::string& prefix, const std::string& token,
                                  size_t max_keys) {
  return client_->ListBlobs(prefix, token, std::clamp<size_t>(max_keys, 1, 5000));
}

Status AzureStore::Delete(const std::vector<std::string>& keys) {
  for (const std::string& k : keys) KB_RETURN_IF_ERROR(ValidateKey(k));
  size_t done = 0;
  while (keys.size() - done > 1 && batch_delete_.load()) {
    const size_t n = std::min(kMaxBatchSize, keys.size() - done);
    const std::vector<std::string> chunk(keys.begin() + done, keys.begin() + done + n);
    Result<std::vector<Status>> each = client_->DeleteBlobs(chunk);
    if (each.status().code() == Status::Code::kNotImplemented) {
      if (batch_delete_.exchange(false)) {
        spdlog::info("{}: deleting one blob per request ({})", Describe(),
                     each.status().ToString());
      }
      break;
    }
    if (!each.ok()) return each.status();
    for (const Status& s : *each) {
      if (!s.ok() && !s.IsNotFound()) return s;
    }
    done += n;
  }
  for (; done < keys.size(); ++done) {
    Status s = client_->DeleteBlob(keys[done]);
    if (!s.ok() && !s.IsNotFound()) return s;
  }
  return Status::OK();
}

}  // namespace kb::storage::azure
