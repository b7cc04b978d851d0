// FormatLsText / FormatLsJson (ls.h).
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ops/ls.h"
#include "report/report_text.h"

namespace kb::ops {
namespace {

using nlohmann::ordered_json;

// Gap ranges shown per partition in the text report; the JSON report has all of them.
constexpr size_t kMaxGapsShown = 20;

std::string Time(const std::optional<int64_t>& ms) { return ms ? report::FormatTimeMs(*ms) : "-"; }

std::string GroupOffsets(const LsPartition& p) {
  std::string cell = p.has_consumers_offset ? "latest" : "";
  if (p.totals.offset_snapshots > 0) {
    if (!cell.empty()) cell += " + ";
    cell += report::Count(p.totals.offset_snapshots, "snapshot") + " to " +
            report::FormatTimeMs(p.totals.newest_snapshot_ms);
  }
  return cell.empty() ? "-" : cell;
}

// "150 records in 3 segments (1.2 MiB), times 2026-... to 2026-..., 2 gaps (60 offsets)".
std::string TotalsText(const LsTotals& t) {
  std::string text = report::Count(t.records, "record") + " in " +
                     report::Count(t.segments, "segment") + " (" +
                     report::FormatBytes(t.stored_bytes) + ")";
  if (t.min_timestamp_ms) {
    text += ", record times " + Time(t.min_timestamp_ms) + " to " + Time(t.max_timestamp_ms);
  }
  return text + ", " + report::Count(t.gaps, "gap") + " (" +
         report::Count(t.gap_offsets, "offset") + ")";
}

std::string TopicLine(const LsTopic& t) {
  std::string line = t.topic + ": ";
  if (t.metadata) {
    const layout::TopicMetadata& md = *t.metadata;
    line += "topic.json " + report::Plural(md.partitions, "partition") + ", replication factor " +
            std::to_string(md.replication_factor) + ", " +
            report::Count(md.configs.size(), "config") + ", updated " +
            report::FormatTimeMs(md.updated_at_ms);
  } else {
    line += "no readable topic.json";
  }
  return line + "; stored " + report::Count(t.stored_partitions, "partition") + ", " +
         TotalsText(t.totals) + "\n";
}

std::string GapLines(const LsReport& report) {
  std::string out;
  for (const LsPartition& p : report.partitions) {
    if (p.gaps.empty()) continue;
    out += "gaps in " + p.topic + "/" + std::to_string(p.partition) + ":";
    for (size_t i = 0; i < p.gaps.size() && i < kMaxGapsShown; ++i) {
      out +=
          (i ? ", " : " ") + std::to_string(p.gaps[i].start) + ".." + std::to_string(p.gaps[i].end);
    }
    if (p.gaps.size() > kMaxGapsShown) {
      out += " and " + std::to_string(p.gaps.size() - kMaxGapsShown) + " more";
    }
    out += "\n";
  }
  return out;
}

ordered_json OptionalJson(const std::optional<int64_t>& v) {
  return v ? ordered_json(*v) : ordered_json(nullptr);
}

void AddTotalsJson(const LsTotals& t, ordered_json* j) {
  (*j)["segments"] = t.segments;
  (*j)["records"] = t.records;
  (*j)["stored_bytes"] = t.stored_bytes;
  (*j)["gaps"] = t.gaps;
  (*j)["gap_offsets"] = t.gap_offsets;
  (*j)["min_timestamp_ms"] = OptionalJson(t.min_timestamp_ms);
  (*j)["max_timestamp_ms"] = OptionalJson(t.max_timestamp_ms);
  (*j)["offset_snapshots"] = t.offset_snapshots;
  (*j)["newest_snapshot_ms"] = OptionalJson(
      t.newest_snapshot_ms < 0 ? std::nullopt : std::optional<int64_t>(t.newest_snapshot_ms));
}

ordered_json MetadataJson(const std::optional<layout::TopicMetadata>& md) {
  if (!md) return nullptr;
  return {{"partitions", md->partitions},
          {"replication_factor", md->replication_factor},
          {"configs", md->configs.size()},
          {"topic_id", md->topic_id},
          {"updated_at_ms", md->updated_at_ms}};
}

}  // namespace

std::string FormatLsText(const LsReport& report) {
  std::string out;
  if (report.topics.empty()) out = "the store holds no topics\n";
  if (!report.partitions.empty()) {
    std::vector<std::vector<std::string>> rows = {{"TOPIC", "PARTITION", "OFFSETS", "RECORDS",
                                                   "SEGMENTS", "SIZE", "OLDEST RECORD",
                                                   "NEWEST RECORD", "GAPS", "GROUP OFFSETS"}};
    for (const LsPartition& p : report.partitions) {
      const std::string offsets = p.first_offset < 0 ? "-"
                                                     : std::to_string(p.first_offset) + ".." +
                                                           std::to_string(p.last_offset);
      rows.push_back({p.topic, std::to_string(p.partition), offsets,
                      std::to_string(p.totals.records), std::to_string(p.totals.segments),
                      report::FormatBytes(p.totals.stored_bytes), Time(p.totals.min_timestamp_ms),
                      Time(p.totals.max_timestamp_ms), std::to_string(p.totals.gaps),
                      GroupOffsets(p)});
    }
    out += report::Table(rows, {false, true, true, true, true, true, false, false, true, false});
    out += GapLines(report) + "\n";
  }
  for (const LsTopic& t : report.topics) out += TopicLine(t);
  if (!report.topics.empty()) {
    out += "total: " + report::Count(report.topics.size(), "topic") + ", " +
           report::Count(report.partitions.size(), "partition") + ", " + TotalsText(report.totals) +
           "\n";
  }
  for (const LsGeneration& g : report.generations) {
    out += "archived generation " + std::to_string(g.generation) + " of " + g.topic + " (" +
           report::Count(g.objects, "object") + ", archived " + report::FormatTimeMs(g.generation) +
           "): read it with --generation " + std::to_string(g.generation) + "\n";
  }
  if (!report.problems.empty()) {
    out += "\n" + report::Count(report.problems.size(), "problem") + ":\n";
    for (const catalog::StoreProblem& p : report.problems)
      out += "  " + catalog::FormatProblem(p) + "\n";
  }
  return out;
}

std::string FormatLsJson(const LsReport& report) {
  ordered_json topics = ordered_json::array();
  for (const LsTopic& t : report.topics) {
    ordered_json j = {{"topic", t.topic},
                      {"metadata", MetadataJson(t.metadata)},
                      {"stored_partitions", t.stored_partitions}};
    AddTotalsJson(t.totals, &j);
    topics.push_back(std::move(j));
  }
  ordered_json partitions = ordered_json::array();
  for (const LsPartition& p : report.partitions) {
    ordered_json j = {{"topic", p.topic},
                      {"partition", p.partition},
                      {"first_offset", p.first_offset},
                      {"last_offset", p.last_offset}};
    AddTotalsJson(p.totals, &j);
    ordered_json gaps = ordered_json::array();
    for (const OffsetRange& g : p.gaps) gaps.push_back({{"start", g.start}, {"end", g.end}});
    j["gap_ranges"] = std::move(gaps);
    j["consumers_offset"] = p.has_consumers_offset;
    partitions.push_back(std::move(j));
  }
  ordered_json problems = ordered_json::array();
  for (const catalog::StoreProblem& p : report.problems) {
    problems.push_back(
        {{"key", p.key}, {"start", p.start}, {"end", p.end}, {"message", p.message}});
  }
  ordered_json totals = ordered_json::object();
  AddTotalsJson(report.totals, &totals);
  ordered_json generations = ordered_json::array();
  for (const LsGeneration& g : report.generations) {
    generations.push_back(
        {{"topic", g.topic}, {"generation", g.generation}, {"objects", g.objects}});
  }
  ordered_json doc = {{"topics", std::move(topics)},
                      {"generations", std::move(generations)},
                      {"partitions", std::move(partitions)},
                      {"problems", std::move(problems)},
                      {"totals", std::move(totals)}};
  return doc.dump(2) + "\n";
}

}  // namespace kb::ops
