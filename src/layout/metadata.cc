#include "layout/metadata.h"

#include "layout/strict_json.h"

namespace kb::layout {

using strict_json::json;
using strict_json::ParseObject;

std::string EncodeGroupOffsets(const GroupOffsets& offsets) {
  json j = json::object();
  for (const auto& [group, offset] : offsets) j[group] = offset;
  return j.dump(2);
}

Result<GroupOffsets> DecodeGroupOffsets(std::string_view key, std::string_view text) {
  KB_ASSIGN_OR_RETURN(json j, ParseObject(key, text));
  GroupOffsets out;
  for (const auto& [group, v] : j.items()) {
    if (!v.is_number_integer()) {
      return Status::Corruption(key, "offset of group '" + group + "' is not an integer");
    }
    int64_t offset = v.get<int64_t>();
    if (offset < 0) {
      return Status::Corruption(key, "offset of group '" + group + "' is negative");
    }
    out[group] = offset;
  }
  return out;
}

std::string EncodeTopicMetadata(const TopicMetadata& md) {
  json j = {{"format_version", TopicMetadata::kFormatVersion},
            {"topic", md.topic},
            {"topic_id", md.topic_id},
            {"partitions", md.partitions},
            {"replication_factor", md.replication_factor},
            {"configs", md.configs},
            {"updated_at_ms", md.updated_at_ms}};
  return j.dump(2);
}

Result<TopicMetadata> DecodeTopicMetadata(std::string_view key, std::string_view text) {
  KB_ASSIGN_OR_RETURN(json j, ParseObject(key, text));
  KB_RETURN_IF_ERROR(
      strict_json::CheckVersion(key, j, TopicMetadata::kFormatVersion, "topic metadata"));
  TopicMetadata md;
  KB_ASSIGN_OR_RETURN(md.topic, strict_json::String(key, j, "topic"));
  KB_ASSIGN_OR_RETURN(md.topic_id, strict_json::String(key, j, "topic_id"));
  KB_ASSIGN_OR_RETURN(int64_t p, strict_json::Int(key, j, "partitions"));
  KB_ASSIGN_OR_RETURN(int64_t r, strict_json::Int(key, j, "replication_factor"));
  KB_ASSIGN_OR_RETURN(md.updated_at_ms, strict_json::Int(key, j, "updated_at_ms"));
  if (p < 1 || p > INT32_MAX) return Status::Corruption(key, "partitions must be >= 1");
  if (r < 0 || r > INT16_MAX) return Status::Corruption(key, "replication_factor out of range");
  md.partitions = static_cast<int32_t>(p);
  md.replication_factor = static_cast<int32_t>(r);
  auto configs = j.find("configs");
  if (configs == j.end() || !configs->is_object()) {
    return Status::Corruption(key, "missing object field 'configs'");
  }
  for (const auto& [k, v] : configs->items()) {
    if (!v.is_string()) return Status::Corruption(key, "config '" + k + "' is not a string");
    md.configs[k] = v.get<std::string>();
  }
  return md;
}

std::string EncodeGap(const GapRecord& gap) {
  return json{{"reason", gap.reason}, {"detected_at_ms", gap.detected_at_ms}}.dump(2);
}

Result<GapRecord> DecodeGap(std::string_view key, std::string_view text) {
  KB_ASSIGN_OR_RETURN(json j, ParseObject(key, text));
  GapRecord gap;
  KB_ASSIGN_OR_RETURN(gap.reason, strict_json::String(key, j, "reason"));
  KB_ASSIGN_OR_RETURN(gap.detected_at_ms, strict_json::Int(key, j, "detected_at_ms"));
  return gap;
}

}  // namespace kb::layout
