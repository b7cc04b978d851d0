// FormatStatusText / FormatStatusJson (status.h).
#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ops/status.h"
#include "report/report_text.h"

namespace kb::ops {
namespace {

std::string TopicLine(const TopicStatus& t) {
  std::string line = t.topic + ": " + t.state + " (" + report::Plural(t.partitions, "partition");
  if (!t.in_cluster) {
    line += " stored";
  } else if (t.lag_records == 0) {
    line += ", up to date";
  } else {
    line += ", lag " + report::Plural(t.lag_records, "record") + ", oldest not backed up " +
            (t.lag_seconds < 0 ? std::string("of unknown age")
                               : report::NumOrDash(t.lag_seconds) + " s old");
  }
  return line + ", " + report::Plural(static_cast<int64_t>(t.gap_records), "gap record") + ")\n";
}

}  // namespace

std::string FormatStatusText(const StatusReport& report) {
  if (report.topics.empty()) {
    return "no topics: none in the cluster is selected by backup.topics, and the store holds "
           "none\n";
  }
  std::vector<std::vector<std::string>> rows = {{"TOPIC", "PARTITION", "BACKED UP TO",
                                                 "HIGH WATERMARK", "LAG RECORDS", "LAG SECONDS",
                                                 "GAPS", "STATE"}};
  for (const PartitionStatus& p : report.partitions) {
    rows.push_back({p.topic, std::to_string(p.partition), report::NumOrDash(p.backed_up_next),
                    report::NumOrDash(p.high_watermark), std::to_string(p.lag_records),
                    report::NumOrDash(p.lag_seconds), std::to_string(p.gap_records), p.state});
  }
  std::string out = report::Table(rows, {false, true, true, true, true, true, true, false}) + "\n";
  int64_t lag = 0;
  uint64_t gaps = 0;
  for (const TopicStatus& t : report.topics) {
    out += TopicLine(t);
    lag += t.lag_records;
    gaps += t.gap_records;
  }
  out += "total: " + report::Plural(static_cast<int64_t>(report.topics.size()), "topic") + ", " +
         report::Plural(static_cast<int64_t>(report.partitions.size()), "partition") + ", lag " +
         report::Plural(lag, "record") + ", " +
         report::Plural(static_cast<int64_t>(gaps), "gap record") + "\n";
  return out;
}

std::string FormatStatusJson(const StatusReport& report) {
  nlohmann::ordered_json partitions = nlohmann::ordered_json::array();
  for (const PartitionStatus& p : report.partitions) {
    partitions.push_back({
        {"topic", p.topic},
        {"partition", p.partition},
        {"log_start", p.log_start},
        {"high_watermark", p.high_watermark},
        {"stored_from", p.stored_from},
        {"backed_up_next", p.backed_up_next},
        {"lag_records", p.lag_records},
        {"lag_seconds", p.lag_seconds},
        {"newest_backed_up_timestamp_ms", p.newest_backed_up_timestamp_ms},
        {"gap_records", p.gap_records},
        {"state", p.state},
    });
  }
  nlohmann::ordered_json topics = nlohmann::ordered_json::array();
  for (const TopicStatus& t : report.topics) {
    topics.push_back({
        {"topic", t.topic},
        {"in_cluster", t.in_cluster},
        {"selected", t.selected},
        {"partitions", t.partitions},
        {"lag_records", t.lag_records},
        {"lag_seconds", t.lag_seconds},
        {"gap_records", t.gap_records},
        {"state", t.state},
    });
  }
  nlohmann::ordered_json doc = {{"computed_at_ms", report.computed_at_ms},
                                {"partitions", std::move(partitions)},
                                {"topics", std::move(topics)}};
  return doc.dump(2) + "\n";
}

}  // namespace kb::ops
