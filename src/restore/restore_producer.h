// RestoreProducer: the one idempotent librdkafka producer of a restore, shared by the partition
// workers, and the delivery reports that build each partition's OffsetMap from the target offsets
// the broker assigned (exact, never predicted).
//
// Producer settings: the user's kafka.* properties, over restore defaults tuned for throughput
// (linger.ms=20, batch.size=1000000, a 64 MiB / 1M-message queue bound), under
// what correctness needs: enable.idempotence=true, enable.gapless.guarantee=true (a message that
// fails for good makes the producer fail rather than leave a hole in the partition's order) and
// max.in.flight <= 5. A user property contradicting these is InvalidArgument naming it.
//
// Compression, per target topic (ChooseCompression): the user's kafka.compression.type (or
// compression.codec) for every topic when set; else the codec the target's compression.type
// names, so that the broker keeps the batches as they come (a topic of another codec is
// recompressed by the broker, an "uncompressed" one decompressed); else (compression.type
// "producer", the default, or unknown) kFallbackCompression: the records come back compressed as
// their producers most likely had them, not several times larger on the brokers' disks and the
// wire. SetCompression before the topic's first Bind.
//
// Records are produced with their key, value (null stays null, empty stays empty), headers (order,
// duplicates and null values kept) and timestamp, to the partition with the same number; nothing
// is added. librdkafka replaces a timestamp of exactly 0 by the produce time (its API uses 0 for
// "now", rd_kafka_msg_new0 in 2.8, and has no other way to set a timestamp): Send counts such
// records (zero_timestamps()) so the restore can report them. -1 (Kafka's "no timestamp") is sent
// as it is, and a CreateTime topic keeps it.
//
// Delivery reports are served by one poller thread owned by the producer, in order per partition
// (the idempotent producer's guarantee), each appended to its PartitionSink's map (source offset ->
// target offset). A failed delivery is kept as the sink's error; later reports of that sink are not
// added to its map (the target then holds records the map does not cover: a rerun sees them and
// stops, never guessing).
//
// Zero copy: Send with the record's DecodedBlock hands librdkafka pointers into the block (no copy
// of key and value) and pins the block in the sink until every record sent from it has its delivery
// report (found by address, whatever order reports come in). Without a block, key and value are
// copied. Headers are always copied (librdkafka's header list owns its bytes).
//
// Byte rate limit: when max_bytes_per_second > 0, Send blocks so that the record payload bytes
// sent by all workers stay under it (token bucket, one second burst).
//
// Ownership: owns the librdkafka handle and the poller thread; the sinks are owned by the caller
// and must outlive their in-flight records (Drain). Thread-safety: Send / Drain / Bind may be
// called from several threads; a sink's accessors lock it.
#pragma once

#include <librdkafka/rdkafka.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/status.h"
#include "format/record.h"
#include "format/segment_decoder.h"
#include "kafka/admin.h"
#include "kafka/client.h"
#include "restore/offset_map.h"

namespace kb::restore {

class RestoreProducer;

// The codec (and level, "" for the codec's default) restore produces a topic with.
struct Compression {
  std::string codec;  // none, gzip, snappy, lz4, zstd
  std::string level;
  bool operator==(const Compression&) const = default;
};
// The cheap codec used when the target's compression.type does not name one (lz4: the least CPU
// per byte of the codecs; docs/benchmarks.md "Restore of many partitions" has zstd level 1 too).
inline const Compression kFallbackCompression{"lz4", ""};
// The codec for a target topic when the user's `user` properties do not set one (nullopt when
// they do: the user's setting applies to every topic): the compression.type in force on the
// target (`target`, from DescribeConfigs; null when unknown), else the one in the backed-up
// topic.json (`backed_up`; null without one): gzip, snappy, lz4, zstd as named (with the topic's
// compression.<codec>.level when set), uncompressed as none; else kFallbackCompression.
std::optional<Compression> ChooseCompression(const kafka::Properties& user,
                                             const kafka::TopicConfigs* target,
                                             const kafka::TopicConfigs* backed_up);

// The delivery side of one restored partition.
class PartitionSink {
 public:
  explicit PartitionSink(OffsetMap map) : map_(std::move(map)) {}

  OffsetMap map() const;
  Status error() const;
  uint64_t delivered_records() const;
  uint64_t delivered_bytes() const;
  // Whether the map changed since the last call (for checkpoints).
  bool TakeDirty();

 private:
  friend class RestoreProducer;

  // Releases one in-flight record of its pinned block (mu_ held).
  void UnpinLocked(const format::RecordView* record);
  mutable std::mutex mu_;
  std::condition_variable cv_;
  OffsetMap map_;
  int64_t in_flight_ = 0;
  Status error_;
  uint64_t delivered_records_ = 0;
  uint64_t delivered_bytes_ = 0;
  bool dirty_ = false;
  // Blocks whose records are in flight without a copy, in send order, with how many are.
  struct Pin {
    std::shared_ptr<const format::DecodedBlock> block;
    int64_t outstanding = 0;
  };
  std::deque<Pin> pins_;
};

// A byte budget per second shared by threads.
class RateLimiter {
 public:
  explicit RateLimiter(uint64_t bytes_per_second) : rate_(bytes_per_second) {}
  // Blocks until `bytes` fit in the budget (returns at once when the rate is 0: unlimited).
  void Acquire(uint64_t bytes);

 private:
  const uint64_t rate_;
  std::mutex mu_;
  double tokens_ = 0;
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
};

class RestoreProducer {
 public:
  struct Options {
    uint64_t max_bytes_per_second = 0;  // 0: unlimited
  };
  // A target partition bound to its sink (from Bind).
  struct Target {
    rd_kafka_topic_t* rkt = nullptr;
    int32_t partition = 0;
    PartitionSink* sink = nullptr;
    std::string name;  // "topic/3", for errors
  };

  static Result<std::unique_ptr<RestoreProducer>> Make(const kafka::Properties& user_props,
                                                       const Options& options);
  ~RestoreProducer();
  RestoreProducer(const RestoreProducer&) = delete;
  RestoreProducer& operator=(const RestoreProducer&) = delete;

  // The producer properties restore applies over the user's (exposed for tests and docs).
  static kafka::Properties Defaults();

  // The codec of `topic` (ChooseCompression), before its first Bind; a later call for a topic
  // already bound is FailedPrecondition.
  Status SetCompression(const std::string& topic, const Compression& compression);

  // Routes the delivery reports of topic/partition to `sink`. One sink per target partition.
  Result<Target> Bind(const std::string& topic, int32_t partition, PartitionSink* sink);
  // Ends a Bind once its sink is drained (Drain): the partition can then be bound again.
  void Unbind(const std::string& topic, int32_t partition);

  // Queues one record (blocks while the queue is full or the rate limit is reached). An error of
  // the sink (an earlier failed delivery) is returned instead of sending. With `block` (which
  // must be the block `record` is an element of, records() of it), nothing is copied: the block is
  // kept until the record is delivered.
  Status Send(const Target& target, const format::RecordView& record,
              std::shared_ptr<const format::DecodedBlock> block = nullptr);

  // Waits until every record sent to the sink is delivered or failed; returns the sink's error.
  Status Drain(PartitionSink* sink);

  uint64_t zero_timestamps() const { return zero_timestamps_.load(); }

 private:
  struct TopicEntry {
    rd_kafka_topic_t* rkt = nullptr;
    std::mutex mu;
    std::map<int32_t, PartitionSink*> sinks;
  };
  RestoreProducer(rd_kafka_t* rk, const Options& options);
  static void OnDelivery(rd_kafka_t* rk, const rd_kafka_message_t* msg, void* opaque);

  rd_kafka_t* rk_;
  RateLimiter limiter_;
  std::mutex topics_mu_;
  std::map<std::string, std::unique_ptr<TopicEntry>> topics_;
  std::map<std::string, Compression> compression_;  // by topic (topics_mu_)
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> zero_timestamps_{0};
  std::thread poller_;
};

}  // namespace kb::restore
