#include "layout/keys.h"

#include <charconv>
#include <cstdio>

namespace kb::layout {
namespace {

constexpr std::string_view kOffsetDir = "offset/";
constexpr std::string_view kConsumersOffset = "offset/consumers_offset";
constexpr std::string_view kHistoryDir = "offset/history/";
constexpr std::string_view kGapDir = "gap/";
constexpr std::string_view kTopicMetadata = "topic.json";
constexpr std::string_view kRetentionState = "retention.json";
constexpr std::string_view kGenerationsDir = "@generations/";
constexpr std::string_view kMovingDir = "moving/";
constexpr std::string_view kRestoreDir = "restore/";
constexpr size_t kPadWidth = 20;

bool ParseDigits(std::string_view s, int64_t* out) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && end == s.data() + s.size();
}

}  // namespace

Status ValidateTopicName(std::string_view topic) {
  if (topic.empty() || topic.size() > 249) {
    return Status::InvalidArgument(topic.empty() ? "<empty topic>" : topic,
                                   "topic names are 1 to 249 characters");
  }
  if (topic == "." || topic == "..") {
    return Status::InvalidArgument(topic, "'.' and '..' are not topic names");
  }
  for (char c : topic) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) {
      return Status::InvalidArgument(topic, std::string("illegal character '") + c +
                                                "' in topic name (allowed: a-z A-Z 0-9 . _ -)");
    }
  }
  return Status::OK();
}

Status ValidateTopicNameOf(std::string_view what, std::string_view topic) {
  Status s = ValidateTopicName(topic);
  if (s.ok()) return s;
  return Status::InvalidArgument(what, "'" + std::string(topic) + "': " + s.message());
}

Status ValidateClusterId(std::string_view cluster_id) {
  if (cluster_id.empty() || cluster_id.size() > 64) {
    return Status::InvalidArgument(cluster_id.empty() ? "<empty cluster id>" : cluster_id,
                                   "cluster ids are 1 to 64 characters");
  }
  for (char c : cluster_id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-';
    if (!ok) {
      return Status::InvalidArgument(cluster_id, std::string("illegal character '") + c +
                                                     "' in cluster id (allowed: A-Z a-z 0-9 _ -)");
    }
  }
  return Status::OK();
}

std::string PadOffset(int64_t offset) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%020lld", static_cast<long long>(offset));
  return buf;
}

Keys::Keys(std::string_view prefix) {
  while (!prefix.empty() && prefix.front() == '/') prefix.remove_prefix(1);
  while (!prefix.empty() && prefix.back() == '/') prefix.remove_suffix(1);
  prefix_ = std::string(prefix);
}

std::string Keys::Root() const { return prefix_.empty() ? std::string() : prefix_ + "/"; }

std::string Keys::TopicPrefix(std::string_view topic) const {
  return Root() + std::string(topic) + "/";
}

std::string Keys::PartitionPrefix(std::string_view topic, int32_t partition) const {
  return TopicPrefix(topic) + std::to_string(partition) + "/";
}

std::string Keys::Segment(std::string_view topic, int32_t partition, int64_t start,
                          int64_t end) const {
  return PartitionPrefix(topic, partition) + PadOffset(start) + "-" + PadOffset(end);
}

std::string Keys::ConsumerOffsets(std::string_view topic, int32_t partition) const {
  return PartitionPrefix(topic, partition) + std::string(kConsumersOffset);
}

std::string Keys::ConsumerOffsetsHistoryPrefix(std::string_view topic, int32_t partition) const {
  return PartitionPrefix(topic, partition) + std::string(kHistoryDir);
}

std::string Keys::ConsumerOffsetsHistory(std::string_view topic, int32_t partition,
                                         int64_t time_ms) const {
  return ConsumerOffsetsHistoryPrefix(topic, partition) + PadOffset(time_ms);
}

std::string Keys::Gap(std::string_view topic, int32_t partition, int64_t start, int64_t end) const {
  return PartitionPrefix(topic, partition) + std::string(kGapDir) + PadOffset(start) + "-" +
         PadOffset(end);
}

std::string Keys::TopicMetadata(std::string_view topic) const {
  return TopicPrefix(topic) + std::string(kTopicMetadata);
}

std::string Keys::RestoreOffsetMapPrefix(std::string_view topic, int32_t partition) const {
  return PartitionPrefix(topic, partition) + std::string(kRestoreDir);
}

std::string Keys::RestoreOffsetMap(std::string_view topic, int32_t partition,
                                   std::string_view cluster_id,
                                   std::string_view target_topic) const {
  return RestoreOffsetMapPrefix(topic, partition) + std::string(cluster_id) + "/" +
         std::string(target_topic);
}

Result<Keys::PartitionLeaf> Keys::SplitPartitionKey(std::string_view key,
                                                    std::string_view what) const {
  KB_ASSIGN_OR_RETURN(std::string topic, TopicOf(key));
  std::string_view rest = key.substr(Root().size() + topic.size() + 1);
  size_t slash = rest.find('/');
  int64_t partition = 0;
  if (slash == std::string_view::npos || !ParseDigits(rest.substr(0, slash), &partition) ||
      partition > INT32_MAX) {
    return Status::Corruption(key, std::string(what) + " key has no valid partition number");
  }
  return PartitionLeaf{std::move(topic), static_cast<int32_t>(partition), rest.substr(slash + 1)};
}

Result<Keys::RestoreMapKey> Keys::ParseRestoreOffsetMap(std::string_view key) const {
  KB_ASSIGN_OR_RETURN(PartitionLeaf split, SplitPartitionKey(key, "restore"));
  std::string_view leaf = split.leaf;
  if (!leaf.starts_with(kRestoreDir)) return Status::Corruption(key, "not a restore key");
  leaf.remove_prefix(kRestoreDir.size());
  size_t sep = leaf.find('/');
  if (sep == std::string_view::npos) {
    return Status::Corruption(key, "restore key is not restore/<cluster id>/<target topic>");
  }
  std::string_view cluster = leaf.substr(0, sep);
  std::string_view target = leaf.substr(sep + 1);
  if (!ValidateClusterId(cluster).ok() || !ValidateTopicName(target).ok()) {
    return Status::Corruption(key, "restore key is not restore/<cluster id>/<target topic>");
  }
  return RestoreMapKey{std::move(split.topic), split.partition, std::string(cluster),
                       std::string(target)};
}

std::string Keys::RetentionState(std::string_view topic) const {
  return TopicPrefix(topic) + std::string(kRetentionState);
}

std::string Keys::ClusterSecurity() const { return Root() + "@cluster/security.json"; }

std::string Keys::ClusterSecurityHistoryPrefix() const { return Root() + "@cluster/history/"; }

std::string Keys::ClusterSecurityHistory(int64_t time_ms) const {
  return ClusterSecurityHistoryPrefix() + PadOffset(time_ms);
}

std::string Keys::SharedRestoreDone(std::string_view cluster_id,
                                    std::string_view restore_id) const {
  return Root() + "@restores/" + std::string(cluster_id) + "/" + std::string(restore_id) + ".json";
}

std::string Keys::GenerationsRoot() const { return Root() + std::string(kGenerationsDir); }

Keys Keys::Generation(int64_t n) const { return Keys(GenerationsRoot() + std::to_string(n)); }

std::string Keys::GenerationMove(std::string_view topic) const {
  return GenerationsRoot() + std::string(kMovingDir) + std::string(topic) + ".json";
}

std::optional<Keys::GenerationKey> Keys::ParseGenerationKey(std::string_view key) const {
  const std::string root = GenerationsRoot();
  if (!key.starts_with(root)) return std::nullopt;
  std::string_view rest = key.substr(root.size());
  const size_t slash = rest.find('/');
  int64_t n = 0;
  if (slash == std::string_view::npos || !ParseDigits(rest.substr(0, slash), &n)) {
    return std::nullopt;
  }
  rest.remove_prefix(slash + 1);
  const size_t topic_end = rest.find('/');
  if (topic_end == std::string_view::npos) return std::nullopt;
  std::string topic(rest.substr(0, topic_end));
  if (!ValidateTopicName(topic).ok()) return std::nullopt;
  return GenerationKey{n, std::move(topic)};
}

Result<std::string> Keys::TopicOf(std::string_view key) const {
  std::string root = Root();
  if (!key.starts_with(root))
    return Status::InvalidArgument(key, "not under prefix '" + root + "'");
  std::string_view rest = key.substr(root.size());
  size_t slash = rest.find('/');
  if (slash == std::string_view::npos) return Status::InvalidArgument(key, "not a topic key");
  std::string topic(rest.substr(0, slash));
  KB_RETURN_IF_ERROR(ValidateTopicName(topic));
  return topic;
}

KeyKind Keys::Classify(std::string_view key) const {
  Result<std::string> topic = TopicOf(key);
  if (!topic.ok()) return KeyKind::kUnknown;
  std::string_view rest = key.substr(Root().size() + topic->size() + 1);
  if (rest == kTopicMetadata) return KeyKind::kTopicMetadata;
  if (rest == kRetentionState) return KeyKind::kRetentionState;
  size_t slash = rest.find('/');
  int64_t partition = 0;
  if (slash == std::string_view::npos || !ParseDigits(rest.substr(0, slash), &partition)) {
    return KeyKind::kUnknown;
  }
  std::string_view leaf = rest.substr(slash + 1);
  if (leaf == kConsumersOffset) return KeyKind::kConsumerOffsets;
  if (leaf.starts_with(kHistoryDir)) {
    int64_t t = 0;
    return ParseDigits(leaf.substr(kHistoryDir.size()), &t) ? KeyKind::kConsumerOffsetsHistory
                                                            : KeyKind::kUnknown;
  }
  if (leaf.starts_with(kOffsetDir)) return KeyKind::kUnknown;
  if (leaf.starts_with(kRestoreDir)) {
    return ParseRestoreOffsetMap(key).ok() ? KeyKind::kRestoreOffsetMap : KeyKind::kUnknown;
  }
  if (leaf.starts_with(kGapDir)) return ParseGap(key).ok() ? KeyKind::kGap : KeyKind::kUnknown;
  return ParseSegment(key).ok() ? KeyKind::kSegment : KeyKind::kUnknown;
}

std::optional<ParsedKey> Keys::Parse(std::string_view key) const {
  ParsedKey k{.kind = Classify(key)};
  switch (k.kind) {
    case KeyKind::kUnknown:
      return std::nullopt;
    case KeyKind::kTopicMetadata:
    case KeyKind::kRetentionState: {
      Result<std::string> topic = TopicOf(key);
      if (!topic.ok()) return std::nullopt;
      k.topic = std::move(topic).value();
      return k;
    }
    case KeyKind::kSegment:
    case KeyKind::kGap: {
      Result<SegmentKey> range = k.kind == KeyKind::kGap ? ParseGap(key) : ParseSegment(key);
      if (!range.ok()) return std::nullopt;
      k.topic = std::move(range->topic);
      k.partition = range->partition;
      k.start = range->start_offset;
      k.end = range->end_offset;
      return k;
    }
    case KeyKind::kRestoreOffsetMap: {
      Result<RestoreMapKey> restore = ParseRestoreOffsetMap(key);
      if (!restore.ok()) return std::nullopt;
      k.topic = std::move(restore->topic);
      k.partition = restore->partition;
      return k;
    }
    case KeyKind::kConsumerOffsets:
    case KeyKind::kConsumerOffsetsHistory:
      break;
  }
  Result<PartitionLeaf> split = SplitPartitionKey(key, "consumer offsets");
  if (!split.ok()) return std::nullopt;
  k.topic = std::move(split->topic);
  k.partition = split->partition;
  if (k.kind == KeyKind::kConsumerOffsetsHistory) {
    if (!ParseDigits(split->leaf.substr(kHistoryDir.size()), &k.time_ms)) return std::nullopt;
    if (ConsumerOffsetsHistory(k.topic, k.partition, k.time_ms) != key) return std::nullopt;
  } else if (ConsumerOffsets(k.topic, k.partition) != key) {
    return std::nullopt;
  }
  return k;
}

Result<SegmentKey> Keys::ParseSegment(std::string_view key) const { return ParseRange(key, ""); }

Result<SegmentKey> Keys::ParseGap(std::string_view key) const { return ParseRange(key, kGapDir); }

Result<SegmentKey> Keys::ParseRange(std::string_view key, std::string_view dir) const {
  KB_ASSIGN_OR_RETURN(PartitionLeaf split, SplitPartitionKey(key, "segment"));
  std::string_view name = split.leaf;
  if (!name.starts_with(dir)) return Status::Corruption(key, "not a " + std::string(dir) + " key");
  name.remove_prefix(dir.size());
  int64_t start = 0, end = 0;
  if (name.size() != 2 * kPadWidth + 1 || name[kPadWidth] != '-' ||
      !ParseDigits(name.substr(0, kPadWidth), &start) ||
      !ParseDigits(name.substr(kPadWidth + 1), &end)) {
    return Status::Corruption(key, "name is not <20-digit start>-<20-digit end>");
  }
  if (end < start) return Status::Corruption(key, "end offset is below the start offset");
  return SegmentKey{std::move(split.topic), split.partition, start, end};
}

}  // namespace kb::layout
