// MetadataSync: the backup daemon's second job (the founding design's "consumer group offsets"
// plus topic metadata), on its own schedule rather than only when records arrive.
//
//   * Every backup.offsets_interval: the committed offsets of every consumer group (except the
//     backup's own) on the backed-up topics are written per partition to
//     <prefix>/<topic>/<partition>/offset/consumers_offset (the JSON map group -> offset, always
//     the latest) and, when they changed, to .../offset/history/<time ms> so a restore to an
//     earlier time can use the offsets of that time. History times of a partition strictly
//     increase whatever the wall clock does: a snapshot is named max(wall clock, newest stored
//     snapshot + 1 ms) (the newest stored one is listed once per partition and process, before
//     its first snapshot), so a clock that jumped back never names a snapshot before, or the
//     same as, an older one.
//   * Every backup.metadata_interval, with topic.json: <prefix>/@cluster/security.json, the ACLs
//     naming the backed-up topics and their groups (backup.acls) and the SCRAM users, with a
//     history snapshot under <prefix>/@cluster/history/ each time it changes.
//   * Every backup.metadata_interval: <prefix>/<topic>/topic.json (topic id, partition count,
//     replication factor, the topic's non-default configs) when it changed. A topic.json that
//     names another topic id is left alone: the stored backup is of an older generation of the
//     topic, which the engine archives first (backup/generations.h).
//
// Which topics: those matching the topic filter that exist in the cluster. With several backup
// processes in one group each writes the same objects (identical content); that is harmless.
//
// Thread-safety: Start/Stop/SyncNow from one owner thread; the background thread only touches its
// own state. Errors of one round are logged and retried next round; SyncNow returns them. A
// PermissionDenied (a missing ACL: DESCRIBE_CONFIGS on a topic, DESCRIBE on a group...) is not
// retried: the rounds stop and `on_denied` (given to Start) gets it, so that the daemon stops
// with the error rather than going on without the metadata of a topic.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>

#include "common/clock.h"
#include "common/status.h"
#include "config/config.h"
#include "config/topic_filter.h"
#include "kafka/admin.h"
#include "layout/cluster_security.h"
#include "layout/keys.h"
#include "layout/metadata.h"
#include "storage/object_store.h"

namespace kb::backup {

class MetadataSync {
 public:
  // `clock` (times of history snapshots and topic.json) must outlive the MetadataSync.
  static Result<std::unique_ptr<MetadataSync>> Make(const Config& cfg, storage::ObjectStore* store,
                                                    const Clock& clock = Clock::Real());
  ~MetadataSync();

  // Background rounds until Stop(), or until a round fails with PermissionDenied: then
  // `on_denied` (if set) is called once, on the background thread, with that error.
  void Start(std::function<void(const Status&)> on_denied = {});
  void Stop();
  // One full round now (offsets and metadata), on the caller's thread.
  Status SyncNow();

 private:
  MetadataSync(const Config& cfg, storage::ObjectStore* store, TopicFilter filter,
               std::unique_ptr<kafka::Admin> admin, const Clock& clock);
  // The name of the next history snapshot of `tp` at wall time `now`: after every stored one.
  Result<int64_t> HistoryTime(const kafka::TopicPartition& tp, int64_t now);
  Status SyncOffsets(const std::vector<kafka::TopicInfo>& topics);
  Status SyncTopics(const std::vector<kafka::TopicInfo>& topics);
  // <prefix>/@cluster/security.json (and a history snapshot) when the kept ACLs or the SCRAM users
  // changed (backup.acls). A principal without DESCRIBE on the cluster is warned about once and
  // the object is left as it is.
  Status SyncSecurity(const std::vector<kafka::TopicInfo>& topics);
  Result<std::vector<kafka::TopicInfo>> SelectedTopics();
  void Loop();
  std::function<void(const Status&)> on_denied_;

  Config cfg_;
  storage::ObjectStore* store_;
  TopicFilter filter_;
  std::unique_ptr<kafka::Admin> admin_;
  layout::Keys keys_;
  const Clock* clock_;
  // The consumers_offset JSON last written (or found stored) per partition: a string, not the
  // map, so that 10,000 groups cost one compact copy.
  std::map<kafka::TopicPartition, std::string> written_offsets_;
  std::map<kafka::TopicPartition, int64_t> last_history_ms_;  // newest snapshot time stored
  std::map<std::string, layout::TopicMetadata> written_topics_;
  std::set<std::string> related_groups_;  // groups with offsets on the topics, last offsets round
  std::optional<layout::ClusterSecurity> written_security_;  // updated_at_ms zeroed
  bool security_denied_warned_ = false;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace kb::backup
