#include "ops/lag_probe.h"

#include <librdkafka/rdkafkacpp.h>

#include <algorithm>
#include <memory>
#include <vector>

#include "common/error_map.h"

namespace kb::ops {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Owns the RdKafka::TopicPartition objects of a partition list.
class PartitionList {
 public:
  PartitionList() = default;
  PartitionList(const PartitionList&) = delete;
  PartitionList& operator=(const PartitionList&) = delete;
  ~PartitionList() { RdKafka::TopicPartition::destroy(list_); }

  void Add(const kafka::TopicPartition& tp, int64_t offset = RdKafka::Topic::OFFSET_INVALID) {
    list_.push_back(RdKafka::TopicPartition::create(tp.topic, tp.partition, offset));
  }
  std::vector<RdKafka::TopicPartition*>& get() { return list_; }

 private:
  std::vector<RdKafka::TopicPartition*> list_;
};

}  // namespace

Result<std::map<kafka::TopicPartition, int64_t>> ReadFirstTimestamps(
    const kafka::Properties& props, const std::map<kafka::TopicPartition, int64_t>& offsets,
    milliseconds timeout) {
  std::map<kafka::TopicPartition, int64_t> out;
  if (offsets.empty()) return out;
  const auto deadline = Clock::now() + timeout;
  KB_ASSIGN_OR_RETURN(kafka::ConsumerPtr consumer,
                      kafka::MakeConsumer(props, {
                                                     {"group.id", kProbeGroupId},
                                                     {"enable.auto.commit", "false"},
                                                     {"enable.auto.offset.store", "false"},
                                                     {"enable.partition.eof", "false"},
                                                     {"auto.offset.reset", "earliest"},
                                                     {"allow.auto.create.topics", "false"},
                                                     {"fetch.message.max.bytes", "65536"},
                                                 }));
  {
    PartitionList assignment;
    for (const auto& [tp, offset] : offsets) assignment.Add(tp, offset);
    const RdKafka::ErrorCode err = consumer->assign(assignment.get());
    if (err != RdKafka::ERR_NO_ERROR) {
      return FromKafkaError(static_cast<rd_kafka_resp_err_t>(err), "lag timestamps",
                            "assign partitions");
    }
  }
  while (out.size() < offsets.size()) {
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    if (left <= milliseconds(0)) break;
    std::unique_ptr<RdKafka::Message> m(
        consumer->consume(static_cast<int>(std::min(left, milliseconds(100)).count())));
    // A missing ACL ends the probe at once (waiting does not grant it); timeouts and other
    // partition-level errors leave the partition unknown.
    if (m && IsKafkaAuthorizationError(static_cast<rd_kafka_resp_err_t>(m->err()))) {
      return FromKafkaError(static_cast<rd_kafka_resp_err_t>(m->err()),
                            m->topic_name() + "/" + std::to_string(m->partition()),
                            "reading the oldest record not backed up (status lag)",
                            {.operation = "READ", .topic = m->topic_name()});
    }
    if (!m || m->err() != RdKafka::ERR_NO_ERROR) continue;
    kafka::TopicPartition tp{m->topic_name(), m->partition()};
    if (!offsets.contains(tp) || out.contains(tp)) continue;
    const RdKafka::MessageTimestamp ts = m->timestamp();
    out[tp] = ts.type == RdKafka::MessageTimestamp::MSG_TIMESTAMP_NOT_AVAILABLE ? -1 : ts.timestamp;
    PartitionList done;
    done.Add(tp);
    consumer->pause(done.get());  // no more fetches for it
  }
  consumer->unassign();
  return out;
}

}  // namespace kb::ops
