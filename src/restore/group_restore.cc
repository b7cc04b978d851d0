#include "restore/group_restore.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <thread>
#include <tuple>

#include "catalog/store_scan.h"
#include "common/name_pattern.h"
#include "layout/metadata.h"
#include "report/report_text.h"

namespace kb::restore {
namespace {

constexpr std::chrono::seconds kAdminTimeout(30);
// How long a Retryable answer (NOT_COORDINATOR while a fresh cluster creates __consumer_offsets or
// a coordinator moves, timeouts) is retried before the call gives up with it.
constexpr std::chrono::seconds kRetryFor(90);

const Status& StatusOf(const Status& s) { return s; }
template <typename T>
const Status& StatusOf(const Result<T>& r) {
  return r.status();
}

// Calls `fn` until it returns anything but Retryable, or kRetryFor passed (then its last error).
// Both calls retried here are idempotent: a description, and setting offsets to fixed values.
template <typename Fn>
auto RetryTransient(Fn fn) -> decltype(fn()) {
  const auto deadline = std::chrono::steady_clock::now() + kRetryFor;
  auto backoff = std::chrono::milliseconds(100);
  while (true) {
    auto result = fn();
    if (!StatusOf(result).IsRetryable() || std::chrono::steady_clock::now() + backoff > deadline) {
      return result;
    }
    std::this_thread::sleep_for(backoff);
    backoff = std::min<std::chrono::milliseconds>(backoff * 2, std::chrono::seconds(2));
  }
}

std::string PartitionName(const std::string& topic, int32_t partition) {
  return topic + "/" + std::to_string(partition);
}

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

// Group filter entries (exact ids or '^' regular expressions); `what` names the flag in errors.
Result<std::vector<NamePattern>> CompileRules(const std::vector<std::string>& entries,
                                              const char* what) {
  std::vector<NamePattern> rules;
  for (const std::string& e : entries) {
    KB_ASSIGN_OR_RETURN(NamePattern p, NamePattern::Make(e, what));
    rules.push_back(std::move(p));
  }
  return rules;
}

bool AnyMatches(const std::vector<NamePattern>& rules, const std::string& group) {
  return std::any_of(rules.begin(), rules.end(),
                     [&](const NamePattern& r) { return r.Matches(group); });
}

// Picks the snapshot whose offsets apply to `src` and reads it into *offsets; leaves *offsets
// empty and sets src->note when there is none. Store and decode errors are returned.
Status ReadSnapshot(storage::ObjectStore& store, const layout::Keys& keys,
                    const std::optional<int64_t>& at_ms, PartitionGroupSource* src,
                    std::optional<layout::GroupOffsets>* offsets) {
  std::string key;
  if (!at_ms) {
    key = keys.ConsumerOffsets(src->source_topic, src->partition);
  } else {
    const std::string prefix = keys.ConsumerOffsetsHistoryPrefix(src->source_topic, src->partition);
    KB_ASSIGN_OR_RETURN(std::vector<storage::ObjectInfo> listed, storage::ListAll(store, prefix));
    int64_t best = -1, earliest = -1;
    for (const storage::ObjectInfo& o : listed) {
      const std::optional<layout::ParsedKey> k = keys.Parse(o.key);
      if (!k || k->kind != layout::KeyKind::kConsumerOffsetsHistory ||
          k->topic != src->source_topic || k->partition != src->partition) {
        continue;
      }
      if (earliest < 0 || k->time_ms < earliest) earliest = k->time_ms;
      if (k->time_ms <= *at_ms && k->time_ms > best) {
        best = k->time_ms;
        key = o.key;
      }
    }
    if (best < 0) {
      src->note =
          earliest < 0
              ? "no consumer group offset history under " + prefix + ": the groups' offsets at " +
                    report::FormatTimeMs(*at_ms) + " are unknown, none moved"
              : "the earliest consumer group offset snapshot (" + report::FormatTimeMs(earliest) +
                    ") is after " + report::FormatTimeMs(*at_ms) + ": none moved";
      return Status::OK();
    }
    src->snapshot_time_ms = best;
  }
  Result<std::string> text = store.Get(key);
  if (!at_ms && text.status().IsNotFound()) {
    src->note = "no consumer group offsets in the backup (" + key + " does not exist)";
    return Status::OK();
  }
  KB_RETURN_IF_ERROR(text.status());
  Result<layout::GroupOffsets> decoded = layout::DecodeGroupOffsets(key, *text);
  src->snapshot_key = key;
  if (!decoded.ok()) {
    if (decoded.status().code() != Status::Code::kCorruption &&
        decoded.status().code() != Status::Code::kNotImplemented) {
      return decoded.status();
    }
    // One bad snapshot costs its partition's groups, not every group's move.
    src->error = decoded.status().ToString();
    src->note = "the snapshot cannot be read (" + src->error +
                "): the groups' offsets of this partition were not moved";
    return Status::OK();
  }
  src->groups = static_cast<int>(decoded->size());
  *offsets = std::move(*decoded);
  return Status::OK();
}

std::string ActiveMessage(const kafka::GroupDescription& d) {
  std::string members = d.members == kafka::GroupDescription::kMembersUnknown
                            ? "members unknown (consumer protocol)"
                            : report::Plural(d.members, "member");
  return "group " + d.group_id + " may have active members on the target cluster (state " +
         kafka::GroupStateName(d.state) + ", " + members +
         "): its offsets were not moved; stop its consumers and run the restore again";
}

}  // namespace

const char* GroupOutcomeName(GroupOutcome outcome) {
  switch (outcome) {
    case GroupOutcome::kCommitted:
      return "committed";
    case GroupOutcome::kSkippedActive:
      return "skipped-active";
    case GroupOutcome::kSkippedFiltered:
      return "skipped-filtered";
    case GroupOutcome::kNothingToDo:
      return "nothing-to-do";
    case GroupOutcome::kFailed:
      break;
  }
  return "failed";
}

int GroupRestoreReport::Count(GroupOutcome outcome) const {
  return static_cast<int>(std::count_if(
      groups.begin(), groups.end(), [&](const GroupResult& g) { return g.outcome == outcome; }));
}

Result<GroupRestoreReport> PlanGroupRestore(storage::ObjectStore& store, const layout::Keys& keys,
                                            const std::vector<RestoredPartition>& partitions,
                                            const GroupRestoreOptions& options) {
  KB_ASSIGN_OR_RETURN(std::vector<NamePattern> include, CompileRules(options.include, "--groups"));
  KB_ASSIGN_OR_RETURN(std::vector<NamePattern> exclude,
                      CompileRules(options.exclude, "--exclude-groups"));
  if (options.at_ms && *options.at_ms < 0) {
    return Status::InvalidArgument("at_ms", "a time must be >= 0");
  }
  GroupRestoreReport report{.dry_run = options.dry_run, .at_ms = options.at_ms};
  std::set<std::pair<std::string, int32_t>> targets;
  std::map<std::string, GroupResult> groups;
  std::map<std::string, std::vector<std::string>> incomplete;  // group -> source partitions
  // Reshaped topics, by (source topic, target topic): their partitions, the incomplete ones, and
  // each group's committed offsets per source partition.
  struct Reshaped {
    std::vector<const RestoredPartition*> parts;
    std::vector<std::string> incomplete;
    std::map<std::string, std::map<int32_t, int64_t>> commits;
  };
  std::map<std::pair<std::string, std::string>, Reshaped> reshaped;
  for (const RestoredPartition& rp : partitions) {
    KB_RETURN_IF_ERROR(layout::ValidateTopicName(rp.source_topic));
    KB_RETURN_IF_ERROR(layout::ValidateTopicName(rp.target_topic));
    if (rp.partition < 0) {
      return Status::InvalidArgument(PartitionName(rp.source_topic, rp.partition),
                                     "partition numbers are >= 0");
    }
    if (rp.target_partitions == 0 && !targets.insert({rp.target_topic, rp.partition}).second) {
      return Status::InvalidArgument(PartitionName(rp.target_topic, rp.partition),
                                     "two restored partitions have the same target partition");
    }
    PartitionGroupSource src{.source_topic = rp.source_topic,
                             .partition = rp.partition,
                             .target_topic = rp.target_topic,
                             .reshaped = rp.target_partitions > 0};
    std::optional<layout::GroupOffsets> offsets;
    KB_RETURN_IF_ERROR(ReadSnapshot(store, keys, options.at_ms, &src, &offsets));
    if (!src.error.empty()) report.unreadable.push_back(src.error);
    if (offsets && !rp.complete) {
      src.note =
          "the restore of this partition is not complete: its groups' offsets were not "
          "moved (run the restore again to finish it)";
    }
    const std::string name = PartitionName(rp.source_topic, rp.partition);
    if (rp.target_partitions > 0) {
      Reshaped& r = reshaped[{rp.source_topic, rp.target_topic}];
      r.parts.push_back(&rp);
      if (!rp.complete) r.incomplete.push_back(name);
      for (const auto& [group, committed] : offsets.value_or(layout::GroupOffsets{})) {
        groups[group].group_id = group;
        r.commits[group][rp.partition] = committed;
      }
      report.partitions.push_back(std::move(src));
      continue;
    }
    for (const auto& [group, committed] : offsets.value_or(layout::GroupOffsets{})) {
      GroupResult& g = groups[group];
      g.group_id = group;
      if (!rp.complete) {
        incomplete[group].push_back(name);
        continue;
      }
      g.offsets.push_back({.source_topic = rp.source_topic,
                           .partition = rp.partition,
                           .target_topic = rp.target_topic,
                           .source_offset = committed,
                           .new_offset = rp.map.TranslateCommitted(committed),
                           .record_restored = rp.map.Lookup(committed).has_value()});
    }
    report.partitions.push_back(std::move(src));
  }
  for (const auto& [topics, r] : reshaped) {
    const int32_t n = r.parts.front()->target_partitions;
    for (const RestoredPartition* rp : r.parts) {
      if (rp->target_partitions != n) {
        return Status::InvalidArgument(topics.second,
                                       "its restored partitions disagree on the target "
                                       "partition count (" +
                                           std::to_string(n) + " and " +
                                           std::to_string(rp->target_partitions) + ")");
      }
    }
    for (const auto& [group, commits] : r.commits) {
      if (!r.incomplete.empty()) {
        for (const std::string& name : r.incomplete) incomplete[group].push_back(name);
        continue;
      }
      for (int32_t t = 0; t < n; ++t) {
        std::optional<int64_t> earliest;  // earliest unconsumed record landed on t
        int64_t end = 0;                  // end of the restored data on t
        for (const RestoredPartition* rp : r.parts) {
          auto m = rp->target_maps.find(t);
          if (m == rp->target_maps.end()) continue;
          end = std::max(end, m->second.target_end());
          auto c = commits.find(rp->partition);
          // No committed offset on this source partition: none of its records is consumed.
          const int64_t committed = c == commits.end() ? INT64_MIN : c->second;
          const int64_t at = m->second.TranslateCommitted(committed);
          if (at < m->second.target_end() && (!earliest || at < *earliest)) earliest = at;
        }
        groups[group].offsets.push_back({.source_topic = topics.first,
                                         .partition = t,
                                         .target_topic = topics.second,
                                         .source_offset = -1,
                                         .new_offset = earliest.value_or(end),
                                         .record_restored = earliest.has_value(),
                                         .reshaped = true,
                                         .source_offsets = commits});
      }
    }
  }
  for (auto& [id, g] : groups) {
    std::sort(g.offsets.begin(), g.offsets.end(),
              [](const TranslatedOffset& a, const TranslatedOffset& b) {
                return std::tie(a.target_topic, a.partition) <
                       std::tie(b.target_topic, b.partition);
              });
    auto inc = incomplete.find(id);
    const std::string not_complete =
        inc == incomplete.end() ? ""
                                : "not moved on " + Join(inc->second) + " (restore not complete)";
    if ((!include.empty() && !AnyMatches(include, id)) || AnyMatches(exclude, id)) {
      g.outcome = GroupOutcome::kSkippedFiltered;
      g.message = "left out by the group filters";
    } else if (g.offsets.empty()) {
      g.outcome = GroupOutcome::kNothingToDo;
      g.message = "offsets only on partitions whose restore is not complete: " + Join(inc->second);
    } else {
      g.outcome = GroupOutcome::kCommitted;
      g.message = not_complete;
    }
    report.groups.push_back(std::move(g));
  }
  return report;
}

Result<GroupRestoreReport> RestoreGroupOffsets(storage::ObjectStore& store,
                                               const layout::Keys& keys, kafka::Admin& admin,
                                               const std::vector<RestoredPartition>& partitions,
                                               const GroupRestoreOptions& options) {
  KB_ASSIGN_OR_RETURN(GroupRestoreReport report,
                      PlanGroupRestore(store, keys, partitions, options));
  std::vector<std::string> candidates;
  for (const GroupResult& g : report.groups) {
    if (g.outcome == GroupOutcome::kCommitted) candidates.push_back(g.group_id);
  }
  if (candidates.empty()) return report;
  KB_ASSIGN_OR_RETURN(std::vector<kafka::GroupDescription> described, RetryTransient([&] {
                        // READ: committing the offsets needs it (and it implies DESCRIBE).
                        return admin.DescribeConsumerGroups(candidates, kAdminTimeout, "READ");
                      }));
  std::map<std::string, const kafka::GroupDescription*> by_id;
  for (const kafka::GroupDescription& d : described) by_id[d.group_id] = &d;
  std::vector<std::string> active;
  for (GroupResult& g : report.groups) {
    if (g.outcome != GroupOutcome::kCommitted) continue;
    auto it = by_id.find(g.group_id);
    if (it == by_id.end() || !it->second->MayHaveActiveMembers()) continue;
    g.outcome = GroupOutcome::kSkippedActive;
    g.message = ActiveMessage(*it->second);
    active.push_back(g.group_id);
  }
  if (!active.empty() && options.fail_on_active && !options.dry_run) {
    return Status::FailedPrecondition(
        "group " + Join(active),
        "may have active members on the target cluster; no group offsets were moved: stop the "
        "group's consumers and run the restore again");
  }
  if (options.dry_run) return report;
  for (GroupResult& g : report.groups) {
    if (g.outcome != GroupOutcome::kCommitted) continue;
    kafka::GroupOffsets commit;
    for (const TranslatedOffset& o : g.offsets) {
      commit[{o.target_topic, o.partition}] = o.new_offset;
    }
    Status s = RetryTransient(
        [&] { return admin.AlterConsumerGroupOffsets(g.group_id, commit, kAdminTimeout); });
    if (s.ok()) continue;
    if (s.code() == Status::Code::kFailedPrecondition) {
      // A member joined after the check.
      if (options.fail_on_active) return s;
      g.outcome = GroupOutcome::kSkippedActive;
      g.message = "group " + g.group_id +
                  " got active members on the target cluster: its offsets were not moved; stop "
                  "its consumers and run the restore again (" +
                  s.ToString() + ")";
      continue;
    }
    g.outcome = GroupOutcome::kFailed;
    g.message = s.ToString();
    report.errors.push_back(s.ToString());
  }
  return report;
}

}  // namespace kb::restore
