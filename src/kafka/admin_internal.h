// Private helpers shared by the Admin implementation files (admin.cc, cluster.cc, groups.cc):
// RAII owners for librdkafka's C Admin API objects, request options with the caller's timeout,
// waiting for a result event, argument checks, and the pure filter behind DescribeTopicConfigs.
// Not part of the module's interface: include only from src/kafka/*.cc and its tests.
//
// Ownership: every *Ptr owns its C object and destroys it with the matching librdkafka function.
// Thread-safety: free functions without shared state.
// Failure contract: helpers return a Status naming `subject`; they never throw.
#pragma once

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/error_map.h"
#include "common/status.h"

namespace kb::kafka::internal {

struct QueueDel {
  void operator()(rd_kafka_queue_t* q) const { rd_kafka_queue_destroy(q); }
};
struct EventDel {
  void operator()(rd_kafka_event_t* e) const { rd_kafka_event_destroy(e); }
};
struct OptionsDel {
  void operator()(rd_kafka_AdminOptions_t* o) const { rd_kafka_AdminOptions_destroy(o); }
};
struct PartitionListDel {
  void operator()(rd_kafka_topic_partition_list_t* l) const {
    rd_kafka_topic_partition_list_destroy(l);
  }
};
struct MetadataDel {
  void operator()(const rd_kafka_metadata_t* m) const { rd_kafka_metadata_destroy(m); }
};
struct TopicDel {
  void operator()(rd_kafka_topic_t* t) const { rd_kafka_topic_destroy(t); }
};
using QueuePtr = std::unique_ptr<rd_kafka_queue_t, QueueDel>;
using EventPtr = std::unique_ptr<rd_kafka_event_t, EventDel>;
using OptionsPtr = std::unique_ptr<rd_kafka_AdminOptions_t, OptionsDel>;
using PartitionListPtr = std::unique_ptr<rd_kafka_topic_partition_list_t, PartitionListDel>;
using MetadataPtr = std::unique_ptr<const rd_kafka_metadata_t, MetadataDel>;
using TopicPtr = std::unique_ptr<rd_kafka_topic_t, TopicDel>;

// Longest timeout librdkafka's AdminOptions accept (one hour).
inline constexpr std::chrono::milliseconds kMaxTimeout{3600 * 1000};

// InvalidArgument unless 0 < timeout <= kMaxTimeout.
Status CheckTimeout(std::chrono::milliseconds timeout, std::string_view subject);
// InvalidArgument unless `topic` is a possible Kafka topic name (non-empty, <= 249 chars).
Status CheckTopic(std::string_view topic);
// CheckTopic, and partition >= 0.
Status CheckPartition(std::string_view topic, int32_t partition);
// InvalidArgument when the group id is empty.
Status CheckGroup(std::string_view group);

// "topic/3": the subject of errors about one partition.
std::string PartitionSubject(std::string_view topic, int32_t partition);
// "group <id>": the subject of errors about a consumer group.
std::string GroupSubject(std::string_view group);

// Options for admin operation `op` whose request (and, where librdkafka supports it, broker-side
// operation) time out after `timeout`.
Result<OptionsPtr> MakeOptions(rd_kafka_t* rk, rd_kafka_admin_op_t op,
                               std::chrono::milliseconds timeout, std::string_view subject);

// Waits for the result event of one admin request on `q`; a request-level error becomes a Status.
// `access`: the ACL the request needs, named by an authorization error (see FromKafkaError).
// `event_err`, when given, receives that request-level error code (or NO_ERROR).
Result<EventPtr> WaitResult(rd_kafka_queue_t* q, std::chrono::milliseconds timeout,
                            std::string_view subject, std::string_view what,
                            const KafkaAccess& access = {},
                            rd_kafka_resp_err_t* event_err = nullptr);

// `s` with the broker's or librdkafka's `detail` text (may be null) in front, unless that is empty
// or only repeats the generic description of `err`.
Status WithDetail(const Status& s, rd_kafka_resp_err_t err, const char* detail);

// A librdkafka rd_kafka_error_t (may be null: OK) as a Status.
Status FromErrorObject(const rd_kafka_error_t* error, std::string_view subject,
                       std::string_view what, const KafkaAccess& access = {});

// What DescribeConfigs says about one config entry, as plain values (testable without a broker).
struct ConfigEntryView {
  std::string_view name;
  const char* value = nullptr;  // null when the broker withholds it
  rd_kafka_ConfigSource_t source = RD_KAFKA_CONFIG_SOURCE_UNKNOWN_CONFIG;
  bool is_default = false;
  bool is_sensitive = false;
};
// True for configs set on the topic itself (source DYNAMIC_TOPIC_CONFIG), not defaults, not
// sensitive, with a value: exactly what recreating the topic "as it was" needs.
bool IsRestorableTopicConfig(const ConfigEntryView& entry);

}  // namespace kb::kafka::internal
