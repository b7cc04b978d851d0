// LocalStore::List: an in-order walk of the directory tree under the prefix.
//
// Within one directory, a file stands for the key K and a subdirectory for every key starting with
// "K/"; no sibling can sort between two keys of one subdirectory (names hold no '/'), so visiting
// the entries sorted by "K" (files) and "K/" (directories) yields keys in global byte order. The
// walk can therefore stop after max_keys + 1 keys, and skips subtrees entirely before the token.
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>

#include "common/error_map.h"
#include "storage/local/key_codec.h"
#include "storage/local/local_store.h"
#include "storage/local/posix_io.h"

namespace kb::storage {
namespace {

using local::DirEntry;

class Walker {
 public:
  Walker(const std::string& prefix, const std::string& token, size_t limit)
      : prefix_(prefix), token_(token), limit_(limit) {}

  // Visits directory `dir` whose keys all start with `dir_key` ("" or ending in '/').
  Status Walk(const std::string& dir, const std::string& dir_key) {
    std::vector<DirEntry> entries;
    if (const int err = local::ReadDirectory(dir, &entries); err != 0) {
      // Missing: nothing under this prefix (or pruned by a concurrent Delete).
      if (err == ENOENT || err == ENOTDIR) return Status::OK();
      return FromErrno(err, prefix_, "list directory " + dir);
    }
    struct Item {
      std::string sort_key;  // the key, or for a directory the key plus '/'
      std::string name;
      bool is_dir;
    };
    std::vector<Item> items;
    for (auto& e : entries) {
      if (e.type == DirEntry::Type::kOther) continue;
      auto component = local::DecodeName(e.name);
      if (!component) continue;  // temp files and foreign names are not objects
      const bool is_dir = e.type == DirEntry::Type::kDirectory;
      std::string key = dir_key + *component + (is_dir ? "/" : "");
      if (!Relevant(key, is_dir)) continue;
      items.push_back({std::move(key), std::move(e.name), is_dir});
    }
    std::sort(items.begin(), items.end(),
              [](const Item& a, const Item& b) { return a.sort_key < b.sort_key; });
    for (const auto& item : items) {
      if (done()) break;
      const std::string path = dir + "/" + item.name;
      if (item.is_dir) {
        KB_RETURN_IF_ERROR(Walk(path, item.sort_key));
        continue;
      }
      struct stat st;
      if (::stat(path.c_str(), &st) != 0) {
        if (errno == ENOENT) continue;  // deleted meanwhile
        return FromErrno(errno, item.sort_key, "stat " + path);
      }
      found_.push_back({item.sort_key, static_cast<uint64_t>(st.st_size)});
    }
    return Status::OK();
  }

  bool done() const { return found_.size() >= limit_; }
  std::vector<ObjectInfo>& found() { return found_; }

 private:
  // Whether the key (or for a directory, some key starting with `key`) can be listed.
  bool Relevant(const std::string& key, bool is_dir) const {
    if (!is_dir) return key.starts_with(prefix_) && key > token_;
    if (!key.starts_with(prefix_) && !prefix_.starts_with(key)) return false;
    // Every key below sorts before the token unless the token itself lies in this subtree.
    return !(key < token_ && !token_.starts_with(key));
  }

  const std::string& prefix_;
  const std::string& token_;
  const size_t limit_;
  std::vector<ObjectInfo> found_;
};

}  // namespace

Result<ListPage> LocalStore::List(const std::string& prefix, const std::string& token,
                                  size_t max_keys) {
  if (max_keys == 0) return Status::InvalidArgument(prefix, "List needs max_keys > 0");
  ListPage page;
  // Start in the deepest directory the prefix names completely: "a/b/c" -> <root>/a/b.
  const size_t slash = prefix.rfind('/');
  std::string dir = root_;
  std::string dir_key;
  if (slash != std::string::npos) {
    dir_key = prefix.substr(0, slash + 1);
    auto names = local::EncodeKey(prefix.substr(0, slash));
    if (!names.ok()) return page;  // a component too long to exist: nothing to list
    for (const auto& name : *names) dir += "/" + name;
  }
  Walker walker(prefix, token, max_keys == SIZE_MAX ? max_keys : max_keys + 1);
  KB_RETURN_IF_ERROR(walker.Walk(dir, dir_key));
  auto& found = walker.found();
  if (found.size() > max_keys) {
    found.resize(max_keys);
    page.next_token = found.back().key;
  }
  page.objects = std::move(found);
  return page;
}

}  // namespace kb::storage
