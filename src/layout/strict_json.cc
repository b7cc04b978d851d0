#include "layout/strict_json.h"

namespace kb::layout::strict_json {

Result<json> ParseObject(std::string_view key, std::string_view text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::Corruption(key, "not valid JSON");
  if (!j.is_object()) return Status::Corruption(key, "expected a JSON object");
  return j;
}

Status CheckVersion(std::string_view key, const json& j, int supported, std::string_view what) {
  KB_ASSIGN_OR_RETURN(int64_t version, Int(key, j, "format_version"));
  if (version > supported) {
    return Status::NotImplemented(key, std::string(what) + " format version " +
                                           std::to_string(version) +
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
  if (it->is_number_unsigned() && it->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) {
    return Status::Corruption(key, std::string("field '") + name + "' is out of range");
  }
  return it->get<int64_t>();
}

Result<std::string> String(std::string_view key, const json& j, const char* name) {
  auto it = j.find(name);
  if (it == j.end() || !it->is_string()) {
    return Status::Corruption(key, std::string("missing string field '") + name + "'");
  }
  return it->get<std::string>();
}

}  // namespace kb::layout::strict_json
