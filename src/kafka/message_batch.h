// MessageBatch: up to `capacity` events taken from a KafkaConsumer's queue in one call
// (rd_kafka_consume_batch_queue), so that the per-call costs of consume() - a clock read for the
// poll interval, a timeout set-up, a C++ Message wrapper allocated and freed - are paid once per
// batch rather than once per record. Rebalance, log and error callbacks are served inside Poll(),
// exactly as inside consume().
//
// The consumer must NOT have enable.partition.eof=true: librdkafka (2.8) moves a partition's
// application position to "offset + 1" for every event of a batch, a partition-EOF event at
// offset N included, so the position ends one past the end; a fetch restarted from it (a leader
// change, a rebalance) then fails with "offset out of range". Consumers that need the end of a
// partition ask consumer->position() instead (see BackupEngine::OnceDone).
//
// Ownership: the batch owns the messages of the last Poll() until the next Poll() or its
// destruction; the consumer must outlive the batch. Not thread-safe (one consuming thread).
// Failure contract: Poll() returns the number of events (0 on timeout) or an error naming the
// consumer queue; events carrying errors (msg.err != 0) are returned as events, as consume() does.
#pragma once

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafkacpp.h>

#include <chrono>
#include <cstddef>
#include <vector>

#include "common/status.h"

namespace kb::kafka {

class MessageBatch {
 public:
  MessageBatch(RdKafka::KafkaConsumer* consumer, size_t capacity);
  ~MessageBatch();
  MessageBatch(const MessageBatch&) = delete;
  MessageBatch& operator=(const MessageBatch&) = delete;

  // Frees the previous batch, then waits up to `timeout` for events and takes up to capacity().
  Result<size_t> Poll(std::chrono::milliseconds timeout);
  // Frees the messages held (e.g. before the consumer is closed).
  void Clear();

  size_t size() const { return size_; }
  size_t capacity() const { return messages_.size(); }
  const rd_kafka_message_t& operator[](size_t i) const { return *messages_[i]; }

 private:
  rd_kafka_queue_t* queue_ = nullptr;
  std::vector<rd_kafka_message_t*> messages_;
  size_t size_ = 0;
};

}  // namespace kb::kafka
