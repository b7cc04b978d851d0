#include "ops/status.h"

#include <algorithm>
#include <array>
#include <set>
#include <string_view>

#include "catalog/store_scan.h"
#include "common/clock.h"
#include "config/topic_filter.h"
#include "ops/lag_probe.h"
#include "ops/status_internal.h"

namespace kb::ops {
namespace internal {

PartitionStatus MakePartitionStatus(const PartitionFacts& f) {
  PartitionStatus p;
  p.topic = f.topic;
  p.partition = f.partition;
  p.stored_from = f.stored.from;
  p.backed_up_next = f.stored.next;
  p.newest_backed_up_timestamp_ms = f.stored.newest_timestamp_ms;
  p.gap_records = f.stored.gap_records;
  if (!f.in_cluster) {
    p.state = kStateNotInCluster;
    return p;
  }
  p.log_start = f.wm.low;
  p.high_watermark = f.wm.high;
  p.lag_records = std::max<int64_t>(0, p.high_watermark - FirstUnbackedOffset(p));
  p.lag_seconds = p.lag_records > 0 ? -1 : 0;
  const bool stored = p.backed_up_next >= 0;
  if (!f.topic_facts.selected) {
    p.state = kStateNotSelected;
  } else if (stored && p.backed_up_next > p.high_watermark) {
    p.state = kStateAheadOfCluster;
  } else if (stored && p.backed_up_next < p.log_start) {
    p.state = kStateBehindRetention;
  } else if (stored && p.stored_from > p.log_start) {
    p.state = kStateStartMissing;
  } else if (p.lag_records == 0) {
    p.state = kStateOk;
  } else {
    p.state = stored ? kStateLagging : kStateNotBackedUp;
  }
  return p;
}

int64_t FirstUnbackedOffset(const PartitionStatus& p) {
  return std::max(p.backed_up_next, p.log_start);
}

void SetLagSeconds(PartitionStatus* p, std::optional<int64_t> first_unbacked_timestamp_ms,
                   int64_t now_ms) {
  if (p->lag_records == 0) {
    p->lag_seconds = 0;
  } else if (!first_unbacked_timestamp_ms || *first_unbacked_timestamp_ms < 0) {
    p->lag_seconds = -1;
  } else {
    p->lag_seconds = std::max<int64_t>(0, (now_ms - *first_unbacked_timestamp_ms) / 1000);
  }
}

int StateSeverity(const std::string& state) {
  static constexpr std::array<std::string_view, 8> kOrder = {
      kStateOk,           kStateLagging,        kStateNotBackedUp, kStateBehindRetention,
      kStateStartMissing, kStateAheadOfCluster, kStateNotSelected, kStateNotInCluster};
  auto it = std::find(kOrder.begin(), kOrder.end(), state);
  return it == kOrder.end() ? static_cast<int>(kOrder.size())
                            : static_cast<int>(it - kOrder.begin());
}

std::vector<TopicStatus> SummarizeTopics(const std::vector<PartitionStatus>& partitions,
                                         const std::map<std::string, TopicFacts>& topics) {
  std::vector<TopicStatus> out;
  for (const auto& [name, facts] : topics) {
    TopicStatus t;
    t.topic = name;
    t.in_cluster = facts.in_cluster;
    t.selected = facts.selected;
    std::string worst = kStateOk;
    bool unknown_age = false;
    for (const PartitionStatus& p : partitions) {
      if (p.topic != name) continue;
      ++t.partitions;
      t.lag_records += p.lag_records;
      t.gap_records += p.gap_records;
      if (p.lag_seconds < 0) unknown_age = true;
      t.lag_seconds = std::max(t.lag_seconds, p.lag_seconds);
      if (StateSeverity(p.state) > StateSeverity(worst)) worst = p.state;
    }
    if (unknown_age) t.lag_seconds = -1;
    if (!facts.in_cluster) {
      t.state = kStateNotInCluster;
    } else if (!facts.selected) {
      t.state = kStateNotSelected;
    } else {
      t.state = worst;
    }
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace internal

namespace {

using internal::TopicFacts;

// The topics to show (see status.h) with what is known about each.
Result<std::map<std::string, TopicFacts>> ChooseTopics(
    const TopicSelection& sel, const std::map<std::string, int32_t>& cluster,
    const catalog::StoreSummary& stored, const layout::Keys& keys) {
  std::optional<TopicFilter> filter;
  if (!sel.backup.topics.empty()) {
    KB_ASSIGN_OR_RETURN(TopicFilter f, TopicFilter::Make(sel.backup));
    filter = std::move(f);
  }
  auto facts = [&](const std::string& t) {
    return TopicFacts{.in_cluster = cluster.contains(t), .selected = !filter || filter->Matches(t)};
  };
  std::map<std::string, TopicFacts> shown;
  if (!sel.topics.empty()) {
    for (const std::string& t : sel.topics) {
      if (!cluster.contains(t) && !stored.contains(t)) {
        return Status::NotFound(t, "no such topic in the cluster, and nothing stored under '" +
                                       keys.TopicPrefix(t) + "'");
      }
      shown[t] = facts(t);
    }
    return shown;
  }
  if (filter) {
    for (const auto& [t, count] : cluster) {
      if (filter->Matches(t)) shown[t] = facts(t);
    }
  }
  for (const auto& [t, partitions] : stored) shown.try_emplace(t, facts(t));
  return shown;
}

}  // namespace

Result<StatusReport> ComputeStatus(storage::ObjectStore& store, const layout::Keys& keys,
                                   kafka::Admin& admin, const kafka::Properties& kafka_props,
                                   const TopicSelection& sel, std::chrono::milliseconds timeout) {
  std::set<std::string> named(sel.topics.begin(), sel.topics.end());
  for (const std::string& t : named) KB_RETURN_IF_ERROR(layout::ValidateTopicName(t));
  const std::vector<std::string> named_list(named.begin(), named.end());
  TopicSelection selection = sel;
  selection.topics = named_list;

  KB_ASSIGN_OR_RETURN(std::vector<kafka::TopicInfo> topic_infos, admin.ListTopics(timeout));
  std::map<std::string, int32_t> cluster;
  for (const kafka::TopicInfo& t : topic_infos) cluster[t.name] = t.partitions;

  KB_ASSIGN_OR_RETURN(catalog::StoreSummary stored,
                      catalog::ScanStore(store, keys, named.empty() ? nullptr : &named_list));
  KB_ASSIGN_OR_RETURN(auto shown, ChooseTopics(selection, cluster, stored, keys));
  // Kafka lists only the topics the principal may describe: a stored topic missing from the list
  // is asked for by name, so that a missing ACL is not reported as a deleted topic.
  for (const auto& [t, facts] : shown) {
    if (facts.in_cluster) continue;
    Result<kafka::TopicInfo> described = admin.DescribeTopic(t, timeout);
    if (described.status().IsPermissionDenied()) {
      return described.status().WithContext(
          "status needs READ on the topic (READ implies DESCRIBE)");
    }
  }

  std::vector<kafka::TopicPartition> in_cluster;
  for (const auto& [t, facts] : shown) {
    if (!facts.in_cluster) continue;
    for (int32_t p = 0; p < cluster.at(t); ++p) in_cluster.push_back({t, p});
  }
  KB_ASSIGN_OR_RETURN(auto watermarks, admin.QueryWatermarks(in_cluster, timeout));
  KB_RETURN_IF_ERROR(catalog::ReadNewestTimestamps(store, &stored));

  StatusReport report;
  for (const auto& [t, facts] : shown) {
    std::set<int32_t> partitions;
    if (facts.in_cluster) {
      for (int32_t p = 0; p < cluster.at(t); ++p) partitions.insert(p);
    }
    auto st = stored.find(t);
    if (st != stored.end()) {
      for (const auto& [p, summary] : st->second) partitions.insert(p);
    }
    for (int32_t p : partitions) {
      internal::PartitionFacts f{.topic = t, .partition = p, .topic_facts = facts};
      auto wm = watermarks.find({t, p});
      f.in_cluster = wm != watermarks.end();
      if (f.in_cluster) f.wm = wm->second;
      if (st != stored.end()) {
        auto sp = st->second.find(p);
        if (sp != st->second.end()) f.stored = sp->second;
      }
      report.partitions.push_back(internal::MakePartitionStatus(f));
    }
  }

  std::map<kafka::TopicPartition, int64_t> probe;
  for (const PartitionStatus& p : report.partitions) {
    if (p.lag_records > 0) probe[{p.topic, p.partition}] = internal::FirstUnbackedOffset(p);
  }
  KB_ASSIGN_OR_RETURN(auto first_timestamps, ReadFirstTimestamps(kafka_props, probe, timeout));
  report.computed_at_ms = NowMs();
  for (PartitionStatus& p : report.partitions) {
    auto ts = first_timestamps.find({p.topic, p.partition});
    internal::SetLagSeconds(
        &p, ts == first_timestamps.end() ? std::nullopt : std::optional<int64_t>(ts->second),
        report.computed_at_ms);
  }
  report.topics = internal::SummarizeTopics(report.partitions, shown);
  return report;
}

}  // namespace kb::ops
