#include "storage/object_store.h"

namespace kb::storage {

Status ValidateKey(std::string_view key) {
  if (key.empty()) return Status::InvalidArgument("<empty key>", "object keys must not be empty");
  if (key.size() > kMaxKeyBytes) {
    return Status::InvalidArgument(
        key.substr(0, 64), "object key is " + std::to_string(key.size()) + " bytes; the limit is " +
                               std::to_string(kMaxKeyBytes));
  }
  if (key.find('\0') != std::string_view::npos) {
    return Status::InvalidArgument(key, "object keys must not contain NUL bytes");
  }
  return Status::OK();
}

Status ObjectStore::PutParts(const std::string& key, std::span<const std::string_view> parts) {
  if (parts.size() == 1) return Put(key, parts[0]);
  std::string whole;
  size_t size = 0;
  for (std::string_view p : parts) size += p.size();
  whole.reserve(size);
  for (std::string_view p : parts) whole.append(p);
  return Put(key, whole);
}

Result<std::optional<ObjectLock>> ObjectStore::Lock(const std::string& key) {
  KB_RETURN_IF_ERROR(ValidateKey(key));
  return std::optional<ObjectLock>();
}

Result<std::vector<ObjectInfo>> ListAll(ObjectStore& store, const std::string& prefix,
                                        size_t page_size) {
  std::vector<ObjectInfo> all;
  std::string token;
  do {
    KB_ASSIGN_OR_RETURN(ListPage page, store.List(prefix, token, page_size));
    for (auto& o : page.objects) all.push_back(std::move(o));
    token = std::move(page.next_token);
  } while (!token.empty());
  return all;
}

}  // namespace kb::storage
