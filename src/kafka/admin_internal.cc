#include "kafka/admin_internal.h"

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>

#include "common/error_map.h"
#include "kafka/client.h"

namespace kb::kafka::internal {

Status CheckTimeout(std::chrono::milliseconds timeout, std::string_view subject) {
  if (timeout.count() <= 0 || timeout > kMaxTimeout) {
    return Status::InvalidArgument(
        subject, "timeout must be in (0 ms, 1 h], got " + std::to_string(timeout.count()) + " ms");
  }
  return Status::OK();
}

Status CheckTopic(std::string_view topic) {
  if (topic.empty()) return Status::InvalidArgument("topic", "topic name is empty");
  if (topic.size() > 249) {
    return Status::InvalidArgument(topic, "topic name is longer than 249 characters");
  }
  if (topic == "." || topic == "..") {
    return Status::InvalidArgument(topic, "'.' and '..' are not topic names");
  }
  for (char c : topic) {
    bool legal = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '.' || c == '_' || c == '-';
    if (!legal) {
      return Status::InvalidArgument(
          topic, "topic names may contain only ASCII letters, digits, '.', '_' and '-'");
    }
  }
  return Status::OK();
}

Status CheckPartition(std::string_view topic, int32_t partition) {
  KB_RETURN_IF_ERROR(CheckTopic(topic));
  if (partition < 0) {
    return Status::InvalidArgument(PartitionSubject(topic, partition), "negative partition");
  }
  return Status::OK();
}

Status CheckGroup(std::string_view group) {
  if (group.empty()) return Status::InvalidArgument("group", "consumer group id is empty");
  return Status::OK();
}

std::string PartitionSubject(std::string_view topic, int32_t partition) {
  return std::string(topic) + "/" + std::to_string(partition);
}

std::string GroupSubject(std::string_view group) { return "group " + std::string(group); }

Result<OptionsPtr> MakeOptions(rd_kafka_t* rk, rd_kafka_admin_op_t op,
                               std::chrono::milliseconds timeout, std::string_view subject) {
  KB_RETURN_IF_ERROR(CheckTimeout(timeout, subject));
  OptionsPtr opts(rd_kafka_AdminOptions_new(rk, op));
  if (!opts) return Status::InvalidArgument(subject, "librdkafka rejected the admin operation");
  const int ms = static_cast<int>(timeout.count());
  char err[256];
  if (rd_kafka_AdminOptions_set_request_timeout(opts.get(), ms, err, sizeof(err))) {
    return Status::InvalidArgument(subject, err);
  }
  // librdkafka accepts a broker-side operation timeout only for these operations.
  if (op == RD_KAFKA_ADMIN_OP_CREATETOPICS || op == RD_KAFKA_ADMIN_OP_DELETETOPICS ||
      op == RD_KAFKA_ADMIN_OP_CREATEPARTITIONS || op == RD_KAFKA_ADMIN_OP_DELETERECORDS) {
    if (rd_kafka_AdminOptions_set_operation_timeout(opts.get(), ms, err, sizeof(err))) {
      return Status::InvalidArgument(subject, err);
    }
  }
  return opts;
}

Result<EventPtr> WaitResult(rd_kafka_queue_t* q, std::chrono::milliseconds timeout,
                            std::string_view subject, std::string_view what,
                            const KafkaAccess& access, rd_kafka_resp_err_t* event_err) {
  // The request itself times out after `timeout`; give the result a little longer to arrive.
  // Polled in slices, so that a connection failure no retry fixes (ConnectionFailure: refused
  // credentials or certificates) ends the wait at once.
  const auto wait_start = std::chrono::steady_clock::now();
  const auto deadline = wait_start + timeout + std::chrono::seconds(5);
  EventPtr ev;
  while (!ev) {
    if (std::optional<Status> failure = ConnectionFailure(wait_start)) return *failure;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    ev.reset(rd_kafka_queue_poll(q, static_cast<int>(std::min<int64_t>(left.count(), 250))));
  }
  if (!ev) return Status::Retryable(subject, std::string(what) + ": no answer from the cluster");
  const rd_kafka_resp_err_t err = rd_kafka_event_error(ev.get());
  if (event_err != nullptr) *event_err = err;
  if (err) {
    return WithDetail(FromKafkaError(err, subject, what, access), err,
                      rd_kafka_event_error_string(ev.get()));
  }
  return ev;
}

Status WithDetail(const Status& s, rd_kafka_resp_err_t err, const char* detail) {
  if (detail == nullptr || *detail == '\0' || std::string_view(detail) == rd_kafka_err2str(err)) {
    return s;
  }
  return s.WithContext(detail);
}

Status FromErrorObject(const rd_kafka_error_t* error, std::string_view subject,
                       std::string_view what, const KafkaAccess& access) {
  if (error == nullptr || rd_kafka_error_code(error) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    return Status::OK();
  }
  rd_kafka_resp_err_t err = rd_kafka_error_code(error);
  return WithDetail(FromKafkaError(err, subject, what, access), err, rd_kafka_error_string(error));
}

bool IsRestorableTopicConfig(const ConfigEntryView& entry) {
  return entry.source == RD_KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC_CONFIG && !entry.is_default &&
         !entry.is_sensitive && entry.value != nullptr && !entry.name.empty();
}

}  // namespace kb::kafka::internal
