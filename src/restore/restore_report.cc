#include "restore/restore_report.h"

#include <charconv>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "report/report_text.h"

namespace kb::restore {
namespace {

std::string Ranges(const std::vector<OffsetRange>& ranges) {
  std::string out;
  for (const OffsetRange& r : ranges) {
    if (!out.empty()) out += ",";
    out += std::to_string(r.first) + "-" + std::to_string(r.last);
  }
  return out.empty() ? "-" : out;
}

std::string Skipped(const std::vector<SkippedRange>& ranges) {
  std::vector<OffsetRange> r;
  for (const SkippedRange& s : ranges) r.push_back({s.first, s.last});
  return Ranges(r);
}

std::string Duration(double seconds) {
  if (seconds < 0 || seconds > 360000) return "-";
  const int64_t s = static_cast<int64_t>(seconds + 0.5);
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%lld:%02lld:%02lld", static_cast<long long>(s / 3600),
                static_cast<long long>(s / 60 % 60), static_cast<long long>(s % 60));
  return buf;
}

std::string Number(uint64_t n) {
  char buf[32];
  if (n >= 10'000'000) {
    std::snprintf(buf, sizeof(buf), "%.1fM", n / 1e6);
  } else if (n >= 10'000) {
    std::snprintf(buf, sizeof(buf), "%.1fk", n / 1e3);
  } else {
    std::snprintf(buf, sizeof(buf), "%llu", static_cast<unsigned long long>(n));
  }
  return buf;
}

std::optional<int64_t> Ms(std::string_view s) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

// "time:<from>-<to>" (either end may be empty; times are >= 0) for people.
std::string ReadableTime(std::string_view window) {
  const size_t dash = window.find('-');
  if (dash == std::string_view::npos) return "time:" + std::string(window);
  const std::optional<int64_t> from = Ms(window.substr(0, dash));
  const std::optional<int64_t> to = Ms(window.substr(dash + 1));
  if (from && to) {
    return "time [" + report::FormatTimeMs(*from) + ", " + report::FormatTimeMs(*to) + "]";
  }
  if (from) return "time >= " + report::FormatTimeMs(*from);
  if (to) return "time <= " + report::FormatTimeMs(*to);
  return "time:" + std::string(window);
}

// "<count>:<sha256>" of an --exclude-keys list for people (the digest shortened).
std::string ReadableExclusion(std::string_view what) {
  const size_t colon = what.find(':');
  if (colon == std::string_view::npos) return "exclude-keys:" + std::string(what);
  return "excluding " + std::string(what.substr(0, colon)) + " keys (sha256 " +
         std::string(what.substr(colon + 1, 12)) + ")";
}

nlohmann::json RangesJson(const std::vector<OffsetRange>& ranges) {
  nlohmann::json out = nlohmann::json::array();
  for (const OffsetRange& r : ranges) out.push_back({{"first", r.first}, {"last", r.last}});
  return out;
}

}  // namespace

std::string ReadableSelection(const std::string& selection) {
  std::string out;
  size_t start = 0;
  while (start <= selection.size()) {
    size_t comma = selection.find(',', start);
    if (comma == std::string::npos) comma = selection.size();
    const std::string_view part = std::string_view(selection).substr(start, comma - start);
    out += out.empty() ? "" : ", ";
    if (part.starts_with("time:")) {
      out += ReadableTime(part.substr(5));
    } else if (part.starts_with("exclude-keys:")) {
      out += ReadableExclusion(part.substr(13));
    } else {
      out += std::string(part);
    }
    start = comma + 1;
  }
  return out;
}

namespace {
// A reshaped partition's maps, by target partition ({} when not reshaped).
nlohmann::json TargetMapsJson(const PartitionResult& p) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [t, m] : p.target_maps) {
    nlohmann::json runs = nlohmann::json::array();
    for (const OffsetRun& r : m.runs()) {
      runs.push_back(
          {{"source_start", r.source_start}, {"target_start", r.target_start}, {"count", r.count}});
    }
    out[std::to_string(t)] = {{"records", m.record_count()},
                              {"target_start", m.target_start()},
                              {"target_end", m.target_end()},
                              {"runs", runs}};
  }
  return out;
}
}  // namespace

std::string FormatSummaryJson(const RestoreReport& report) {
  nlohmann::json partitions = nlohmann::json::array();
  uint64_t sent = 0, bytes = 0, excluded = 0;
  for (const PartitionResult& p : report.partitions) {
    const OffsetMap& m = p.map;
    nlohmann::json skipped = nlohmann::json::array();
    for (const SkippedRange& s : p.skipped) {
      skipped.push_back(
          {{"first", s.first}, {"last", s.last}, {"key", s.key}, {"reason", s.reason}});
    }
    nlohmann::json runs = nlohmann::json::array();
    for (const OffsetRun& r : m.runs()) {
      runs.push_back(
          {{"source_start", r.source_start}, {"target_start", r.target_start}, {"count", r.count}});
    }
    partitions.push_back(
        {{"source_topic", p.source_topic},
         {"partition", p.partition},
         {"target_topic", p.target_topic},
         {"selection", p.selection},
         {"status", PartitionOutcomeName(p.outcome)},
         {"complete", p.complete},
         {"records_sent", p.records_sent},
         {"records_verified", p.records_verified},
         {"records_excluded", p.records_excluded},
         {"bytes_sent", p.bytes_sent},
         {"records", m.record_count()},
         {"target_start", m.target_start()},
         {"target_end", m.target_end()},
         {"runs", runs},
         {"target_partitions", p.target_partitions},
         {"target_maps", TargetMapsJson(p)},
         {"gaps", RangesJson(p.gaps)},
         {"holes", RangesJson(p.holes)},
         {"skipped", skipped},
         {"note", p.note},
         {"error", p.error.ok() ? nlohmann::json(nullptr) : nlohmann::json(p.error.ToString())}});
    sent += p.records_sent;
    bytes += p.bytes_sent;
    excluded += p.records_excluded;
  }
  nlohmann::json exclude_keys = nullptr;
  if (report.exclude_keys > 0) {
    exclude_keys = {{"keys", report.exclude_keys}, {"sha256", report.exclude_keys_sha256}};
  }
  nlohmann::json topic_errors = nlohmann::json::array();
  for (const Status& e : report.topic_errors) topic_errors.push_back(e.ToString());
  nlohmann::json j = {
      {"cluster_id", report.cluster_id},
      {"created_topics", report.created_topics},
      {"warnings", report.warnings},
      {"switched_topics", report.switched_topics},
      {"finished_by", report.finished_by},
      {"topic_errors", topic_errors},
      {"partitions", partitions},
      {"records_sent", sent},
      {"records_excluded", excluded},
      {"exclude_keys", exclude_keys},
      {"bytes_sent", bytes},
      {"bytes_read", report.bytes_read},
      {"compression", report.compression},  // target topic -> codec produced with
      {"zero_timestamps", report.zero_timestamps},
      {"elapsed_ms",
       std::chrono::duration_cast<std::chrono::milliseconds>(report.elapsed).count()}};
  return j.dump(2);
}

std::string FormatPlan(const RestorePlan& plan, const TargetCheck* targets, const TargetEnds* ends,
                       int32_t partitions) {
  std::vector<std::vector<std::string>> rows = {{"SOURCE", "TARGET", "TARGET END", "SELECTION",
                                                 "SEGMENTS", "BLOCKS", "RECORDS", "BYTES", "FROM",
                                                 "TO", "GAPS", "SKIPPED", "PROBLEM"}};
  const auto target_end = [&](const PartitionPlan& p) -> std::string {
    if (targets == nullptr || ends == nullptr || partitions > 0) return "-";
    auto it = ends->find({p.target_topic, p.partition});
    return it == ends->end() ? "absent" : std::to_string(it->second.high);
  };
  uint64_t records = 0, bytes = 0, segments = 0;
  bool exact = true;
  for (const TopicPlan& t : plan.topics) {
    for (const PartitionPlan& p : t.partitions) {
      size_t blocks = 0;
      for (const SegmentPlan& s : p.segments) blocks += s.blocks.size();
      const bool any = p.min_timestamp <= p.max_timestamp;
      rows.push_back(
          {p.source_topic + "/" + std::to_string(p.partition),
           p.target_topic + "/" + (partitions > 0 ? std::string("*") : std::to_string(p.partition)),
           target_end(p), ReadableSelection(p.selection), std::to_string(p.segments.size()),
           std::to_string(blocks), (p.count_exact ? "" : "<=") + std::to_string(p.records),
           report::FormatBytes(p.stored_bytes), any ? report::FormatTimeMs(p.min_timestamp) : "-",
           any ? report::FormatTimeMs(p.max_timestamp) : "-", Ranges(p.gaps), Skipped(p.skipped),
           p.error.ok() ? "" : p.error.ToString()});
      records += p.records;
      bytes += p.stored_bytes;
      segments += p.segments.size();
      exact = exact && p.count_exact;
    }
  }
  std::string out = report::Table(
      rows, {false, false, true, false, true, true, true, true, false, false, false, false, false});
  out += "plan: " + std::string(exact ? "" : "at most ") + report::Plural(records, "record") +
         " in " + report::Plural(segments, "segment") + ", " + report::FormatBytes(bytes) +
         " to read; " + report::FormatBytes(plan.footer_bytes) + " of footers read to plan\n";
  if (targets != nullptr) {
    for (const std::string& w : targets->warnings) out += "warning: " + w + "\n";
    for (const TopicPlan& t : plan.topics) {
      const bool create = std::find(targets->to_create.begin(), targets->to_create.end(),
                                    t.target_topic) != targets->to_create.end();
      if (!create) {
        const bool exists = std::find(targets->existing.begin(), targets->existing.end(),
                                      t.target_topic) != targets->existing.end();
        out += "target " + t.target_topic + (exists ? " exists" : " is not created");
        if (auto after = targets->configs_after.find(t.target_topic);
            exists && after != targets->configs_after.end()) {
          out += "; created by an earlier run of this restore, which still owes";
          for (const auto& [k, v] : after->second) out += " " + k + "=" + v;
          out += ": set once every partition is restored";
        }
        out += "\n";
        continue;
      }
      out += "target " + t.target_topic + " would be created with " +
             std::to_string(partitions > 0 ? partitions : std::max(t.partition_count, 1)) +
             " partitions";
      if (t.metadata) {
        out += ", replication factor " + std::to_string(t.metadata->replication_factor) +
               " and configs {";
        bool first = true;
        for (const auto& [k, v] : t.metadata->configs) {
          out += (first ? "" : ", ") + k + "=" + v;
          first = false;
        }
        out += "}";
        if (auto after = targets->configs_after.find(t.target_topic);
            after != targets->configs_after.end()) {
          for (const auto& [k, v] : after->second) {
            out += "; " + k + "=" + kCreateTime + " while restoring (to keep the backed-up " +
                   "timestamps), " + k + "=" + v + " once every partition is restored";
          }
        }
      } else {
        out += " (no topic.json in the backup: broker defaults)";
      }
      out += "\n";
    }
  }
  return out;
}

std::string FormatProgress(const RestoreProgress& p) {
  const double secs = std::chrono::duration<double>(p.elapsed).count();
  const double rate = secs > 0 ? p.bytes_sent / secs : 0;
  const double rec_rate = secs > 0 ? p.records_sent / secs : 0;
  std::string eta = "-";
  if (rec_rate > 0 && p.records_planned > p.records_sent) {
    eta = Duration((p.records_planned - p.records_sent) / rec_rate);
  } else if (p.records_planned <= p.records_sent) {
    eta = Duration(0);
  }
  return "restored " + Number(p.records_sent) + "/" + Number(p.records_planned) + " records, " +
         report::FormatBytes(p.bytes_sent) + ", " +
         report::FormatBytes(static_cast<uint64_t>(rate)) + "/s, " +
         std::to_string(p.partitions_done) + "/" + std::to_string(p.partitions_total) +
         " partitions, ETA " + eta;
}

std::string FormatSummary(const RestoreReport& report) {
  // The EXCLUDED column only with an --exclude-keys list.
  const bool excluding = report.exclude_keys > 0;
  std::vector<std::vector<std::string>> rows = {{"SOURCE", "TARGET", "OUTCOME", "SENT", "VERIFIED",
                                                 "TARGET OFFSETS", "RUNS", "GAPS", "SKIPPED",
                                                 "NOTE"}};
  if (excluding) rows[0].insert(rows[0].begin() + 5, "EXCLUDED");
  uint64_t sent = 0, bytes = 0, excluded = 0;
  size_t failed = 0;
  for (const PartitionResult& p : report.partitions) {
    const OffsetMap& m = p.map;
    std::string offsets = m.record_count() == 0 ? "-"
                                                : std::to_string(m.runs().front().target_start) +
                                                      "-" + std::to_string(m.target_end() - 1);
    size_t runs = m.runs().size();
    if (p.target_partitions > 0) {
      // Reshaped: per target partition that got records, "t:first-last".
      offsets.clear();
      runs = 0;
      for (const auto& [t, tm] : p.target_maps) {
        runs += tm.runs().size();
        if (tm.record_count() == 0) continue;
        offsets += (offsets.empty() ? "" : " ") + std::to_string(t) + ":" +
                   std::to_string(tm.runs().front().target_start) + "-" +
                   std::to_string(tm.target_end() - 1);
      }
      if (offsets.empty()) offsets = "-";
    }
    std::string note = p.error.ok() ? p.note : p.error.ToString();
    rows.push_back({p.source_topic + "/" + std::to_string(p.partition),
                    p.target_topic + "/" +
                        (p.target_partitions > 0 ? std::string("*") : std::to_string(p.partition)),
                    PartitionOutcomeName(p.outcome), std::to_string(p.records_sent),
                    std::to_string(p.records_verified), offsets, std::to_string(runs),
                    Ranges(p.gaps), Skipped(p.skipped), note});
    if (excluding) rows.back().insert(rows.back().begin() + 5, std::to_string(p.records_excluded));
    sent += p.records_sent;
    bytes += p.bytes_sent;
    excluded += p.records_excluded;
    if (!p.error.ok()) ++failed;
  }
  std::vector<bool> right = {false, false, false, true, true, true, true, false, false, false};
  if (excluding) right.insert(right.begin() + 5, true);
  std::string out = report::Table(rows, right);
  for (const PartitionResult& p : report.partitions) {
    for (const OffsetRange& h : p.holes) {
      if (!p.error.ok()) break;  // then the hole is the error, in the table
      out += "hole " + p.source_topic + "/" + std::to_string(p.partition) + " offsets " +
             std::to_string(h.first) + "-" + std::to_string(h.last) +
             ": in no segment and no gap record of the backup; restored around as a gap "
             "(--skip-corrupt)\n";
    }
    for (const SkippedRange& s : p.skipped) {
      out += "skipped " + p.source_topic + "/" + std::to_string(p.partition) + " offsets " +
             std::to_string(s.first) + "-" + std::to_string(s.last) + " (" + s.key +
             "): " + s.reason + "\n";
    }
  }
  for (const std::string& w : report.warnings) out += "warning: " + w + "\n";
  if (!report.created_topics.empty()) {
    out += "created topics:";
    for (const std::string& t : report.created_topics) out += " " + t;
    out += "\n";
  }
  for (const std::string& t : report.switched_topics) {
    out += "set " + t + " (every partition restored)\n";
  }
  for (const Status& e : report.topic_errors) out += "error: " + e.ToString() + "\n";
  if (report.zero_timestamps > 0) {
    out += "note: " + report::Plural(static_cast<int64_t>(report.zero_timestamps), "record") +
           " had timestamp 0, which librdkafka's producer cannot send (0 means \"now\" in its "
           "API): they were restored with the produce time instead\n";
  }
  if (excluding) {
    out += "excluded: " + report::Count(excluded, "record") +
           " left out for their key by this run (--exclude-keys: " +
           report::Count(report.exclude_keys, "key") + ", sha256 " + report.exclude_keys_sha256 +
           ")\n";
  }
  const double secs = std::chrono::duration<double>(report.elapsed).count();
  out += "restore: " + report::Plural(static_cast<int64_t>(sent), "record") + ", " +
         report::FormatBytes(bytes) + " sent in " + Duration(secs) + " (" +
         report::FormatBytes(secs > 0 ? static_cast<uint64_t>(bytes / secs) : 0) + "/s), " +
         report::FormatBytes(report.bytes_read) + " read from the store; " +
         std::to_string(report.partitions.size() - failed) + "/" +
         std::to_string(report.partitions.size()) + " partitions ok" +
         (report.topic_errors.empty()
              ? std::string()
              : ", " + report::Plural(static_cast<int64_t>(report.topic_errors.size()),
                                      "topic error")) +
         "\n";
  return out;
}

std::vector<PredictedMap> PredictMaps(
    const RestorePlan& plan,
    const std::map<std::pair<std::string, int32_t>, int64_t>& target_ends) {
  std::vector<PredictedMap> out;
  for (const TopicPlan& t : plan.topics) {
    for (const PartitionPlan& p : t.partitions) {
      if (!p.contiguous || !p.count_exact || !p.error.ok() || !p.skipped.empty()) continue;
      auto it = target_ends.find({p.target_topic, p.partition});
      const int64_t start = it == target_ends.end() ? 0 : it->second;
      OffsetMap map(start);
      // Contiguous source offsets land on contiguous target offsets: one run.
      if (p.records > 0 &&
          !map.AppendRun(p.first_offset, start, static_cast<int64_t>(p.records)).ok()) {
        continue;
      }
      out.push_back({&p, std::move(map)});
    }
  }
  return out;
}

}  // namespace kb::restore
