// Admin: consumer groups (list, describe, committed offsets, altering committed offsets) over
// librdkafka's C Admin API, which takes one group per ListConsumerGroupOffsets /
// AlterConsumerGroupOffsets call.
#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <set>

#include "common/error_map.h"
#include "kafka/admin.h"
#include "kafka/admin_internal.h"

namespace kb::kafka {
namespace {

using internal::EventPtr;
using internal::QueuePtr;

struct ListOffsetsDel {
  void operator()(rd_kafka_ListConsumerGroupOffsets_t* l) const {
    rd_kafka_ListConsumerGroupOffsets_destroy(l);
  }
};
struct AlterOffsetsDel {
  void operator()(rd_kafka_AlterConsumerGroupOffsets_t* a) const {
    rd_kafka_AlterConsumerGroupOffsets_destroy(a);
  }
};

GroupState ToGroupState(rd_kafka_consumer_group_state_t s) {
  switch (s) {
    case RD_KAFKA_CONSUMER_GROUP_STATE_PREPARING_REBALANCE:
      return GroupState::kPreparingRebalance;
    case RD_KAFKA_CONSUMER_GROUP_STATE_COMPLETING_REBALANCE:
      return GroupState::kCompletingRebalance;
    case RD_KAFKA_CONSUMER_GROUP_STATE_STABLE:
      return GroupState::kStable;
    case RD_KAFKA_CONSUMER_GROUP_STATE_DEAD:
      return GroupState::kDead;
    case RD_KAFKA_CONSUMER_GROUP_STATE_EMPTY:
      return GroupState::kEmpty;
    default:
      return GroupState::kUnknown;
  }
}

// The broker refuses offset commits from outside the group while it has members: the admin commit
// (no member id, generation -1) gets UNKNOWN_MEMBER_ID, or REBALANCE_IN_PROGRESS /
// ILLEGAL_GENERATION mid-rebalance. Here all of them mean "stop the group's consumers first".
bool MeansActiveMembers(rd_kafka_resp_err_t err) {
  return err == RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID ||
         err == RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS ||
         err == RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION;
}

// Answers after which a handle's cached coordinator of the group is known to be wrong.
bool MeansCoordinatorMoved(rd_kafka_resp_err_t err) {
  return err == RD_KAFKA_RESP_ERR_NOT_COORDINATOR ||
         err == RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE;
}

// `topic`: the partition's topic, or (an error of the whole request) one of the group's topics.
Status AlterError(rd_kafka_resp_err_t err, const std::string& subject, const char* detail,
                  const std::string& group, const std::string& topic) {
  // An offset commit needs READ on the group and on each topic.
  Status s = FromKafkaError(err, subject, "alter consumer group offsets",
                            {.operation = "READ", .topic = topic, .group = group});
  if (MeansActiveMembers(err)) {
    s = Status::FailedPrecondition(
        subject, s.message() + ": the group has active members; stop its consumers first");
  }
  return internal::WithDetail(s, err, detail);
}

}  // namespace

const char* GroupStateName(GroupState state) {
  switch (state) {
    case GroupState::kPreparingRebalance:
      return "PreparingRebalance";
    case GroupState::kCompletingRebalance:
      return "CompletingRebalance";
    case GroupState::kStable:
      return "Stable";
    case GroupState::kDead:
      return "Dead";
    case GroupState::kEmpty:
      return "Empty";
    case GroupState::kUnknown:
      break;
  }
  return "Unknown";
}

Result<std::vector<GroupListing>> Admin::ListConsumerGroups(std::chrono::milliseconds timeout) {
  const std::string subject = "consumer groups";
  rd_kafka_t* rk = handle_->c_ptr();
  KB_ASSIGN_OR_RETURN(
      auto opts, internal::MakeOptions(rk, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPS, timeout, subject));
  QueuePtr q(rd_kafka_queue_new(rk));
  rd_kafka_ListConsumerGroups(rk, opts.get(), q.get());
  KB_ASSIGN_OR_RETURN(EventPtr ev,
                      internal::WaitResult(q.get(), timeout, subject, "list consumer groups"));
  const rd_kafka_ListConsumerGroups_result_t* res =
      rd_kafka_event_ListConsumerGroups_result(ev.get());
  // Errors are per broker; a partial list would silently miss groups.
  size_t n_errors = 0;
  const rd_kafka_error_t** errors = rd_kafka_ListConsumerGroups_result_errors(res, &n_errors);
  for (size_t i = 0; i < n_errors; ++i) {
    KB_RETURN_IF_ERROR(internal::FromErrorObject(errors[i], subject, "list consumer groups"));
  }
  size_t n = 0;
  const rd_kafka_ConsumerGroupListing_t** valid = rd_kafka_ListConsumerGroups_result_valid(res, &n);
  std::vector<GroupListing> groups;
  groups.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    groups.push_back(GroupListing{
        .group_id = rd_kafka_ConsumerGroupListing_group_id(valid[i]),
        .state = ToGroupState(rd_kafka_ConsumerGroupListing_state(valid[i])),
        .simple = rd_kafka_ConsumerGroupListing_is_simple_consumer_group(valid[i]) != 0,
    });
  }
  return groups;
}

Result<std::vector<GroupDescription>> Admin::DescribeConsumerGroups(
    const std::vector<std::string>& groups, std::chrono::milliseconds timeout,
    std::string_view acl_operation) {
  std::set<std::string> unique;
  for (const std::string& g : groups) {
    KB_RETURN_IF_ERROR(internal::CheckGroup(g));
    if (!unique.insert(g).second) {
      return Status::InvalidArgument(internal::GroupSubject(g), "group listed twice");
    }
  }
  const std::string subject =
      groups.size() == 1 ? internal::GroupSubject(groups[0]) : std::string("consumer groups");
  KB_RETURN_IF_ERROR(internal::CheckTimeout(timeout, subject));
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::vector<GroupDescription> out;
  if (groups.empty()) return out;
  rd_kafka_t* rk = handle_->c_ptr();
  KB_ASSIGN_OR_RETURN(auto opts, internal::MakeOptions(rk, RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS,
                                                       timeout, subject));
  std::vector<const char*> ids;
  ids.reserve(groups.size());
  for (const std::string& g : groups) ids.push_back(g.c_str());
  QueuePtr q(rd_kafka_queue_new(rk));
  rd_kafka_DescribeConsumerGroups(rk, ids.data(), ids.size(), opts.get(), q.get());
  KB_ASSIGN_OR_RETURN(EventPtr ev,
                      internal::WaitResult(q.get(), timeout, subject, "describe consumer groups"));
  size_t n = 0;
  const rd_kafka_ConsumerGroupDescription_t** descs = rd_kafka_DescribeConsumerGroups_result_groups(
      rd_kafka_event_DescribeConsumerGroups_result(ev.get()), &n);
  std::map<std::string, GroupDescription> by_id;
  for (size_t i = 0; i < n; ++i) {
    const rd_kafka_ConsumerGroupDescription_t* d = descs[i];
    std::string id = rd_kafka_ConsumerGroupDescription_group_id(d);
    KB_RETURN_IF_ERROR(internal::FromErrorObject(
        rd_kafka_ConsumerGroupDescription_error(d), internal::GroupSubject(id),
        "describe consumer group", {.operation = acl_operation, .group = id}));
    const char* assignor = rd_kafka_ConsumerGroupDescription_partition_assignor(d);
    by_id[id] = GroupDescription{
        .group_id = id,
        .state = ToGroupState(rd_kafka_ConsumerGroupDescription_state(d)),
        .members = static_cast<int>(rd_kafka_ConsumerGroupDescription_member_count(d)),
        .assignor = assignor ? assignor : "",
        .simple = rd_kafka_ConsumerGroupDescription_is_simple_consumer_group(d) != 0,
    };
  }
  KB_RETURN_IF_ERROR(ReviseDeadGroups(by_id, deadline));
  for (const std::string& g : groups) {
    auto it = by_id.find(g);
    if (it == by_id.end()) {
      return Status::Permanent(internal::GroupSubject(g),
                               "describe consumer groups: the group is missing from the answer");
    }
    out.push_back(std::move(it->second));
  }
  return out;
}

Status Admin::ReviseDeadGroups(std::map<std::string, GroupDescription>& by_id,
                               std::chrono::steady_clock::time_point deadline) {
  bool any_dead = false;
  for (const auto& [id, d] : by_id) any_dead = any_dead || d.state == GroupState::kDead;
  if (!any_dead) return Status::OK();
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  KB_ASSIGN_OR_RETURN(auto listed,
                      ListConsumerGroups(std::max(left, std::chrono::milliseconds(1000))));
  for (const GroupListing& l : listed) {
    auto it = by_id.find(l.group_id);
    if (it == by_id.end() || it->second.state != GroupState::kDead) continue;
    if (l.state == GroupState::kDead) continue;
    // Known to the cluster, yet "Dead" to DescribeGroups: a KIP-848 consumer group.
    it->second.state = l.state;
    it->second.members = GroupDescription::kMembersUnknown;
  }
  return Status::OK();
}

Result<GroupDescription> Admin::DescribeConsumerGroup(const std::string& group,
                                                      std::chrono::milliseconds timeout) {
  KB_RETURN_IF_ERROR(internal::CheckGroup(group));
  KB_ASSIGN_OR_RETURN(auto descs, DescribeConsumerGroups({group}, timeout));
  return std::move(descs.front());
}

Result<GroupOffsets> Admin::ListConsumerGroupOffsets(const std::string& group,
                                                     std::chrono::milliseconds timeout) {
  KB_RETURN_IF_ERROR(internal::CheckGroup(group));
  const std::string subject = internal::GroupSubject(group);
  KB_ASSIGN_OR_RETURN(std::shared_ptr<RdKafka::KafkaConsumer> handle, OffsetFetchHandle(group));
  rd_kafka_t* rk = handle->c_ptr();
  KB_ASSIGN_OR_RETURN(
      auto opts,
      internal::MakeOptions(rk, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS, timeout, subject));
  // No partition list: every partition the group committed on.
  std::unique_ptr<rd_kafka_ListConsumerGroupOffsets_t, ListOffsetsDel> req(
      rd_kafka_ListConsumerGroupOffsets_new(group.c_str(), nullptr));
  QueuePtr q(rd_kafka_queue_new(rk));
  rd_kafka_ListConsumerGroupOffsets_t* arr[] = {req.get()};
  rd_kafka_ListConsumerGroupOffsets(rk, arr, 1, opts.get(), q.get());
  rd_kafka_resp_err_t event_err = RD_KAFKA_RESP_ERR_NO_ERROR;
  Result<EventPtr> ev = internal::WaitResult(q.get(), timeout, subject,
                                             "list consumer group offsets", {}, &event_err);
  if (MeansCoordinatorMoved(event_err)) ForgetOffsetFetchHandle(handle.get());
  if (!ev.ok()) return ev.status();
  size_t n = 0;
  const rd_kafka_group_result_t** results = rd_kafka_ListConsumerGroupOffsets_result_groups(
      rd_kafka_event_ListConsumerGroupOffsets_result(ev->get()), &n);
  GroupOffsets offsets;
  for (size_t i = 0; i < n; ++i) {
    if (group != rd_kafka_group_result_name(results[i])) continue;
    const rd_kafka_error_t* error = rd_kafka_group_result_error(results[i]);
    if (error != nullptr && MeansCoordinatorMoved(rd_kafka_error_code(error))) {
      ForgetOffsetFetchHandle(handle.get());
    }
    KB_RETURN_IF_ERROR(internal::FromErrorObject(error, subject, "list consumer group offsets",
                                                 {.operation = "DESCRIBE", .group = group}));
    const rd_kafka_topic_partition_list_t* parts = rd_kafka_group_result_partitions(results[i]);
    for (int j = 0; parts != nullptr && j < parts->cnt; ++j) {
      const rd_kafka_topic_partition_t& p = parts->elems[j];
      if (p.err) {
        if (MeansCoordinatorMoved(p.err)) ForgetOffsetFetchHandle(handle.get());
        return FromKafkaError(p.err,
                              subject + ", " + internal::PartitionSubject(p.topic, p.partition),
                              "list consumer group offsets",
                              {.operation = "DESCRIBE", .topic = p.topic, .group = group});
      }
      if (p.offset >= 0) offsets[TopicPartition{p.topic, p.partition}] = p.offset;
    }
  }
  return offsets;
}

Result<std::shared_ptr<RdKafka::KafkaConsumer>> Admin::OffsetFetchHandle(const std::string& group) {
  std::lock_guard lock(offset_fetch_mu_);
  if (!offset_fetch_handle_) {
    KB_ASSIGN_OR_RETURN(ConsumerPtr made,
                        MakeConsumer(props_, {{"group.id", group},
                                              {"enable.auto.commit", "false"},
                                              {"allow.auto.create.topics", "false"}}));
    offset_fetch_handle_ =
        std::shared_ptr<RdKafka::KafkaConsumer>(made.release(), ConsumerCloser());
  }
  rd_kafka_t* rk = offset_fetch_handle_->c_ptr();
  // Never subscribed: what it queues are its group's errors (e.g. no coordinator yet).
  while (rd_kafka_message_t* m = rd_kafka_consumer_poll(rk, 0)) rd_kafka_message_destroy(m);
  return offset_fetch_handle_;
}

void Admin::ForgetOffsetFetchHandle(const RdKafka::KafkaConsumer* handle) {
  std::shared_ptr<RdKafka::KafkaConsumer> dropped;  // closed outside the lock
  std::lock_guard lock(offset_fetch_mu_);
  if (offset_fetch_handle_.get() == handle) dropped = std::move(offset_fetch_handle_);
}

Status Admin::AlterConsumerGroupOffsets(const std::string& group, const GroupOffsets& offsets,
                                        std::chrono::milliseconds timeout) {
  KB_RETURN_IF_ERROR(internal::CheckGroup(group));
  const std::string subject = internal::GroupSubject(group);
  for (const auto& [tp, offset] : offsets) {
    KB_RETURN_IF_ERROR(internal::CheckPartition(tp.topic, tp.partition));
    if (offset < 0) {
      return Status::InvalidArgument(
          subject + ", " + ToString(tp),
          "committed offset must be >= 0, got " + std::to_string(offset));
    }
  }
  KB_RETURN_IF_ERROR(internal::CheckTimeout(timeout, subject));
  const std::string first_topic = offsets.empty() ? std::string() : offsets.begin()->first.topic;
  if (offsets.empty()) return Status::OK();
  rd_kafka_t* rk = handle_->c_ptr();
  KB_ASSIGN_OR_RETURN(
      auto opts,
      internal::MakeOptions(rk, RD_KAFKA_ADMIN_OP_ALTERCONSUMERGROUPOFFSETS, timeout, subject));
  internal::PartitionListPtr list(
      rd_kafka_topic_partition_list_new(static_cast<int>(offsets.size())));
  for (const auto& [tp, offset] : offsets) {
    rd_kafka_topic_partition_list_add(list.get(), tp.topic.c_str(), tp.partition)->offset = offset;
  }
  std::unique_ptr<rd_kafka_AlterConsumerGroupOffsets_t, AlterOffsetsDel> req(
      rd_kafka_AlterConsumerGroupOffsets_new(group.c_str(), list.get()));
  QueuePtr q(rd_kafka_queue_new(rk));
  rd_kafka_AlterConsumerGroupOffsets_t* arr[] = {req.get()};
  rd_kafka_AlterConsumerGroupOffsets(rk, arr, 1, opts.get(), q.get());
  EventPtr ev(rd_kafka_queue_poll(q.get(), static_cast<int>(timeout.count()) + 5000));
  if (!ev) return Status::Retryable(subject, "alter consumer group offsets: no answer");
  if (rd_kafka_resp_err_t err = rd_kafka_event_error(ev.get())) {
    return AlterError(err, subject, rd_kafka_event_error_string(ev.get()), group, first_topic);
  }
  size_t n = 0;
  const rd_kafka_group_result_t** results = rd_kafka_AlterConsumerGroupOffsets_result_groups(
      rd_kafka_event_AlterConsumerGroupOffsets_result(ev.get()), &n);
  for (size_t i = 0; i < n; ++i) {
    if (const rd_kafka_error_t* e = rd_kafka_group_result_error(results[i])) {
      if (rd_kafka_error_code(e)) {
        return AlterError(rd_kafka_error_code(e), subject, rd_kafka_error_string(e), group,
                          first_topic);
      }
    }
    const rd_kafka_topic_partition_list_t* parts = rd_kafka_group_result_partitions(results[i]);
    for (int j = 0; parts != nullptr && j < parts->cnt; ++j) {
      const rd_kafka_topic_partition_t& p = parts->elems[j];
      if (p.err) {
        return AlterError(p.err, subject + ", " + internal::PartitionSubject(p.topic, p.partition),
                          nullptr, group, p.topic);
      }
    }
  }
  return Status::OK();
}

}  // namespace kb::kafka
