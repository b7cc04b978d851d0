// `kafka-backup status`: how far behind the cluster the backup is, per topic and partition, read
// from the store and the cluster directly (no Prometheus needed).
//
// For every partition shown it compares what the store holds (segment and gap keys, and the
// footer of the last segment) with the partition's watermarks in Kafka, and for partitions that
// are behind, reads the timestamp of the oldest record not yet backed up with a short-lived,
// assign-only consumer (no group join, nothing committed).
//
// Which topics are shown (TopicSelection):
//   * the cluster's topics that backup.topics / backup.exclude / backup.include_internal select
//     (the daemon's own TopicFilter), PLUS every topic that has objects in the store, whether it
//     is still in the cluster ("not in cluster" otherwise) or no longer selected ("not selected");
//   * with explicit `topics` (--topic), exactly those names, selected or not; a name that is
//     neither in the cluster nor in the store is NotFound;
//   * with an empty backup.topics (no filter configured), the store's topics and `topics` only.
//
// Cost: one metadata request, one batch of ListOffsets requests (two per leader broker), one
// short-lived consumer when some partition lags, and on the store side one paged List of every
// key under the prefix (about one List request per 1000 objects: the interface has no delimiter
// listing, and this one pass also yields every partition's segments and gaps) -- or, with explicit
// `topics`, of those topics' keys only -- plus one ranged read of the last segment's footer per
// backed-up partition (up to 8 in parallel). Memory stays proportional to the partitions, not to
// the objects: pages are folded into per-partition summaries as they come.
//
// Failure contract: errors of the store and the cluster pass through with their subject (object
// key, topic/partition); a bad filter or topic name is InvalidArgument. The lag timestamps are
// best effort: a record not read within `timeout` leaves lag_seconds at -1, never an error.
// Each cluster step is bounded by `timeout`, so the whole call takes about 3 x timeout at most
// plus the store's time.
//
// Thread-safety: ComputeStatus may run concurrently with other calls on the same store and admin
// (both are thread-safe); the report is a plain value.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "config/config.h"
#include "kafka/admin.h"
#include "kafka/client.h"
#include "layout/keys.h"
#include "storage/object_store.h"

namespace kb::ops {

// Values of PartitionStatus::state and TopicStatus::state, from best to worst:
//   ok                nothing left to back up (lag_records == 0)
//   lagging           records in Kafka not backed up yet
//   not backed up     records in Kafka, nothing stored for the partition
//   behind retention  Kafka deleted records before they were backed up (backed_up_next <
//                     log_start): the next backup run records a gap for them
//   start missing     Kafka still holds offsets [log_start, stored_from) that the store lacks:
//                     the partition's first segments were deleted from the store
//   ahead of cluster  the store holds offsets past the high watermark (topic recreated?)
//   not selected      the topic is in Kafka but backup.topics / exclude no longer select it
//   not in cluster    the topic (or this partition) no longer exists in Kafka
inline constexpr char kStateOk[] = "ok";
inline constexpr char kStateLagging[] = "lagging";
inline constexpr char kStateNotBackedUp[] = "not backed up";
inline constexpr char kStateBehindRetention[] = "behind retention";
inline constexpr char kStateStartMissing[] = "start missing";
inline constexpr char kStateAheadOfCluster[] = "ahead of cluster";
inline constexpr char kStateNotSelected[] = "not selected";
inline constexpr char kStateNotInCluster[] = "not in cluster";

struct PartitionStatus {
  std::string topic;
  int32_t partition = 0;
  // From Kafka; -1 when the partition no longer exists there.
  int64_t log_start = -1;
  int64_t high_watermark = -1;
  // The store: first offset covered by a segment or gap, and one past the last one (the offset the
  // backup resumes at); -1 when nothing is stored.
  int64_t stored_from = -1;
  int64_t backed_up_next = -1;
  // high_watermark - max(backed_up_next, log_start), at least 0 (0 when not in the cluster).
  int64_t lag_records = 0;
  // Age in seconds of the oldest record not backed up yet: 0 when lag_records == 0, -1 when its
  // timestamp could not be read in time (or the record has none).
  int64_t lag_seconds = 0;
  // Largest record timestamp of the last segment (its footer); -1 when no segment is stored.
  int64_t newest_backed_up_timestamp_ms = -1;
  uint64_t gap_records = 0;  // offsets covered by gap records (never backed up)
  std::string state;         // one of the kState* values
};

struct TopicStatus {
  std::string topic;
  bool in_cluster = false;
  bool selected = false;   // the backup filter selects it (see header comment)
  int32_t partitions = 0;  // rows in StatusReport::partitions
  int64_t lag_records = 0;
  int64_t lag_seconds = 0;  // max over partitions; -1 if a lagging partition's age is unknown
  uint64_t gap_records = 0;
  std::string state;  // "not in cluster", "not selected", else the worst partition state
};

struct StatusReport {
  int64_t computed_at_ms = 0;               // wall clock when the lag was measured
  std::vector<PartitionStatus> partitions;  // by topic, then partition
  std::vector<TopicStatus> topics;          // by topic
};

struct TopicSelection {
  BackupConfig backup;              // topics / exclude / include_internal, as the daemon's
  std::vector<std::string> topics;  // explicit --topic names; empty: see the header comment
};

// `kafka_props` is the config's `kafka:` section (the same Admin was made from): the lag-timestamp
// consumer is built from it.
Result<StatusReport> ComputeStatus(storage::ObjectStore& store, const layout::Keys& keys,
                                   kafka::Admin& admin, const kafka::Properties& kafka_props,
                                   const TopicSelection& sel, std::chrono::milliseconds timeout);

// An aligned table (topic, partition, backed up to, high watermark, lag records, lag seconds,
// gaps, state; "-" for -1) followed by one summary line per topic and a total line.
std::string FormatStatusText(const StatusReport& report);
// {"computed_at_ms": ..., "partitions": [{...every PartitionStatus field...}],
//  "topics": [{...every TopicStatus field...}]}, -1 kept as -1.
std::string FormatStatusJson(const StatusReport& report);

}  // namespace kb::ops
