// FetchNudger: works around a fetch stall of librdkafka < 2.2 (upstream issue #2879). When the
// consumer's prefetch queue reaches queued.max.messages.kbytes (or queued.min.messages), the
// broker thread stops fetching and, in those versions, looks again only on its next wake-up: up to
// one second later, by which time a busy consume loop has long emptied the queue and waits idle.
// Any request to the broker wakes its thread, which then sees the queue has room and fetches.
//
// The consume thread reports every message it takes (OnMessage); the nudger watches the queue
// length (messages, and bytes estimated from the sizes seen) and, once the queue has been at
// least 3/4 full and is down to half, asks the leaders of the assigned partitions for their end
// offsets (one ListOffsets request per leader broker, on the nudger's own thread) — which wakes
// every broker thread that may be stalled. A queue that never fills never causes a request, so an
// idle or caught-up daemon sends none. librdkafka >= 2.2 bounds the stall itself with
// fetch.queue.backoff.ms; the nudges are then harmless.
//
// Thread-safety: OnMessage and SetPartitions from the consume thread; the request runs on the
// nudger's thread. The consumer must outlive the nudger.
#pragma once

#include <librdkafka/rdkafka.h>

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include "backup/uploader.h"
#include "kafka/client.h"

namespace kb::backup {

class FetchNudger {
 public:
  // `queue_bytes` / `queue_messages`: the consumer's queued.max.messages.kbytes (in bytes) and
  // queued.min.messages.
  FetchNudger(RdKafka::KafkaConsumer* consumer, uint64_t queue_bytes, uint64_t queue_messages);
  ~FetchNudger();
  FetchNudger(const FetchNudger&) = delete;
  FetchNudger& operator=(const FetchNudger&) = delete;

  // A message of `bytes` (key + value) was taken from the queue.
  void OnMessage(size_t bytes);
  // The partitions whose leaders a nudge asks.
  void SetPartitions(std::vector<PartitionId> partitions);
  uint64_t nudges() const;

 private:
  void Check();
  void Work();

  RdKafka::KafkaConsumer* consumer_;
  rd_kafka_queue_t* queue_;
  const uint64_t queue_bytes_;
  const uint64_t queue_messages_;
  // Consume thread only.
  uint64_t since_check_bytes_ = 0;
  uint32_t since_check_messages_ = 0;
  double avg_message_bytes_ = 1024;
  bool was_full_ = false;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<PartitionId> partitions_;
  bool wanted_ = false;
  bool stopping_ = false;
  uint64_t nudges_ = 0;
  std::thread thread_;
};

}  // namespace kb::backup
