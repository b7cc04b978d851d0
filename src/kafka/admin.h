// Cluster-facing operations of Kafka Backup: topics, metadata, watermarks, topic configs, records
// and consumer groups, over librdkafka's C Admin API and its metadata/ListOffsets calls (the C++
// header has no Admin API). The backup daemon, restore and the ops commands use it.
//
// Ownership: an Admin owns one producer handle that only carries admin and metadata requests; it
// never produces. Values returned are plain copies; nothing refers back into librdkafka memory.
// Thread-safety: every method may be called concurrently from several threads (each call uses its
// own result queue; librdkafka handles are thread-safe).
// Failure contract: every call blocks at most about `timeout` (0 < timeout <= 1 h, else
// InvalidArgument) and returns a Status naming the topic ("t"), partition ("t/3") or group
// ("group g") at fault, mapped by common/error_map: a missing topic is NotFound, an answer that did
// not come in time is Retryable, bad arguments are InvalidArgument before anything is sent.
//
// Decided here:
//   - Topics are described with the admin DescribeTopics request: TopicInfo carries Kafka's topic
//     id and its is_internal flag (only __consumer_offsets, __transaction_state and the like).
//   - Consumer groups are described with the classic DescribeGroups API (librdkafka 2.8 has no
//     ConsumerGroupDescribe): a group of the KIP-848 consumer protocol reads as Dead with no
//     members there, so its state is taken from ListGroups (see GroupDescription::members).
//   - ListConsumerGroupOffsets runs on a second handle, a consumer with a group.id that never
//     joins, subscribes or commits (created on first use): librdkafka 2.8 handles an OffsetFetch
//     answer NOT_COORDINATOR (the coordinator moved, e.g. in a rolling restart) by asking the
//     handle's own consumer group to look for its coordinator again, and crashes (NULL
//     dereference, SIGSEGV) on a handle that has none (confluentinc/librdkafka#5040, open).
//     Its group.id is the first group asked about, so it needs no ACL beyond what that call
//     needs (FindCoordinator: Describe on the group). After an answer NOT_COORDINATOR or
//     COORDINATOR_NOT_AVAILABLE that handle is replaced by a new one at the next call: librdkafka
//     2.8 keeps a group's coordinator in a cache that such answers do not clear and that expires
//     only after metadata.max.age.ms (15 min) without use, so a handle that asks again every few
//     seconds keeps asking the broker that no longer coordinates the group (seen after a rolling
//     restart: NOT_COORDINATOR for as long as the daemon ran).
//   - After a ListOffsets answer that the leader moved (NOT_LEADER_FOR_PARTITION and the like),
//     the topics' metadata is asked for before the call returns its Retryable error, so that the
//     caller's next attempt goes to the new leader: librdkafka 2.8 refreshes only topics the
//     handle has topic objects for, which this handle (it never produces) has not, so its cached
//     leader stayed wrong for up to metadata.max.age.ms (15 min) after a failover.
//   - End offsets (QueryWatermarks' high, OffsetsForTimes' fallback) are ListOffsets LATEST at the
//     handle's `isolation.level` (librdkafka's default read_committed): the last stable offset,
//     which equals the high watermark unless a transaction is open on the partition.
#pragma once

#include <chrono>
#include <compare>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "kafka/client.h"

namespace kb::kafka {

struct TopicSpec {
  std::string name;
  int partitions = 1;
  int replication_factor = -1;  // -1: the broker's default
  std::map<std::string, std::string> configs;
};

struct TopicPartition {
  std::string topic;
  int32_t partition = 0;
  friend auto operator<=>(const TopicPartition&, const TopicPartition&) = default;
};
// "topic/3".
std::string ToString(const TopicPartition& tp);

struct TopicInfo {
  std::string name;
  int32_t partitions = 0;
  int32_t replication_factor = 0;  // replica count of partition 0
  bool internal = false;           // Kafka's is_internal flag
  std::string topic_id;            // Kafka's topic id (base64), "" if the broker reports none
  friend bool operator==(const TopicInfo&, const TopicInfo&) = default;
};

// Topic-level config overrides: name -> value.
using TopicConfigs = std::map<std::string, std::string>;

struct Watermarks {
  int64_t low = 0;   // log start offset: the first offset still in the partition
  int64_t high = 0;  // end offset: the offset the next record will get (see isolation.level above)
  friend bool operator==(const Watermarks&, const Watermarks&) = default;
};

// Consumer group state as reported by the classic group APIs.
enum class GroupState {
  kUnknown,
  kPreparingRebalance,
  kCompletingRebalance,
  kStable,
  kDead,  // also what the broker reports for a group id it does not know
  kEmpty,
};
// "Stable", "Empty", ... (Kafka's own spelling).
const char* GroupStateName(GroupState state);

struct GroupListing {
  std::string group_id;
  GroupState state = GroupState::kUnknown;
  bool simple = false;  // no group protocol: only commits offsets (e.g. by assign())
};

struct GroupDescription {
  static constexpr int kMembersUnknown = -1;
  std::string group_id;
  GroupState state = GroupState::kUnknown;
  // Active members, or kMembersUnknown for a group of the KIP-848 consumer protocol (Kafka 4
  // clients with group.protocol=consumer): the classic DescribeGroups API that librdkafka 2.8
  // uses reports such a group as Dead with no members; its state then comes from ListGroups.
  int members = 0;
  std::string assignor;
  bool simple = false;
  // What restore checks before moving a group's offsets: false only when the group certainly has
  // no member (members == 0, or unknown members and state kEmpty or kDead).
  bool MayHaveActiveMembers() const {
    if (members != kMembersUnknown) return members > 0;
    return state != GroupState::kEmpty && state != GroupState::kDead;
  }
};

// Committed offsets of one consumer group.
using GroupOffsets = std::map<TopicPartition, int64_t>;

class Admin {
 public:
  // Creates the handle from the user's `kafka:` properties, with allow.auto.create.topics=false so
  // that no metadata or offset query can create a topic. Does not contact the cluster.
  static Result<std::unique_ptr<Admin>> Make(const Properties& props);

  // ---- topics
  // Creates the topic and returns once the cluster's metadata shows it and every partition's
  // leader answers ListOffsets for it (Kafka creates topics asynchronously: right after
  // CreateTopics a broker may not know the topic yet, or not yet lead a partition that metadata
  // says it leads), so that the metadata, offset and produce calls that follow work at once. An
  // existing topic is AlreadyExists.
  Status CreateTopic(const TopicSpec& spec, std::chrono::milliseconds timeout);
  // Several topics with one CreateTopics request, each then waited for as CreateTopic does (in
  // `timeout` overall). One Status per spec, in order: AlreadyExists for an existing topic, the
  // request's error for each when the request itself failed.
  std::vector<Status> CreateTopics(const std::vector<TopicSpec>& specs,
                                   std::chrono::milliseconds timeout);
  Status DeleteTopic(const std::string& topic, std::chrono::milliseconds timeout);
  // Grows `topic` to `new_total` partitions and, like CreateTopic, waits until they are ready;
  // not more than it has is InvalidArgument (from the broker: INVALID_PARTITIONS).
  Status CreatePartitions(const std::string& topic, int32_t new_total,
                          std::chrono::milliseconds timeout);
  // Deletes the records of topic/partition below `before_offset` (raising the log start offset,
  // as retention does). Returns the new low watermark. `before_offset` beyond the high watermark
  // is an error from the broker (OFFSET_OUT_OF_RANGE).
  Result<int64_t> DeleteRecords(const std::string& topic, int32_t partition, int64_t before_offset,
                                std::chrono::milliseconds timeout);
  // The configs set on `topic` itself (source DYNAMIC_TOPIC_CONFIG), without defaults, broker-level
  // settings or sensitive values: what restore passes to CreateTopic to recreate the topic.
  // NotFound when the topic does not exist.
  // With ConfigScope::kEffective: every non-sensitive config of the topic with the value in force,
  // whatever its source (topic override, broker setting or default), e.g. to tell whether
  // cleanup.policy includes compact.
  enum class ConfigScope { kOverrides, kEffective };
  Result<TopicConfigs> DescribeTopicConfigs(const std::string& topic,
                                            std::chrono::milliseconds timeout,
                                            ConfigScope scope = ConfigScope::kOverrides);
  // Sets each of `configs` on `topic` (IncrementalAlterConfigs, operation SET): the topic's other
  // configs are left as they are. Needs the ALTER_CONFIGS ACL on the topic (an authorization error
  // names it). NotFound when the topic does not exist; a config name or value the broker refuses
  // is InvalidArgument with the broker's reason. An empty map is a no-op.
  Status AlterTopicConfigs(const std::string& topic, const TopicConfigs& configs,
                           std::chrono::milliseconds timeout);

  // ---- metadata
  // Every topic of the cluster (internal ones included, see TopicInfo::internal), by name: one
  // Metadata request for the names, one DescribeTopics request for the rest. A topic deleted in
  // between is left out; any other topic-level error fails the call, naming the topic: a partial
  // list would silently miss a topic.
  Result<std::vector<TopicInfo>> ListTopics(std::chrono::milliseconds timeout);
  // One topic; NotFound when it does not exist.
  Result<TopicInfo> DescribeTopic(const std::string& topic, std::chrono::milliseconds timeout);
  // Partition count of `topic`, or NotFound.
  Result<int> PartitionCount(const std::string& topic, std::chrono::milliseconds timeout);
  // The cluster's id (Kafka's base64url cluster id, as in the Metadata response); Retryable when no
  // broker answered in time.
  Result<std::string> ClusterId(std::chrono::milliseconds timeout);

  // ---- offsets
  // Low and high watermark of one partition (two ListOffsets requests to its leader), as below.
  Result<Watermarks> QueryWatermarks(const std::string& topic, int32_t partition,
                                     std::chrono::milliseconds timeout);
  // Watermarks of many partitions with two ListOffsets requests per leader broker in total.
  // Duplicates are InvalidArgument; any partition's error fails the call naming it.
  Result<std::map<TopicPartition, Watermarks>> QueryWatermarks(
      const std::vector<TopicPartition>& partitions, std::chrono::milliseconds timeout);
  // Per partition, the offset of the first record whose timestamp is >= `timestamp_ms`, or the end
  // offset when there is none (where a consumer seeking to that time would start).
  // `timestamp_ms` must be >= 0.
  Result<std::map<TopicPartition, int64_t>> OffsetsForTimes(
      const std::vector<TopicPartition>& partitions, int64_t timestamp_ms,
      std::chrono::milliseconds timeout);

  // ---- consumer groups
  // Every consumer group the brokers know, in no particular order.
  Result<std::vector<GroupListing>> ListConsumerGroups(std::chrono::milliseconds timeout);
  // One description per id, in the order given. An id the broker does not know is described as
  // kDead with no members (that is the broker's answer), not as an error. Groups DescribeGroups
  // calls Dead are looked up with ListGroups too (one extra request), to tell KIP-848 groups apart
  // (see GroupDescription::members). `acl_operation`: the ACL a refused request names — the
  // request needs DESCRIBE, but a caller that goes on to commit the group's offsets passes "READ"
  // (which implies DESCRIBE), so that the one ACL it needs is named.
  Result<std::vector<GroupDescription>> DescribeConsumerGroups(
      const std::vector<std::string>& groups, std::chrono::milliseconds timeout,
      std::string_view acl_operation = "DESCRIBE");
  Result<GroupDescription> DescribeConsumerGroup(const std::string& group,
                                                 std::chrono::milliseconds timeout);
  // The committed offsets of `group`, on every partition it committed on; partitions without a
  // commit are left out. An unknown group yields an empty map.
  Result<GroupOffsets> ListConsumerGroupOffsets(const std::string& group,
                                                std::chrono::milliseconds timeout);
  // Sets the committed offsets of `group` (offsets >= 0). Allowed by the broker only while the
  // group has no active member: otherwise FailedPrecondition naming the group. An empty map is a
  // no-op.
  Status AlterConsumerGroupOffsets(const std::string& group, const GroupOffsets& offsets,
                                   std::chrono::milliseconds timeout);

  RdKafka::Producer* handle() { return handle_.get(); }

 private:
  Admin(std::unique_ptr<RdKafka::Producer> h, Properties props)
      : handle_(std::move(h)), props_(std::move(props)) {}
  // The handle for ListConsumerGroupOffsets (see "Decided here"), made on first use (and after
  // ForgetOffsetFetchHandle) with group.id `group`; its queued events (errors nobody reads) are
  // dropped on each use. Shared: a call in flight keeps the handle it started with.
  Result<std::shared_ptr<RdKafka::KafkaConsumer>> OffsetFetchHandle(const std::string& group);
  // Drops `handle` if it is still the current one, so that the next call starts with an empty
  // coordinator cache.
  void ForgetOffsetFetchHandle(const RdKafka::KafkaConsumer* handle);
  // Replaces the Dead state DescribeGroups gives KIP-848 groups by their ListGroups state.
  Status ReviseDeadGroups(std::map<std::string, GroupDescription>& by_id,
                          std::chrono::steady_clock::time_point deadline);
  // Polls metadata until `topic` has at least `partitions` partitions (any, if <= 0) or `deadline`
  // passed (then Retryable).
  Status AwaitTopicMetadata(const std::string& topic, int32_t partitions,
                            std::chrono::steady_clock::time_point deadline);
  std::unique_ptr<RdKafka::Producer> handle_;
  const Properties props_;
  std::mutex offset_fetch_mu_;
  std::shared_ptr<RdKafka::KafkaConsumer> offset_fetch_handle_;  // guarded by offset_fetch_mu_
};

}  // namespace kb::kafka
