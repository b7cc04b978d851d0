// PartitionRestorer: restores one planned partition at a time into the target cluster, for
// RunRestore (restorer.h, which documents what happens per partition: the restore record, the
// resume that reads back what reached the target after the last checkpoint, reshaping) and for
// the restore shared by several processes (shared_restore.h). Any number of threads call
// RestorePartition at once, one partition each; one more thread runs CheckpointLoop, which saves
// the offset map of every partition in progress every RestoreOptions::checkpoint_interval.
//
// A partition's restore can be cancelled (`cancel` set while it runs, e.g. because its target
// partition was given to another process): it stops reading, waits for the delivery of every
// record already sent, saves its restore record (incomplete) and returns Cancelled, so that
// whoever resumes it next starts exactly after what reached the target.
//
// Ownership: borrows the store, keys, properties, selection, options, admin client and producer,
// which outlive it. Thread-safety: as above; Stop ends CheckpointLoop. Failure contract: a
// partition's failure is in its PartitionResult::error, never thrown.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "kafka/admin.h"
#include "layout/keys.h"
#include "restore/offset_map_store.h"
#include "restore/partition_reader.h"
#include "restore/plan.h"
#include "restore/restore_producer.h"
#include "restore/restorer.h"
#include "storage/object_store.h"

namespace kb::restore {

class PartitionRestorer {
 public:
  PartitionRestorer(storage::ObjectStore& store, const layout::Keys& keys,
                    const kafka::Properties& props, const RestoreSelection& selection,
                    const RestoreOptions& options, kafka::Admin& admin, RestoreProducer& producer,
                    std::string cluster_id)
      : records_(&store, keys),
        keys_(keys),
        props_(props),
        selection_(selection),
        options_(options),
        admin_(admin),
        producer_(producer),
        cluster_id_(std::move(cluster_id)) {}

  // `cancel`, if given, is read while the partition is restored (see above).
  PartitionResult RestorePartition(const PartitionPlan& plan,
                                   const std::atomic<bool>* cancel = nullptr);
  void CheckpointLoop();
  // The ends of the target partitions queried for all of them at once before any is restored
  // (only without reshaping: there a target partition is written by one source partition only);
  // a partition without one is queried when its turn comes.
  void SetEnds(TargetEnds ends) { ends_ = std::move(ends); }
  void Stop() {
    std::lock_guard lock(mu_);
    stop_ = true;
    cv_.notify_all();
  }
  std::atomic<uint64_t> records_sent{0};
  std::atomic<uint64_t> bytes_sent{0};
  std::atomic<uint64_t> bytes_read{0};

 private:
  struct Active;
  Status Restore(const PartitionPlan& plan, const std::atomic<bool>* cancel,
                 PartitionResult* result);
  Status RestoreReshaped(const PartitionPlan& plan, const std::atomic<bool>* cancel,
                         PartitionResult* result);
  // Where a record goes: its bound target, or nullptr to leave it out (restored by an earlier
  // run).
  using Route = std::function<const RestoreProducer::Target*(const format::RecordView&)>;
  // The read -> send -> account loop of both restores: registers `active` with the checkpointer,
  // sends every record `reader` gives to its route, waits for every sink's deliveries,
  // unregisters, and fills result's counts, skipped ranges and `complete`. Returns the first read,
  // send or delivery error, or Cancelled.
  Status Produce(const PartitionPlan& plan, Active& active, PartitionReader& reader,
                 const Route& route, const std::vector<PartitionSink*>& sinks,
                 PartitionResult* result);
  Status Save(Active& a, const OffsetMap& map, bool complete, bool final_save,
              const std::map<int32_t, OffsetMap>* target_maps = nullptr);

  OffsetMapStore records_;
  const layout::Keys& keys_;
  const kafka::Properties& props_;
  const RestoreSelection& selection_;
  const RestoreOptions& options_;
  kafka::Admin& admin_;
  RestoreProducer& producer_;
  const std::string cluster_id_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::vector<Active*> active_;
  TargetEnds ends_;
};

}  // namespace kb::restore
