// Keys: the one place that names every object Kafka Backup writes (cf. Redpanda's
// cloud_storage remote paths). Nothing else in the code base builds or parses a key.
//
//   <prefix>/<topic>/topic.json                                   topic metadata
//   (layout/metadata.h) <prefix>/<topic>/<partition>/<start offset>-<end offset>      a segment
//   (docs/format.md) <prefix>/<topic>/<partition>/offset/consumers_offset          latest group
//   offsets (JSON map)
//
// Segment and gap ranges of one partition tile its offsets: each starts where the previous one
// ended (+1), so continuity can be checked from a listing alone (layout/tiling.h).
// Offsets in segment keys are zero-padded to 20 digits so that lexicographic listing order is
// offset order; both bounds are inclusive (the first and last offset the segment holds).
// The prefix is optional ("" puts topics at the top of the store); leading and trailing '/' are
// ignored. Topic names must be legal Kafka names ([a-zA-Z0-9._-], 1..249 chars), which is also what
// keeps every key free of characters a store could misread.
//
// Cluster ids in restore keys are Kafka's (base64url: [A-Za-z0-9_-]); ValidateClusterId checks it.
//
//   <prefix>/<topic>/retention.json                               retention state
//   <prefix>/@generations/<n>/<topic>/...                          archived topic generations
//   <prefix>/@cluster/security.json, .../@cluster/history/<ms>     ACLs and SCRAM users
//
// Thread-safety: immutable after construction.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace kb::layout {

struct SegmentKey {
  std::string topic;
  int32_t partition = 0;
  int64_t start_offset = 0;
  int64_t end_offset = 0;  // inclusive
  friend bool operator==(const SegmentKey&, const SegmentKey&) = default;
};

// What a key under a partition prefix is.
enum class KeyKind {
  kSegment,
  kGap,
  kConsumerOffsets,
  kConsumerOffsetsHistory,
  kTopicMetadata,
  kRetentionState,
  kRestoreOffsetMap,
  kUnknown
};

// A listed key with the numbers its name holds (Keys::Parse).
struct ParsedKey {
  KeyKind kind = KeyKind::kUnknown;
  std::string topic;
  int32_t partition = -1;  // -1 for topic.json and retention.json
  int64_t start = -1;      // segments and gaps: their offsets
  int64_t end = -1;
  int64_t time_ms = -1;  // offset/history snapshots: their time
};

class Keys {
 public:
  explicit Keys(std::string_view prefix);

  const std::string& prefix() const { return prefix_; }  // normalized, without trailing '/'

  // "<prefix>/": where every topic lives (the empty string when there is no prefix).
  std::string Root() const;
  std::string TopicPrefix(std::string_view topic) const;                         // ends with '/'
  std::string PartitionPrefix(std::string_view topic, int32_t partition) const;  // ends with '/'
  std::string Segment(std::string_view topic, int32_t partition, int64_t start, int64_t end) const;
  std::string ConsumerOffsets(std::string_view topic, int32_t partition) const;
  std::string ConsumerOffsetsHistory(std::string_view topic, int32_t partition,
                                     int64_t time_ms) const;
  std::string ConsumerOffsetsHistoryPrefix(std::string_view topic, int32_t partition) const;
  std::string Gap(std::string_view topic, int32_t partition, int64_t start, int64_t end) const;
  std::string TopicMetadata(std::string_view topic) const;
  // What retention propagation remembers of a topic between rounds (layout/retention_state.h):
  //   <prefix>/<topic>/retention.json
  std::string RetentionState(std::string_view topic) const;

  // Topic generations (a topic deleted and re-created under the same name). An archived
  // generation keeps the plain layout under its own prefix, "<prefix>/@generations/<n>" ('@' is
  // not allowed in topic names, so it never collides with a topic), where <n> is the time the
  // generation was archived (ms since the epoch): Generation(n) reads it like any store.
  std::string GenerationsRoot() const;  // "<prefix>/@generations/"
  // The cluster's security metadata (ACLs, SCRAM users; layout/cluster_security.h), latest, and
  // a snapshot per change: "<prefix>/@cluster/security.json", "<prefix>/@cluster/history/<ms>".
  std::string ClusterSecurity() const;
  std::string ClusterSecurityHistoryPrefix() const;
  std::string ClusterSecurityHistory(int64_t time_ms) const;
  // The end of a restore shared by several processes (restore/shared_restore.h) into the cluster
  // `cluster_id`: "<prefix>/@restores/<cluster id>/<restore id>.json".
  std::string SharedRestoreDone(std::string_view cluster_id, std::string_view restore_id) const;
  Keys Generation(int64_t n) const;
  // The plan of an archiving move in progress (backup/generations.h):
  //   <prefix>/@generations/moving/<topic>.json
  std::string GenerationMove(std::string_view topic) const;
  struct GenerationKey {
    int64_t generation = 0;
    std::string topic;
  };
  // The generation and topic of a key under GenerationsRoot() ("<root>@generations/<n>/<topic>/
  // ..."); nullopt for any other key (including the move plans).
  std::optional<GenerationKey> ParseGenerationKey(std::string_view key) const;
  // The offset map and progress of restoring this source partition into `target_topic` of the
  // cluster whose id is `cluster_id` (restore/offset_map_store.h):
  //   <prefix>/<topic>/<partition>/restore/<cluster id>/<target topic>
  std::string RestoreOffsetMap(std::string_view topic, int32_t partition,
                               std::string_view cluster_id, std::string_view target_topic) const;
  // "<prefix>/<topic>/<partition>/restore/": where every restore of that partition is recorded.
  std::string RestoreOffsetMapPrefix(std::string_view topic, int32_t partition) const;

  // Classifies a key found in a listing of this store.
  KeyKind Classify(std::string_view key) const;
  // Classifies and parses a listed key; nullopt for a key Classify does not know (or not under
  // this prefix). Consumer offsets keys are confirmed by building them back (so "007" is not
  // partition 7 there).
  std::optional<ParsedKey> Parse(std::string_view key) const;
  // Parses a segment key; Corruption naming the key if it is under the prefix but malformed.
  Result<SegmentKey> ParseSegment(std::string_view key) const;
  // Parses a gap key (same fields as a segment key).
  Result<SegmentKey> ParseGap(std::string_view key) const;
  // Parses a restore offset map key; Corruption naming the key if it is not one.
  struct RestoreMapKey {
    std::string topic;
    int32_t partition = 0;
    std::string cluster_id;
    std::string target_topic;
  };
  Result<RestoreMapKey> ParseRestoreOffsetMap(std::string_view key) const;
  // The topic name of a key "<prefix>/<topic>/...", or InvalidArgument.
  Result<std::string> TopicOf(std::string_view key) const;

 private:
  // "<prefix>/<topic>/<partition>/<leaf>" split; Corruption naming the key (a `what` key) when
  // the topic or partition is not valid. `leaf` points into `key`.
  struct PartitionLeaf {
    std::string topic;
    int32_t partition = 0;
    std::string_view leaf;
  };
  Result<PartitionLeaf> SplitPartitionKey(std::string_view key, std::string_view what) const;
  // Parses "<prefix>/<topic>/<partition>/<dir><start>-<end>" with dir "" or "gap/".
  Result<SegmentKey> ParseRange(std::string_view key, std::string_view dir) const;

  std::string prefix_;
};

// InvalidArgument naming the topic unless it is a legal Kafka topic name.
Status ValidateTopicName(std::string_view topic);
// ValidateTopicName for a value given as `what` (a flag such as "--topic" or a config key such as
// "backup.topics[0]"): the error's subject is `what`, the message quotes the name.
Status ValidateTopicNameOf(std::string_view what, std::string_view topic);

// InvalidArgument naming the id unless it is a non-empty base64url string (Kafka's cluster ids).
Status ValidateClusterId(std::string_view cluster_id);

// 20-digit zero-padded decimal of a non-negative offset.
std::string PadOffset(int64_t offset);

}  // namespace kb::layout
