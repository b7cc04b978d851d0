#include "layout/retention_state.h"

#include <charconv>

#include "layout/strict_json.h"

namespace kb::layout {
namespace {

using strict_json::Int;
using strict_json::json;
using strict_json::ParseObject;

}  // namespace

std::string EncodeRetentionState(const RetentionState& state) {
  json expired = json::object();
  for (const auto& [partition, ranges] : state.expired) {
    json list = json::array();
    for (const RetentionState::Expired& e : ranges) {
      list.push_back({{"start", e.start}, {"end", e.end}, {"first_seen_ms", e.first_seen_ms}});
    }
    expired[std::to_string(partition)] = std::move(list);
  }
  json j = {{"format_version", RetentionState::kFormatVersion},
            {"missing_since_ms", state.missing_since_ms ? json(*state.missing_since_ms) : json()},
            {"expired", std::move(expired)}};
  return j.dump(2);
}

Result<RetentionState> DecodeRetentionState(std::string_view key, std::string_view text) {
  KB_ASSIGN_OR_RETURN(json j, ParseObject(key, text));
  KB_RETURN_IF_ERROR(
      strict_json::CheckVersion(key, j, RetentionState::kFormatVersion, "retention state"));
  RetentionState state;
  auto missing = j.find("missing_since_ms");
  if (missing == j.end() || !(missing->is_null() || missing->is_number_integer())) {
    return Status::Corruption(key, "'missing_since_ms' must be null or an integer");
  }
  if (!missing->is_null()) state.missing_since_ms = missing->get<int64_t>();
  auto expired = j.find("expired");
  if (expired == j.end() || !expired->is_object()) {
    return Status::Corruption(key, "missing object field 'expired'");
  }
  for (const auto& [name, list] : expired->items()) {
    int32_t partition = -1;
    auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), partition);
    if (ec != std::errc() || end != name.data() + name.size() || partition < 0) {
      return Status::Corruption(key, "'expired' has a key that is not a partition: " + name);
    }
    if (!list.is_array()) {
      return Status::Corruption(key, "'expired' of partition " + name + " is not an array");
    }
    std::vector<RetentionState::Expired>& ranges = state.expired[partition];
    for (const json& e : list) {
      if (!e.is_object()) return Status::Corruption(key, "an expired range is not an object");
      RetentionState::Expired r;
      KB_ASSIGN_OR_RETURN(r.start, Int(key, e, "start"));
      KB_ASSIGN_OR_RETURN(r.end, Int(key, e, "end"));
      KB_ASSIGN_OR_RETURN(r.first_seen_ms, Int(key, e, "first_seen_ms"));
      if (r.start < 0 || r.end < r.start) {
        return Status::Corruption(key, "expired range " + std::to_string(r.start) + ".." +
                                           std::to_string(r.end) + " is not a valid range");
      }
      ranges.push_back(r);
    }
  }
  return state;
}

std::string EncodeGenerationMove(const GenerationMove& move) {
  json j = {{"format_version", GenerationMove::kFormatVersion},
            {"topic", move.topic},
            {"generation", move.generation},
            {"reason", move.reason},
            {"started_at_ms", move.started_at_ms},
            {"objects", move.objects}};
  return j.dump(2);
}

Result<GenerationMove> DecodeGenerationMove(std::string_view key, std::string_view text) {
  KB_ASSIGN_OR_RETURN(json j, ParseObject(key, text));
  KB_RETURN_IF_ERROR(
      strict_json::CheckVersion(key, j, GenerationMove::kFormatVersion, "generation move plan"));
  GenerationMove move;
  KB_ASSIGN_OR_RETURN(move.topic, strict_json::String(key, j, "topic"));
  KB_ASSIGN_OR_RETURN(move.reason, strict_json::String(key, j, "reason"));
  auto objects = j.find("objects");
  if (objects == j.end() || !objects->is_array()) {
    return Status::Corruption(key, "missing array field 'objects'");
  }
  KB_ASSIGN_OR_RETURN(move.generation, Int(key, j, "generation"));
  KB_ASSIGN_OR_RETURN(move.started_at_ms, Int(key, j, "started_at_ms"));
  for (const json& o : *objects) {
    if (!o.is_string() || o.get<std::string>().empty()) {
      return Status::Corruption(key, "'objects' holds something that is not an object name");
    }
    move.objects.push_back(o.get<std::string>());
  }
  return move;
}

}  // namespace kb::layout
