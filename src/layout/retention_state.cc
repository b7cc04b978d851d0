#include "layout/retention_state.h"

#include <charconv>
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

Status CheckVersion(std::string_view key, const json& j, int supported) {
  auto v = j.find("format_version");
  if (v == j.end() || !v->is_number_integer()) {
    return Status::Corruption(key, "missing integer field 'format_version'");
  }
  if (v->get<int64_t>() > supported) {
    return Status::NotImplemented(key, "format version " + v->dump() +
                                           " is newer than this kafka-backup supports (" +
                                           std::to_string(supported) + "); upgrade kafka-backup");
  }
  return Status::OK();
}

Result<int64_t> Int(std::string_view key, const json& j, const char* name) {
  auto it = j.find(name);
  if (it == j.end() || !it->is_number_integer()) {
    return Status::Corruption(key, std::string("missing integer field '") + name + "'");
  }
  return it->get<int64_t>();
}

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
  KB_RETURN_IF_ERROR(CheckVersion(key, j, RetentionState::kFormatVersion));
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
  KB_RETURN_IF_ERROR(CheckVersion(key, j, GenerationMove::kFormatVersion));
  GenerationMove move;
  auto topic = j.find("topic");
  auto reason = j.find("reason");
  auto objects = j.find("objects");
  if (topic == j.end() || !topic->is_string() || reason == j.end() || !reason->is_string() ||
      objects == j.end() || !objects->is_array()) {
    return Status::Corruption(key,
                              "a move plan needs string 'topic' and 'reason' and an array "
                              "'objects'");
  }
  move.topic = topic->get<std::string>();
  move.reason = reason->get<std::string>();
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
