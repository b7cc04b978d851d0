#include "restore/offset_map.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace kb::restore {

Status OffsetMap::Append(int64_t source, int64_t target) {
  if (source < 0 || target < target_start_) {
    return Status::InvalidArgument("offset map", "offsets out of range: source " +
                                                     std::to_string(source) + ", target " +
                                                     std::to_string(target));
  }
  if (!runs_.empty()) {
    OffsetRun& last = runs_.back();
    int64_t last_source = last.source_start + last.count - 1;
    int64_t last_target = last.target_start + last.count - 1;
    if (source <= last_source || target <= last_target) {
      return Status::InvalidArgument(
          "offset map", "records must be appended in order: source " + std::to_string(source) +
                            " after " + std::to_string(last_source) + ", target " +
                            std::to_string(target) + " after " + std::to_string(last_target));
    }
    if (source == last_source + 1 && target == last_target + 1) {
      ++last.count;
      return Status::OK();
    }
  }
  runs_.push_back({source, target, 1});
  return Status::OK();
}

Status OffsetMap::AppendRun(int64_t source, int64_t target, int64_t count) {
  if (count < 1) return Status::InvalidArgument("offset map", "a run needs at least one record");
  KB_RETURN_IF_ERROR(Append(source, target));
  runs_.back().count += count - 1;
  return Status::OK();
}

std::optional<int64_t> OffsetMap::Lookup(int64_t source) const {
  auto it = std::upper_bound(runs_.begin(), runs_.end(), source,
                             [](int64_t s, const OffsetRun& r) { return s < r.source_start; });
  if (it == runs_.begin()) return std::nullopt;
  --it;
  if (source >= it->source_start + it->count) return std::nullopt;
  return it->target_start + (source - it->source_start);
}

int64_t OffsetMap::TranslateCommitted(int64_t committed) const {
  // The first run that still has a record at or after `committed`.
  auto it = std::lower_bound(
      runs_.begin(), runs_.end(), committed,
      [](const OffsetRun& r, int64_t c) { return r.source_start + r.count - 1 < c; });
  if (it == runs_.end()) return target_end();
  if (committed <= it->source_start) return it->target_start;
  return it->target_start + (committed - it->source_start);
}

int64_t OffsetMap::target_end() const {
  if (runs_.empty()) return target_start_;
  return runs_.back().target_start + runs_.back().count;
}

int64_t OffsetMap::record_count() const {
  int64_t n = 0;
  for (const OffsetRun& r : runs_) n += r.count;
  return n;
}

std::string OffsetMap::Encode() const {
  nlohmann::json runs = nlohmann::json::array();
  for (const OffsetRun& r : runs_) runs.push_back({r.source_start, r.target_start, r.count});
  nlohmann::json j = {
      {"format_version", kFormatVersion}, {"target_start", target_start_}, {"runs", runs}};
  return j.dump();
}

Result<OffsetMap> OffsetMap::Decode(std::string_view key, std::string_view text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return Status::Corruption(key, "not a JSON object");
  auto version = j.find("format_version");
  auto start = j.find("target_start");
  auto runs = j.find("runs");
  if (version == j.end() || !version->is_number_integer() || start == j.end() ||
      !start->is_number_integer() || runs == j.end() || !runs->is_array()) {
    return Status::Corruption(key, "offset map needs format_version, target_start and runs");
  }
  if (version->get<int64_t>() > kFormatVersion) {
    return Status::NotImplemented(key, "offset map format version " + version->dump() +
                                           " is newer than this kafka-backup supports (" +
                                           std::to_string(kFormatVersion) +
                                           "); upgrade kafka-backup");
  }
  OffsetMap map(start->get<int64_t>());
  for (size_t i = 0; i < runs->size(); ++i) {
    const nlohmann::json& r = (*runs)[i];
    if (!r.is_array() || r.size() != 3 || !r[0].is_number_integer() || !r[1].is_number_integer() ||
        !r[2].is_number_integer() || r[2].get<int64_t>() < 1) {
      return Status::Corruption(key,
                                "run " + std::to_string(i) + " is not [source, target, count]");
    }
    OffsetRun run{r[0].get<int64_t>(), r[1].get<int64_t>(), r[2].get<int64_t>()};
    // Every run's end (start + count) must be an offset: the checks below and every query
    // (Lookup, TranslateCommitted, target_end) compute it.
    if (run.source_start > INT64_MAX - run.count || run.target_start > INT64_MAX - run.count) {
      return Status::Corruption(key,
                                "run " + std::to_string(i) + " ends beyond the largest offset");
    }
    if (!map.runs_.empty()) {
      const OffsetRun& prev = map.runs_.back();
      if (run.source_start < prev.source_start + prev.count ||
          run.target_start < prev.target_start + prev.count) {
        return Status::Corruption(key, "run " + std::to_string(i) + " overlaps the previous one");
      }
    } else if (run.target_start < map.target_start_ || run.source_start < 0) {
      return Status::Corruption(key, "run 0 starts before target_start");
    }
    map.runs_.push_back(run);
  }
  return map;
}

std::string OffsetMap::ToCsv() const {
  std::string out = "source_start,source_end,target_start,target_end\n";
  for (const OffsetRun& r : runs_) {
    out += std::to_string(r.source_start) + "," + std::to_string(r.source_start + r.count - 1) +
           "," + std::to_string(r.target_start) + "," +
           std::to_string(r.target_start + r.count - 1) + "\n";
  }
  return out;
}

}  // namespace kb::restore
