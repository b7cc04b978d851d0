// Admin: construction and the topic-level operations (create, delete, grow, delete records,
// describe and alter configs). Metadata and offsets live in cluster.cc, consumer groups in
// groups.cc.
#include "kafka/admin.h"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <map>
#include <set>
#include <thread>

#include "common/error_map.h"
#include "kafka/admin_internal.h"

namespace kb::kafka {
namespace {

using Clock = std::chrono::steady_clock;
using internal::EventPtr;
using internal::QueuePtr;

struct NewTopicDel {
  void operator()(rd_kafka_NewTopic_t* t) const { rd_kafka_NewTopic_destroy(t); }
};
struct DeleteTopicDel {
  void operator()(rd_kafka_DeleteTopic_t* t) const { rd_kafka_DeleteTopic_destroy(t); }
};
struct NewPartitionsDel {
  void operator()(rd_kafka_NewPartitions_t* p) const { rd_kafka_NewPartitions_destroy(p); }
};
struct DeleteRecordsDel {
  void operator()(rd_kafka_DeleteRecords_t* d) const { rd_kafka_DeleteRecords_destroy(d); }
};
struct ConfigResourceDel {
  void operator()(rd_kafka_ConfigResource_t* c) const { rd_kafka_ConfigResource_destroy(c); }
};

// `operation`: the ACL operation the request needs on the topic.
Status TopicResultStatus(const rd_kafka_topic_result_t* r, std::string_view what,
                         std::string_view operation) {
  rd_kafka_resp_err_t err = rd_kafka_topic_result_error(r);
  if (!err) return Status::OK();
  const char* name = rd_kafka_topic_result_name(r);
  return internal::WithDetail(
      FromKafkaError(err, name, what, {.operation = operation, .topic = name}), err,
      rd_kafka_topic_result_error_string(r));
}

Status TopicResultsStatus(const rd_kafka_topic_result_t** topics, size_t n, std::string_view what,
                          std::string_view operation) {
  for (size_t i = 0; i < n; ++i) KB_RETURN_IF_ERROR(TopicResultStatus(topics[i], what, operation));
  return Status::OK();
}

}  // namespace

Result<std::unique_ptr<Admin>> Admin::Make(const Properties& props) {
  KB_ASSIGN_OR_RETURN(auto producer, MakeProducer(props, {{"allow.auto.create.topics", "false"}}));
  return std::unique_ptr<Admin>(new Admin(std::move(producer), props));
}

Status Admin::CreateTopic(const TopicSpec& spec, std::chrono::milliseconds timeout) {
  KB_RETURN_IF_ERROR(internal::CheckTopic(spec.name));
  KB_RETURN_IF_ERROR(internal::CheckTimeout(timeout, spec.name));
  const auto deadline = Clock::now() + timeout;
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
  KB_ASSIGN_OR_RETURN(
      auto opts, internal::MakeOptions(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS, timeout, spec.name));
  QueuePtr q(rd_kafka_queue_new(rk));
  rd_kafka_NewTopic_t* arr[] = {nt.get()};
  rd_kafka_CreateTopics(rk, arr, 1, opts.get(), q.get());
  KB_ASSIGN_OR_RETURN(EventPtr ev,
                      internal::WaitResult(q.get(), timeout, spec.name, "create topic"));
  size_t n = 0;
  const rd_kafka_topic_result_t** topics =
      rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev.get()), &n);
  KB_RETURN_IF_ERROR(TopicResultsStatus(topics, n, "create topic", "CREATE"));
  return AwaitTopicMetadata(spec.name, spec.partitions, deadline);
}

std::vector<Status> Admin::CreateTopics(const std::vector<TopicSpec>& specs,
                                        std::chrono::milliseconds timeout) {
  std::vector<Status> out(specs.size());
  if (specs.empty()) return out;
  const auto deadline = Clock::now() + timeout;
  rd_kafka_t* rk = handle_->c_ptr();
  std::vector<std::unique_ptr<rd_kafka_NewTopic_t, NewTopicDel>> owned;
  std::vector<rd_kafka_NewTopic_t*> arr;
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < specs.size(); ++i) {
    const TopicSpec& spec = specs[i];
    out[i] = internal::CheckTopic(spec.name);
    if (out[i].ok()) out[i] = internal::CheckTimeout(timeout, spec.name);
    if (out[i].ok() && !index.emplace(spec.name, i).second) {
      out[i] = Status::InvalidArgument(spec.name, "topic given twice to create");
    }
    if (!out[i].ok()) continue;
    char err[256];
    std::unique_ptr<rd_kafka_NewTopic_t, NewTopicDel> nt(rd_kafka_NewTopic_new(
        spec.name.c_str(), spec.partitions, spec.replication_factor, err, sizeof(err)));
    if (!nt) {
      out[i] = Status::InvalidArgument(spec.name, err);
      index.erase(spec.name);
      continue;
    }
    for (const auto& [k, v] : spec.configs) {
      if (rd_kafka_resp_err_t e = rd_kafka_NewTopic_set_config(nt.get(), k.c_str(), v.c_str())) {
        out[i] = FromKafkaError(e, spec.name, "setting topic config " + k);
        break;
      }
    }
    if (!out[i].ok()) {
      index.erase(spec.name);
      continue;
    }
    arr.push_back(nt.get());
    owned.push_back(std::move(nt));
  }
  if (arr.empty()) return out;
  const std::string subject = specs[index.begin()->second].name;
  Result<EventPtr> ev = Status::Retryable(subject, "create topics: not sent");
  auto opts = internal::MakeOptions(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS, timeout, subject);
  if (!opts.ok()) {
    ev = opts.status();
  } else {
    QueuePtr q(rd_kafka_queue_new(rk));
    rd_kafka_CreateTopics(rk, arr.data(), arr.size(), opts->get(), q.get());
    ev = internal::WaitResult(q.get(), timeout, subject, "create topics");
  }
  if (!ev.ok()) {
    for (const auto& [name, i] : index) out[i] = ev.status();
    return out;
  }
  size_t n = 0;
  const rd_kafka_topic_result_t** topics =
      rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev->get()), &n);
  std::set<size_t> answered;
  for (size_t r = 0; r < n; ++r) {
    auto it = index.find(rd_kafka_topic_result_name(topics[r]));
    if (it == index.end()) continue;
    out[it->second] = TopicResultStatus(topics[r], "create topic", "CREATE");
    answered.insert(it->second);
  }
  for (const auto& [name, i] : index) {
    if (!answered.contains(i)) {
      out[i] = Status::Permanent(name, "create topics: no result for this topic in the answer");
    } else if (out[i].ok()) {
      out[i] = AwaitTopicMetadata(name, specs[i].partitions, deadline);
    }
  }
  return out;
}

Status Admin::DeleteTopic(const std::string& topic, std::chrono::milliseconds timeout) {
  KB_RETURN_IF_ERROR(internal::CheckTopic(topic));
  rd_kafka_t* rk = handle_->c_ptr();
  KB_ASSIGN_OR_RETURN(auto opts,
                      internal::MakeOptions(rk, RD_KAFKA_ADMIN_OP_DELETETOPICS, timeout, topic));
  std::unique_ptr<rd_kafka_DeleteTopic_t, DeleteTopicDel> dt(
      rd_kafka_DeleteTopic_new(topic.c_str()));
  QueuePtr q(rd_kafka_queue_new(rk));
  rd_kafka_DeleteTopic_t* arr[] = {dt.get()};
  rd_kafka_DeleteTopics(rk, arr, 1, opts.get(), q.get());
  KB_ASSIGN_OR_RETURN(EventPtr ev, internal::WaitResult(q.get(), timeout, topic, "delete topic"));
  size_t n = 0;
  const rd_kafka_topic_result_t** topics =
      rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(ev.get()), &n);
  return TopicResultsStatus(topics, n, "delete topic", "DELETE");
}

Status Admin::CreatePartitions(const std::string& topic, int32_t new_total,
                               std::chrono::milliseconds timeout) {
  KB_RETURN_IF_ERROR(internal::CheckTopic(topic));
  if (new_total < 1) {
    return Status::InvalidArgument(
        topic, "new partition count must be >= 1, got " + std::to_string(new_total));
  }
  const auto deadline = Clock::now() + timeout;
  rd_kafka_t* rk = handle_->c_ptr();
  KB_ASSIGN_OR_RETURN(
      auto opts, internal::MakeOptions(rk, RD_KAFKA_ADMIN_OP_CREATEPARTITIONS, timeout, topic));
  char err[256];
  std::unique_ptr<rd_kafka_NewPartitions_t, NewPartitionsDel> np(
      rd_kafka_NewPartitions_new(topic.c_str(), static_cast<size_t>(new_total), err, sizeof(err)));
  if (!np) return Status::InvalidArgument(topic, err);
  QueuePtr q(rd_kafka_queue_new(rk));
  rd_kafka_NewPartitions_t* arr[] = {np.get()};
  rd_kafka_CreatePartitions(rk, arr, 1, opts.get(), q.get());
  KB_ASSIGN_OR_RETURN(EventPtr ev,
                      internal::WaitResult(q.get(), timeout, topic, "create partitions"));
  size_t n = 0;
  const rd_kafka_topic_result_t** topics =
      rd_kafka_CreatePartitions_result_topics(rd_kafka_event_CreatePartitions_result(ev.get()), &n);
  KB_RETURN_IF_ERROR(TopicResultsStatus(topics, n, "create partitions", "ALTER"));
  return AwaitTopicMetadata(topic, new_total, deadline);
}

Status Admin::AwaitTopicMetadata(const std::string& topic, int32_t partitions,
                                 std::chrono::steady_clock::time_point deadline) {
  using std::chrono::milliseconds;
  for (;;) {
    // Always look at least once, even when the create request used up the time.
    auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    Result<TopicInfo> info = DescribeTopic(topic, std::max(left, milliseconds(1000)));
    if (info.ok() && info->partitions >= std::max(partitions, 1)) {
      // Metadata names a leader before that broker has made itself leader of the partition. A
      // producer writing then gets NOT_LEADER_OR_FOLLOWER, and librdkafka 2.0.x's idempotent
      // producer can lose that first batch while reporting it delivered (the broker accepts the
      // next sequence number from a producer it does not know yet). Ready means every leader
      // answers for its partitions.
      std::vector<TopicPartition> all;
      for (int32_t p = 0; p < info->partitions; ++p) all.push_back({topic, p});
      auto marks = QueryWatermarks(all, std::max(left, milliseconds(1000)));
      if (marks.ok()) return Status::OK();
      info = marks.status();
    }
    if (!info.ok() && !info.status().IsNotFound() && !info.status().IsRetryable()) {
      return info.status();
    }
    if (Clock::now() + milliseconds(50) >= deadline) break;
    std::this_thread::sleep_for(milliseconds(50));
  }
  return Status::Retryable(topic,
                           "the change was accepted but cluster metadata does not show it "
                           "yet (timed out waiting)");
}

Result<int64_t> Admin::DeleteRecords(const std::string& topic, int32_t partition,
                                     int64_t before_offset, std::chrono::milliseconds timeout) {
  KB_RETURN_IF_ERROR(internal::CheckPartition(topic, partition));
  const std::string subject = internal::PartitionSubject(topic, partition);
  if (before_offset < 0) {
    return Status::InvalidArgument(
        subject, "delete records: offset must be >= 0, got " + std::to_string(before_offset));
  }
  rd_kafka_t* rk = handle_->c_ptr();
  KB_ASSIGN_OR_RETURN(auto opts,
                      internal::MakeOptions(rk, RD_KAFKA_ADMIN_OP_DELETERECORDS, timeout, subject));
  internal::PartitionListPtr list(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), partition)->offset = before_offset;
  std::unique_ptr<rd_kafka_DeleteRecords_t, DeleteRecordsDel> dr(
      rd_kafka_DeleteRecords_new(list.get()));
  QueuePtr q(rd_kafka_queue_new(rk));
  rd_kafka_DeleteRecords_t* arr[] = {dr.get()};
  rd_kafka_DeleteRecords(rk, arr, 1, opts.get(), q.get());
  KB_ASSIGN_OR_RETURN(EventPtr ev,
                      internal::WaitResult(q.get(), timeout, subject, "delete records"));
  const rd_kafka_topic_partition_list_t* offsets =
      rd_kafka_DeleteRecords_result_offsets(rd_kafka_event_DeleteRecords_result(ev.get()));
  for (int i = 0; offsets != nullptr && i < offsets->cnt; ++i) {
    const rd_kafka_topic_partition_t& tp = offsets->elems[i];
    if (topic != tp.topic || tp.partition != partition) continue;
    if (tp.err) return FromKafkaError(tp.err, subject, "delete records");
    return tp.offset;
  }
  return Status::Permanent(subject, "delete records: the partition is missing from the answer");
}

Result<TopicConfigs> Admin::DescribeTopicConfigs(const std::string& topic,
                                                 std::chrono::milliseconds timeout,
                                                 ConfigScope scope) {
  KB_RETURN_IF_ERROR(internal::CheckTopic(topic));
  rd_kafka_t* rk = handle_->c_ptr();
  KB_ASSIGN_OR_RETURN(auto opts,
                      internal::MakeOptions(rk, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS, timeout, topic));
  std::unique_ptr<rd_kafka_ConfigResource_t, ConfigResourceDel> res(
      rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic.c_str()));
  QueuePtr q(rd_kafka_queue_new(rk));
  rd_kafka_ConfigResource_t* arr[] = {res.get()};
  rd_kafka_DescribeConfigs(rk, arr, 1, opts.get(), q.get());
  KB_ASSIGN_OR_RETURN(EventPtr ev,
                      internal::WaitResult(q.get(), timeout, topic, "describe topic configs",
                                           {.operation = "DESCRIBE_CONFIGS", .topic = topic}));
  size_t n = 0;
  const rd_kafka_ConfigResource_t** resources = rd_kafka_DescribeConfigs_result_resources(
      rd_kafka_event_DescribeConfigs_result(ev.get()), &n);
  for (size_t i = 0; i < n; ++i) {
    const rd_kafka_ConfigResource_t* r = resources[i];
    if (topic != rd_kafka_ConfigResource_name(r)) continue;
    if (rd_kafka_resp_err_t err = rd_kafka_ConfigResource_error(r)) {
      return internal::WithDetail(FromKafkaError(err, topic, "describe topic configs",
                                                 {.operation = "DESCRIBE_CONFIGS", .topic = topic}),
                                  err, rd_kafka_ConfigResource_error_string(r));
    }
    size_t count = 0;
    const rd_kafka_ConfigEntry_t** entries = rd_kafka_ConfigResource_configs(r, &count);
    TopicConfigs configs;
    for (size_t j = 0; j < count; ++j) {
      const rd_kafka_ConfigEntry_t* e = entries[j];
      internal::ConfigEntryView view{
          .name = rd_kafka_ConfigEntry_name(e),
          .value = rd_kafka_ConfigEntry_value(e),
          .source = rd_kafka_ConfigEntry_source(e),
          .is_default = rd_kafka_ConfigEntry_is_default(e) != 0,
          .is_sensitive = rd_kafka_ConfigEntry_is_sensitive(e) != 0,
      };
      const bool wanted = scope == ConfigScope::kEffective
                              ? !view.is_sensitive && view.value != nullptr && !view.name.empty()
                              : internal::IsRestorableTopicConfig(view);
      if (wanted) configs.emplace(view.name, view.value);
    }
    return configs;
  }
  return Status::Permanent(topic, "describe topic configs: the topic is missing from the answer");
}

Status Admin::AlterTopicConfigs(const std::string& topic, const TopicConfigs& configs,
                                std::chrono::milliseconds timeout) {
  KB_RETURN_IF_ERROR(internal::CheckTopic(topic));
  KB_RETURN_IF_ERROR(internal::CheckTimeout(timeout, topic));
  if (configs.empty()) return Status::OK();
  const KafkaAccess access{.operation = "ALTER_CONFIGS", .topic = topic};
  rd_kafka_t* rk = handle_->c_ptr();
  KB_ASSIGN_OR_RETURN(
      auto opts,
      internal::MakeOptions(rk, RD_KAFKA_ADMIN_OP_INCREMENTALALTERCONFIGS, timeout, topic));
  std::unique_ptr<rd_kafka_ConfigResource_t, ConfigResourceDel> res(
      rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic.c_str()));
  for (const auto& [name, value] : configs) {
    rd_kafka_error_t* e = rd_kafka_ConfigResource_add_incremental_config(
        res.get(), name.c_str(), RD_KAFKA_ALTER_CONFIG_OP_TYPE_SET, value.c_str());
    Status s = internal::FromErrorObject(e, topic, "setting topic config " + name);
    if (e != nullptr) rd_kafka_error_destroy(e);
    KB_RETURN_IF_ERROR(s);
  }
  QueuePtr q(rd_kafka_queue_new(rk));
  rd_kafka_ConfigResource_t* arr[] = {res.get()};
  rd_kafka_IncrementalAlterConfigs(rk, arr, 1, opts.get(), q.get());
  KB_ASSIGN_OR_RETURN(EventPtr ev,
                      internal::WaitResult(q.get(), timeout, topic, "alter topic configs", access));
  size_t n = 0;
  const rd_kafka_ConfigResource_t** resources = rd_kafka_IncrementalAlterConfigs_result_resources(
      rd_kafka_event_IncrementalAlterConfigs_result(ev.get()), &n);
  for (size_t i = 0; i < n; ++i) {
    const rd_kafka_ConfigResource_t* r = resources[i];
    if (topic != rd_kafka_ConfigResource_name(r)) continue;
    if (rd_kafka_resp_err_t err = rd_kafka_ConfigResource_error(r)) {
      return internal::WithDetail(FromKafkaError(err, topic, "alter topic configs", access), err,
                                  rd_kafka_ConfigResource_error_string(r));
    }
    return Status::OK();
  }
  return Status::Permanent(topic, "alter topic configs: the topic is missing from the answer");
}

}  // namespace kb::kafka
