// Uploader: writes sealed segments to the store on a pool of threads, so consuming never waits for
// the store.
//
// Ordering contract: segments of one partition are written strictly one after another, in the
// order submitted — segment k+1 starts only after segment k is durable. So the store never holds a
// later range of a partition without all earlier ones, and "one past the highest stored offset" is
// always a safe place to resume. Segments of different partitions upload in parallel.
//
// After a failed upload (the retry layer below gave up) the partition's later segments are not
// attempted; they complete with the same error. The owner treats any failure as fatal.
//
// A segment may arrive as a format::PendingSegment (blocks still compressing on the
// CompressionPool): the upload thread waits for its blocks and writes them as they are
// (ObjectStore::PutParts; no copy of the segment is assembled), then frees them.
//
// Results are handed back through TakeCompleted()/WaitForCompletion() so that the owner (the
// consumer thread) commits offsets itself, in order.
//
// Thread-safety: all methods may be called from any thread. The store must outlive the Uploader.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/status.h"
#include "format/segment_writer.h"
#include "storage/object_store.h"

namespace kb::backup {

struct PartitionId {
  std::string topic;
  int32_t partition = 0;
  auto operator<=>(const PartitionId&) const = default;
  std::string ToString() const { return topic + "/" + std::to_string(partition); }
};

struct SealedSegment {
  PartitionId id;
  int64_t start = 0;  // first offset the segment covers (the previous segment's end + 1)
  int64_t end = 0;    // last record offset, inclusive
  std::string key;
  std::string bytes;  // the object; built from `pending` by the upload thread when that is set
  std::optional<format::PendingSegment> pending;
  uint64_t records = 0;
  uint64_t payload_bytes = 0;
  // Size counted in bytes_in_flight(): bytes.size(), or an estimate for a pending segment.
  uint64_t size_estimate = 0;
};

struct UploadResult {
  PartitionId id;
  int64_t start = 0;
  int64_t end = 0;
  std::string key;
  uint64_t records = 0;
  uint64_t payload_bytes = 0;
  uint64_t object_bytes = 0;
  Status status;
};

class Uploader {
 public:
  Uploader(storage::ObjectStore* store, int threads);
  ~Uploader();  // waits for uploads in progress; pending ones are dropped
  Uploader(const Uploader&) = delete;
  Uploader& operator=(const Uploader&) = delete;

  void Submit(SealedSegment segment);
  // Completed uploads since the last call, in completion order (per partition: submit order).
  std::vector<UploadResult> TakeCompleted();
  // Blocks until at least one upload completed (returns false if nothing is pending or running).
  bool WaitForCompletion();
  // Blocks until nothing of `id` is pending or running.
  void WaitForPartition(const PartitionId& id);
  void WaitForAll();

  uint64_t bytes_in_flight() const;
  size_t segments_in_flight() const;

 private:
  struct Queue {
    std::deque<SealedSegment> pending;
    bool running = false;
    Status failed;  // sticky: later segments of the partition fail with it
  };
  void Work();
  bool IdleLocked(const PartitionId& id) const;

  storage::ObjectStore* store_;
  mutable std::mutex mu_;
  std::condition_variable work_cv_;  // workers wait for runnable partitions
  std::condition_variable done_cv_;  // owners wait for completions
  std::map<PartitionId, Queue> queues_;
  std::vector<UploadResult> completed_;
  uint64_t bytes_in_flight_ = 0;
  size_t segments_in_flight_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace kb::backup
