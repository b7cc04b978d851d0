#include "storage/local/local_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <ctime>
#include <functional>
#include <set>
#include <utility>

#include "common/error_map.h"
#include "storage/local/key_codec.h"
#include "storage/local/posix_io.h"

namespace kb::storage {
namespace {

using local::DirEntry;
using local::UniqueFd;

constexpr std::string_view kTempPrefix = ".~kbtmp-";
constexpr int kMaxPutAttempts = 100;

std::string Parent(const std::string& path) { return path.substr(0, path.rfind('/')); }

std::string Join(const std::string& root, const std::vector<std::string>& names, size_t count) {
  std::string path = root;
  for (size_t i = 0; i < count; ++i) path += "/" + names[i];
  return path;
}

// The key made of the first `count` components of `key`.
std::string KeyPrefix(const std::string& key, size_t count) {
  size_t end = 0;
  for (size_t i = 0; i < count; ++i) end = key.find('/', end) + 1;
  return key.substr(0, end - 1);
}

Status Conflict(const std::string& key, const std::string& object_key, const std::string& path) {
  return Status::FailedPrecondition(
      key, "key conflicts with \"" + object_key + "\": a local store cannot hold an object \"" +
               object_key + "\" and objects under \"" + object_key + "/\" at once (" + path +
               " would have to be both a file and a directory)");
}

}  // namespace

LocalStore::LocalStore(std::string root, LocalStoreOptions options)
    : root_(std::move(root)), options_(options) {}

Result<std::unique_ptr<LocalStore>> LocalStore::Open(const std::string& root,
                                                     LocalStoreOptions options) {
  if (root.empty()) return Status::InvalidArgument("<storage root>", "the local path is empty");
  std::string abs = root;
  if (abs[0] != '/') {
    char cwd[PATH_MAX];
    if (::getcwd(cwd, sizeof cwd) == nullptr) return FromErrno(errno, root, "getcwd");
    abs = std::string(cwd) + "/" + abs;
  }
  while (abs.size() > 1 && abs.back() == '/') abs.pop_back();

  // mkdir -p, remembering what we created so its parents can be fsync'd.
  std::vector<std::string> created;
  for (size_t pos = abs.find('/', 1);; pos = abs.find('/', pos + 1)) {
    const std::string dir = abs.substr(0, pos);
    if (::mkdir(dir.c_str(), 0755) == 0) {
      created.push_back(dir);
    } else if (errno == EEXIST) {
      struct stat st;
      if (::stat(dir.c_str(), &st) != 0) {
        return FromErrno(errno, abs, "cannot use storage directory: stat " + dir);
      }
      if (!S_ISDIR(st.st_mode)) {
        return FromErrno(ENOTDIR, abs,
                         "cannot use storage directory: " + dir + " exists and is not a directory");
      }
    } else {
      return FromErrno(errno, abs, "cannot create storage directory: mkdir " + dir);
    }
    if (pos == std::string::npos) break;
  }
  std::unique_ptr<LocalStore> store(new LocalStore(abs, options));
  for (const auto& dir : created) KB_RETURN_IF_ERROR(store->SyncDir(Parent(dir), abs));
  return store;
}

std::string LocalStore::Describe() const { return "file://" + root_; }

Result<std::string> LocalStore::PathForKey(const std::string& key) const {
  KB_RETURN_IF_ERROR(ValidateKey(key));
  KB_ASSIGN_OR_RETURN(auto names, local::EncodeKey(key));
  return Join(root_, names, names.size());
}

LocalStore::SyncStats LocalStore::sync_stats() const {
  return SyncStats{file_syncs_.load(), dir_syncs_.load()};
}

Status LocalStore::SyncDir(const std::string& dir, const std::string& subject) {
  if (!options_.sync) return Status::OK();
  ++dir_syncs_;
  const int err = local::FsyncDirectory(dir);
  return err == 0 ? Status::OK() : FromErrno(err, subject, "fsync directory " + dir);
}

Status LocalStore::SyncFile(int fd, const std::string& path, const std::string& subject) {
  if (!options_.sync) return Status::OK();
  ++file_syncs_;
  if (::fsync(fd) != 0) return FromErrno(errno, subject, "fsync " + path);
  return Status::OK();
}

void LocalStore::RemoveUnlinkedTempFiles() {
  std::lock_guard lock(unlinked_mu_);
  std::erase_if(unlinked_tmp_, [](const std::string& tmp) {
    return ::unlink(tmp.c_str()) == 0 || errno == ENOENT;
  });
}

Status LocalStore::Put(const std::string& key, std::string_view data) {
  return PutParts(key, std::span<const std::string_view>(&data, 1));
}

Status LocalStore::PutParts(const std::string& key, std::span<const std::string_view> parts) {
  KB_RETURN_IF_ERROR(ValidateKey(key));
  KB_ASSIGN_OR_RETURN(auto names, local::EncodeKey(key));
  RemoveUnlinkedTempFiles();
  Status status;
  for (int attempt = 0; attempt < kMaxPutAttempts; ++attempt) {
    bool retry = false;
    status = PutOnce(key, names, parts, &retry);
    if (!retry) return status;
  }
  return status;
}

Status LocalStore::PutOnce(const std::string& key, const std::vector<std::string>& names,
                           std::span<const std::string_view> parts, bool* retry) {
  const std::string dir = Join(root_, names, names.size() - 1);
  const std::string path = dir + "/" + names.back();
  std::vector<std::string> created;
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    for (size_t i = 0; i + 1 < names.size(); ++i) {
      const std::string sub = Join(root_, names, i + 1);
      if (::mkdir(sub.c_str(), 0755) == 0) {
        created.push_back(sub);
        continue;
      }
      const int err = errno;
      if (err == ENOENT) {  // a concurrent Delete pruned the parent
        *retry = true;
        return FromErrno(err, key, "mkdir " + sub);
      }
      if (err != EEXIST) return FromErrno(err, key, "cannot create directory: mkdir " + sub);
      if (::stat(sub.c_str(), &st) != 0) {
        const int stat_err = errno;
        *retry = stat_err == ENOENT;
        return FromErrno(stat_err, key, "stat " + sub);
      }
      if (!S_ISDIR(st.st_mode)) return Conflict(key, KeyPrefix(key, i + 1), sub);
    }
  }
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return Conflict(key, key, path);

  const std::string tmp = dir + "/" + std::string(kTempPrefix) + local::RandomHex(16);
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (!fd.valid()) {
    const int err = errno;
    *retry = err == ENOENT;  // the directory was pruned since we made sure it exists
    return FromErrno(err, key, "cannot write object: create temp file " + tmp);
  }
  Status status;
  for (std::string_view part : parts) {
    if (const int err = local::WriteAll(fd.get(), part); err != 0) {
      status = FromErrno(err, key, "write " + tmp);
      break;
    }
  }
  if (status.ok()) status = SyncFile(fd.get(), tmp, key);
  if (const int err = fd.Close(); status.ok() && err != 0) {
    status = FromErrno(err, key, "close " + tmp);
  }
  if (status.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    status = err == EISDIR ? Conflict(key, key, path)
                           : FromErrno(err, key, "rename " + tmp + " to " + path);
  }
  if (!status.ok()) {
    // On a file system remounted read-only the unlink fails too: the next Put tries again.
    if (::unlink(tmp.c_str()) != 0 && errno != ENOENT) {
      std::lock_guard lock(unlinked_mu_);
      unlinked_tmp_.push_back(tmp);
    }
    return status;
  }
  // NotFound: a concurrent Delete already removed the object and pruned its directory, which is
  // as if it ran after this Put.
  std::vector<std::string> to_sync = {dir};
  for (const auto& sub : created) to_sync.push_back(Parent(sub));
  for (const auto& d : to_sync) {
    if (Status s = SyncDir(d, key); !s.ok() && !s.IsNotFound()) return s;
  }
  return Status::OK();
}

namespace {

// Opens the object file of `key`; NotFound when there is none (a directory is not an object).
Result<UniqueFd> OpenObject(const std::string& key, const std::string& path, uint64_t* size) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return FromErrno(errno, key, "open " + path);
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return FromErrno(errno, key, "fstat " + path);
  if (S_ISDIR(st.st_mode)) {
    return Status::NotFound(key, path + " is a directory of other keys, not an object");
  }
  if (!S_ISREG(st.st_mode)) {
    return Status::FailedPrecondition(key, path + " is not a regular file");
  }
  *size = static_cast<uint64_t>(st.st_size);
  return fd;
}

Result<std::string> ReadObject(const std::string& key, const std::string& path, uint64_t offset,
                               uint64_t length) {
  uint64_t size = 0;
  KB_ASSIGN_OR_RETURN(UniqueFd fd, OpenObject(key, path, &size));
  if (offset > size) {
    return Status::InvalidArgument(key, "range offset " + std::to_string(offset) +
                                            " is past the end of the " + std::to_string(size) +
                                            "-byte object " + path);
  }
  std::string out(std::min(length, size - offset), '\0');
  size_t done = 0;
  if (const int err = local::PreadAll(fd.get(), out.data(), out.size(), offset, &done); err != 0) {
    return FromErrno(err, key, "read " + path);
  }
  out.resize(done);  // only if the file was truncated behind our back
  return out;
}

}  // namespace

Result<std::string> LocalStore::Get(const std::string& key) {
  KB_ASSIGN_OR_RETURN(std::string path, PathForKey(key));
  return ReadObject(key, path, 0, UINT64_MAX);
}

Result<std::string> LocalStore::GetRange(const std::string& key, uint64_t offset, uint64_t length) {
  KB_ASSIGN_OR_RETURN(std::string path, PathForKey(key));
  return ReadObject(key, path, offset, length);
}

Result<uint64_t> LocalStore::Head(const std::string& key) {
  KB_ASSIGN_OR_RETURN(std::string path, PathForKey(key));
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return FromErrno(errno, key, "stat " + path);
  if (S_ISDIR(st.st_mode)) {
    return Status::NotFound(key, path + " is a directory of other keys, not an object");
  }
  return static_cast<uint64_t>(st.st_size);
}

Status LocalStore::Delete(const std::vector<std::string>& keys) {
  std::vector<std::string> paths;
  for (const auto& key : keys) {
    KB_ASSIGN_OR_RETURN(std::string path, PathForKey(key));
    paths.push_back(std::move(path));
  }
  Status first_error;
  // Directories to prune, deepest first, and directories whose entries changed.
  auto deeper_first = [](const std::string& a, const std::string& b) {
    const auto da = std::count(a.begin(), a.end(), '/');
    const auto db = std::count(b.begin(), b.end(), '/');
    return da != db ? da > db : a < b;
  };
  std::set<std::string, decltype(deeper_first)> prune(deeper_first);
  std::set<std::string> changed;
  for (size_t i = 0; i < keys.size(); ++i) {
    if (::unlink(paths[i].c_str()) == 0) {
      changed.insert(Parent(paths[i]));
      if (Parent(paths[i]) != root_) prune.insert(Parent(paths[i]));
    } else if (errno != ENOENT && errno != ENOTDIR && errno != EISDIR && first_error.ok()) {
      // ENOENT/ENOTDIR: no such object; EISDIR: the key names a directory of other keys.
      first_error = FromErrno(errno, keys[i], "unlink " + paths[i]);
    }
  }
  while (!prune.empty()) {
    const std::string dir = *prune.begin();
    prune.erase(prune.begin());
    if (::rmdir(dir.c_str()) != 0) continue;  // not empty (or gone): stop pruning here
    changed.erase(dir);
    changed.insert(Parent(dir));
    if (Parent(dir) != root_) prune.insert(Parent(dir));
  }
  if (first_error.ok()) {
    for (const auto& dir : changed) {
      Status s = SyncDir(dir, keys.front());
      if (!s.ok() && !s.IsNotFound()) return s;  // a concurrent Delete may have pruned it
    }
  }
  return first_error;
}

Result<size_t> LocalStore::CleanupTempFiles(std::chrono::seconds max_age) {
  const time_t cutoff = ::time(nullptr) - static_cast<time_t>(max_age.count());
  size_t removed = 0;
  Status first_error;
  std::function<void(const std::string&)> walk = [&](const std::string& dir) {
    std::vector<DirEntry> entries;
    if (const int err = local::ReadDirectory(dir, &entries); err != 0) {
      if (err != ENOENT && first_error.ok()) first_error = FromErrno(err, dir, "read directory");
      return;
    }
    for (const auto& e : entries) {
      const std::string path = dir + "/" + e.name;
      if (e.type == DirEntry::Type::kDirectory) {
        walk(path);
      } else if (e.type == DirEntry::Type::kFile && e.name.starts_with(kTempPrefix)) {
        struct stat st;
        if (::stat(path.c_str(), &st) != 0 || st.st_mtime > cutoff) continue;
        if (::unlink(path.c_str()) == 0) {
          ++removed;
        } else if (errno != ENOENT && first_error.ok()) {
          first_error = FromErrno(errno, path, "remove stale temp file");
        }
      }
    }
  };
  walk(root_);
  if (!first_error.ok()) return first_error;
  return removed;
}

}  // namespace kb::storage
