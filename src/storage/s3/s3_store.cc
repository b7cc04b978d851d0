#include "storage/s3/s3_store.h"

#include <algorithm>

namespace kb::storage::s3 {

Result<std::unique_ptr<S3Store>> S3Store::Make(const S3StoreConfig& cfg, S3StoreOptions options) {
  if (options.part_size < (5u << 20)) {
    return Status::InvalidArgument("storage.s3", "multipart part size must be at least 5 MiB");
  }
  KB_ASSIGN_OR_RETURN(auto client, S3Client::Make(cfg));
  return std::unique_ptr<S3Store>(new S3Store(std::move(client), options));
}

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

}  // namespace

Status S3Store::Put(const std::string& key, std::string_view data) {
  return PutParts(key, std::span<const std::string_view>(&data, 1));
}

Status S3Store::PutParts(const std::string& key, std::span<const std::string_view> parts) {
  KB_RETURN_IF_ERROR(ValidateKey(key));
  size_t size = 0;
  for (std::string_view p : parts) size += p.size();
  if (size > options_.multipart_threshold) return PutMultipart(key, parts, size);
  return client_->PutObject(key, parts, StorageClassApplies(key), ObjectLockApplies(key));
}

Status S3Store::PutMultipart(const std::string& key, std::span<const std::string_view> parts,
                             size_t size) {
  const bool lock = ObjectLockApplies(key);
  KB_ASSIGN_OR_RETURN(std::string upload_id,
                      client_->CreateMultipartUpload(key, StorageClassApplies(key), lock));
  std::vector<std::string> etags;
  Status s;
  for (size_t pos = 0; pos < size && s.ok(); pos += options_.part_size) {
    const std::vector<std::string_view> part = Slice(parts, pos, options_.part_size);
    Result<std::string> etag =
        client_->UploadPart(key, upload_id, static_cast<int>(etags.size() + 1), part, lock);
    if (etag.ok()) {
      etags.push_back(std::move(*etag));
    } else {
      s = etag.status();
    }
  }
  if (s.ok()) s = client_->CompleteMultipartUpload(key, upload_id, etags);
  if (!s.ok()) {
    // Best effort: the upload's parts would otherwise be billed until a lifecycle rule runs.
    (void)client_->AbortMultipartUpload(key, upload_id);
  }
  return s;
}

Result<std::string> S3Store::Get(const std::string& key) {
  KB_RETURN_IF_ERROR(ValidateKey(key));
  return client_->GetObject(key);
}

Result<std::string> S3Store::GetRange(const std::string& key, uint64_t offset, uint64_t length) {
  KB_RETURN_IF_ERROR(ValidateKey(key));
  return GetRangeOver(
      key, offset, length,
      [&](std::pair<uint64_t, uint64_t> range) { return client_->GetObject(key, range); },
      [&] { return client_->HeadObject(key); });
}

Result<uint64_t> S3Store::Head(const std::string& key) {
  KB_RETURN_IF_ERROR(ValidateKey(key));
  return client_->HeadObject(key);
}

Result<ListPage> S3Store::List(const std::string& prefix, const std::string& token,
                               size_t max_keys) {
  return client_->ListObjectsV2(prefix, token, std::clamp<size_t>(max_keys, 1, 1000));
}

Result<std::optional<ObjectLock>> S3Store::Lock(const std::string& key) {
  KB_RETURN_IF_ERROR(ValidateKey(key));
  return client_->GetObjectLock(key);
}

Status S3Store::Delete(const std::vector<std::string>& keys) {
  for (const std::string& k : keys) KB_RETURN_IF_ERROR(ValidateKey(k));
  for (size_t i = 0; i < keys.size(); i += 1000) {
    std::vector<std::string> batch(
        keys.begin() + static_cast<std::ptrdiff_t>(i),
        keys.begin() + static_cast<std::ptrdiff_t>(std::min(i + 1000, keys.size())));
    KB_RETURN_IF_ERROR(client_->DeleteObjects(batch));
  }
  return Status::OK();
}

}  // namespace kb::storage::s3
