// Strict readers for the JSON objects kafka-backup keeps in the store (topic.json, retention.json,
// generation move plans, gap records): every problem is Corruption naming the object's key and
// the field, never an exception, and a newer format_version is NotImplemented ("upgrade
// kafka-backup"). Internal to layout/ (metadata.cc, retention_state.cc).
//
// Thread-safety: stateless functions.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "common/status.h"

namespace kb::layout::strict_json {

using nlohmann::json;

// `text` parsed as one JSON object.
Result<json> ParseObject(std::string_view key, std::string_view text);
// The integer field format_version, at most `supported`; `what` names the kind of object in the
// message ("topic metadata").
Status CheckVersion(std::string_view key, const json& j, int supported, std::string_view what);
// A field that must be present with an integer (signed or unsigned) or string value.
Result<int64_t> Int(std::string_view key, const json& j, const char* name);
Result<std::string> String(std::string_view key, const json& j, const char* name);

}  // namespace kb::layout::strict_json
