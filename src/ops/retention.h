// Retention propagation (issue 6, requirement 6 of the design): deletes from the store what Kafka's
// own retention deleted from the cluster, late and carefully, and never what we are here to save.
//
// One round (RunRetention), for every topic stored under `keys` (or the named ones):
//   * The topic exists in the cluster and its effective cleanup.policy contains "compact": nothing
//     is deleted (compaction removes records, not offsets ranges; a backup of a compacted topic is
//     the only copy of the records it replaced).
//   * The topic exists otherwise: per stored partition that the cluster still has, its log start
//     offset L (kafka::Admin::QueryWatermarks, `low`). A segment or gap record whose end offset is
//     below L is *expired*; it is deleted once `grace` has passed since a round FIRST saw it
//     expired (first-seen times persist in <prefix>/<topic>/retention.json, so a restart does not
//     reset them). A range holding any offset >= L is never deleted. Ranges are deleted from the
//     lowest offset up and only as an unbroken run, so the remaining ranges still tile (verify
//     accepts a partition whose first offset is above 0). Partitions the cluster no longer has
//     (a re-created topic with fewer partitions) are kept.
//   * The topic exists but was seen missing before (retention.json missing_since_ms, kept), or a
//     partition's high watermark is below the store's next offset: a re-created topic whose old
//     generation the backup has not archived yet; nothing is deleted.
//   * The topic is absent from the cluster (deleted: the accident a backup exists for): nothing is
//     deleted, unless `deleted_topic_max_age` is set and has passed since a round first saw it
//     absent (persisted in retention.json too); then the topic's whole backup goes.
// PruneTopic deletes one topic's whole backup on an operator's explicit request.
//
// Object lock (storage.s3.object_lock, or a bucket's default retention; docs/security.md): before
// anything is deleted, each object the round would delete is asked for its lock
// (ObjectStore::Lock: one HEAD on S3, nothing on local storage). An object locked beyond the
// round's time is never deleted: it is reported in RetentionReport::locked ("locked until <date>,
// kept") and stays expired in retention.json, so a later round deletes it once the date has passed
// (its grace period is not restarted). Ranges after a locked one in the same partition are kept too
// (ranges are only deleted as an unbroken run from the lowest offset). A missing topic whose
// backup is due to go (deleted_topic_max_age) keeps its whole backup while any object of it is
// locked; PruneTopic refuses (Permanent naming a locked key) and deletes nothing. The lock is read
// from the server, not derived from the config, so objects locked under an earlier config count.
//
// Plan mode (execute = false) computes the same report but writes and deletes nothing (first-seen
// times of this round are "now" and not recorded). With execute, every deletion is logged (key and
// reason) before it is made, and the report lists them.
//
// Cost per round: one paged listing of the store (of the named topics only, when named), one
// ListTopics, per present topic one DescribeConfigs and one batched ListOffsets, one Get per
// retention.json, one Put per retention.json that changed, DeleteObjects batches, and (with
// read_oldest) one ranged footer read per partition for the oldest record kept; on S3, one HEAD
// per object a round would delete (its lock), whether or not object lock is configured.
//
// Failure contract: any error (store, cluster) ends the round and is returned, naming the key,
// topic or partition; what was deleted before it stays deleted (each deletion is whole and
// logged), nothing is deleted on a guess: a topic whose configs or watermarks cannot be read is
// skipped with the error returned. A malformed retention.json is Corruption naming its key (the
// round stops rather than restart a grace period silently). A topic named in `topics` that has
// nothing stored is NotFound.
//
// Thread-safety: functions over a thread-safe store and Admin; several processes running rounds on
// one store at once (backup daemons of one group) may each record first-seen times: the later write
// wins, which can only delay a deletion, never hasten it.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "kafka/admin.h"
#include "layout/keys.h"
#include "storage/object_store.h"

namespace kb::ops {

struct RetentionOptions {
  std::chrono::milliseconds grace{std::chrono::hours(24 * 7)};
  // nullopt: a topic missing from the cluster keeps its backup until PruneTopic.
  std::optional<std::chrono::milliseconds> deleted_topic_max_age;
  bool execute = false;             // false: plan only
  std::vector<std::string> topics;  // only these (each must be stored); empty: every stored topic
  // The time of the round. now_ms != 0 (tests): that time, for every decision and stamp.
  // Otherwise `clock` (nullptr: a guard made for this round, which trusts the wall clock): first
  // seen and missing-since times are stamped with its stamp_ms and a grace period or max age is
  // due when its reached_ms got there, so that the wall clock jumping forward while the guard
  // lives cannot hasten a deletion (common/clock.h; the daemon keeps one guard for its life).
  int64_t now_ms = 0;
  const WallGuard* clock = nullptr;
  bool read_oldest = true;  // fill TopicRetention::oldest_timestamp_ms
  std::chrono::milliseconds kafka_timeout{std::chrono::seconds(30)};
  size_t parallelism = 8;  // footer reads in flight
};

// One object deleted (or, in a plan, to delete).
struct PruneAction {
  std::string key;
  std::string topic;
  int32_t partition = -1;  // -1: a topic-level object (topic.json, retention.json)
  int64_t start = -1;      // a segment's or gap's offsets; -1 otherwise
  int64_t end = -1;
  bool is_segment = false;
  uint64_t size = 0;
  std::string reason;
};

// An expired range still within its grace period.
struct PendingRange {
  std::string key;
  std::string topic;
  int32_t partition = 0;
  int64_t start = 0;
  int64_t end = 0;
  bool is_segment = false;
  uint64_t size = 0;
  int64_t first_seen_ms = 0;
  int64_t due_ms = 0;  // first_seen_ms + grace
  // Due, but an earlier range of its partition is locked (RetentionReport::locked): kept until that
  // one can go.
  bool behind_locked = false;
};

// An object the round would delete but whose object lock holds until after the round's time.
struct LockedObject {
  std::string key;
  std::string topic;
  int32_t partition = -1;
  int64_t start = -1;
  int64_t end = -1;
  bool is_segment = false;
  uint64_t size = 0;
  std::string mode;             // GOVERNANCE / COMPLIANCE
  int64_t retain_until_ms = 0;  // 0: no date (a legal hold only)
  bool legal_hold = false;
};

struct TopicRetention {
  enum class State {
    kInCluster,  // expired ranges pruned after the grace period
    kCompacted,  // never pruned by retention
    kMissing,    // absent from the cluster: kept (until max age, when configured)
    kDeleted,    // its whole backup deleted (or, in a plan, to delete) this round
    // Exists again after it was seen missing, or a partition's high watermark is below what the
    // store holds: a new generation (backup/generations.h). Nothing is pruned: the cluster's log
    // start offsets say nothing about the old generation's backup, which the backup daemon
    // archives when it takes the topic up again.
    kRecreated,
  };
  std::string topic;
  State state = State::kInCluster;
  std::optional<int64_t> missing_since_ms;  // kMissing / kDeleted by max age
  std::optional<int64_t> delete_due_ms;     // kMissing with a max age: when the backup goes
  uint64_t segments_kept = 0;               // after this round's deletions
  uint64_t bytes_kept = 0;
  // Smallest record timestamp of the first remaining segment of each partition; nullopt when
  // nothing remains or read_oldest is off.
  std::optional<int64_t> oldest_timestamp_ms;
  // kMissing past its max age, kept because objects of it are locked: the last retain-until date
  // (0: only legal holds).
  std::optional<int64_t> locked_until_ms;
};
// "in cluster", "compacted", "missing from cluster", "deleted".
const char* TopicStateName(TopicRetention::State state);

struct RetentionReport {
  bool executed = false;
  int64_t now_ms = 0;  // the round's time: what deletions were decided against (reached_ms)
  std::vector<TopicRetention> topics;  // by topic
  std::vector<PruneAction> deleted;    // deleted, or to delete in a plan; by key
  std::vector<PendingRange> pending;   // by key
  std::vector<LockedObject> locked;    // kept for their object lock; by key
  uint64_t segments_deleted = 0;       // among `deleted`
  uint64_t bytes_deleted = 0;          // their sizes
};

// One round of retention propagation (see above).
Result<RetentionReport> RunRetention(storage::ObjectStore& store, const layout::Keys& keys,
                                     kafka::Admin& admin, const RetentionOptions& options);

// Deletes (execute) or plans deleting every object of `topic` under `keys`: the operator's explicit
// `kafka-backup prune --topic T`. NotFound when nothing is stored for it; Permanent naming a
// locked key, deleting nothing, when any object of the topic is locked beyond now. Data objects go
// first, topic.json and retention.json last, so an interrupted run leaves a topic that ls still
// names. Does not consult the cluster (the command does).
Result<RetentionReport> PruneTopic(storage::ObjectStore& store, const layout::Keys& keys,
                                   const std::string& topic, bool execute,
                                   const std::string& reason);

// Text: one line per deletion ("deleted" / "would delete"), per pending range, per locked object
// ("locked until <date>, kept"), per topic, and a summary line. JSON: {"executed", "now_ms",
// "topics": [...], "deleted": [...], "pending": [...], "locked": [...], "segments_deleted",
// "bytes_deleted"}.
std::string FormatRetentionText(const RetentionReport& report);
std::string FormatRetentionJson(const RetentionReport& report);

}  // namespace kb::ops
