#include "backup/fetch_nudger.h"

#include <spdlog/spdlog.h>

#include <memory>

namespace kb::backup {

FetchNudger::FetchNudger(RdKafka::KafkaConsumer* consumer, uint64_t queue_bytes,
                         uint64_t queue_messages)
    : consumer_(consumer),
      queue_(rd_kafka_queue_get_consumer(consumer->c_ptr())),
      queue_bytes_(queue_bytes),
      queue_messages_(queue_messages),
      thread_([this] { Work(); }) {}

FetchNudger::~FetchNudger() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
  if (queue_ != nullptr) rd_kafka_queue_destroy(queue_);
}

void FetchNudger::OnMessage(size_t bytes) {
  since_check_bytes_ += bytes;
  ++since_check_messages_;
  // Often enough to see the queue drain (it holds many of these steps), rarely enough to cost
  // nothing per message.
  if (since_check_messages_ >= 64 || since_check_bytes_ >= (256u << 10)) Check();
}

void FetchNudger::Check() {
  avg_message_bytes_ = 0.7 * avg_message_bytes_ +
                       0.3 * static_cast<double>(since_check_bytes_) / since_check_messages_;
  since_check_bytes_ = 0;
  since_check_messages_ = 0;
  if (queue_ == nullptr) return;
  const double length = static_cast<double>(rd_kafka_queue_length(queue_));
  // How full the queue is, by the tighter of librdkafka's two limits.
  const double fill = std::max(length * avg_message_bytes_ / static_cast<double>(queue_bytes_),
                               length / static_cast<double>(queue_messages_));
  if (fill >= 0.75) {
    was_full_ = true;
  } else if (was_full_ && fill <= 0.5) {
    was_full_ = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      wanted_ = true;
    }
    cv_.notify_one();
  }
}

void FetchNudger::SetPartitions(std::vector<PartitionId> partitions) {
  std::lock_guard<std::mutex> lock(mu_);
  partitions_ = std::move(partitions);
}

uint64_t FetchNudger::nudges() const {
  std::lock_guard<std::mutex> lock(mu_);
  return nudges_;
}

void FetchNudger::Work() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    cv_.wait(lock, [this] { return stopping_ || wanted_; });
    if (stopping_) return;
    wanted_ = false;
    std::vector<RdKafka::TopicPartition*> tps;
    for (const PartitionId& id : partitions_) {
      // Timestamp -1: the end offset (ListOffsets LATEST); the answer itself is not needed.
      tps.push_back(RdKafka::TopicPartition::create(id.topic, id.partition, -1));
    }
    ++nudges_;
    lock.unlock();
    if (!tps.empty()) {
      RdKafka::ErrorCode ec = consumer_->offsetsForTimes(tps, 5000);
      if (ec != RdKafka::ERR_NO_ERROR) {
        spdlog::debug("fetch nudge (end offsets request) failed: {}", RdKafka::err2str(ec));
      }
    }
    RdKafka::TopicPartition::destroy(tps);
    lock.lock();
  }
}

}  // namespace kb::backup
