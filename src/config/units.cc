#include "config/units.h"

#include <charconv>
#include <limits>
#include <string>
#include <utility>

namespace kb {
namespace {

// Splits "64MiB" into 64 and "MiB"; false if there is no leading integer.
bool SplitNumber(std::string_view text, uint64_t* number, std::string_view* suffix) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *number);
  if (ec != std::errc() || end == text.data()) return false;
  *suffix = text.substr(static_cast<size_t>(end - text.data()));
  while (!suffix->empty() && suffix->front() == ' ') suffix->remove_prefix(1);
  return true;
}

}  // namespace

Result<uint64_t> ParseBytes(std::string_view text, std::string_view config_key) {
  uint64_t n = 0;
  std::string_view suffix;
  if (!SplitNumber(text, &n, &suffix)) {
    return Status::InvalidArgument(
        config_key, "expected a size such as 64MiB or 1048576, got '" + std::string(text) + "'");
  }
  static constexpr std::pair<std::string_view, uint64_t> kUnits[] = {
      {"", 1},
      {"B", 1},
      {"KB", 1000},
      {"MB", 1000 * 1000},
      {"GB", 1000ull * 1000 * 1000},
      {"TB", 1000ull * 1000 * 1000 * 1000},
      {"KiB", 1ull << 10},
      {"MiB", 1ull << 20},
      {"GiB", 1ull << 30},
      {"TiB", 1ull << 40}};
  for (const auto& [name, mult] : kUnits) {
    if (suffix != name) continue;
    if (n > std::numeric_limits<uint64_t>::max() / mult) {
      return Status::InvalidArgument(config_key, "size '" + std::string(text) + "' is too large");
    }
    return n * mult;
  }
  return Status::InvalidArgument(config_key, "unknown size unit '" + std::string(suffix) +
                                                 "' (use B, KB, MB, GB, KiB, MiB, GiB)");
}

Result<std::chrono::milliseconds> ParseDuration(std::string_view text,
                                                std::string_view config_key) {
  uint64_t n = 0;
  std::string_view suffix;
  if (!SplitNumber(text, &n, &suffix) || suffix.empty()) {
    return Status::InvalidArgument(
        config_key,
        "expected a duration such as 500ms, 30s, 5m, 2h or 7d, got '" + std::string(text) + "'");
  }
  static constexpr std::pair<std::string_view, uint64_t> kUnits[] = {
      {"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}, {"d", 86'400'000}};
  for (const auto& [name, mult] : kUnits) {
    if (suffix != name) continue;
    if (n > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) / mult) {
      return Status::InvalidArgument(config_key,
                                     "duration '" + std::string(text) + "' is too long");
    }
    return std::chrono::milliseconds(static_cast<int64_t>(n * mult));
  }
  return Status::InvalidArgument(
      config_key, "unknown duration unit '" + std::string(suffix) + "' (use ms, s, m, h, d)");
}

}  // namespace kb
