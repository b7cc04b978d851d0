// An application consumer group for the fault scenarios (test/chaos): it commits new offsets on
// a set of partitions every second from a thread of its own, retrying each commit until the
// coordinator accepts it (so that the last offsets are known even when a commit times out while
// brokers come and go), and checks what a backup or a restore made of them. Test-only.
//
// Thread-safety: Stop, Committed and Last may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "format/record.h"
#include "kafka/admin.h"
#include "storage/object_store.h"

namespace kb::chaos {

class AppGroup {
 public:
  // Commits, for each partition of `partitions`, a random offset in [0, its end offset] (so also
  // offsets of transaction markers and aborted records) every `interval`.
  AppGroup(const std::string& bootstrap, std::string group,
           std::vector<kafka::TopicPartition> partitions, uint64_t seed,
           std::chrono::milliseconds interval = std::chrono::seconds(1));
  ~AppGroup() { Stop(); }
  // Stops committing; returns once the last commit has been accepted (or given up, a failure).
  void Stop();

  const std::string& group() const { return group_; }
  // Rounds of commits accepted so far.
  uint64_t Rounds() const { return rounds_; }
  // Rounds skipped because an end offset could not be read (a leader away), and the first reason.
  uint64_t Skipped() const { return skipped_; }
  std::string FirstSkipReason() const;
  // The offsets it committed last (after Stop: what the group holds on the cluster).
  kafka::GroupOffsets Last() const;

 private:
  void Loop(const std::string& bootstrap, uint64_t seed, std::chrono::milliseconds interval);

  const std::string group_;
  const std::vector<kafka::TopicPartition> partitions_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> rounds_{0};
  std::atomic<uint64_t> skipped_{0};
  std::string first_skip_reason_;  // guarded by mu_
  mutable std::mutex mu_;
  kafka::GroupOffsets last_;  // guarded by mu_
  std::thread thread_;
};

// Problems of the group snapshots in the store (prefix `prefix`): every partition of `last` has a
// `consumers_offset` that decodes and gives `group` exactly its offset in `last`.
std::vector<std::string> CheckGroupSnapshot(storage::ObjectStore& store, const std::string& prefix,
                                            const std::string& group,
                                            const kafka::GroupOffsets& last);

// Where a restore must have moved a group that committed `committed` on a source partition whose
// backed-up records are `stored` (in offset order) and were restored as `restored` (same order):
// the target offset of the first stored record at or after `committed`, else the target's end.
int64_t ExpectedTargetOffset(int64_t committed, const std::vector<format::Record>& stored,
                             const std::vector<format::Record>& restored, int64_t target_end);

}  // namespace kb::chaos
