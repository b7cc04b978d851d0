// SharedRestore: one restore run by several `kafka-backup restore --restore-id ID` processes, on
// any number of machines, that divide the planned partitions through a Kafka consumer group
// (kafka/work_group.h, group "kafka-backup-restore-<ID>" subscribed to the target topics) — no
// coordinator of our own. Each process restores the target partitions the group gives it, with
// the same PartitionRestorer (and so the same restore records and resume) as a single process.
//
// Hand-over: when the group takes a partition from a process (another one joined), that process
// cancels its worker, which waits for the delivery of what it sent and saves the restore record,
// before the rebalance completes: the next owner starts exactly after it. A process that dies
// keeps its partitions until the group's session timeout; the next owner then reads back what
// reached the target after the last checkpoint (restorer.h, "resume"): no duplicate, no hole.
//
// The end: a process with nothing to do reads the restore records of the planned partitions it
// did not restore (every `recheck` while idle); when every one is complete, the process that owns
// the first planned target partition runs `finish` once for all (the LogAppendTime switch, the
// consumer group move) and records that in the store (layout::Keys::SharedRestoreDone); the
// others wait for that record (taking over the first partition, and `finish`, if its owner
// dies), then end. A rerun with the same id finds the record and does not run `finish` again. An
// owned partition whose record is not complete is restored again (e.g. after a process saved an
// older checkpoint over it): the resume makes that exact.
//
// A partition that fails in a process (corrupt data, changed target) fails that process: it ends
// once its other partitions are done, leaving the group, so that the failed partition goes to
// another process, which tries it again (a transient error may pass there). A partition that
// fails everywhere fails every process.
//
// Ownership: borrows everything for the call. Thread-safety: Run is called once, from one thread;
// it runs `parallelism` worker threads. Failure contract: the group's errors (no ACL to join
// "kafka-backup-restore-<ID>", cluster unreachable) and store errors of the end check are
// returned; partition failures are in the results; `finish`'s error is returned by the process
// that ran it, and recorded for the others.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "common/status.h"
#include "kafka/client.h"
#include "layout/keys.h"
#include "restore/partition_restorer.h"
#include "restore/plan.h"
#include "restore/restorer.h"
#include "storage/object_store.h"

namespace kb::restore {

// The consumer group of a shared restore.
std::string SharedRestoreGroup(const std::string& restore_id);
// InvalidArgument naming --restore-id unless it is 1..200 characters of [A-Za-z0-9._-].
Status ValidateRestoreId(const std::string& restore_id);

// InvalidArgument naming --restore-id for what a shared restore does not do: reshaping
// (`partitions` > 0) and fail_if_target_not_empty; and a malformed id.
Status CheckSharedRestore(const RestoreOptions& options);

// The record a shared restore leaves once `finish` ran (docs/format.md).
struct SharedRestoreDone {
  std::string restore_id;
  std::string finished_by;  // "<host> pid <pid>"
  int64_t finished_at_ms = 0;
  Status status;  // finish's
};
std::string EncodeSharedRestoreDone(const SharedRestoreDone& done);
Result<SharedRestoreDone> DecodeSharedRestoreDone(const std::string& key, std::string_view json);

struct SharedRestoreOptions {
  std::string restore_id;
  kafka::Properties props;  // the target cluster's
  std::chrono::milliseconds session_timeout{10'000};
  size_t parallelism = 1;
  std::chrono::milliseconds recheck{1'000};
};

// The outcome for the caller's report.
struct SharedRestoreResult {
  // Every planned partition (in `partitions` order) once all are complete; else the ones this
  // process restored or failed.
  std::vector<PartitionResult> partitions;
  std::string finished_by;  // who ran `finish` ("" when this process did, or nobody did)
  Status finish_status;     // as recorded by whoever ran it
};

// `finish` gets every planned partition's result (the ones restored elsewhere from their
// records). `done` counts the partitions this process finished (progress).
Result<SharedRestoreResult> RunSharedRestore(
    PartitionRestorer& restorer, storage::ObjectStore& store, const layout::Keys& keys,
    const std::string& cluster_id, const std::vector<const PartitionPlan*>& partitions,
    const SharedRestoreOptions& options,
    const std::function<Status(std::vector<PartitionResult>&)>& finish, std::atomic<size_t>* done);

}  // namespace kb::restore
