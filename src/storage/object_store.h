// ObjectStore: the one storage interface of Kafka Backup (cf. LevelDB's Env, ClickHouse's
// IObjectStorage). Everything the tool keeps lives in objects named by keys (see layout/keys.h);
// backends live in a folder each: storage/local (embedded default), storage/s3, storage/memory, and
// storage/fault (a fault-injecting wrapper for tests). Retries live in storage/retrying_store.h,
// never in a backend.
//
// Semantics every backend provides (checked by storage/conformance_test.h):
//   * Keys are non-empty UTF-8 strings of at most kMaxKeyBytes bytes; '/' separates "directories"
//   for
//     listing only. Any byte except NUL is allowed.
//   * Put is all-or-nothing: a reader sees the old object, or the whole new one, never part of it.
//     When Put returns OK the object is durable (fsync'd / acknowledged by the server).
//     Put overwrites an existing object. PutParts is Put of its parts concatenated in order (a
//     segment's header, blocks and footer), which backends write without copying them together.
//   * Get / GetRange of a missing key: NotFound. GetRange returns bytes [offset, offset+length)
//     clipped at the end of the object (UINT64_MAX: to the end); offset == size gives ""; offset
//     past the end is InvalidArgument.
//   * List returns keys with the prefix, at most max_keys (>= 1) per page, with an opaque
//     continuation token ("" when done). Order is lexicographic by bytes, except that some
//     S3-compatible servers list one "directory" at a time ("a/b" before "a.b"): callers that need
//     an order sort what they list. Listing is not a snapshot across pages.
//   * Delete removes keys; keys that do not exist are not an error. Batches of any size.
//   * Errors carry a Status code (NotFound, Retryable, Permanent, PermissionDenied, Corruption,
//     InvalidArgument) and the key at fault as the subject.
//
// Thread-safety: every method of every backend may be called concurrently from several threads.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace kb::crypto {
class KeyRing;
}  // namespace kb::crypto

namespace kb::storage {

inline constexpr size_t kMaxKeyBytes = 1024;

struct ObjectInfo {
  std::string key;
  uint64_t size = 0;
  friend bool operator==(const ObjectInfo&, const ObjectInfo&) = default;
};

// An object's S3 Object Lock retention (storage.s3.object_lock, docs/security.md): the server
// refuses to delete or overwrite its data until `retain_until_ms` (Unix ms, UTC).
struct ObjectLock {
  std::string mode;  // "GOVERNANCE" or "COMPLIANCE", as the server reports it; "" with no date
  int64_t retain_until_ms = 0;  // 0: no retention date (a legal hold only)
  bool legal_hold = false;      // x-amz-object-lock-legal-hold ON: locked until it is lifted
  friend bool operator==(const ObjectLock&, const ObjectLock&) = default;
};

struct ListPage {
  std::vector<ObjectInfo> objects;
  std::string next_token;  // pass to the next List call; empty when the listing is complete
};

class ObjectStore {
 public:
  virtual ~ObjectStore() = default;

  virtual Status Put(const std::string& key, std::string_view data) = 0;
  // Put of `parts` concatenated; the parts must stay valid until it returns. The default copies
  // them together and calls Put; the local and S3 backends write the parts as they are.
  virtual Status PutParts(const std::string& key, std::span<const std::string_view> parts);
  virtual Result<std::string> Get(const std::string& key) = 0;
  virtual Result<std::string> GetRange(const std::string& key, uint64_t offset,
                                       uint64_t length) = 0;
  // Size of the object in bytes.
  virtual Result<uint64_t> Head(const std::string& key) = 0;
  virtual Result<ListPage> List(const std::string& prefix, const std::string& token,
                                size_t max_keys) = 0;
  virtual Status Delete(const std::vector<std::string>& keys) = 0;

  // The object's retention lock, when the backend has such a thing and the object carries one;
  // nullopt otherwise. The default (local, memory: no locks) answers nullopt without looking at
  // the object; S3 asks the server (one HEAD; NotFound for a missing key), so the answer is exact
  // for a caller about to delete (ops/retention.h). Every decorator forwards its inner store's.
  virtual Result<std::optional<ObjectLock>> Lock(const std::string& key);

  // Human-readable location for logs and messages: "file:///var/backups", "s3://bucket".
  virtual std::string Describe() const = 0;

  // The keys that open this store's encrypted objects (storage.encryption; null when none are
  // configured). Set by crypto::SealingStore; every decorator forwards its inner store's.
  virtual std::shared_ptr<const crypto::KeyRing> keys() const { return nullptr; }
};

// Checks a key against the rules above; InvalidArgument naming the key otherwise.
Status ValidateKey(std::string_view key);

// GetRange over an HTTP backend, one contract for all of them: `fetch` asks for the inclusive
// byte range (the whole object may come back from a server that ignores a Range: it is cut
// here); a refused range (InvalidArgument, HTTP 416) is answered from `size`: "" when
// offset == size (or length == 0), InvalidArgument naming the key past it. Other errors pass
// through.
using RangeFetch = std::function<Result<std::string>(std::pair<uint64_t, uint64_t> range)>;
Result<std::string> GetRangeOver(const std::string& key, uint64_t offset, uint64_t length,
                                 const RangeFetch& fetch,
                                 const std::function<Result<uint64_t>()>& size);

// Every object under `prefix`, following continuation tokens.
Result<std::vector<ObjectInfo>> ListAll(ObjectStore& store, const std::string& prefix,
                                        size_t page_size = 1000);

}  // namespace kb::storage
