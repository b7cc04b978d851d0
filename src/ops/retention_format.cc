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

// "locked until <date> (GOVERNANCE)" / "under legal hold".
std::string LockText(const LockedObject& l) {
  std::string out;
  if (l.retain_until_ms > 0) {
    out = "locked until " + report::FormatTimeMs(l.retain_until_ms) +
          (l.mode.empty() ? "" : " (" + l.mode + ")");
  }
  if (l.legal_hold) out += out.empty() ? "under legal hold" : ", under legal hold";
  return out;
}

}  // namespace

std::string FormatRetentionText(const RetentionReport& r) {
  std::string out;
  const char* verb = r.executed ? "deleted " : "would delete ";
  for (const PruneAction& a : r.deleted) {
    out += verb + a.key + Offsets(a.start, a.end) + ": " + a.reason + "\n";
  }
  for (const PendingRange& p : r.pending) {
    if (p.behind_locked) {
      out += "expired, kept behind a locked range: " + p.key + Offsets(p.start, p.end) +
             " (first seen expired " + report::FormatTimeMs(p.first_seen_ms) + ")\n";
      continue;
    }
    out += "expired, kept until " + report::FormatTimeMs(p.due_ms) + ": " + p.key +
           Offsets(p.start, p.end) + " (first seen expired " +
           report::FormatTimeMs(p.first_seen_ms) + ")\n";
  }
  for (const LockedObject& l : r.locked) {
    out += LockText(l) + ", kept: " + l.key + Offsets(l.start, l.end) + "\n";
  }
  for (const TopicRetention& t : r.topics) {
    out += t.topic + ": " + TopicStateName(t.state);
    if (t.missing_since_ms) out += " since " + report::FormatTimeMs(*t.missing_since_ms);
    if (t.state == TopicRetention::State::kMissing) {
      if (t.locked_until_ms) {
        out += *t.locked_until_ms > 0 ? ", backup kept: object-locked until " +
                                            report::FormatTimeMs(*t.locked_until_ms)
                                      : std::string(", backup kept: objects under legal hold");
      } else {
        out += t.delete_due_ms ? ", backup kept until " + report::FormatTimeMs(*t.delete_due_ms)
                               : ", backup kept until `kafka-backup prune --topic " + t.topic + "`";
      }
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
         (r.locked.empty()
              ? std::string()
              : "; " + report::Count(r.locked.size(), "object") + " kept for their object lock") +
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
                      {"oldest_timestamp_ms", OptionalMs(t.oldest_timestamp_ms)},
                      {"locked_until_ms", OptionalMs(t.locked_until_ms)}});
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
                       {"due_ms", p.due_ms},
                       {"behind_locked", p.behind_locked}});
  }
  ordered_json locked = ordered_json::array();
  for (const LockedObject& l : r.locked) {
    locked.push_back({{"key", l.key},
                      {"topic", l.topic},
                      {"partition", l.partition},
                      {"start", l.start},
                      {"end", l.end},
                      {"segment", l.is_segment},
                      {"size", l.size},
                      {"mode", l.mode},
                      {"retain_until_ms",
                       OptionalMs(l.retain_until_ms > 0 ? std::optional<int64_t>(l.retain_until_ms)
                                                        : std::nullopt)},
                      {"legal_hold", l.legal_hold}});
  }
  ordered_json j = {{"executed", r.executed},
                    {"now_ms", r.now_ms},
                    {"topics", std::move(topics)},
                    {"deleted", std::move(deleted)},
                    {"pending", std::move(pending)},
                    {"locked", std::move(locked)},
                    {"segments_deleted", r.segments_deleted},
                    {"bytes_deleted", r.bytes_deleted}};
  return j.dump(2) + "\n";
}

}  // namespace kb::ops
