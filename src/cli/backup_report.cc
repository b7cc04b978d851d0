#include "cli/backup_report.h"

#include <cstdio>
#include <nlohmann/json.hpp>
#include <vector>

#include "report/report_text.h"

namespace kb::cli {

void BackupReport::AddSegment(const std::string& topic, int32_t partition, uint64_t records,
                              uint64_t payload_bytes, uint64_t object_bytes) {
  Topic& t = topics_[topic];
  t.partitions.insert(partition);
  t.records += records;
  t.payload_bytes += payload_bytes;
  t.object_bytes += object_bytes;
  t.segments++;
}

void BackupReport::AddGap(const std::string& topic, int32_t partition, uint64_t records) {
  Topic& t = topics_[topic];
  t.partitions.insert(partition);
  t.gap_records += records;
}

void BackupReport::Print(bool once, double seconds, const Status& result, bool json,
                         std::ostream& out) const {
  Topic total;
  size_t partitions = 0;
  for (const auto& [name, t] : topics_) {
    partitions += t.partitions.size();
    total.records += t.records;
    total.payload_bytes += t.payload_bytes;
    total.object_bytes += t.object_bytes;
    total.segments += t.segments;
    total.gap_records += t.gap_records;
  }
  if (json) {
    nlohmann::ordered_json j;
    j["command"] = "backup";
    j["mode"] = once ? "once" : "daemon";
    j["result"] = result.ok() ? "ok" : "failed";
    if (!result.ok()) j["error"] = result.ToString();
    j["seconds"] = seconds;
    j["records_read"] = records_read_;
    j["records"] = total.records;
    j["payload_bytes"] = total.payload_bytes;
    j["stored_bytes"] = total.object_bytes;
    j["segments"] = total.segments;
    j["gap_records"] = total.gap_records;
    j["partitions"] = partitions;
    nlohmann::ordered_json topics = nlohmann::ordered_json::array();
    for (const auto& [name, t] : topics_) {
      topics.push_back({{"topic", name},
                        {"partitions", t.partitions.size()},
                        {"records", t.records},
                        {"payload_bytes", t.payload_bytes},
                        {"stored_bytes", t.object_bytes},
                        {"segments", t.segments},
                        {"gap_records", t.gap_records}});
    }
    j["topics"] = std::move(topics);
    nlohmann::ordered_json requests = nlohmann::ordered_json::object();
    for (const auto& [op, n] : store_requests_) requests[op] = n;
    j["store_requests"] = std::move(requests);
    out << j.dump(2) << "\n";
    return;
  }
  char secs[32];
  std::snprintf(secs, sizeof secs, "%.1f s", seconds);
  out << "backup " << (once ? "--once " : "") << (result.ok() ? "finished" : "FAILED") << " in "
      << secs << ": " << report::Count(total.records, "record") << " ("
      << report::FormatBytes(total.payload_bytes) << ") of "
      << report::Count(partitions, "partition") << " in "
      << report::Count(total.segments, "segment") << ", " << report::FormatBytes(total.object_bytes)
      << " stored";
  if (total.gap_records > 0) out << ", " << report::Count(total.gap_records, "gap record");
  out << "\n";
  if (!result.ok()) {
    out << "error: " << result.ToString() << "\n"
        << report::Count(records_read_, "record") << " read; what is not durable is read again "
        << "by the next run\n";
  }
  if (!topics_.empty()) {
    std::vector<std::vector<std::string>> rows = {
        {"TOPIC", "PARTITIONS", "RECORDS", "BYTES", "STORED", "SEGMENTS", "GAP RECORDS"}};
    for (const auto& [name, t] : topics_) {
      rows.push_back({name, std::to_string(t.partitions.size()), std::to_string(t.records),
                      report::FormatBytes(t.payload_bytes), report::FormatBytes(t.object_bytes),
                      std::to_string(t.segments), std::to_string(t.gap_records)});
    }
    out << report::Table(rows, {false, true, true, true, true, true, true});
  }
  if (!store_requests_.empty()) {
    out << "store requests:";
    const char* sep = " ";
    for (const auto& [op, n] : store_requests_) {
      out << sep << op << " " << n;
      sep = ", ";
    }
    out << "\n";
  }
}

}  // namespace kb::cli
