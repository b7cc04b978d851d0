// The JSON objects of a backup store, besides segments (specified in docs/format.md):
//
//   consumers_offset  {"group-a": 100, "group-b": 200}  — the founding design's map of consumer
//                     group -> committed offset for one topic partition; always the latest.
//   topic.json        the topic as it was in the cluster, so restore can recreate it:
//                     {"format_version": 1, "topic": "orders", "topic_id": "...",
//                      "partitions": 6, "replication_factor": 3,
//                      "configs": {"cleanup.policy": "compact", ...}, "updated_at_ms":
//                      1700000000000}
//   gap/<start>-<end>  offsets of a partition that were never backed up, and why:
//                     {"reason": "retention", "detected_at_ms": 1700000000000}
//
// Decoders are strict: malformed JSON, wrong types, negative offsets or a newer format_version are
// Corruption / NotImplemented errors naming the object key; they never throw.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "common/status.h"

namespace kb::layout {

using GroupOffsets = std::map<std::string, int64_t>;

std::string EncodeGroupOffsets(const GroupOffsets& offsets);
Result<GroupOffsets> DecodeGroupOffsets(std::string_view key, std::string_view json);

struct TopicMetadata {
  static constexpr int kFormatVersion = 1;
  std::string topic;
  std::string topic_id;  // Kafka's topic id when known, else empty
  int32_t partitions = 0;
  int32_t replication_factor = 0;
  std::map<std::string, std::string> configs;  // non-default topic configs
  int64_t updated_at_ms = 0;
  friend bool operator==(const TopicMetadata&, const TopicMetadata&) = default;
};

std::string EncodeTopicMetadata(const TopicMetadata& md);
Result<TopicMetadata> DecodeTopicMetadata(std::string_view key, std::string_view json);

struct GapRecord {
  std::string reason;  // "retention": Kafka deleted the offsets before they were backed up
  int64_t detected_at_ms = 0;
  friend bool operator==(const GapRecord&, const GapRecord&) = default;
};

std::string EncodeGap(const GapRecord& gap);
Result<GapRecord> DecodeGap(std::string_view key, std::string_view json);

}  // namespace kb::layout
