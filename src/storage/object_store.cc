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

Result<std::string> GetRangeOver(const std::string& key, uint64_t offset, uint64_t length,
                                 const RangeFetch& fetch,
                                 const std::function<Result<uint64_t>()>& size_of) {
  const auto past_end = [&](uint64_t size) {
    return Status::InvalidArgument(key, "range offset " + std::to_string(offset) +
                                            " is past the end of the object (" +
                                            std::to_string(size) + " bytes)");
  };
  if (length > 0) {
    const uint64_t last = length > UINT64_MAX - offset ? UINT64_MAX : offset + length - 1;
    Result<std::string> r = fetch({offset, last});
    if (r.ok()) {
      // A server may ignore a Range and send the whole object (200, not 206).
      if (r->size() > length) {
        if (offset > r->size()) return past_end(r->size());
        return r->substr(offset, length);
      }
      return r;
    }
    // 416 (mapped to InvalidArgument): the offset is at or past the end; the size tells which.
    // Every other error is the answer.
    if (!r.status().IsInvalidArgument()) return r.status();
  }
  KB_ASSIGN_OR_RETURN(uint64_t size, size_of());
  if (offset > size) return past_end(size);
  if (offset == size || length == 0) return std::string();
  return Status::Permanent(key, "server refused the range [" + std::to_string(offset) + ", " +
                                    std::to_string(offset + length) + ") of a " +
                                    std::to_string(size) + "-byte object");
}

}  // namespace kb::storage
