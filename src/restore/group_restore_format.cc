// FormatGroupReport / FormatGroupReportJson (restore/group_restore.h).
#include <nlohmann/json.hpp>

#include "report/report_text.h"
#include "restore/group_restore.h"

namespace kb::restore {
namespace {

std::string OutcomeLabel(const GroupRestoreReport& report, const GroupResult& g) {
  if (report.dry_run && g.outcome == GroupOutcome::kCommitted) return "would-commit";
  return GroupOutcomeName(g.outcome);
}

std::string Arrow(const std::string& source_topic, int32_t partition,
                  const std::string& target_topic) {
  return source_topic + "/" + std::to_string(partition) + " -> " + target_topic + "/" +
         std::to_string(partition);
}

// A reshaped restore's committed offsets per source partition: "0@5 1@7" ("-" for none).
std::string SourceOffsets(const TranslatedOffset& o) {
  std::string out;
  for (const auto& [p, c] : o.source_offsets) {
    out += (out.empty() ? "" : " ") + std::to_string(p) + "@" + std::to_string(c);
  }
  return out.empty() ? "-" : out;
}

}  // namespace

std::string FormatGroupReport(const GroupRestoreReport& report) {
  std::string out = "Consumer group offsets (";
  out += report.at_ms ? "snapshot in force at " + report::FormatTimeMs(*report.at_ms)
                      : std::string("latest snapshot");
  out += report.dry_run ? "; dry run, nothing written):\n" : "):\n";
  for (const PartitionGroupSource& p : report.partitions) {
    out += "  " +
           (p.reshaped ? p.source_topic + "/" + std::to_string(p.partition) + " -> " +
                             p.target_topic + " (reshaped)"
                       : Arrow(p.source_topic, p.partition, p.target_topic)) +
           ": ";
    if (!p.snapshot_key.empty()) {
      out += report::Plural(p.groups, "group") + " in " + p.snapshot_key;
      if (p.snapshot_time_ms >= 0) out += " (" + report::FormatTimeMs(p.snapshot_time_ms) + ")";
      if (!p.note.empty()) out += "; ";
    }
    out += p.note + "\n";
  }
  for (const GroupResult& g : report.groups) {
    out += "group " + g.group_id + ": " + OutcomeLabel(report, g);
    if (!g.message.empty()) out += ": " + g.message;
    out += "\n";
    if (g.outcome != GroupOutcome::kCommitted && g.outcome != GroupOutcome::kFailed) continue;
    std::vector<std::vector<std::string>> rows;
    for (const TranslatedOffset& o : g.offsets) {
      if (o.reshaped) {
        rows.push_back({"    " + o.source_topic + "/* -> " + o.target_topic + "/" +
                            std::to_string(o.partition),
                        SourceOffsets(o), "->", std::to_string(o.new_offset),
                        o.record_restored ? "(earliest unconsumed record landed here)"
                                          : "(every record landed here is consumed)"});
        continue;
      }
      rows.push_back({"    " + Arrow(o.source_topic, o.partition, o.target_topic),
                      std::to_string(o.source_offset), "->", std::to_string(o.new_offset),
                      o.record_restored
                          ? ""
                          : "(record " + std::to_string(o.source_offset) + " not restored)"});
    }
    out += report::Table(rows, {false, true, false, true, false});
  }
  for (const std::string& e : report.errors) out += "error: " + e + "\n";
  for (const std::string& e : report.unreadable) out += "unreadable snapshot: " + e + "\n";
  const std::string committed = report.dry_run ? " to commit, " : " committed, ";
  out += report::Plural(static_cast<int64_t>(report.groups.size()), "group") + ": " +
         std::to_string(report.Count(GroupOutcome::kCommitted)) + committed +
         std::to_string(report.Count(GroupOutcome::kSkippedActive)) + " skipped (active), " +
         std::to_string(report.Count(GroupOutcome::kSkippedFiltered)) + " filtered out, " +
         std::to_string(report.Count(GroupOutcome::kNothingToDo)) + " with nothing to do, " +
         std::to_string(report.Count(GroupOutcome::kFailed)) + " failed\n";
  return out;
}

std::string FormatGroupReportJson(const GroupRestoreReport& report) {
  nlohmann::json partitions = nlohmann::json::array();
  for (const PartitionGroupSource& p : report.partitions) {
    partitions.push_back(
        {{"source_topic", p.source_topic},
         {"partition", p.partition},
         {"target_topic", p.target_topic},
         {"reshaped", p.reshaped},
         {"snapshot_key", p.snapshot_key},
         {"snapshot_time_ms",
          p.snapshot_time_ms >= 0 ? nlohmann::json(p.snapshot_time_ms) : nlohmann::json(nullptr)},
         {"groups", p.groups},
         {"note", p.note},
         {"error", p.error}});
  }
  nlohmann::json groups = nlohmann::json::array();
  for (const GroupResult& g : report.groups) {
    nlohmann::json offsets = nlohmann::json::array();
    for (const TranslatedOffset& o : g.offsets) {
      offsets.push_back({{"source_topic", o.source_topic},
                         {"partition", o.partition},
                         {"target_topic", o.target_topic},
                         {"source_offset",
                          o.reshaped ? nlohmann::json(nullptr) : nlohmann::json(o.source_offset)},
                         {"new_offset", o.new_offset},
                         {"record_restored", o.record_restored}});
      if (o.reshaped) {
        nlohmann::json per = nlohmann::json::object();
        for (const auto& [p, c] : o.source_offsets) per[std::to_string(p)] = c;
        offsets.back()["reshaped"] = true;
        offsets.back()["source_offsets"] = per;
      }
    }
    groups.push_back({{"group_id", g.group_id},
                      {"outcome", OutcomeLabel(report, g)},
                      {"message", g.message},
                      {"offsets", offsets}});
  }
  nlohmann::json j = {
      {"dry_run", report.dry_run},
      {"at_ms", report.at_ms ? nlohmann::json(*report.at_ms) : nlohmann::json(nullptr)},
      {"partitions", partitions},
      {"groups", groups},
      {"errors", report.errors},
      {"unreadable", report.unreadable},
      {"ok", report.ok()}};
  return j.dump(2) + "\n";
}

}  // namespace kb::restore
