// CopyStore: copies a backup from one store to another (`kafka-backup copy --from URL --to URL`),
// e.g. from a local directory into a bucket, or between clouds. Objects are copied as stored —
// sealed (encrypted) objects stay sealed, no key is needed — and their keys move from the source
// prefix to the destination prefix (`<from prefix>/<rest>` -> `<to prefix>/<rest>`).
//
// Verified while copying: a data segment is checked before it is written (format::
// VerifySegmentStructure: every checksum of a plain segment, the structure of an encrypted one);
// every object written is read back and compared (SHA-256) with what was read. A corrupt source
// segment is not copied: it is a failure naming its key, and the others go on.
// Resumable: a segment, gap record or offsets history snapshot (immutable, named by its offsets
// or time) already at the destination with the same size is skipped; the small mutable objects
// (consumer offsets, topic.json, restore records, ...) are always copied again, so a copy run
// again after new backups brings them up to date. Parallel: `parallelism` objects at once.
//
// Ownership: borrows both stores for the call. Thread-safety: the stores must be thread-safe.
// Failure contract: listing errors stop the copy (returned); per-object failures are in the
// report (CopyReport::failed) and the rest is copied.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/status.h"
#include "layout/keys.h"
#include "storage/object_store.h"

namespace kb::ops {

struct CopyOptions {
  std::vector<std::string> topics;  // empty: everything under the source prefix
  size_t parallelism = 4;
  // Called with each object done (from the workers, serialized).
  std::function<void(uint64_t objects_done, uint64_t objects_total)> on_progress;
};

struct CopyReport {
  uint64_t listed = 0;
  uint64_t copied = 0;
  uint64_t skipped = 0;  // already at the destination (immutable, same size)
  uint64_t bytes_copied = 0;
  std::vector<Status> failed;  // each names the source key
  bool ok() const { return failed.empty(); }
};

Result<CopyReport> CopyStore(storage::ObjectStore& from, const layout::Keys& from_keys,
                             storage::ObjectStore& to, const layout::Keys& to_keys,
                             const CopyOptions& options);

// The report as text (one summary line, then each failure) and as JSON.
std::string FormatCopyReport(const CopyReport& report);
std::string FormatCopyReportJson(const CopyReport& report);

}  // namespace kb::ops
