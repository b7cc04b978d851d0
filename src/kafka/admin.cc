#include "kafka/admin.h"

#include <librdkafka/rdkafka.h>

#include "common/error_map.h"

namespace kb::kafka {
namespace {

// RAII for the C Admin API objects.
struct QueueDel {
  void operator()(rd_kafka_queue_t* q) const { rd_kafka_queue_destroy(q); }
};
struct EventDel {
  void operator()(rd_kafka_event_t* e) const { rd_kafka_event_destroy(e); }
};
struct OptionsDel {
  void operator()(rd_kafka_AdminOptions_t* o) const { rd_kafka_AdminOptions_destroy(o); }
};
struct NewTopicDel {
  void operator()(rd_kafka_NewTopic_t* t) const { rd_kafka_NewTopic_destroy(t); }
};
struct DeleteTopicDel {
  void operator()(rd_kafka_DeleteTopic_t* t) const { rd_kafka_DeleteTopic_destroy(t); }
};
using QueuePtr = std::unique_ptr<rd_kafka_queue_t, QueueDel>;
using EventPtr = std::unique_ptr<rd_kafka_event_t, EventDel>;
using OptionsPtr = std::unique_ptr<rd_kafka_AdminOptions_t, OptionsDel>;

Result<OptionsPtr> MakeOptions(rd_kafka_t* rk, rd_kafka_admin_op_t op,
                               std::chrono::milliseconds timeout, std::string_view subject) {
  OptionsPtr opts(rd_kafka_AdminOptions_new(rk, op));
  char err[256];
  if (rd_kafka_AdminOptions_set_operation_timeout(opts.get(), static_cast<int>(timeout.count()),
                                                  err, sizeof(err))) {
    return Status::InvalidArgument(subject, err);
  }
  if (rd_kafka_AdminOptions_set_request_timeout(opts.get(), static_cast<int>(timeout.count()), err,
                                                sizeof(err))) {
    return Status::InvalidArgument(subject, err);
  }
  return opts;
}

// Waits for the result event of one admin request on `q`.
Result<EventPtr> WaitResult(rd_kafka_queue_t* q, std::chrono::milliseconds timeout,
                            std::string_view subject, std::string_view what) {
  // The request itself times out after `timeout`; give the result a little longer to arrive.
  EventPtr ev(rd_kafka_queue_poll(q, static_cast<int>(timeout.count()) + 5000));
  if (!ev) return Status::Retryable(subject, std::string(what) + ": no answer from the cluster");
  if (rd_kafka_resp_err_t err = rd_kafka_event_error(ev.get())) {
    return FromKafkaError(err, subject, what);
  }
  return ev;
}

Status TopicResultStatus(const rd_kafka_topic_result_t* r, std::string_view what) {
  rd_kafka_resp_err_t err = rd_kafka_topic_result_error(r);
  if (!err) return Status::OK();
  const char* msg = rd_kafka_topic_result_error_string(r);
  Status s = FromKafkaError(err, rd_kafka_topic_result_name(r), what);
  return msg ? s.WithContext(msg) : s;
}

}  // namespace

Result<std::unique_ptr<Admin>> Admin::Make(const Properties& props) {
  KB_ASSIGN_OR_RETURN(auto producer, MakeProducer(props));
  return std::unique_ptr<Admin>(new Admin(std::move(producer)));
}

Status Admin::CreateTopic(const TopicSpec& spec, std::chrono::milliseconds timeout) {
  rd_kafka_t* rk = handle_->c_ptr();
  char err[256];
  std::unique_ptr<rd_kafka_NewTopic_t, NewTopicDel> nt(rd_kafka_NewTopic_new(
      spec.name.c_str(), spec.partitions, spec.replication_factor, err, sizeof(err)));
  if (!nt) return Status::InvalidArgument(spec.name, err);
  for (const auto& [k, v] : spec.configs) {
    if (rd_kafka_resp_err_t e = rd_kafka_NewTopic_set_config(nt.get(), k.c_str(), v.c_str())) {
      return FromKafkaError(e, spec.name, "setting topic config " + k);
    }
  }
  KB_ASSIGN_OR_RETURN(auto opts,
                      MakeOptions(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS, timeout, spec.name));
  QueuePtr q(rd_kafka_queue_new(rk));
  rd_kafka_NewTopic_t* arr[] = {nt.get()};
  rd_kafka_CreateTopics(rk, arr, 1, opts.get(), q.get());
  KB_ASSIGN_OR_RETURN(EventPtr ev, WaitResult(q.get(), timeout, spec.name, "create topic"));
  const rd_kafka_CreateTopics_result_t* res = rd_kafka_event_CreateTopics_result(ev.get());
  size_t n = 0;
  const rd_kafka_topic_result_t** topics = rd_kafka_CreateTopics_result_topics(res, &n);
  for (size_t i = 0; i < n; ++i) KB_RETURN_IF_ERROR(TopicResultStatus(topics[i], "create topic"));
  return Status::OK();
}

Status Admin::DeleteTopic(const std::string& topic, std::chrono::milliseconds timeout) {
  rd_kafka_t* rk = handle_->c_ptr();
  std::unique_ptr<rd_kafka_DeleteTopic_t, DeleteTopicDel> dt(
      rd_kafka_DeleteTopic_new(topic.c_str()));
  KB_ASSIGN_OR_RETURN(auto opts, MakeOptions(rk, RD_KAFKA_ADMIN_OP_DELETETOPICS, timeout, topic));
  QueuePtr q(rd_kafka_queue_new(rk));
  rd_kafka_DeleteTopic_t* arr[] = {dt.get()};
  rd_kafka_DeleteTopics(rk, arr, 1, opts.get(), q.get());
  KB_ASSIGN_OR_RETURN(EventPtr ev, WaitResult(q.get(), timeout, topic, "delete topic"));
  const rd_kafka_DeleteTopics_result_t* res = rd_kafka_event_DeleteTopics_result(ev.get());
  size_t n = 0;
  const rd_kafka_topic_result_t** topics = rd_kafka_DeleteTopics_result_topics(res, &n);
  for (size_t i = 0; i < n; ++i) KB_RETURN_IF_ERROR(TopicResultStatus(topics[i], "delete topic"));
  return Status::OK();
}

Result<int> Admin::PartitionCount(const std::string& topic, std::chrono::milliseconds timeout) {
  std::string err;
  std::unique_ptr<RdKafka::Topic> t(RdKafka::Topic::create(handle_.get(), topic, nullptr, err));
  if (!t) return Status::InvalidArgument(topic, err);
  RdKafka::Metadata* raw = nullptr;
  RdKafka::ErrorCode ec =
      handle_->metadata(false, t.get(), &raw, static_cast<int>(timeout.count()));
  std::unique_ptr<RdKafka::Metadata> md(raw);
  if (ec != RdKafka::ERR_NO_ERROR) {
    return FromKafkaError(static_cast<rd_kafka_resp_err_t>(ec), topic, "metadata");
  }
  for (const RdKafka::TopicMetadata* tm : *md->topics()) {
    if (tm->topic() != topic) continue;
    if (tm->err() != RdKafka::ERR_NO_ERROR) {
      return FromKafkaError(static_cast<rd_kafka_resp_err_t>(tm->err()), topic, "metadata");
    }
    return static_cast<int>(tm->partitions()->size());
  }
  return Status::NotFound(topic, "topic not in cluster metadata");
}

}  // namespace kb::kafka
