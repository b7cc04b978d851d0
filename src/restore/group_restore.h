// Group restore: the last step of a restore, which moves the consumer groups' committed offsets
// from the backup to the target cluster, translated exactly through each partition's offset map
// (requirement 7; issue 5 "Consumer groups").
//
// For every restored partition whose restore is complete, the group offsets of the backup are read
// from <prefix>/<topic>/<partition>/offset/consumers_offset (the latest), or, for a time window,
// from the newest offset/history/<ms> snapshot whose time is <= GroupRestoreOptions::at_ms. Each
// committed offset N becomes OffsetMap::TranslateCommitted(N): the new offset of the first
// restored record whose original offset is >= N, or the end of the restored data if none — exact
// through holes left by compaction, transactions or retention. Each group then gets one
// AlterConsumerGroupOffsets call with all its target partitions.
//
// Reshaped restores (restore --partitions N; RestoredPartition::target_partitions > 0): the
// records of every source partition of the topic may land on any target partition. A group's
// committed offset o on source partition p means "records < o of p are consumed"; for each target
// partition t the new committed offset is the target offset of the earliest record landed on t
// that the group has not consumed (from any source partition), or the end of the restored data on
// t if it consumed every record landed there. A source partition on which the group has no
// committed offset counts as unconsumed (its records are read again rather than lost). Every
// source partition of the topic must be given and complete, else the topic contributes nothing
// (a note says so). One TranslatedOffset per target partition (reshaped = true).
//
// Decisions (also in docs/operations.md):
//   - A partition whose restore is not complete contributes nothing (a note says so): its map does
//     not yet cover the data the group may point into. Its groups' other partitions still move.
//   - at_ms with no history snapshot at or before it: that partition contributes nothing, with a
//     note naming the earliest snapshot. The latest consumers_offset is never used instead: it
//     would place the groups after the window.
//   - A group that may have active members (GroupDescription::MayHaveActiveMembers, which treats
//     KIP-848 groups of unknown membership as active) is skipped and named in the report; with
//     fail_on_active the call fails naming every such group before any offset is written. A group
//     that becomes active between the check and its commit is reported the same way (or fails the
//     call with fail_on_active; groups committed before it stay committed).
//   - include / exclude (--groups / --exclude-groups): group ids, or regular expressions (RE2:
//     common/name_pattern.h) matched against the whole id when they start with '^'. A group is
//     moved when include is empty or an entry matches, and no exclude entry matches; the others
//     are reported as filtered.
//   - dry_run: everything is read and computed (the groups are described, so active ones are
//     reported), nothing is written, and fail_on_active does not fail the call.
//
// Failure contract: reading the backup fails the call before anything is written (store errors
// pass through); a snapshot that cannot be decoded (Corruption or a newer format, naming its key)
// does not: its partition contributes nothing (PartitionGroupSource::error), every other group
// still moves, and the error is in GroupRestoreReport::unreadable; a bad filter entry or two
// restored partitions with the same target partition is InvalidArgument; DescribeConsumerGroups
// errors pass through (Retryable answers are retried for up to 90 s first, as are commits). A
// commit that fails for another reason than active members is recorded in the report
// (GroupResult::message, GroupRestoreReport::errors) and the other groups still move: check
// GroupRestoreReport::ok().
// Ownership: the functions keep no reference to their arguments.
// Thread-safety: reentrant; the store and Admin must be usable from the calling thread.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "kafka/admin.h"
#include "layout/keys.h"
#include "restore/offset_map.h"
#include "storage/object_store.h"

namespace kb::restore {

struct RestoredPartition {
  std::string source_topic;
  int32_t partition = 0;
  std::string target_topic;
  OffsetMap map;
  bool complete = false;
  // Reshaped: the target partition count and this source partition's map on each of them (`map`
  // is then unused).
  int32_t target_partitions = 0;
  std::map<int32_t, OffsetMap> target_maps;
};

struct GroupRestoreOptions {
  // --to of a time window: use the consumers_offset history snapshot in force at that time;
  // nullopt = the latest consumers_offset.
  std::optional<int64_t> at_ms;
  std::vector<std::string> include, exclude;  // group ids, or a regex when starting with ^
  bool fail_on_active = false;
  bool dry_run = false;
};

enum class GroupOutcome {
  kCommitted,        // offsets written (with dry_run: would be written, named "would-commit")
  kSkippedActive,    // the group may have active members on the target cluster
  kSkippedFiltered,  // left out by include / exclude
  kNothingToDo,      // no offset on a completely restored partition
  kFailed,           // the commit failed; see message
};
// "committed", "skipped-active", "skipped-filtered", "nothing-to-do", "failed"; kCommitted of a
// dry run is "would-commit" in the formatted reports.
const char* GroupOutcomeName(GroupOutcome outcome);

// One committed offset of a group: where it was in the backup and where it goes.
struct TranslatedOffset {
  std::string source_topic;
  int32_t partition = 0;
  std::string target_topic;   // the target partition has the same number
  int64_t source_offset = 0;  // committed offset in the backup
  int64_t new_offset = 0;     // committed offset on the target
  // Whether the record at source_offset was itself restored (false: the offset points into a
  // hole, past the restored data or before it, and new_offset is the next restored record).
  bool record_restored = false;
  // Reshaped restore: `partition` is the target partition, source_offset is -1 and
  // source_offsets holds the group's committed offset on each source partition that has one;
  // record_restored says whether an unconsumed record landed on the partition.
  bool reshaped = false;
  std::map<int32_t, int64_t> source_offsets;
};

struct GroupResult {
  std::string group_id;
  GroupOutcome outcome = GroupOutcome::kNothingToDo;
  std::vector<TranslatedOffset> offsets;  // by target topic, then partition
  std::string message;                    // why skipped / failed; "" when committed
};

// Where the group offsets of one restored partition came from, or why none were used.
struct PartitionGroupSource {
  std::string source_topic;
  int32_t partition = 0;
  std::string target_topic;
  bool reshaped = false;          // the target partition numbers differ (restore --partitions)
  std::string snapshot_key;       // the object read; "" when there was none to read
  int64_t snapshot_time_ms = -1;  // history snapshots only
  int groups = 0;                 // groups with an offset in that snapshot
  // Why this partition's group offsets were not moved (no snapshot, restore not complete); ""
  // when they were translated.
  std::string note;
  // The snapshot could not be decoded: the Status text, naming snapshot_key; "" when it could.
  std::string error;
};

struct GroupRestoreReport {
  bool dry_run = false;
  std::optional<int64_t> at_ms;
  std::vector<PartitionGroupSource> partitions;  // in the order given
  std::vector<GroupResult> groups;               // by group id
  std::vector<std::string> errors;               // commits that failed (also in their GroupResult)
  std::vector<std::string> unreadable;  // snapshots that could not be decoded, naming their keys
  bool ok() const { return errors.empty(); }
  int Count(GroupOutcome outcome) const;
};

// Reads the backup and computes every group's translated offsets, applying the filters; touches no
// cluster. Groups that pass the filters are kCommitted (pending: nothing is written here); the
// active-member check and the commits are RestoreGroupOffsets' part.
Result<GroupRestoreReport> PlanGroupRestore(storage::ObjectStore& store, const layout::Keys& keys,
                                            const std::vector<RestoredPartition>& partitions,
                                            const GroupRestoreOptions& options);

// PlanGroupRestore, then the active-member check and one AlterConsumerGroupOffsets per group
// (none with dry_run).
Result<GroupRestoreReport> RestoreGroupOffsets(storage::ObjectStore& store,
                                               const layout::Keys& keys, kafka::Admin& admin,
                                               const std::vector<RestoredPartition>& partitions,
                                               const GroupRestoreOptions& options);

// Human text: one line per partition source, one block per group with its offsets
// ("orders/0 -> orders-copy/0: 120 -> 95"), errors, and a summary line.
std::string FormatGroupReport(const GroupRestoreReport& report);
// The same as one JSON object (documented in docs/operations.md).
std::string FormatGroupReportJson(const GroupRestoreReport& report);

}  // namespace kb::restore
