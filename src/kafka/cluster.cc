// Admin: cluster metadata (topics with their ids, partition counts, replication factors) over
// the admin DescribeTopics request (topic names from one Metadata request), and partition offsets
// (watermarks, offsets for a timestamp) over rd_kafka_offsets_for_times, which batches one
// ListOffsets request per leader broker.
#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <optional>
#include <set>
#include <thread>

#include "common/error_map.h"
#include "kafka/admin.h"
#include "kafka/admin_internal.h"
#include "kafka/client.h"

namespace kb::kafka {
namespace {

using internal::MetadataPtr;
using internal::PartitionListPtr;

// ListOffsets "timestamps" with special meaning (KIP-79): the log start offset and the end offset.
constexpr int64_t kEarliest = RD_KAFKA_OFFSET_BEGINNING;  // -2
constexpr int64_t kLatest = RD_KAFKA_OFFSET_END;          // -1

struct TopicCollectionDel {
  void operator()(rd_kafka_TopicCollection_t* c) const { rd_kafka_TopicCollection_destroy(c); }
};

// Kafka's topic id in its usual base64 spelling, or "" for the all-zero (unknown) id.
std::string TopicIdString(const rd_kafka_Uuid_t* id) {
  if (id == nullptr) return "";
  if (rd_kafka_Uuid_most_significant_bits(id) == 0 &&
      rd_kafka_Uuid_least_significant_bits(id) == 0) {
    return "";
  }
  const char* text = rd_kafka_Uuid_base64str(id);
  return text != nullptr ? text : "";
}

TopicInfo ToTopicInfo(const rd_kafka_TopicDescription_t* d) {
  TopicInfo info{.name = rd_kafka_TopicDescription_name(d)};
  info.internal = rd_kafka_TopicDescription_is_internal(d) != 0;
  info.topic_id = TopicIdString(rd_kafka_TopicDescription_topic_id(d));
  size_t n = 0;
  const rd_kafka_TopicPartitionInfo_t** parts = rd_kafka_TopicDescription_partitions(d, &n);
  info.partitions = static_cast<int32_t>(n);
  const rd_kafka_TopicPartitionInfo_t* p0 = n > 0 ? parts[0] : nullptr;
  for (size_t i = 0; i < n; ++i) {
    if (rd_kafka_TopicPartitionInfo_partition(parts[i]) == 0) p0 = parts[i];
  }
  if (p0 != nullptr) {
    size_t replicas = 0;
    rd_kafka_TopicPartitionInfo_replicas(p0, &replicas);
    info.replication_factor = static_cast<int32_t>(replicas);
  }
  return info;
}

// One DescribeTopics request for `names` (not empty). A topic that does not exist is left out
// when `skip_missing` (it was deleted since its name was listed), else NotFound naming it; any
// other topic-level error fails the call naming the topic: a partial list would silently miss it.
Result<std::vector<TopicInfo>> DescribeTopics(rd_kafka_t* rk, const std::vector<std::string>& names,
                                              std::chrono::milliseconds timeout,
                                              bool skip_missing) {
  std::vector<const char*> raw;
  raw.reserve(names.size());
  for (const std::string& n : names) raw.push_back(n.c_str());
  const std::string subject = names.size() == 1 ? names[0] : "cluster";
  std::unique_ptr<rd_kafka_TopicCollection_t, TopicCollectionDel> collection(
      rd_kafka_TopicCollection_of_topic_names(raw.data(), raw.size()));
  KB_ASSIGN_OR_RETURN(
      auto opts, internal::MakeOptions(rk, RD_KAFKA_ADMIN_OP_DESCRIBETOPICS, timeout, subject));
  internal::QueuePtr q(rd_kafka_queue_new(rk));
  rd_kafka_DescribeTopics(rk, collection.get(), opts.get(), q.get());
  KB_ASSIGN_OR_RETURN(internal::EventPtr ev,
                      internal::WaitResult(q.get(), timeout, subject, "describe topics"));
  size_t n = 0;
  const rd_kafka_TopicDescription_t** descs =
      rd_kafka_DescribeTopics_result_topics(rd_kafka_event_DescribeTopics_result(ev.get()), &n);
  std::vector<TopicInfo> out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    const rd_kafka_error_t* error = rd_kafka_TopicDescription_error(descs[i]);
    const std::string name = rd_kafka_TopicDescription_name(descs[i]);
    if (error != nullptr && rd_kafka_error_code(error) == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
      if (skip_missing) continue;
      return Status::NotFound(name, "topic not in the cluster");
    }
    KB_RETURN_IF_ERROR(internal::FromErrorObject(error, name, "describe topic",
                                                 {.operation = "DESCRIBE", .topic = name}));
    out.push_back(ToTopicInfo(descs[i]));
  }
  return out;
}

// Fails with InvalidArgument on a bad or repeated partition.
Status CheckPartitionSet(const std::vector<TopicPartition>& partitions) {
  std::set<TopicPartition> seen;
  for (const TopicPartition& tp : partitions) {
    KB_RETURN_IF_ERROR(internal::CheckPartition(tp.topic, tp.partition));
    if (!seen.insert(tp).second) {
      return Status::InvalidArgument(ToString(tp), "partition listed twice");
    }
  }
  return Status::OK();
}

using Clock = std::chrono::steady_clock;

bool MeansLeaderMoved(rd_kafka_resp_err_t err) {
  return err == RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION ||
         err == RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE ||
         err == RD_KAFKA_RESP_ERR_FENCED_LEADER_EPOCH ||
         err == RD_KAFKA_RESP_ERR_UNKNOWN_LEADER_EPOCH;
}

// Asks the cluster for the current metadata of the topics of `partitions`, so that the next
// ListOffsets goes to their current leaders. librdkafka 2.8 answers a ListOffsets error of a moved
// leader by refreshing only the topics the handle "knows" (has topic objects for), which an admin
// handle that never produces does not: its cached leader stays wrong until metadata.max.age.ms
// (15 min) and every retry meets NOT_LEADER_FOR_PARTITION again (kafka/stale_route_test.cc).
// Best effort: a failure here shows up as the next attempt's error.
void RefreshLeaders(rd_kafka_t* rk, const std::vector<TopicPartition>& partitions,
                    Clock::time_point deadline) {
  std::set<std::string> topics;
  for (const TopicPartition& tp : partitions) topics.insert(tp.topic);
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  const int timeout_ms = static_cast<int>(std::clamp<int64_t>(left.count(), 1, 5000));
  rd_kafka_topic_t* rkt = nullptr;
  if (topics.size() == 1) rkt = rd_kafka_topic_new(rk, topics.begin()->c_str(), nullptr);
  const rd_kafka_metadata_t* md = nullptr;
  // One topic: a request for it alone; several: one request for all topics, which updates every
  // cached topic.
  if (rd_kafka_metadata(rk, rkt == nullptr ? 1 : 0, rkt, &md, timeout_ms) ==
      RD_KAFKA_RESP_ERR_NO_ERROR) {
    rd_kafka_metadata_destroy(md);
  }
  if (rkt != nullptr) rd_kafka_topic_destroy(rkt);
}

// ListOffsets for every partition with the same `timestamp` (may be kEarliest / kLatest), answered
// by `deadline`; returns the offsets, failing on the first partition-level error.
Result<std::map<TopicPartition, int64_t>> ListOffsets(rd_kafka_t* rk,
                                                      const std::vector<TopicPartition>& partitions,
                                                      int64_t timestamp,
                                                      Clock::time_point deadline) {
  std::map<TopicPartition, int64_t> out;
  if (partitions.empty()) return out;
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  PartitionListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(partitions.size())));
  for (const TopicPartition& tp : partitions) {
    rd_kafka_topic_partition_list_add(list.get(), tp.topic.c_str(), tp.partition)->offset =
        timestamp;
  }
  std::string subject = ToString(partitions[0]);
  if (partitions.size() > 1) subject += " and " + std::to_string(partitions.size() - 1) + " more";
  if (left.count() <= 0) return Status::Retryable(subject, "list offsets: timed out");
  rd_kafka_resp_err_t err =
      rd_kafka_offsets_for_times(rk, list.get(), static_cast<int>(left.count()));
  bool leader_moved = MeansLeaderMoved(err);
  for (int i = 0; i < list->cnt; ++i)
    leader_moved = leader_moved || MeansLeaderMoved(list->elems[i].err);
  if (leader_moved) RefreshLeaders(rk, partitions, deadline);
  // Prefer a partition's own error: it names the partition at fault.
  for (int i = 0; i < list->cnt; ++i) {
    const rd_kafka_topic_partition_t& e = list->elems[i];
    if (e.err) {
      return FromKafkaError(e.err, internal::PartitionSubject(e.topic, e.partition), "list offsets",
                            {.operation = "DESCRIBE", .topic = e.topic});
    }
  }
  if (err) return FromKafkaError(err, subject, "list offsets");
  for (int i = 0; i < list->cnt; ++i) {
    const rd_kafka_topic_partition_t& e = list->elems[i];
    out[TopicPartition{e.topic, e.partition}] = e.offset;
  }
  return out;
}

}  // namespace

std::string ToString(const TopicPartition& tp) {
  return internal::PartitionSubject(tp.topic, tp.partition);
}

Result<std::vector<TopicInfo>> Admin::ListTopics(std::chrono::milliseconds timeout) {
  KB_RETURN_IF_ERROR(internal::CheckTimeout(timeout, "cluster"));
  const auto wait_start = std::chrono::steady_clock::now();
  const auto deadline = Clock::now() + timeout;
  rd_kafka_t* rk = handle_->c_ptr();
  const rd_kafka_metadata_t* raw = nullptr;
  rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR__TIMED_OUT;
  // In slices, so that a connection failure no retry fixes ends the wait at once.
  for (;;) {
    if (std::optional<Status> failure = ConnectionFailure(wait_start)) return *failure;
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) break;
    err = rd_kafka_metadata(rk, 1, nullptr, &raw,
                            static_cast<int>(std::min<int64_t>(left.count(), 1000)));
    if (!err) break;
    if (err != RD_KAFKA_RESP_ERR__TIMED_OUT)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  MetadataPtr md(raw);
  if (err) return FromKafkaError(err, "cluster", "metadata");
  std::vector<std::string> names;
  names.reserve(static_cast<size_t>(md->topic_cnt));
  for (int i = 0; i < md->topic_cnt; ++i) names.emplace_back(md->topics[i].topic);
  if (names.empty()) return std::vector<TopicInfo>();
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  if (left.count() <= 0) return Status::Retryable("cluster", "describe topics: timed out");
  KB_ASSIGN_OR_RETURN(std::vector<TopicInfo> topics,
                      DescribeTopics(rk, names, left, /*skip_missing=*/true));
  std::sort(topics.begin(), topics.end(),
            [](const TopicInfo& a, const TopicInfo& b) { return a.name < b.name; });
  return topics;
}

Result<TopicInfo> Admin::DescribeTopic(const std::string& topic,
                                       std::chrono::milliseconds timeout) {
  KB_RETURN_IF_ERROR(internal::CheckTopic(topic));
  KB_RETURN_IF_ERROR(internal::CheckTimeout(timeout, topic));
  KB_ASSIGN_OR_RETURN(std::vector<TopicInfo> found,
                      DescribeTopics(handle_->c_ptr(), {topic}, timeout, /*skip_missing=*/false));
  for (TopicInfo& info : found) {
    if (info.name == topic) return std::move(info);
  }
  return Status::NotFound(topic, "topic not in the cluster");
}

Result<int> Admin::PartitionCount(const std::string& topic, std::chrono::milliseconds timeout) {
  KB_ASSIGN_OR_RETURN(TopicInfo info, DescribeTopic(topic, timeout));
  return info.partitions;
}

Result<Watermarks> Admin::QueryWatermarks(const std::string& topic, int32_t partition,
                                          std::chrono::milliseconds timeout) {
  KB_RETURN_IF_ERROR(internal::CheckPartition(topic, partition));
  KB_RETURN_IF_ERROR(internal::CheckTimeout(timeout, internal::PartitionSubject(topic, partition)));
  const TopicPartition tp{topic, partition};
  KB_ASSIGN_OR_RETURN(auto marks, QueryWatermarks(std::vector<TopicPartition>{tp}, timeout));
  return marks.at(tp);
}

Result<std::map<TopicPartition, Watermarks>> Admin::QueryWatermarks(
    const std::vector<TopicPartition>& partitions, std::chrono::milliseconds timeout) {
  KB_RETURN_IF_ERROR(CheckPartitionSet(partitions));
  KB_RETURN_IF_ERROR(internal::CheckTimeout(timeout, "watermarks"));
  std::map<TopicPartition, Watermarks> out;
  if (partitions.empty()) return out;
  rd_kafka_t* rk = handle_->c_ptr();
  // The low watermarks first: a record deleted between the two requests then cannot make low
  // exceed high.
  const auto deadline = Clock::now() + timeout;
  KB_ASSIGN_OR_RETURN(auto lows, ListOffsets(rk, partitions, kEarliest, deadline));
  KB_ASSIGN_OR_RETURN(auto highs, ListOffsets(rk, partitions, kLatest, deadline));
  for (const TopicPartition& tp : partitions) {
    out[tp] = Watermarks{.low = lows.at(tp), .high = highs.at(tp)};
  }
  return out;
}

Result<std::map<TopicPartition, int64_t>> Admin::OffsetsForTimes(
    const std::vector<TopicPartition>& partitions, int64_t timestamp_ms,
    std::chrono::milliseconds timeout) {
  KB_RETURN_IF_ERROR(CheckPartitionSet(partitions));
  if (timestamp_ms < 0) {
    return Status::InvalidArgument("timestamp", "offsets for times: timestamp must be >= 0, got " +
                                                    std::to_string(timestamp_ms));
  }
  KB_RETURN_IF_ERROR(internal::CheckTimeout(timeout, "offsets for times"));
  rd_kafka_t* rk = handle_->c_ptr();
  const auto deadline = Clock::now() + timeout;
  KB_ASSIGN_OR_RETURN(auto offsets, ListOffsets(rk, partitions, timestamp_ms, deadline));
  // The broker answers -1 where no record is that recent: there, a consumer starts at the end.
  std::vector<TopicPartition> none;
  for (const auto& [tp, offset] : offsets) {
    if (offset < 0) none.push_back(tp);
  }
  KB_ASSIGN_OR_RETURN(auto ends, ListOffsets(rk, none, kLatest, deadline));
  for (const auto& [tp, end] : ends) offsets[tp] = end;
  return offsets;
}

Result<std::string> Admin::ClusterId(std::chrono::milliseconds timeout) {
  KB_RETURN_IF_ERROR(internal::CheckTimeout(timeout, "cluster id"));
  // In slices, so that a connection failure no retry fixes (refused credentials) ends the wait.
  const auto wait_start = std::chrono::steady_clock::now();
  const auto deadline = Clock::now() + timeout;
  char* id = nullptr;
  while (id == nullptr) {
    if (std::optional<Status> failure = ConnectionFailure(wait_start)) return *failure;
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) break;
    id = rd_kafka_clusterid(handle_->c_ptr(),
                            static_cast<int>(std::min<int64_t>(left.count(), 250)));
  }
  if (id == nullptr) {
    return Status::Retryable("kafka", "cannot reach the Kafka cluster: no broker answered within " +
                                          std::to_string(timeout.count()) +
                                          " ms (asked for the cluster id)");
  }
  std::string out(id);
  rd_kafka_mem_free(handle_->c_ptr(), id);
  return out;
}

}  // namespace kb::kafka
