#include "layout/metadata.h"

#include <nlohmann/json.hpp>

namespace kb::layout {
namespace {

using nlohmann::json;

Result<json> ParseObject(std::string_view key, std::string_view text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::Corruption(key, "not valid JSON");
  if (!j.is_object()) return Status::Corruption(key, "expected a JSON object");
  return j;
}

}  // namespace

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
  auto field = [&](const char* name, json::value_t type) -> Result<const json*> {
    auto it = j.find(name);
    if (it == j.end()) return Status::Corruption(key, std::string("missing field '") + name + "'");
    bool ok =
        it->type() == type || (type == json::value_t::number_integer && it->is_number_unsigned());
    if (!ok) return Status::Corruption(key, std::string("field '") + name + "' has the wrong type");
    return &*it;
  };
  KB_ASSIGN_OR_RETURN(const json* version, field("format_version", json::value_t::number_integer));
  if (version->get<int64_t>() > TopicMetadata::kFormatVersion) {
    return Status::NotImplemented(key, "topic metadata format version " + version->dump() +
                                           " is newer than this kafka-backup supports (" +
                                           std::to_string(TopicMetadata::kFormatVersion) +
                                           "); upgrade kafka-backup");
  }
  TopicMetadata md;
  KB_ASSIGN_OR_RETURN(const json* topic, field("topic", json::value_t::string));
  md.topic = topic->get<std::string>();
  KB_ASSIGN_OR_RETURN(const json* id, field("topic_id", json::value_t::string));
  md.topic_id = id->get<std::string>();
  KB_ASSIGN_OR_RETURN(const json* parts, field("partitions", json::value_t::number_integer));
  KB_ASSIGN_OR_RETURN(const json* rf, field("replication_factor", json::value_t::number_integer));
  KB_ASSIGN_OR_RETURN(const json* updated, field("updated_at_ms", json::value_t::number_integer));
  int64_t p = parts->get<int64_t>(), r = rf->get<int64_t>();
  if (p < 1 || p > INT32_MAX) return Status::Corruption(key, "partitions must be >= 1");
  if (r < 0 || r > INT16_MAX) return Status::Corruption(key, "replication_factor out of range");
  md.partitions = static_cast<int32_t>(p);
  md.replication_factor = static_cast<int32_t>(r);
  md.updated_at_ms = updated->get<int64_t>();
  KB_ASSIGN_OR_RETURN(const json* configs, field("configs", json::value_t::object));
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
  auto reason = j.find("reason");
  auto detected = j.find("detected_at_ms");
  if (reason == j.end() || !reason->is_string() || detected == j.end() ||
      !detected->is_number_integer()) {
    return Status::Corruption(key,
                              "gap record needs a string 'reason' and integer 'detected_at_ms'");
  }
  return GapRecord{reason->get<std::string>(), detected->get<int64_t>()};
}

}  // namespace kb::layout
