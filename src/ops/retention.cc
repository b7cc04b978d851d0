#include "ops/retention.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <set>
#include <thread>

#include "catalog/store_catalog.h"
#include "catalog/store_scan.h"
#include "common/clock.h"
#include "layout/retention_state.h"
#include "report/report_text.h"

namespace kb::ops {
namespace {

constexpr size_t kDeleteBatch = 1000;

bool IsCompacted(const kafka::TopicConfigs& configs) {
  auto it = configs.find("cleanup.policy");
  return it != configs.end() && it->second.find("compact") != std::string::npos;
}

std::string Duration(std::chrono::milliseconds d) {
  const int64_t ms = d.count();
  if (ms == 0) return "0s";
  if (ms % 86'400'000 == 0) return std::to_string(ms / 86'400'000) + "d";
  if (ms % 3'600'000 == 0) return std::to_string(ms / 3'600'000) + "h";
  if (ms % 60'000 == 0) return std::to_string(ms / 60'000) + "m";
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

Result<layout::RetentionState> LoadState(storage::ObjectStore& store, const std::string& key) {
  if (key.empty()) return layout::RetentionState{};
  Result<std::string> json = store.Get(key);
  if (json.status().IsNotFound()) return layout::RetentionState{};  // listed, then deleted
  if (!json.ok()) return json.status();
  return layout::DecodeRetentionState(key, *json);
}

// Deletes `actions` (logging each first) in batches.
Status DeleteAll(storage::ObjectStore& store, const std::vector<PruneAction>& actions) {
  for (size_t i = 0; i < actions.size(); i += kDeleteBatch) {
    std::vector<std::string> batch;
    for (size_t j = i; j < std::min(actions.size(), i + kDeleteBatch); ++j) {
      spdlog::info("retention: deleting {} ({})", actions[j].key, actions[j].reason);
      batch.push_back(actions[j].key);
    }
    KB_RETURN_IF_ERROR(store.Delete(batch));
  }
  return Status::OK();
}

// Every object under the topic's prefix, data first and topic.json / retention.json last.
Result<std::vector<PruneAction>> WholeTopic(storage::ObjectStore& store, const layout::Keys& keys,
                                            const std::string& topic, const std::string& reason) {
  std::vector<PruneAction> data, last;
  const std::vector<std::string> only = {topic};
  KB_RETURN_IF_ERROR(
      catalog::ForEachStoredObject(store, keys, &only, [&](const storage::ObjectInfo& o) {
        PruneAction a{.key = o.key, .topic = topic, .size = o.size, .reason = reason};
        const std::optional<layout::ParsedKey> k = keys.Parse(o.key);
        if (k) {
          a.partition = k->partition;
          a.start = k->start;
          a.end = k->end;
          a.is_segment = k->kind == layout::KeyKind::kSegment;
        }
        const bool topic_level = k && (k->kind == layout::KeyKind::kTopicMetadata ||
                                       k->kind == layout::KeyKind::kRetentionState);
        (topic_level ? last : data).push_back(std::move(a));
      }));
  data.insert(data.end(), last.begin(), last.end());
  return data;
}

// Whether `lock` forbids deleting its object at `now_ms`.
bool Holds(const storage::ObjectLock& lock, int64_t now_ms) {
  return lock.legal_hold || lock.retain_until_ms > now_ms;
}

// The object locks (ObjectStore::Lock) of `actions` that still hold at `now_ms`, by key; up to
// `parallelism` asked at once. A key gone meanwhile (NotFound) holds nothing.
Result<std::map<std::string, storage::ObjectLock>> LocksOf(storage::ObjectStore& store,
                                                           const std::vector<PruneAction>& actions,
                                                           int64_t now_ms, size_t parallelism) {
  std::vector<std::optional<Result<std::optional<storage::ObjectLock>>>> got(actions.size());
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i; (i = next.fetch_add(1)) < actions.size();) got[i] = store.Lock(actions[i].key);
  };
  {
    std::vector<std::jthread> helpers;
    const size_t n = std::min(std::max<size_t>(parallelism, 1), actions.size());
    for (size_t t = 1; t < n; ++t) helpers.emplace_back(work);
    work();
  }
  std::map<std::string, storage::ObjectLock> out;
  for (size_t i = 0; i < actions.size(); ++i) {
    const Result<std::optional<storage::ObjectLock>>& r = *got[i];
    if (r.status().IsNotFound()) continue;
    if (!r.ok()) return r.status().WithContext("reading the object lock before deleting");
    if (*r && Holds(**r, now_ms)) out[actions[i].key] = **r;
  }
  return out;
}

LockedObject LockedFrom(const PruneAction& a, const storage::ObjectLock& lock) {
  return {.key = a.key,
          .topic = a.topic,
          .partition = a.partition,
          .start = a.start,
          .end = a.end,
          .is_segment = a.is_segment,
          .size = a.size,
          .mode = lock.mode,
          .retain_until_ms = lock.retain_until_ms,
          .legal_hold = lock.legal_hold};
}

void CountDeleted(RetentionReport* report, const std::vector<PruneAction>& actions) {
  for (const PruneAction& a : actions) {
    if (!a.is_segment) continue;
    ++report->segments_deleted;
    report->bytes_deleted += a.size;
  }
  report->deleted.insert(report->deleted.end(), actions.begin(), actions.end());
}

// What one round decides for a topic that exists and is not compacted: the expired ranges to
// delete (in offset order per partition) and the new state.
struct TopicPlan {
  std::vector<PruneAction> deletions;
  layout::RetentionState state;
};

// `locked`: ranges whose object lock still holds; kept (in `locked_out`), with every later range of
// their partition.
TopicPlan PlanPartitions(const std::string& topic, const catalog::TopicObjects& objects,
                         const std::map<kafka::TopicPartition, kafka::Watermarks>& marks,
                         const layout::RetentionState& old, const RetentionOptions& options,
                         const WallGuard::Reading& now,
                         const std::map<std::string, storage::ObjectLock>& locked,
                         std::vector<PendingRange>* pending,
                         std::vector<LockedObject>* locked_out) {
  TopicPlan plan;
  for (const auto& [partition, p] : objects.partitions) {
    auto mark = marks.find({topic, partition});
    if (mark == marks.end()) continue;  // the cluster no longer has it: kept
    const int64_t low = mark->second.low;
    std::map<std::pair<int64_t, int64_t>, int64_t> seen;
    if (auto it = old.expired.find(partition); it != old.expired.end()) {
      for (const auto& e : it->second) seen[{e.start, e.end}] = e.first_seen_ms;
    }
    std::vector<layout::RetentionState::Expired> still;
    bool unbroken = true;     // every range before this one is deleted this round
    bool after_lock = false;  // a range before this one is kept for its object lock
    for (const catalog::StoredRange& r : p.ranges) {
      if (r.end >= low) break;  // holds offsets Kafka still has, and so does every later range
      auto s = seen.find({r.start, r.end});
      const int64_t first_seen = s == seen.end() ? now.stamp_ms : s->second;
      const int64_t due = first_seen + options.grace.count();
      auto lock = locked.find(r.key);
      if (unbroken && now.reached_ms >= due && lock == locked.end()) {
        plan.deletions.push_back({.key = r.key,
                                  .topic = topic,
                                  .partition = partition,
                                  .start = r.start,
                                  .end = r.end,
                                  .is_segment = !r.is_gap,
                                  .size = r.size,
                                  .reason = "expired: every offset is below the log start offset " +
                                            std::to_string(low) + " of " + topic + "/" +
                                            std::to_string(partition) + ", first seen " +
                                            report::FormatTimeMs(first_seen) + ", grace " +
                                            Duration(options.grace) + " passed"});
        continue;
      }
      unbroken = false;
      still.push_back({r.start, r.end, first_seen});
      if (lock != locked.end()) {
        after_lock = true;
        locked_out->push_back(LockedFrom({.key = r.key,
                                          .topic = topic,
                                          .partition = partition,
                                          .start = r.start,
                                          .end = r.end,
                                          .is_segment = !r.is_gap,
                                          .size = r.size},
                                         lock->second));
        continue;
      }
      pending->push_back({r.key, topic, partition, r.start, r.end, !r.is_gap, r.size, first_seen,
                          due, after_lock && now.reached_ms >= due});
    }
    if (!still.empty()) plan.state.expired[partition] = std::move(still);
  }
  return plan;
}

// Whether a partition's store holds offsets at or beyond its high watermark: the cluster's topic is
// a new generation, with fewer records than the backed-up one.
bool HoldsMoreThanTheCluster(const std::string& topic, const catalog::TopicObjects& objects,
                             const std::map<kafka::TopicPartition, kafka::Watermarks>& marks) {
  for (const auto& [partition, p] : objects.partitions) {
    auto mark = marks.find({topic, partition});
    if (mark == marks.end() || p.ranges.empty()) continue;
    int64_t next = 0;
    for (const catalog::StoredRange& r : p.ranges) next = std::max(next, r.end + 1);
    if (next > mark->second.high) return true;
  }
  return false;
}

// The oldest record timestamp of each topic's first remaining segments.
Status ReadOldest(storage::ObjectStore& store, const catalog::StoreCatalog& catalog,
                  const std::set<std::string>& deleted_keys, size_t parallelism,
                  std::map<std::string, TopicRetention*>& topics) {
  std::vector<const catalog::StoredRange*> firsts;
  std::vector<std::string> owners;
  for (const auto& [topic, objects] : catalog) {
    if (!topics.contains(topic)) continue;
    for (const auto& [partition, p] : objects.partitions) {
      for (const catalog::StoredRange& r : p.ranges) {
        if (r.is_gap || deleted_keys.contains(r.key)) continue;
        firsts.push_back(&r);
        owners.push_back(topic);
        break;
      }
    }
  }
  std::vector<catalog::StoreProblem> problems;
  KB_ASSIGN_OR_RETURN(auto footers, catalog::ReadFooters(store, firsts, parallelism, &problems));
  for (const catalog::StoreProblem& p : problems) {
    spdlog::warn("retention: cannot read the oldest record time: {}", catalog::FormatProblem(p));
  }
  for (size_t i = 0; i < firsts.size(); ++i) {
    if (!footers[i]) continue;
    std::optional<int64_t>& oldest = topics[owners[i]]->oldest_timestamp_ms;
    oldest = std::min(oldest.value_or(footers[i]->min_timestamp), footers[i]->min_timestamp);
  }
  return Status::OK();
}

}  // namespace

const char* TopicStateName(TopicRetention::State state) {
  switch (state) {
    case TopicRetention::State::kInCluster:
      return "in cluster";
    case TopicRetention::State::kCompacted:
      return "compacted";
    case TopicRetention::State::kMissing:
      return "missing from cluster";
    case TopicRetention::State::kDeleted:
      return "deleted";
    case TopicRetention::State::kRecreated:
      return "re-created, old generation not archived yet";
  }
  return "?";
}

Result<RetentionReport> RunRetention(storage::ObjectStore& store, const layout::Keys& keys,
                                     kafka::Admin& admin, const RetentionOptions& options) {
  WallGuard::Reading now{options.now_ms, options.now_ms};
  if (options.now_ms == 0) now = options.clock ? options.clock->Read() : WallGuard().Read();
  RetentionReport report{.executed = options.execute, .now_ms = now.reached_ms};
  KB_ASSIGN_OR_RETURN(catalog::StoreCatalog catalog,
                      catalog::ListCatalog(store, keys, options.topics));
  KB_ASSIGN_OR_RETURN(std::vector<kafka::TopicInfo> cluster,
                      admin.ListTopics(options.kafka_timeout));
  std::map<std::string, int32_t> present;
  for (const kafka::TopicInfo& t : cluster) present[t.name] = t.partitions;

  std::set<std::string> deleted_keys;
  for (const auto& [topic, objects] : catalog) {
    TopicRetention tr{.topic = topic};
    KB_ASSIGN_OR_RETURN(layout::RetentionState old, LoadState(store, objects.retention_state_key));
    layout::RetentionState next;
    std::vector<PruneAction> deletions;
    auto in_cluster = present.find(topic);
    if (in_cluster == present.end()) {
      next.missing_since_ms = old.missing_since_ms.value_or(now.stamp_ms);
      tr.state = TopicRetention::State::kMissing;
      tr.missing_since_ms = next.missing_since_ms;
      if (options.deleted_topic_max_age) {
        tr.delete_due_ms = *next.missing_since_ms + options.deleted_topic_max_age->count();
        if (now.reached_ms >= *tr.delete_due_ms) {
          tr.state = TopicRetention::State::kDeleted;
          KB_ASSIGN_OR_RETURN(deletions,
                              WholeTopic(store, keys, topic,
                                         "topic missing from the cluster since " +
                                             report::FormatTimeMs(*next.missing_since_ms) +
                                             ", retention.deleted_topic_max_age " +
                                             Duration(*options.deleted_topic_max_age) + " passed"));
          KB_ASSIGN_OR_RETURN(auto locks,
                              LocksOf(store, deletions, now.reached_ms, options.parallelism));
          if (!locks.empty()) {
            // Never a partial topic: the whole backup stays until no object of it is locked.
            tr.state = TopicRetention::State::kMissing;
            for (const PruneAction& a : deletions) {
              auto l = locks.find(a.key);
              if (l == locks.end()) continue;
              report.locked.push_back(LockedFrom(a, l->second));
              tr.locked_until_ms =
                  std::max(tr.locked_until_ms.value_or(0), l->second.retain_until_ms);
            }
            deletions.clear();
          }
        }
      }
    } else {
      Result<kafka::TopicConfigs> configs = admin.DescribeTopicConfigs(
          topic, options.kafka_timeout, kafka::Admin::ConfigScope::kEffective);
      if (configs.status().IsNotFound()) {
        spdlog::info("retention: {} was deleted during the round; next round decides", topic);
        continue;
      }
      if (!configs.ok()) return configs.status();
      if (old.missing_since_ms) {
        // Re-created: the marker stays for backup/generations.h to act on.
        tr.state = TopicRetention::State::kRecreated;
        tr.missing_since_ms = old.missing_since_ms;
        next = old;
      } else if (IsCompacted(*configs)) {
        tr.state = TopicRetention::State::kCompacted;
      } else {
        std::vector<kafka::TopicPartition> tps;
        for (const auto& [partition, p] : objects.partitions) {
          if (partition < in_cluster->second && !p.ranges.empty())
            tps.push_back({topic, partition});
        }
        std::map<kafka::TopicPartition, kafka::Watermarks> marks;
        if (!tps.empty()) {
          Result<std::map<kafka::TopicPartition, kafka::Watermarks>> got =
              admin.QueryWatermarks(tps, options.kafka_timeout);
          if (got.status().IsNotFound()) {
            spdlog::info("retention: {} changed during the round ({}); next round decides", topic,
                         got.status().ToString());
            continue;
          }
          if (!got.ok()) return got.status();
          marks = std::move(got).value();
        }
        if (HoldsMoreThanTheCluster(topic, objects, marks)) {
          tr.state = TopicRetention::State::kRecreated;
          next = old;
        } else {
          std::vector<PendingRange> pending;
          std::vector<LockedObject> locked;
          TopicPlan plan =
              PlanPartitions(topic, objects, marks, old, options, now, {}, &pending, &locked);
          KB_ASSIGN_OR_RETURN(auto locks,
                              LocksOf(store, plan.deletions, now.reached_ms, options.parallelism));
          if (!locks.empty()) {
            pending.clear();
            plan =
                PlanPartitions(topic, objects, marks, old, options, now, locks, &pending, &locked);
          }
          report.pending.insert(report.pending.end(), pending.begin(), pending.end());
          report.locked.insert(report.locked.end(), locked.begin(), locked.end());
          deletions = std::move(plan.deletions);
          next = std::move(plan.state);
        }
      }
    }
    if (options.execute) {
      KB_RETURN_IF_ERROR(DeleteAll(store, deletions));
      if (tr.state != TopicRetention::State::kDeleted && next != old) {
        KB_RETURN_IF_ERROR(
            store.Put(keys.RetentionState(topic), layout::EncodeRetentionState(next)));
      }
    }
    for (const PruneAction& a : deletions) deleted_keys.insert(a.key);
    for (const auto& [partition, p] : objects.partitions) {
      for (const catalog::StoredRange& r : p.ranges) {
        if (r.is_gap || deleted_keys.contains(r.key)) continue;
        ++tr.segments_kept;
        tr.bytes_kept += r.size;
      }
    }
    CountDeleted(&report, deletions);
    report.topics.push_back(std::move(tr));
  }
  if (options.read_oldest) {
    std::map<std::string, TopicRetention*> by_name;
    for (TopicRetention& t : report.topics) by_name[t.topic] = &t;
    KB_RETURN_IF_ERROR(ReadOldest(store, catalog, deleted_keys, options.parallelism, by_name));
  }
  std::sort(report.pending.begin(), report.pending.end(),
            [](const PendingRange& a, const PendingRange& b) { return a.key < b.key; });
  std::sort(report.locked.begin(), report.locked.end(),
            [](const LockedObject& a, const LockedObject& b) { return a.key < b.key; });
  return report;
}

Result<RetentionReport> PruneTopic(storage::ObjectStore& store, const layout::Keys& keys,
                                   const std::string& topic, bool execute,
                                   const std::string& reason) {
  KB_RETURN_IF_ERROR(layout::ValidateTopicName(topic));
  RetentionReport report{.executed = execute, .now_ms = NowMs()};
  KB_ASSIGN_OR_RETURN(std::vector<PruneAction> actions, WholeTopic(store, keys, topic, reason));
  if (actions.empty()) {
    return Status::NotFound(
        topic, "nothing stored under '" + keys.TopicPrefix(topic) + "' in " + store.Describe());
  }
  KB_ASSIGN_OR_RETURN(auto locks, LocksOf(store, actions, report.now_ms, /*parallelism=*/8));
  if (!locks.empty()) {
    const auto& [key, lock] = *locks.begin();
    int64_t last = 0;
    for (const auto& [k, l] : locks) last = std::max(last, l.retain_until_ms);
    return Status::Permanent(
        key,
        (lock.legal_hold ? std::string("under an object lock legal hold")
                         : "object-locked (" + lock.mode + ") until " +
                               report::FormatTimeMs(lock.retain_until_ms)) +
            "; " + std::to_string(locks.size()) + " of the " + std::to_string(actions.size()) +
            " objects of topic " + topic + " are locked" +
            (last > 0 ? ", the last until " + report::FormatTimeMs(last) : std::string()) +
            "; nothing deleted (the store refuses to delete locked objects before their date)");
  }
  if (execute) KB_RETURN_IF_ERROR(DeleteAll(store, actions));
  report.topics.push_back({.topic = topic, .state = TopicRetention::State::kDeleted});
  CountDeleted(&report, actions);
  return report;
}

}  // namespace kb::ops
