#include "kafka/message_batch.h"

#include "common/error_map.h"

namespace kb::kafka {

MessageBatch::MessageBatch(RdKafka::KafkaConsumer* consumer, size_t capacity)
    : queue_(rd_kafka_queue_get_consumer(consumer->c_ptr())),
      messages_(capacity == 0 ? 1 : capacity, nullptr) {}

MessageBatch::~MessageBatch() {
  Clear();
  if (queue_ != nullptr) rd_kafka_queue_destroy(queue_);
}

void MessageBatch::Clear() {
  for (size_t i = 0; i < size_; ++i) rd_kafka_message_destroy(messages_[i]);
  size_ = 0;
}

Result<size_t> MessageBatch::Poll(std::chrono::milliseconds timeout) {
  Clear();
  if (queue_ == nullptr) {
    return Status::FailedPrecondition("kafka", "the consumer has no group queue to consume from");
  }
  const ssize_t n = rd_kafka_consume_batch_queue(queue_, static_cast<int>(timeout.count()),
                                                 messages_.data(), messages_.size());
  if (n < 0) return FromKafkaError(rd_kafka_last_error(), "kafka", "consume");
  size_ = static_cast<size_t>(n);
  return size_;
}

}  // namespace kb::kafka
