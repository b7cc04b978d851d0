// Restorer: executes a RestorePlan against the target cluster (the `kafka-backup restore` data
// path): target topics checked and created, then every planned partition restored by a pool of
// workers (one PartitionReader each, one shared idempotent RestoreProducer), with its offset map
// built from delivery reports and checkpointed in the store so that a killed restore resumes
// exactly (restore/offset_map_store.h).
//
// Before anything is written: the target cluster's id is read, every target topic is described; a
// target with fewer partitions than the backup fails the whole restore naming both counts; a
// missing one fails with require_target_exists, else it is created with the backed-up partition
// count, configs and replication factor (or RestoreOptions::replication_factor). A topic whose
// topic.json could not be read (TopicPlan::metadata_error) is never created (its partitions carry
// the error, see plan.h); with require_target_exists it is restored into the existing target and
// RestoreReport::warnings names the key.
//
// With fail_if_target_not_empty, before any topic is created or any record sent: every planned
// partition of an existing target whose start offset is below its end offset, not counting the
// records an earlier run of this same restore wrote (from its restore record's target_start on),
// fails the whole restore (FailedPrecondition naming each such topic/partition and its offsets).
//
// Per partition (source partition, target cluster id, target topic), with the target's end
// offset E:
//   - no restore record: a record with an empty map starting at E is saved before the first record
//     is sent (a non-empty target is allowed: the restored records follow its records; logged);
//   - a record with another selection: FailedPrecondition (never mix two restores in one map);
//   - complete: nothing to send when E >= the map's end (records after it are someone else's);
//   - in progress with map end M: E < M means the target changed (FailedPrecondition); records in
//     [M, E) are read back and must equal the next selected source records (restore/
//     target_reader.h), which extends the map; any difference is FailedPrecondition ("written by
//     someone else"); then restoring continues after them.
// The map is saved every checkpoint_interval while records are delivered, and at the end with
// complete=true. A partition that fails (corrupt data, delivery error, changed target) stops with
// its error in the report; the others go on.
//
// Reshaping (RestoreOptions::partitions = N > 0, `restore --partitions N`): every target topic
// has N partitions (created so; an existing one with another count fails the whole restore naming
// the topic and both counts) and each record goes to restore/partitioner.h's TargetPartition
// (murmur2 of the key, as Kafka's default partitioner; null keys round-robin by source offset).
// Per key the order is kept; across keys of one source partition it is not. The source
// partitions of one topic are restored one after the other (topics still in parallel), so that
// at any time at most one of them writes into the target topic: its restore record (format
// version 2) holds one map per target partition, built from the delivery reports. A partition
// that fails stops its topic: the later partitions fail as not restored (a rerun resumes the
// failed one first). Resume per target partition t with map end M_t and end E_t: E_t < M_t is
// FailedPrecondition (target changed); the records in [M_t, E_t) are read back and must be,
// in order, the next unmapped selected source records routed to t (else "written by someone
// else"); then every selected record not yet mapped on its target partition is sent. Reading
// starts at the smallest last mapped source offset over the target partitions.
//
// Timestamps (docs/operations.md, "Timestamps"). Records are produced as CreateTime with their
// backed-up timestamp; a LogAppendTime topic would overwrite it with the append time. So:
//   - A target created for a backup whose topic.json has message.timestamp.type=LogAppendTime is
//     created with CreateTime instead, and switched to LogAppendTime (IncrementalAlterConfigs)
//     once every planned partition of it is complete. Before it is created, the restore record
//     of each of its planned partitions gets configs_after_restore = {message.timestamp.type:
//     LogAppendTime} (offset_map_store.h): a rerun after a kill finds the target existing with
//     CreateTime and those records, knows the target is its own and still switches it at the end.
//     After the switch the field is removed from the records. While a partition is incomplete or
//     failed the target stays CreateTime (a warning says so); a failed switch is a topic error
//     (RestoreReport::topic_errors), kept in the records for the next run.
//   - An existing target with LogAppendTime (not switched by this restore) gets a warning before
//     anything is produced: the broker gives the restored records their append time.
//   - A target whose retention.ms (in force: DescribeConfigs; for a topic --dry-run would create,
//     topic.json's) is >= 0, with a cleanup.policy that deletes, and partitions whose chosen
//     blocks hold records older than now - retention.ms, gets a warning naming the partitions,
//     how many records (blocks entirely older) and the oldest timestamp.
//   A target whose configs cannot be described (no DESCRIBE_CONFIGS ACL) is not checked; a
//   warning says so. Timestamp 0 cannot be sent (librdkafka's API reads it as "now": see
//   restore_producer.h); -1 (NO_TIMESTAMP) is sent as it is.
//
// Ownership: borrows the store, keys and plan for the call. Thread-safety: Run is called once.
// Failure contract: Run returns an error only for what stops the whole restore before any record
// is sent (cluster unreachable, target checks, topic creation); per-partition failures are in the
// report (RestoreReport::ok()).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/status.h"
#include "kafka/admin.h"
#include "kafka/client.h"
#include "layout/keys.h"
#include "restore/offset_map.h"
#include "restore/plan.h"
#include "storage/object_store.h"

namespace kb::restore {

struct RestoreProgress {
  uint64_t records_sent = 0;
  uint64_t bytes_sent = 0;       // record payload bytes
  uint64_t records_planned = 0;  // upper bound over every partition to restore
  size_t partitions_done = 0;
  size_t partitions_total = 0;
  std::chrono::steady_clock::duration elapsed{};
};

struct RestoreReport;

struct RestoreOptions {
  bool skip_corrupt = false;
  bool require_target_exists = false;
  bool fail_if_target_not_empty = false;      // see above
  std::optional<int32_t> replication_factor;  // for created topics; default: the backed-up one
  int32_t partitions = 0;  // reshape into this many target partitions (0: keep the numbering)
  // Partitions restored at once (reshaping: topics); 0 chooses it from the work
  // (DefaultParallelism).
  size_t parallelism = 0;
  uint64_t max_bytes_per_second = 0;  // 0: unlimited
  std::chrono::milliseconds checkpoint_interval{5000};
  std::chrono::milliseconds timeout{30000};  // each cluster request, and a read-back
  // Called from one thread, about every progress_interval, and once at the end.
  std::function<void(const RestoreProgress&)> on_progress;
  std::chrono::milliseconds progress_interval{200};
  // Shared restore (restore/shared_restore.h): the processes started with this id divide the
  // partitions through a consumer group whose members are dropped after `session_timeout`
  // without a heartbeat. Not with fail_if_target_not_empty or partitions > 0.
  std::string restore_id;
  std::chrono::milliseconds session_timeout{10'000};
  // Shared restore: called once for all processes, in one of them, with the report of every
  // planned partition, once all are complete (e.g. to move the consumer groups); its error is
  // RunRestore's. A single-process restore never calls it.
  std::function<Status(const RestoreReport&)> on_all_complete;
};

// kRestoredElsewhere: by another process of a shared restore (shared_restore.h).
enum class PartitionOutcome { kRestored, kAlreadyComplete, kFailed, kRestoredElsewhere };
const char* PartitionOutcomeName(PartitionOutcome outcome);

struct PartitionResult {
  std::string source_topic;
  int32_t partition = 0;
  std::string target_topic;
  std::string selection;
  PartitionOutcome outcome = PartitionOutcome::kFailed;
  uint64_t records_sent = 0;      // by this run
  uint64_t records_verified = 0;  // read back from the target on resume
  // Selected records this run left out for their key (--exclude-keys): every one read by this
  // run, including those read while verifying on resume; not those before the resume point.
  uint64_t records_excluded = 0;
  uint64_t bytes_sent = 0;
  OffsetMap map;  // as saved (complete or as far as it got); unused when reshaped
  // Reshaped (RestoreOptions::partitions): the target partition count and each one's map.
  int32_t target_partitions = 0;
  std::map<int32_t, OffsetMap> target_maps;
  bool complete = false;
  Status error;
  std::vector<SkippedRange> skipped;  // corrupt data skipped (skip_corrupt)
  std::vector<OffsetRange> gaps;      // retention gaps of the backup in the selection, and holes
  std::vector<OffsetRange> holes;     // offsets in no stored object, restored around (skip_corrupt)
  std::string note;                   // e.g. "target already held 5 records"
};

// The config restore uses to keep timestamps, and its values.
inline constexpr char kTimestampTypeConfig[] = "message.timestamp.type";
inline constexpr char kLogAppendTime[] = "LogAppendTime";
inline constexpr char kCreateTime[] = "CreateTime";

struct RestoreReport {
  std::string cluster_id;
  std::vector<std::string> created_topics;
  std::vector<std::string> warnings;  // e.g. an unreadable topic.json (MetadataWarning)
  // Target topics whose configs_after_restore were set at the end ("t: message.timestamp.type=
  // LogAppendTime"), and the topics whose setting failed (subject: the topic).
  std::vector<std::string> switched_topics;
  std::vector<Status> topic_errors;
  std::vector<PartitionResult> partitions;
  // Target topic -> the codec its records were produced with (restore_producer.h,
  // ChooseCompression): "zstd", "zstd level 3", or the user's kafka.compression.type.
  std::map<std::string, std::string> compression;
  uint64_t bytes_read = 0;  // block bytes read from the store (footers not included)
  uint64_t zero_timestamps = 0;
  // The --exclude-keys list applied: its number of distinct keys (0: none) and digest
  // (ExcludedKeys::Digest). Never the keys themselves.
  size_t exclude_keys = 0;
  std::string exclude_keys_sha256;
  std::chrono::steady_clock::duration elapsed{};
  // Shared restore: the process that ran on_all_complete, when it was another one ("" when this
  // one did), and what it recorded.
  std::string finished_by;
  Status finish_status;
  bool ok() const;
};

// The warning for a topic restored into an existing target without its unreadable topic.json,
// naming the key.
std::string MetadataWarning(const TopicPlan& topic);

// The checks RunRestore does on the target topics before writing anything (--dry-run reports
// them): which exist (with enough partitions, else FailedPrecondition naming both counts) and
// which would be created (NotFound instead with require_target_exists).
struct TargetCheck {
  std::vector<std::string> existing;
  std::vector<std::string> to_create;
  std::vector<std::string> warnings;  // existing targets restored without their topic.json
  // Target topic -> configs set once every planned partition is complete (see "Timestamps"):
  // filled by PendingConfigs.
  std::map<std::string, kafka::TopicConfigs> configs_after;
};
Result<TargetCheck> CheckTargets(const kafka::Properties& props, const RestorePlan& plan,
                                 const RestoreOptions& options);

// The configs each target topic gets at the end (TargetCheck::configs_after): a topic to create
// whose topic.json says message.timestamp.type=LogAppendTime; an existing one when a restore
// record (same selection) of one of its planned partitions on cluster `cluster_id` has
// configs_after_restore. Store errors pass through.
Result<std::map<std::string, kafka::TopicConfigs>> PendingConfigs(storage::ObjectStore& store,
                                                                  const layout::Keys& keys,
                                                                  const std::string& cluster_id,
                                                                  const RestorePlan& plan,
                                                                  const TargetCheck& check);

// The target topics whose planned partitions all have a complete restore record (same selection)
// on cluster `cluster_id`: nothing is produced into them. Store errors pass through.
Result<std::set<std::string>> CompletedTargets(storage::ObjectStore& store,
                                               const layout::Keys& keys,
                                               const std::string& cluster_id,
                                               const RestorePlan& plan);

// The configs in force (ConfigScope::kEffective) of each of `topics`; a topic that cannot be
// described is left out with a warning in *warnings naming it and why.
std::map<std::string, kafka::TopicConfigs> DescribeTargetConfigs(
    kafka::Admin& admin, const std::vector<std::string>& topics, std::chrono::milliseconds timeout,
    std::vector<std::string>* warnings);

// The timestamp warnings (see "Timestamps") for the planned topics whose target configs are in
// `configs` (by target topic; others are not checked); `configs_after`: targets switched at the
// end (no LogAppendTime warning for them); `completed`: targets nothing is produced into (no
// warning); `now_ms`: the wall clock.
std::vector<std::string> TimestampWarnings(
    const RestorePlan& plan, const std::map<std::string, kafka::TopicConfigs>& configs,
    const std::map<std::string, kafka::TopicConfigs>& configs_after,
    const std::set<std::string>& completed, int64_t now_ms);

// The watermarks of every planned partition of the existing target topics (`existing`, from
// CheckTargets), keyed by target topic and partition. Cluster errors pass through.
using TargetEnds = std::map<std::pair<std::string, int32_t>, kafka::Watermarks>;
// With `partitions` > 0 (reshaping), every partition 0..partitions-1 of each existing target.
Result<TargetEnds> QueryTargetEnds(kafka::Admin& admin, const RestorePlan& plan,
                                   const std::vector<std::string>& existing,
                                   std::chrono::milliseconds timeout, int32_t partitions = 0);

// The fail_if_target_not_empty check (see above) over `ends`; the restore records are read from
// `store` for the target cluster `cluster_id`. FailedPrecondition naming every non-empty target
// partition and its offsets; store errors pass through.
Status CheckTargetsEmpty(storage::ObjectStore& store, const layout::Keys& keys,
                         const std::string& cluster_id, const RestorePlan& plan,
                         const TargetEnds& ends, int32_t partitions = 0);

// The parallelism of a restore that does not set one: a worker per unit of work (a planned
// partition; reshaping, `partitions` > 0: a topic), at most kMaxDefaultParallelism, at least 1.
// Many small partitions need many in flight: each one's fixed costs (two restore-record writes,
// each an fsync on a local store or a PUT on S3, and the wait for its last batch's delivery, at
// least linger.ms) are latency, not CPU, and overlap across workers. Memory stays bounded: a
// worker holds one decoded block (the backup's block size, 256 KiB by default), and what is in
// flight is bounded by the producer's queue (restore_producer.h), whatever the parallelism.
inline constexpr size_t kMaxDefaultParallelism = 64;
size_t DefaultParallelism(const RestorePlan& plan, int32_t partitions);

// How the target topics to create are grouped into CreateTopics requests: [begin, end) ranges of
// `partitions` (each topic's partition count, in order), each request at most `max_partitions`
// partitions but at least one topic (a broker creates each partition's log, and 2,000 partitions
// in one request outlast a request timeout).
std::vector<std::pair<size_t, size_t>> CreateRequestRanges(const std::vector<int32_t>& partitions,
                                                           int32_t max_partitions);

// Creates each of check.to_create (CheckTargets), several topics per CreateTopics request
// (CreateRequestRanges), with the backed-up partition count (or options.partitions), configs and
// replication factor (or options.replication_factor); a topic
// with configs_after (see "Timestamps") is created with CreateTime after its restore records say
// so (`records`, for the cluster `cluster_id`). Returns the created topics. A refused creation is
// the error (FailedPrecondition naming --replication-factor when the broker refuses the factor).
class OffsetMapStore;
Result<std::vector<std::string>> CreateTargets(kafka::Admin& admin, OffsetMapStore& records,
                                               const std::string& cluster_id,
                                               const RestorePlan& plan, const TargetCheck& check,
                                               const RestoreOptions& options);

Result<RestoreReport> RunRestore(storage::ObjectStore& store, const layout::Keys& keys,
                                 const kafka::Properties& props, const RestorePlan& plan,
                                 const RestoreSelection& selection, const RestoreOptions& options);

}  // namespace kb::restore
