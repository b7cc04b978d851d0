// The pure parts of verify.h: tiling, sampling, and the text of the report and of the progress.
#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "layout/tiling.h"
#include "ops/verify.h"
#include "report/report_text.h"

namespace kb::ops {
namespace {

std::string Seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f s", s);
  return buf;
}

}  // namespace

std::vector<catalog::StoreProblem> CheckTiling(const std::vector<catalog::StoredRange>& ranges) {
  std::vector<catalog::StoreProblem> out;
  for (const layout::TilingFault& f : layout::FindTilingFaults(ranges)) {
    const std::string& key = ranges[f.range].key;
    const std::string& reach = ranges[f.reach].key;
    if (f.kind == layout::TilingFaultKind::kHole) {
      out.push_back({key, f.first, f.last,
                     "hole: no segment or gap covers these offsets, which lie between " + reach +
                         " and this object"});
    } else {
      out.push_back({key, f.first, f.last, "overlap: these offsets are also covered by " + reach});
    }
  }
  return out;
}

std::vector<size_t> SampleEvenly(size_t count, size_t sample) {
  std::vector<size_t> out;
  if (sample == 0 || sample >= count) {
    for (size_t i = 0; i < count; ++i) out.push_back(i);
  } else if (sample == 1) {
    out.push_back(count - 1);
  } else {
    // Rounded k * (count - 1) / (sample - 1): steps of at least 1, so no index repeats.
    for (size_t k = 0; k < sample; ++k) {
      out.push_back((k * (count - 1) + (sample - 1) / 2) / (sample - 1));
    }
  }
  return out;
}

std::string FormatVerifyProgress(const VerifyProgress& p) {
  std::string line = "verified " + std::to_string(p.segments_done) + "/" +
                     std::to_string(p.segments_total) + " segments, " +
                     report::FormatBytes(p.bytes_done);
  if (p.seconds > 0) {
    line +=
        ", " +
        report::FormatBytes(static_cast<uint64_t>(static_cast<double>(p.bytes_done) / p.seconds)) +
        "/s";
  }
  if (p.problems > 0) line += ", " + report::Count(p.problems, "problem");
  return line;
}

std::string FormatVerifyText(const VerifyReport& r) {
  std::string out;
  for (const catalog::StoreProblem& p : r.problems) out += catalog::FormatProblem(p) + "\n";
  for (const std::string& note : r.notes) out += "note: " + note + "\n";
  if (r.partitions_compared > 0) {
    out += "first offsets of " + report::Count(r.partitions_compared, "partition") +
           " compared with the Kafka cluster's log start offsets\n";
  }
  if (r.segments_encrypted > 0) {
    std::string ids;
    for (const std::string& id : r.missing_key_ids) ids += (ids.empty() ? "'" : ", '") + id + "'";
    out += report::Count(r.segments_encrypted, "segment") +
           " encrypted: " + std::to_string(r.segments_encrypted - r.segments_structure_only) +
           " checked in full (every AES-GCM tag and record)";
    if (r.segments_structure_only > 0) {
      out += ", " + std::to_string(r.segments_structure_only) +
             " checked without their key (structure and checksums only; storage.encryption has "
             "no key " +
             ids + ")";
    }
    out += "\n";
  }
  out += "verified " + std::to_string(r.segments_verified) + " of " +
         report::Count(r.segments_listed, "segment") + " (" +
         report::FormatBytes(r.bytes_verified) + ", " +
         report::Count(r.records_verified, "record") + ") and " +
         report::Count(r.objects_verified, "other object") + " of " +
         report::Count(r.topics, "topic") + ", " + report::Count(r.partitions, "partition") +
         " in " + Seconds(r.seconds) + ": " +
         (r.problems.empty() ? std::string("no problems")
                             : report::Count(r.problems.size(), "problem")) +
         "\n";
  return out;
}

std::string FormatVerifyJson(const VerifyReport& r) {
  nlohmann::ordered_json problems = nlohmann::ordered_json::array();
  for (const catalog::StoreProblem& p : r.problems) {
    problems.push_back(
        {{"key", p.key}, {"start", p.start}, {"end", p.end}, {"message", p.message}});
  }
  nlohmann::ordered_json j = {
      {"ok", r.problems.empty()},
      {"topics", r.topics},
      {"partitions", r.partitions},
      {"segments_listed", r.segments_listed},
      {"segments_verified", r.segments_verified},
      {"bytes_verified", r.bytes_verified},
      {"records_verified", r.records_verified},
      {"objects_verified", r.objects_verified},
      {"segments_encrypted", r.segments_encrypted},
      {"segments_structure_only", r.segments_structure_only},
      {"missing_key_ids", r.missing_key_ids},
      {"objects_not_opened", r.objects_not_opened},
      {"partitions_compared", r.partitions_compared},
      {"seconds", r.seconds},
      {"problems", std::move(problems)},
      {"notes", r.notes},
  };
  // Messages may quote bytes of a damaged object: never throw on invalid UTF-8.
  return j.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

}  // namespace kb::ops
