// Admin: cluster metadata (topics, partition counts, replication factors) and partition offsets
// (watermarks, offsets for a timestamp), over rd_kafka_metadata, rd_kafka_query_watermark_offsets
// and rd_kafka_offsets_for_times (librdkafka 2.0.2 has no admin ListOffsets / DescribeTopics).
#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <set>

#include "common/error_map.h"
#include "kafka/admin.h"
#include "kafka/admin_internal.h"

namespace kb::kafka {
namespace {

using internal::MetadataPtr;
using internal::PartitionListPtr;

// ListOffsets "timestamps" with special meaning (KIP-79): the log start offset and the end offset.
constexpr int64_t kEarliest = RD_KAFKA_OFFSET_BEGINNING;  // -2
constexpr int64_t kLatest = RD_KAFKA_OFFSET_END;          // -1

Result<TopicInfo> ToTopicInfo(const rd_kafka_metadata_topic_t& t) {
  std::string name = t.topic;
  if (t.err) return FromKafkaError(t.err, name, "metadata");
  TopicInfo info{.name = name, .partitions = t.partition_cnt};
  info.internal = name.starts_with("__");
  const rd_kafka_metadata_partition_t* p0 = nullptr;
  for (int i = 0; i < t.partition_cnt; ++i) {
    if (t.partitions[i].id == 0) p0 = &t.partitions[i];
  }
  if (p0 == nullptr && t.partition_cnt > 0) p0 = &t.partitions[0];
  if (p0 != nullptr) info.replication_factor = p0->replica_cnt;
  return info;
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
  // Prefer a partition's own error: it names the partition at fault.
  for (int i = 0; i < list->cnt; ++i) {
    const rd_kafka_topic_partition_t& e = list->elems[i];
    if (e.err) {
      return FromKafkaError(e.err, internal::PartitionSubject(e.topic, e.partition),
                            "list offsets");
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
  const rd_kafka_metadata_t* raw = nullptr;
  rd_kafka_resp_err_t err =
      rd_kafka_metadata(handle_->c_ptr(), 1, nullptr, &raw, static_cast<int>(timeout.count()));
  MetadataPtr md(raw);
  if (err) return FromKafkaError(err, "cluster", "metadata");
  std::vector<TopicInfo> topics;
  topics.reserve(static_cast<size_t>(md->topic_cnt));
  for (int i = 0; i < md->topic_cnt; ++i) {
    KB_ASSIGN_OR_RETURN(TopicInfo info, ToTopicInfo(md->topics[i]));
    topics.push_back(std::move(info));
  }
  std::sort(topics.begin(), topics.end(),
            [](const TopicInfo& a, const TopicInfo& b) { return a.name < b.name; });
  return topics;
}

Result<TopicInfo> Admin::DescribeTopic(const std::string& topic,
                                       std::chrono::milliseconds timeout) {
  KB_RETURN_IF_ERROR(internal::CheckTopic(topic));
  KB_RETURN_IF_ERROR(internal::CheckTimeout(timeout, topic));
  rd_kafka_t* rk = handle_->c_ptr();
  internal::TopicPtr rkt(rd_kafka_topic_new(rk, topic.c_str(), nullptr));
  if (!rkt) return FromKafkaError(rd_kafka_last_error(), topic, "metadata");
  const rd_kafka_metadata_t* raw = nullptr;
  rd_kafka_resp_err_t err =
      rd_kafka_metadata(rk, 0, rkt.get(), &raw, static_cast<int>(timeout.count()));
  MetadataPtr md(raw);
  if (err) return FromKafkaError(err, topic, "metadata");
  for (int i = 0; i < md->topic_cnt; ++i) {
    if (topic == md->topics[i].topic) return ToTopicInfo(md->topics[i]);
  }
  return Status::NotFound(topic, "topic not in cluster metadata");
}

Result<int> Admin::PartitionCount(const std::string& topic, std::chrono::milliseconds timeout) {
  KB_ASSIGN_OR_RETURN(TopicInfo info, DescribeTopic(topic, timeout));
  return info.partitions;
}

Result<Watermarks> Admin::QueryWatermarks(const std::string& topic, int32_t partition,
                                          std::chrono::milliseconds timeout) {
  KB_RETURN_IF_ERROR(internal::CheckPartition(topic, partition));
  const std::string subject = internal::PartitionSubject(topic, partition);
  KB_RETURN_IF_ERROR(internal::CheckTimeout(timeout, subject));
  Watermarks w;
  rd_kafka_resp_err_t err =
      rd_kafka_query_watermark_offsets(handle_->c_ptr(), topic.c_str(), partition, &w.low, &w.high,
                                       static_cast<int>(timeout.count()));
  if (err) return FromKafkaError(err, subject, "query watermarks");
  return w;
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
  char* id = rd_kafka_clusterid(handle_->c_ptr(), static_cast<int>(timeout.count()));
  if (id == nullptr) {
    return Status::Retryable("kafka", "no broker reported the cluster id within " +
                                          std::to_string(timeout.count()) + " ms");
  }
  std::string out(id);
  rd_kafka_mem_free(handle_->c_ptr(), id);
  return out;
}

}  // namespace kb::kafka
