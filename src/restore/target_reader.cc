#include "restore/target_reader.h"

#include <librdkafka/rdkafkacpp.h>

#include <memory>
#include <optional>
#include <vector>

#include "common/error_map.h"
#include "kafka/message_view.h"

namespace kb::restore {
Status ReadTargetRange(const kafka::Properties& props, const std::string& topic, int32_t partition,
                       int64_t from, int64_t end,
                       const std::function<Status(const format::RecordView&)>& fn,
                       std::chrono::milliseconds timeout) {
  const std::string name = topic + "/" + std::to_string(partition);
  if (from >= end) return Status::OK();
  KB_ASSIGN_OR_RETURN(kafka::ConsumerPtr consumer,
                      kafka::MakeConsumer(props, {{"group.id", "kafka-backup-restore-check"},
                                                  {"enable.auto.commit", "false"},
                                                  {"enable.auto.offset.store", "false"},
                                                  {"isolation.level", "read_uncommitted"},
                                                  {"enable.partition.eof", "true"},
                                                  {"auto.offset.reset", "error"}}));
  std::unique_ptr<RdKafka::TopicPartition> tp(
      RdKafka::TopicPartition::create(topic, partition, from));
  std::vector<RdKafka::TopicPartition*> list{tp.get()};
  if (RdKafka::ErrorCode e = consumer->assign(list); e != RdKafka::ERR_NO_ERROR) {
    return FromKafkaError(static_cast<rd_kafka_resp_err_t>(e), name, "assign");
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int64_t position = from;
  while (position < end) {
    if (std::chrono::steady_clock::now() > deadline) {
      return Status::Retryable(name, "could not read back offsets " + std::to_string(position) +
                                         "-" + std::to_string(end - 1) + " within " +
                                         std::to_string(timeout.count()) + " ms");
    }
    std::unique_ptr<RdKafka::Message> msg(consumer->consume(500));
    switch (msg->err()) {
      case RdKafka::ERR__TIMED_OUT:
        continue;
      case RdKafka::ERR__PARTITION_EOF:
        // The end of the log: the offsets up to it that were not records are markers.
        position = std::max(position, msg->offset());
        if (position < end) {
          return Status::FailedPrecondition(
              name, "the partition ends at " + std::to_string(position) + ", before " +
                        std::to_string(end) + " (records deleted or the topic recreated)");
        }
        continue;
      case RdKafka::ERR_NO_ERROR:
        break;
      default:
        return FromKafkaError(static_cast<rd_kafka_resp_err_t>(msg->err()), name,
                              "read back: " + msg->errstr(), {.operation = "READ", .topic = topic});
    }
    if (msg->offset() >= end) break;
    std::vector<format::HeaderView> headers;
    const format::RecordView r = kafka::ViewOf(*msg, &headers);
    KB_RETURN_IF_ERROR(fn(r));
    position = msg->offset() + 1;
  }
  return Status::OK();
}

bool SameRecord(const format::RecordView& t, const format::RecordView& s, std::string* why) {
  if (t.key != s.key) {
    *why = "key";
    return false;
  }
  if (t.value != s.value) {
    *why = "value";
    return false;
  }
  bool same_headers = t.headers.size() == s.headers.size();
  for (size_t i = 0; same_headers && i < t.headers.size(); ++i) {
    same_headers = t.headers[i].key == s.headers[i].key && t.headers[i].value == s.headers[i].value;
  }
  if (!same_headers) {
    *why = "headers";
    return false;
  }
  if (t.timestamp_type != format::TimestampType::kLogAppendTime && s.timestamp != 0 &&
      t.timestamp != s.timestamp) {
    *why = "timestamp (" + std::to_string(t.timestamp) + " vs " + std::to_string(s.timestamp) + ")";
    return false;
  }
  return true;
}

}  // namespace kb::restore
