// Generations: keeps the backups of a topic that was deleted and re-created under the same name
// apart. A new generation is recognised by
//
//   * its topic id: topic.json records the id of the topic the stored backup came from, and the
//     cluster now reports another one; or, for backups written before topic ids were recorded,
//   * the topic was seen missing from the cluster (MarkMissing: the daemon's topic watch, or a
//     retention round) -- persisted as `missing_since_ms` in <prefix>/<topic>/retention.json
//     (layout/retention_state.h), so a restart does not forget it -- and exists again; or
//   * a partition's high watermark is below the next offset the store holds for it (the new
//     topic has fewer records than the old one had).
//
// BeforeAssign (called by the engine before it computes where assigned partitions start) then
// archives the old generation: every object under <prefix>/<topic>/ is moved to
// <prefix>/@generations/<n>/<topic>/ (topic.json is copied and left in place for the new
// generation, which is the same topic to a restore; n = the archive time in ms;
// layout::Keys::Generation(n) reads it like any store: `ls/verify/restore --generation n`), so the
// new generation starts at the plain layout from its log start offset, as a new topic would.
//
// The move is crash-safe: first the plan (every object to move) is written to
// <prefix>/@generations/moving/<topic>.json; then each object is copied, read back and compared;
// then the originals are deleted; then the plan. FinishPendingMoves (at start) and BeforeAssign
// finish a plan left by a crash; an object whose original is gone must already be in the archive
// (else Corruption naming it: never silently dropped). Last, the topic id is cleared from the
// topic.json left in place, so that the metadata sync (which never overwrites another topic id:
// see backup/metadata_sync.h) records the new generation's.
//
// Several daemons of one group may race to archive the same topic: the plan written last wins and
// every mover follows the plan it reads back, so the objects moved are one consistent set.
//
// Ownership: the store and admin must outlive it. Thread-safety: the methods may be called from
// several threads (the engine's and the maintenance thread); moves of one topic are serialized by
// a mutex. Failure contract: errors name the key or topic; an archive that fails part-way leaves
// its plan, and the next call finishes it.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "backup/uploader.h"
#include "common/clock.h"
#include "common/status.h"
#include "kafka/admin.h"
#include "layout/keys.h"
#include "storage/object_store.h"

namespace kb::backup {

// The topic id that <prefix>/<topic>/topic.json records, "" when there is no topic.json, it names
// no id or it cannot be decoded (logged; verify reports it).
Result<std::string> StoredTopicId(storage::ObjectStore& store, const layout::Keys& keys,
                                  const std::string& topic);

class Generations {
 public:
  // `clock` names archives (their wall time, and after every archive of the topic) and must
  // outlive it.
  Generations(storage::ObjectStore* store, layout::Keys keys, kafka::Admin* admin,
              std::chrono::milliseconds kafka_timeout = std::chrono::seconds(30),
              const Clock& clock = Clock::Real());

  // Finishes every move a crash left unfinished.
  Status FinishPendingMoves();

  // Archives the stored backup of each topic among `ids` that the cluster now holds a new
  // generation of (see above). Call before the partitions' start offsets are read from the store.
  Status BeforeAssign(const std::vector<PartitionId>& ids);

  // Records that `topic` was seen missing from the cluster (if its backup exists and no earlier
  // sighting is recorded).
  Status MarkMissing(const std::string& topic, int64_t now_ms);

  // Moves every object of `topic` to a new archived generation; returns its number, or -1 when
  // nothing was stored. The number is the wall time in ms, or one more than the topic's newest
  // archived generation when the wall clock is not after it (a clock that jumped back), so that a
  // newer generation never sorts before an older one nor lands in its archive.
  Result<int64_t> Archive(const std::string& topic, const std::string& reason);

 private:
  // The reason to archive `topic` before backing up `partitions` of it, or "" for none.
  Result<std::string> NewGenerationReason(const std::string& topic,
                                          const std::vector<int32_t>& partitions);
  Status FinishMove(const std::string& plan_key);
  Status ForgetTopicId(const std::string& topic);
  // The number of a new archive of `topic` (see Archive).
  Result<int64_t> NextGeneration(const std::string& topic);

  storage::ObjectStore* store_;
  const layout::Keys keys_;
  kafka::Admin* admin_;
  const std::chrono::milliseconds timeout_;
  const Clock* clock_;
  std::mutex mu_;  // one move at a time
};

}  // namespace kb::backup
