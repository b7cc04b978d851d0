#include "storage/memory/memory_store.h"

#include <algorithm>
#include <utility>

namespace kb::storage {

MemoryStore::MemoryStore(std::string name) : name_(std::move(name)) {}

Status MemoryStore::Put(const std::string& key, std::string_view data) {
  KB_RETURN_IF_ERROR(ValidateKey(key));
  std::string copy(data);  // copy outside the lock
  std::lock_guard lock(mu_);
  ++stats_.puts;
  stats_.bytes_written += copy.size();
  objects_[key] = std::move(copy);
  return Status::OK();
}

Result<std::string> MemoryStore::Get(const std::string& key) {
  KB_RETURN_IF_ERROR(ValidateKey(key));
  std::lock_guard lock(mu_);
  ++stats_.gets;
  auto it = objects_.find(key);
  if (it == objects_.end()) return Status::NotFound(key, "no such object in " + Describe());
  stats_.bytes_read += it->second.size();
  return it->second;
}

Result<std::string> MemoryStore::GetRange(const std::string& key, uint64_t offset,
                                          uint64_t length) {
  KB_RETURN_IF_ERROR(ValidateKey(key));
  std::lock_guard lock(mu_);
  ++stats_.get_ranges;
  auto it = objects_.find(key);
  if (it == objects_.end()) return Status::NotFound(key, "no such object in " + Describe());
  const std::string& data = it->second;
  if (offset > data.size()) {
    return Status::InvalidArgument(key, "range offset " + std::to_string(offset) +
                                            " is past the end of the " +
                                            std::to_string(data.size()) + "-byte object");
  }
  const uint64_t n = std::min<uint64_t>(length, data.size() - offset);
  stats_.bytes_read += n;
  return data.substr(offset, n);
}

Result<uint64_t> MemoryStore::Head(const std::string& key) {
  KB_RETURN_IF_ERROR(ValidateKey(key));
  std::lock_guard lock(mu_);
  ++stats_.heads;
  auto it = objects_.find(key);
  if (it == objects_.end()) return Status::NotFound(key, "no such object in " + Describe());
  return static_cast<uint64_t>(it->second.size());
}

Result<ListPage> MemoryStore::List(const std::string& prefix, const std::string& token,
                                   size_t max_keys) {
  if (max_keys == 0) return Status::InvalidArgument(prefix, "List needs max_keys > 0");
  std::lock_guard lock(mu_);
  ++stats_.lists;
  // The token is the last key of the previous page: start strictly after it.
  auto it = objects_.lower_bound(prefix);
  if (!token.empty() && token >= prefix) it = objects_.upper_bound(token);
  ListPage page;
  for (; it != objects_.end() && it->first.starts_with(prefix); ++it) {
    if (page.objects.size() == max_keys) {
      page.next_token = page.objects.back().key;
      break;
    }
    page.objects.push_back({it->first, it->second.size()});
  }
  return page;
}

Status MemoryStore::Delete(const std::vector<std::string>& keys) {
  for (const auto& key : keys) KB_RETURN_IF_ERROR(ValidateKey(key));
  std::lock_guard lock(mu_);
  ++stats_.deletes;
  for (const auto& key : keys) objects_.erase(key);
  return Status::OK();
}

std::string MemoryStore::Describe() const { return "memory://" + name_; }

MemoryStore::Stats MemoryStore::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

void MemoryStore::ResetStats() {
  std::lock_guard lock(mu_);
  stats_ = Stats{};
}

size_t MemoryStore::object_count() const {
  std::lock_guard lock(mu_);
  return objects_.size();
}

std::map<std::string, std::string> MemoryStore::Contents() const {
  std::lock_guard lock(mu_);
  return objects_;
}

}  // namespace kb::storage
