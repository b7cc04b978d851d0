#include "storage/gcs/gcs_store.h"

#include <algorithm>
#include <vector>

namespace kb::storage::gcs {
namespace {

constexpr size_t kChunkUnit = 256 << 10;

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

}  // namespace

Result<std::unique_ptr<GcsStore>> GcsStore::Make(const GcsStoreConfig& cfg,
                                                 GcsStoreOptions options) {
  if (options.chunk_size == 0 || options.chunk_size % kChunkUnit != 0) {
    return Status::InvalidArgument("storage.gcs",
                                   "resumable upload chunk size must be a positive multiple of "
                                   "256 KiB");
  }
  KB_ASSIGN_OR_RETURN(auto client, GcsClient::Make(cfg));
  return std::unique_ptr<GcsStore>(new GcsStore(std::move(client), options));
}

Status GcsStore::Put(const std::string& key, std::string_view data) {
  return PutParts(key, std::span<const std::string_view>(&data, 1));
}

Status GcsStore::PutParts(const std::string& key, std::span<const std::string_view> parts) {
  KB_RETURN_IF_ERROR(ValidateKey(key));
  size_t size = 0;
  for (std::string_view p : parts) size += p.size();
  if (size > options_.resumable_threshold) return PutResumable(key, parts, size);
  return client_->InsertMultipart(key, parts);
}

Status GcsStore::PutResumable(const std::string& key, std::span<const std::string_view> parts,
                              size_t size) {
  KB_ASSIGN_OR_RETURN(std::string session, client_->StartResumable(key, size));
  Status s;
  uint64_t offset = 0;
  while (offset < size) {
    const size_t len = std::min<size_t>(options_.chunk_size, size - offset);
    const std::vector<std::string_view> chunk = Slice(parts, offset, len);
    Result<uint64_t> next = client_->UploadChunk(session, key, offset, chunk, size);
    if (!next.ok()) {
      s = next.status();
      break;
    }
    if (*next <= offset || *next > size) {
      s = Status::Permanent(key, "resumable upload made no progress at byte " +
                                     std::to_string(offset) + " (server reports " +
                                     std::to_string(*next) + " of " + std::to_string(size) + ")");
      break;
    }
    offset = *next;
  }
  if (!s.ok()) (void)client_->CancelResumable(session, key);  // best effort
  return s;
}

Result<std::string> GcsStore::Get(const std::string& key) {
  KB_RETURN_IF_ERROR(ValidateKey(key));
  return client_->GetMedia(key);
}

Result<std::string> GcsStore::GetRange(const std::string& key, uint64_t offset, uint64_t length) {
  KB_RETURN_IF_ERROR(ValidateKey(key));
  return GetRangeOver(
      key, offset, length,
      [&](std::pair<uint64_t, uint64_t> range) { return client_->GetMedia(key, range); },
      [&] { return client_->GetSize(key); });
}

Result<uint64_t> GcsStore::Head(const std::string& key) {
  KB_RETURN_IF_ERROR(ValidateKey(key));
  return client_->GetSize(key);
}

Result<ListPage> GcsStore::List(const std::string& prefix, const std::string& token,
                                size_t max_keys) {
  return client_->List(prefix, token, std::clamp<size_t>(max_keys, 1, 1000));
}

Status GcsStore::Delete(const std::vector<std::string>& keys) {
  for (const std::string& k : keys) KB_RETURN_IF_ERROR(ValidateKey(k));
  for (size_t i = 0; i < keys.size(); i += GcsClient::kMaxBatch) {
    std::vector<std::string> batch(keys.begin() + static_cast<std::ptrdiff_t>(i),
                                   keys.begin() + static_cast<std::ptrdiff_t>(std::min(
                                                      i + GcsClient::kMaxBatch, keys.size())));
    KB_RETURN_IF_ERROR(client_->DeleteBatch(batch));
  }
  return Status::OK();
}

}  // namespace kb::storage::gcs
