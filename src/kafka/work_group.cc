#include "kafka/work_group.h"

#include <librdkafka/rdkafka.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "common/error_map.h"

namespace kb::kafka {
namespace {

std::vector<TopicPartition> Ids(const std::vector<RdKafka::TopicPartition*>& parts) {
  std::vector<TopicPartition> ids;
  for (const RdKafka::TopicPartition* tp : parts) ids.push_back({tp->topic(), tp->partition()});
  return ids;
}

std::string Subject(const std::string& group) { return "group " + group; }

}  // namespace

class WorkGroup::Rebalancer : public RdKafka::RebalanceCb {
 public:
  explicit Rebalancer(WorkGroup* group) : group_(group) {}

  void rebalance_cb(RdKafka::KafkaConsumer* consumer, RdKafka::ErrorCode err,
                    std::vector<RdKafka::TopicPartition*>& parts) override {
    const std::vector<TopicPartition> ids = Ids(parts);
    if (err == RdKafka::ERR__ASSIGN_PARTITIONS) {
      std::unique_ptr<RdKafka::Error> e(consumer->incremental_assign(parts));
      if (e) return Fail("assigning partitions: " + e->str());
      // Assigned for the assignment only: nothing is fetched.
      const RdKafka::ErrorCode pe = consumer->pause(parts);
      if (pe != RdKafka::ERR_NO_ERROR) return Fail("pausing partitions: " + RdKafka::err2str(pe));
      for (const TopicPartition& id : ids) {
        group_->owned_.insert(id);
        group_->newly_assigned_.push_back(id);
      }
      return;
    }
    // Revoked, or lost: the owner stops working on them before the rebalance goes on.
    const bool lost = consumer->assignment_lost();
    std::vector<TopicPartition> owned;
    for (const TopicPartition& id : ids) {
      if (group_->owned_.erase(id) > 0) owned.push_back(id);
    }
    std::erase_if(group_->newly_assigned_, [&](const TopicPartition& id) {
      return std::find(ids.begin(), ids.end(), id) != ids.end();
    });
    if (!owned.empty() && group_->on_revoke_) group_->on_revoke_(owned, lost);
    std::unique_ptr<RdKafka::Error> e(consumer->incremental_unassign(parts));
    if (e) Fail("unassigning partitions: " + e->str());
  }

 private:
  void Fail(const std::string& why) {
    if (group_->failure_.ok()) {
      group_->failure_ = Status::Permanent(Subject(group_->options_.group_id), why);
    }
  }
  WorkGroup* group_;
};

WorkGroup::WorkGroup(Options options, RevokeFn on_revoke)
    : options_(std::move(options)),
      on_revoke_(std::move(on_revoke)),
      rebalancer_(std::make_unique<Rebalancer>(this)) {}

Result<std::unique_ptr<WorkGroup>> WorkGroup::Join(const Options& options, RevokeFn on_revoke) {
  if (options.group_id.empty()) return Status::InvalidArgument("group", "the group id is empty");
  if (options.topics.empty()) {
    return Status::InvalidArgument(Subject(options.group_id), "no topics to divide");
  }
  std::unique_ptr<WorkGroup> g(new WorkGroup(options, std::move(on_revoke)));
  KB_ASSIGN_OR_RETURN(
      auto conf,
      MakeConf(options.props,
               {{"group.id", options.group_id},
                {"partition.assignment.strategy", "cooperative-sticky"},
                {"session.timeout.ms", std::to_string(options.session_timeout.count())},
                // At most 1 s: a cooperative rebalance takes two rounds, each noticed at a
                // heartbeat, and a partition handed over waits for both.
                {"heartbeat.interval.ms", std::to_string(std::clamp<int64_t>(
                                              options.session_timeout.count() / 4, 100, 1000))},
                {"enable.auto.commit", "false"},
                {"enable.auto.offset.store", "false"},
                {"allow.auto.create.topics", "false"}}));
  std::string err;
  if (conf->set("rebalance_cb", g->rebalancer_.get(), err) != RdKafka::Conf::CONF_OK) {
    return Status::Permanent(Subject(options.group_id), err);
  }
  g->consumer_.reset(RdKafka::KafkaConsumer::create(conf.get(), err));
  if (!g->consumer_) {
    return Status::InvalidArgument(Subject(options.group_id), "cannot create consumer: " + err);
  }
  const RdKafka::ErrorCode ec = g->consumer_->subscribe(options.topics);
  if (ec != RdKafka::ERR_NO_ERROR) {
    return FromKafkaError(static_cast<rd_kafka_resp_err_t>(ec), Subject(options.group_id),
                          "joining the group", {.operation = "READ", .group = options.group_id});
  }
  return g;
}

WorkGroup::~WorkGroup() {
  Status s = Close();
  if (!s.ok()) spdlog::warn("leaving {}: {}", Subject(options_.group_id), s.ToString());
}

Result<std::vector<TopicPartition>> WorkGroup::Poll(std::chrono::milliseconds timeout) {
  if (closed_) return Status::FailedPrecondition(Subject(options_.group_id), "left the group");
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  do {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    std::unique_ptr<RdKafka::Message> msg(
        consumer_->consume(static_cast<int>(std::max<int64_t>(left.count(), 0))));
    if (!failure_.ok()) break;
    const auto code = static_cast<rd_kafka_resp_err_t>(msg->err());
    if (code == RD_KAFKA_RESP_ERR_NO_ERROR || code == RD_KAFKA_RESP_ERR__TIMED_OUT ||
        code == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      continue;
    }
    if (code == RD_KAFKA_RESP_ERR_INVALID_SESSION_TIMEOUT) {
      return Status::InvalidArgument(
          Subject(options_.group_id),
          "the cluster refuses a session timeout of " +
              std::to_string(options_.session_timeout.count()) +
              " ms: it must be within the brokers' group.min.session.timeout.ms (default 6 s) and "
              "group.max.session.timeout.ms (default 30 min)");
    }
    if (code == RD_KAFKA_RESP_ERR__FATAL || IsKafkaAuthorizationError(code)) {
      return FromKafkaError(code, Subject(options_.group_id), "serving the group",
                            {.operation = "READ", .group = options_.group_id});
    }
    // Transient (a coordinator moving, a broker restarting): librdkafka recovers by itself.
    spdlog::debug("{}: {}", Subject(options_.group_id), msg->errstr());
  } while (std::chrono::steady_clock::now() < deadline);
  if (!failure_.ok()) return failure_;
  std::vector<TopicPartition> assigned;
  assigned.swap(newly_assigned_);
  return assigned;
}

Status WorkGroup::Close() {
  if (closed_ || !consumer_) return Status::OK();
  closed_ = true;
  // close() revokes what is owned (through the callback) and leaves the group.
  const RdKafka::ErrorCode ec = consumer_->close();
  consumer_.reset();
  if (ec != RdKafka::ERR_NO_ERROR) {
    return FromKafkaError(static_cast<rd_kafka_resp_err_t>(ec), Subject(options_.group_id),
                          "leaving the group");
  }
  return failure_;
}

}  // namespace kb::kafka
