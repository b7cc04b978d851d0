// BackupEngine: the backup daemon. One member of the Kafka consumer group `backup.group_id`
// (cooperative-sticky assignment): several processes with the same group share the partitions,
// and when one dies its partitions move to the others. Nothing else coordinates them.
//
// Per assigned partition, records are appended to an open segment (format/SegmentWriter) that is
// sealed when it reaches backup.segment.max_bytes, max_records or max_age, or when the memory
// budget (backup.buffer_memory) is exceeded (largest first). Closed blocks are compressed on a
// CompressionPool, off the consume thread; the upload threads write sealed segments straight from
// their blocks (ObjectStore::PutParts).
//
// Memory: backup.buffer_memory bounds real buffer memory, not record sizes: librdkafka's prefetch
// queue (queued.max.messages.kbytes plus one fetch.max.bytes response, both derived from the
// budget unless set under kafka:) is set aside, and the rest bounds what the MemoryGauge counts —
// block buffers (pooled, counted by their allocated size) and compressed blocks, until the store
// has their segment.
// Sealed segments are uploaded in order by the Uploader; only after the store confirmed a segment
// durable is offset end+1 committed to Kafka.
//
// Where a partition starts: one past the highest offset the store holds for it (segments and gap
// records) — so a crash between upload and commit never writes an offset twice — or, with nothing
// stored, the partition's earliest offset. When Kafka's retention removed offsets before they were
// backed up, a gap record covering them is written (never silently skipped).
//
// Run() returns when Stop() was called (SIGTERM/SIGINT: flush, commit, leave the group), when
// --once reached the end offsets seen at start, or on a fatal error (store failure after retries,
// unusable cluster), which it returns.
//
// Thread-safety: Run() on one thread; Stop() from any thread or a signal handler.
#pragma once

#include <librdkafka/rdkafka.h>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "backup/compression_pool.h"
#include "backup/memory_gauge.h"
#include "backup/uploader.h"
#include "common/clock.h"
#include "common/status.h"
#include "config/config.h"
#include "config/topic_filter.h"
#include "format/segment_writer.h"
#include "kafka/client.h"
#include "layout/keys.h"
#include "storage/object_store.h"

namespace kb::backup {

class Generations;

struct EngineOptions {
  bool once = false;  // snapshot mode: stop at the end offsets seen at start
  // Segment age (backup.segment.max_age) is measured on clock->SteadyNow(), so a wall clock
  // jump neither rolls a segment early nor holds one back; gap records are stamped with
  // clock->WallMs(). Other waits of the engine (deadlines, ticks, metadata refresh) use
  // std::chrono::steady_clock directly. Must outlive the engine.
  const Clock* clock = &Clock::Real();
};

// Progress counters, for tests and the final log line.
struct EngineStats {
  uint64_t records = 0;          // read from Kafka
  uint64_t durable_records = 0;  // in segments the store confirmed
  uint64_t payload_bytes = 0;
  uint64_t segments = 0;
  uint64_t gaps = 0;
  uint64_t peak_buffer_bytes = 0;  // most buffer memory counted at once (MemoryGauge)
};

// Hooks the owner may set to observe the engine (metrics); called on the engine's thread.
struct EngineObserver {
  virtual ~EngineObserver() = default;
  virtual void OnAssigned(const PartitionId&) {}
  virtual void OnRevoked(const PartitionId&) {}
  virtual void OnDurable(const UploadResult&) {}
  virtual void OnGap(const PartitionId&, int64_t /*start*/, int64_t /*end*/) {}
  // Called about once per second with the engine's view of every assigned partition.
  struct PartitionView {
    PartitionId id;
    int64_t durable_next = -1;    // next offset not yet durable in the store (-1: unknown)
    int64_t high_watermark = -1;  // as last reported by the consumer (-1: unknown)
    // When the oldest record not yet durable in the store was consumed (EngineOptions::clock's
    // SteadyNow()); nullopt when none is.
    std::optional<std::chrono::steady_clock::time_point> oldest_pending;
  };
  virtual void OnTick(const std::vector<PartitionView>&, uint64_t /*buffered_bytes*/) {}
};

class BackupEngine {
 public:
  // `store` must outlive the engine. Configuration errors name the config key.
  static Result<std::unique_ptr<BackupEngine>> Make(const Config& cfg, storage::ObjectStore* store,
                                                    EngineOptions options);
  ~BackupEngine();

  // One run: a BackupEngine is not run twice.
  Status Run();
  void Stop() { stop_.store(true); }
  // After Run: it ended because the group fenced this static member (another member joined with
  // the same group.instance.id, or the broker lost track of this one, e.g. after a restart).
  bool fenced() const { return fenced_; }
  void SetObserver(EngineObserver* observer) { observer_ = observer; }
  // Archives a re-created topic's old generation before its partitions are backed up
  // (generations.h); may be null. Must outlive the engine.
  void SetGenerations(Generations* generations) { generations_ = generations; }
  EngineStats stats() const;
  // The part of backup.buffer_memory set aside for librdkafka's queue, and the rest (segments).
  uint64_t kafka_memory() const { return kafka_memory_; }
  uint64_t segment_memory() const { return segment_memory_; }

  // The partitions currently assigned to this member (thread-safe snapshot).
  std::vector<PartitionId> Assigned() const;

 private:
  struct Partition;
  class Rebalancer;

  BackupEngine(const Config& cfg, storage::ObjectStore* store, EngineOptions options,
               TopicFilter filter);
  Status Init();
  Status RefreshSubscription(bool force);
  // The topics named in backup.topics that are not in `listed` (the cluster's metadata), asked for
  // by name: Kafka lists only the topics the principal may DESCRIBE (implied by READ), so a hidden
  // one is an authorization error naming READ (PermissionDenied); a topic that does not exist is
  // OK.
  Status CheckNamedTopicsVisible(const std::vector<std::string>& listed);
  Status OnAssign(const std::vector<PartitionId>& ids, std::vector<int64_t>* start_offsets);
  Status OnRevoke(const std::vector<PartitionId>& ids);
  // One event of a MessageBatch: a record, or an error or offset reset of a partition.
  Status HandleMessage(const rd_kafka_message_t& msg);
  Status HandleOffsetReset(const PartitionId& id);
  // (low, high) watermarks of a partition, asked of the cluster.
  Result<std::pair<int64_t, int64_t>> QueryWatermarks(const PartitionId& id);
  // The same for many partitions, with two ListOffsets requests per leader broker in total.
  Result<std::map<PartitionId, std::pair<int64_t, int64_t>>> QueryWatermarks(
      const std::vector<PartitionId>& ids);
  // One ListOffsets round (timestamp -2: earliest, -1: end) for `ids` into `out`.
  Status ListOffsets(const std::vector<PartitionId>& ids, int64_t which,
                     std::chrono::milliseconds timeout, std::vector<int64_t>* out);
  Status Seal(Partition& p);
  Status SubmitGap(Partition& p, int64_t start, int64_t end);
  // The partitions of `topic` (all assigned here) read a new generation of it: seals and stores
  // what was read of the old one, archives it (Generations::Archive) and restarts them at the new
  // topic's log start. Other topics go on untouched.
  Status RestartAsNewGeneration(const std::string& topic, const std::string& reason);
  // The backup group's committed offsets of `ids` (partitions without a commit left out).
  Result<std::map<PartitionId, int64_t>> CommittedOffsets(const std::vector<PartitionId>& ids);
  // What the memory gauge counts less the pool's idle buffers.
  uint64_t BytesInUse() const;
  Status EnforceBudget();
  Status RollAged();
  Status ProcessCompletions(bool sync_commit);
  Status Drain(bool sync_commit);
  // --once: whether every assigned partition is read up to its target. With `ask_positions`, the
  // partitions short of it by offset are asked for their consumer position (records that were
  // transaction markers are never delivered, but move the position past them).
  bool OnceDone(bool ask_positions);
  void Tick();
  // Once, when no partition was assigned 10 s after subscribing: says what the group waits for.
  void LogWaitingForAssignment();
  uint64_t BufferedBytes() const;
  // Sets librdkafka's queue properties from the budget (unless given) into `props`.
  Status SizeKafkaQueue(kafka::Properties* props);

  Config cfg_;
  storage::ObjectStore* store_;
  EngineOptions options_;
  TopicFilter filter_;
  layout::Keys keys_;
  MemoryGauge gauge_;
  std::unique_ptr<CompressionPool> pool_;  // outlives the writers and uploads that use it
  kafka::ConsumerPtr consumer_;
  std::unique_ptr<Rebalancer> rebalancer_;
  std::unique_ptr<Uploader> uploader_;
  std::map<PartitionId, std::unique_ptr<Partition>> partitions_;
  // The partition of the last record (HandleMessage); reset whenever partitions_ changes.
  struct LastPartition {
    const struct rd_kafka_topic_s* rkt = nullptr;
    int32_t id = -1;
    Partition* partition = nullptr;
  } last_;
  mutable std::mutex assigned_mu_;
  std::vector<PartitionId> assigned_;
  std::vector<std::string> subscribed_;
  std::chrono::steady_clock::time_point next_metadata_refresh_{};
  std::chrono::steady_clock::time_point next_tick_{};
  uint64_t ticks_ = 0;
  Status fatal_;  // first fatal error seen inside a librdkafka callback
  std::atomic<bool> stop_{false};
  EngineObserver* observer_ = nullptr;
  Generations* generations_ = nullptr;
  EngineStats stats_;
  // Counts the batches taken from the consumer (Run); a partition moved while a batch is handled
  // remembers the batch's number (Partition::moved_in_batch) so that its stale records are skipped.
  uint64_t batch_seq_ = 0;
  std::vector<format::HeaderView> headers_scratch_;  // HandleMessage's, reused (no malloc a record)
  bool once_assigned_ = false;
  size_t expected_partitions_ = 0;  // of the subscribed topics, from the last metadata refresh
  uint64_t buffered_total_ = 0;     // sum of the partitions' accounted_bytes
  std::chrono::steady_clock::time_point next_roll_check_{};
  std::string instance_id_;  // group.instance.id, "" for dynamic membership
  bool fenced_ = false;
  std::chrono::steady_clock::time_point subscribed_at_{};
  bool waiting_logged_ = false;
  uint64_t kafka_memory_ = 0;
  uint64_t segment_memory_ = 0;
};

}  // namespace kb::backup
