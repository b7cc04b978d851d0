// LocalStore: the embedded default ObjectStore, keeping each object as one file under a root
// directory (a local disk, NFS mount ...).
//
// Layout: key "a/b/c" is the file <root>/a/b/c; names are readable and percent-encoded only where a
// file system needs it (see storage/local/key_codec.h). Because a name cannot be both a file and a
// directory, a local store cannot hold an object "a" together with objects "a/...": such a Put is
// FailedPrecondition naming both keys (the backup key layout never does this). Each key component
// must fit in 255 bytes once encoded (else InvalidArgument).
//
// Durability: Put writes a temp file ".~kbtmp-<random>" in the target directory, fsyncs it, renames
// it over the final name and fsyncs the directory (and the parents of directories it created). A
// crash leaves either the old object or the new one under the final name, plus at worst a stale
// temp file, which List never shows (names with '~' are never objects) and CleanupTempFiles
// removes. Delete removes the files, then the directories left empty (never the root).
// List walks only the subtree implied by the prefix, visiting directories in key byte order, and
// stops after max_keys + 1 keys; the continuation token is the last key returned.
//
// Ownership: the store owns nothing but the root path; the files belong to the directory.
// Thread-safety: every method may be called concurrently, also from several processes on one root;
// a Put racing a Delete that prunes its directory retries internally.
// Failure contract: errno values are mapped by FromErrno with the key as subject and the path in
// the message (missing files are NotFound, EACCES PermissionDenied, EIO Permanent ...). A full or
// read-only file system (ENOSPC, EDQUOT, EROFS) is Retryable: the retry layer rides it out until
// space is freed or the mount is writable again. A Put failing anywhere (create, write, fsync,
// rename) removes its temp file before it returns (on a read-only file system, where that fails
// too, the next Put does), so a failed Put leaves no object and no partial file behind (at most
// empty directories, which List never shows). The root is not checked for
// write permission at Open, so a read-only backup can be listed and read; the first Put fails.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "storage/object_store.h"

namespace kb::storage {

struct LocalStoreOptions {
  // fsync files and directories in Put/Delete. Turn off only where crash safety does not matter
  // (throw-away test data); never in production.
  bool sync = true;
};

class LocalStore : public ObjectStore {
 public:
  // fsyncs done so far (for tests checking the durability path is taken).
  struct SyncStats {
    uint64_t file_syncs = 0;
    uint64_t dir_syncs = 0;
  };

  // Opens the store rooted at `root`, creating it (with parents) if missing. A relative path is
  // taken relative to the current directory. Fails if `root` (or a parent) is not a directory.
  static Result<std::unique_ptr<LocalStore>> Open(const std::string& root,
                                                  LocalStoreOptions options = {});

  Status Put(const std::string& key, std::string_view data) override;
  Status PutParts(const std::string& key, std::span<const std::string_view> parts) override;
  Result<std::string> Get(const std::string& key) override;
  Result<std::string> GetRange(const std::string& key, uint64_t offset, uint64_t length) override;
  Result<uint64_t> Head(const std::string& key) override;
  // InvalidArgument if max_keys is 0.
  Result<ListPage> List(const std::string& prefix, const std::string& token,
                        size_t max_keys) override;
  Status Delete(const std::vector<std::string>& keys) override;
  // "file:///absolute/root"
  std::string Describe() const override;

  // Removes temp files of interrupted Puts last modified more than `max_age` ago; returns how
  // many. Call it at startup (`backup` does, with an hour); a zero max_age would race Puts in
  // progress.
  Result<size_t> CleanupTempFiles(std::chrono::seconds max_age);

  // The absolute root directory.
  const std::string& root() const { return root_; }
  // The file that holds (or would hold) `key`.
  Result<std::string> PathForKey(const std::string& key) const;
  SyncStats sync_stats() const;

 private:
  LocalStore(std::string root, LocalStoreOptions options);

  // One attempt; sets *retry when a concurrent Delete removed a directory under it.
  Status PutOnce(const std::string& key, const std::vector<std::string>& names,
                 std::span<const std::string_view> parts, bool* retry);
  // Tries again to remove the temp files of failed Puts whose unlink failed (EROFS).
  void RemoveUnlinkedTempFiles();
  Status SyncDir(const std::string& dir, const std::string& subject);
  Status SyncFile(int fd, const std::string& path, const std::string& subject);

  const std::string root_;
  const LocalStoreOptions options_;
  std::atomic<uint64_t> file_syncs_{0};
  std::atomic<uint64_t> dir_syncs_{0};
  std::mutex unlinked_mu_;
  std::vector<std::string> unlinked_tmp_;  // guarded by unlinked_mu_
};

}  // namespace kb::storage
