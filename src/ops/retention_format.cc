// FormatRetentionText / FormatRetentionJson (retention.h).
#include <nlohmann/json.hpp>

#include "ops/retention.h"
#include "report/report_text.h"

namespace kb::ops {
namespace {

using nlohmann::ordered_json;

ordered_json OptionalMs(const std::optional<int64_t>& ms) {
  return ms ? ordered_json(*ms) : ordered_json();
}

std::string Offsets(int64_t start, int64_t end) {
  return start < 0 ? std::string()
                   : " offsets " + std::to_string(start) + ".." + std::to_string(end);
}

}  // namespace

std::string FormatRetentionText(const RetentionReport& r) {
  std::string out;
  const char* verb = r.executed ? "deleted " : "would delete ";
  for (const PruneAction& a : r.deleted) {
    out += verb + a.key + Offsets(a.start, a.end) + ": " + a.reason + "\n";
  }
  for (const PendingRange& p : r.pending) {
    out += "expired, kept until " + report::FormatTimeMs(p.due_ms) + ": " + p.key +
           Offsets(p.start, p.end) + " (first seen expired " +
           report::FormatTimeMs(p.first_seen_ms) + ")\n";
  }
  for (const TopicRetention& t : r.topics) {
    out += t.topic + ": " + TopicStateName(t.state);
    if (t.missing_since_ms) out += " since " + report::FormatTimeMs(*t.missing_since_ms);
    if (t.state == TopicRetention::State::kMissing) {
      out += t.delete_due_ms ? ", backup kept until " + report::FormatTimeMs(*t.delete_due_ms)
                             : ", backup kept until `kafka-backup prune --topic " + t.topic + "`";
    }
    if (t.state == TopicRetention::State::kCompacted) out += ", never pruned by retention";
    if (t.state != TopicRetention::State::kDeleted) {
      out += "; keeps " + report::Count(t.segments_kept, "segment") + " (" +
             report::FormatBytes(t.bytes_kept) + ")";
      if (t.oldest_timestamp_ms)
        out += ", oldest record " + report::FormatTimeMs(*t.oldest_timestamp_ms);
    }
    out += "\n";
  }
  out += std::string(r.executed ? "deleted " : "plan: would delete ") +
         report::Count(r.deleted.size(), "object") + " (" +
         report::Count(r.segments_deleted, "segment") + ", " +
         report::FormatBytes(r.bytes_deleted) + "); " +
         report::Count(r.pending.size(), "expired range") + " within the grace period" +
         (r.executed ? "" : "; run with --execute to delete") + "\n";
  return out;
}

std::string FormatRetentionJson(const RetentionReport& r) {
  ordered_json topics = ordered_json::array();
  for (const TopicRetention& t : r.topics) {
    topics.push_back({{"topic", t.topic},
                      {"state", TopicStateName(t.state)},
                      {"missing_since_ms", OptionalMs(t.missing_since_ms)},
                      {"delete_due_ms", OptionalMs(t.delete_due_ms)},
                      {"segments_kept", t.segments_kept},
                      {"bytes_kept", t.bytes_kept},
                      {"oldest_timestamp_ms", OptionalMs(t.oldest_timestamp_ms)}});
  }
  ordered_json deleted = ordered_json::array();
  for (const PruneAction& a : r.deleted) {
    deleted.push_back({{"key", a.key},
                       {"topic", a.topic},
                       {"partition", a.partition},
                       {"start", a.start},
                       {"end", a.end},
                       {"segment", a.is_segment},
                       {"size", a.size},
                       {"reason", a.reason}});
  }
  ordered_json pending = ordered_json::array();
  for (const PendingRange& p : r.pending) {
    pending.push_back({{"key", p.key},
                       {"topic", p.topic},
                       {"partition", p.partition},
                       {"start", p.start},
                       {"end", p.end},
                       {"segment", p.is_segment},
                       {"size", p.size},
                       {"first_seen_ms", p.first_seen_ms},
                       {"due_ms", p.due_ms}});
  }
  ordered_json j = {{"executed", r.executed},          {"now_ms", r.now_ms},
                    {"topics", std::move(topics)},     {"deleted", std::move(deleted)},
                    {"pending", std::move(pending)},   {"segments_deleted", r.segments_deleted},
                    {"bytes_deleted", r.bytes_deleted}};
  return j.dump(2) + "\n";
}

}  // namespace kb::ops
