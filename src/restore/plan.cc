#include "restore/plan.h"

#include <algorithm>
#include <set>

#include "catalog/store_catalog.h"
#include "catalog/store_problem.h"
#include "common/parallel.h"
#include "layout/tiling.h"

namespace kb::restore {
namespace {

bool AllPlainNames(const std::vector<std::string>& topics) {
  return std::none_of(topics.begin(), topics.end(),
                      [](const std::string& t) { return t.starts_with("^"); });
}

// The offsets of `partition` the selection allows.
OffsetRange AllowedOffsets(const RestoreSelection& sel, int32_t partition) {
  return sel.RangeOf(partition).value_or(OffsetRange{0, INT64_MAX});
}

// Picks the blocks of one opened segment and adds their counts to the partition.
void ChooseBlocks(const RestoreSelection& sel, OffsetRange allowed, SegmentPlan* seg,
                  PartitionPlan* p) {
  const format::SegmentReader& r = *seg->reader;
  const format::BlockRange by_offset = r.BlocksForOffsets(allowed.first, allowed.last);
  std::vector<size_t> candidates;
  if (sel.has_time()) {
    for (size_t b : r.BlocksForTimes(sel.from_or_min(), sel.to_or_max())) {
      if (b >= by_offset.begin && b < by_offset.end) candidates.push_back(b);
    }
  } else {
    for (size_t b = by_offset.begin; b < by_offset.end; ++b) candidates.push_back(b);
  }
  for (size_t b : candidates) {
    const format::BlockIndexEntry& e = r.footer().blocks[b];
    const bool block_contiguous =
        static_cast<int64_t>(e.record_count) == e.last_offset - e.first_offset + 1;
    const int64_t first = std::max(e.first_offset, allowed.first);
    const int64_t last = std::min(e.last_offset, allowed.last);
    if (first > last) continue;
    const bool time_cut = sel.has_time() && (e.min_timestamp < sel.from_or_min() ||
                                             e.max_timestamp > sel.to_or_max());
    const bool offset_cut = first != e.first_offset || last != e.last_offset;
    if (offset_cut && block_contiguous) {
      p->records += static_cast<uint64_t>(last - first + 1);
    } else {
      p->records += e.record_count;
      if (offset_cut) p->count_exact = false;
    }
    if (time_cut) p->count_exact = false;
    // Which records have an excluded key is known only once they are read.
    if (sel.exclude_keys != nullptr) p->count_exact = false;
    if (time_cut || !block_contiguous || sel.exclude_keys != nullptr ||
        (p->last_offset >= 0 && first != p->last_offset + 1)) {
      p->contiguous = false;
    }
    if (p->first_offset < 0) p->first_offset = first;
    p->last_offset = last;
    p->stored_bytes += e.length;
    p->min_timestamp = std::min(p->min_timestamp, e.min_timestamp);
    p->max_timestamp = std::max(p->max_timestamp, e.max_timestamp);
    seg->blocks.push_back(b);
  }
}

// Holes named in a partition's error; the others are counted.
constexpr size_t kHolesNamed = 10;

// Whether a hole of `p` may hold records of the selection: always without a time window; with
// one, when the window meets the times between the last record of the segment before the hole and
// the first record of the segment after it (a side without a readable footer is open).
bool HoleMayHoldSelected(const RestoreSelection& sel, const PartitionPlan& p, OffsetRange hole) {
  if (!sel.has_time()) return true;
  int64_t before = INT64_MIN, after = INT64_MAX;
  for (const SegmentPlan& s : p.segments) {  // in offset order; none covers the hole
    if (s.end < hole.first) {
      before = s.reader ? s.reader->footer().max_timestamp : INT64_MIN;
    } else {
      after = s.reader ? s.reader->footer().min_timestamp : INT64_MAX;
      break;
    }
  }
  const int64_t lo = std::min(before, after), hi = std::max(before, after);
  return lo <= sel.to_or_max() && hi >= sel.from_or_min();
}

// The holes in the tiling of the partition's stored `ranges` that the selection crosses (clipped
// to its offsets): the partition's error, or with skip_corrupt gaps. Call with the segments'
// readers opened.
void PlanHoles(const RestoreSelection& sel, const std::vector<catalog::StoredRange>& ranges,
               bool skip_corrupt, PartitionPlan* p) {
  const OffsetRange allowed = AllowedOffsets(sel, p->partition);
  std::string named;
  for (const layout::TilingFault& f : layout::FindTilingFaults(ranges)) {
    if (f.kind != layout::TilingFaultKind::kHole) continue;
    const OffsetRange hole{std::max(f.first, allowed.first), std::min(f.last, allowed.last)};
    if (hole.first > hole.last || !HoleMayHoldSelected(sel, *p, hole)) continue;
    p->holes.push_back(hole);
    if (p->holes.size() > kHolesNamed) continue;
    named += (named.empty() ? "" : ", ") + ("[" + std::to_string(hole.first) + ", ") +
             std::to_string(hole.last + 1) + ") (between " + ranges[f.reach].key + " and " +
             ranges[f.range].key + ")";
  }
  if (p->holes.empty()) return;
  if (skip_corrupt) {
    p->gaps.insert(p->gaps.end(), p->holes.begin(), p->holes.end());
    std::sort(p->gaps.begin(), p->gaps.end(),
              [](const OffsetRange& a, const OffsetRange& b) { return a.first < b.first; });
    return;
  }
  if (p->holes.size() > kHolesNamed) {
    named += " and " + std::to_string(p->holes.size() - kHolesNamed) + " more";
  }
  p->error = Status::Corruption(
      p->source_topic + "/" + std::to_string(p->partition),
      "offsets " + named +
          " are in no segment and no gap record of the backup (a hole: data lost from the "
          "store; `kafka-backup verify` names it too): nothing of this partition is restored; "
          "--skip-corrupt restores around the hole and reports it as a gap");
}

// A --rename of a topic that is not restored, or a --target-prefix that names no target, would be
// ignored silently: usage errors naming the flag and the topic.
Status CheckNamesUsed(const RestoreSelection& sel, const RestorePlan& plan,
                      const storage::ObjectStore& store) {
  std::set<std::string> planned;
  for (const TopicPlan& t : plan.topics) planned.insert(t.source_topic);
  for (const auto& [src, dst] : sel.rename) {
    if (!planned.contains(src)) {
      return Status::InvalidArgument("--rename", "'" + src + "=" + dst + "': topic '" + src +
                                                     "' is not selected: " + store.Describe() +
                                                     " holds no backup of it");
    }
  }
  if (!sel.target_prefix.empty() && planned.size() <= sel.rename.size()) {
    std::string renamed;
    for (const std::string& t : planned) renamed += (renamed.empty() ? "" : ", ") + t;
    return Status::InvalidArgument("--target-prefix",
                                   "'" + sel.target_prefix +
                                       "' applies to no topic: every selected topic (" + renamed +
                                       ") is renamed by --rename");
  }
  return Status::OK();
}

}  // namespace

Result<RestorePlan> PlanRestore(storage::ObjectStore& store, const layout::Keys& keys,
                                const RestoreSelection& sel, const PlanOptions& options) {
  KB_RETURN_IF_ERROR(sel.Check());
  const bool named = !sel.topics.empty() && AllPlainNames(sel.topics);
  KB_ASSIGN_OR_RETURN(
      catalog::StoreCatalog catalog,
      catalog::ListCatalog(store, keys, named ? sel.topics : std::vector<std::string>{}));
  RestorePlan plan;
  std::set<std::string> targets;
  for (auto& [topic, objects] : catalog) {
    if (!sel.MatchesTopic(topic)) continue;
    TopicPlan t{.source_topic = topic, .target_topic = sel.TargetTopic(topic)};
    KB_RETURN_IF_ERROR(layout::ValidateTopicName(t.target_topic));
    if (!targets.insert(t.target_topic).second) {
      return Status::InvalidArgument(t.target_topic,
                                     "two source topics would be restored into this topic");
    }
    if (!objects.metadata_key.empty()) {
      KB_ASSIGN_OR_RETURN(std::string json, store.Get(objects.metadata_key));
      Result<layout::TopicMetadata> md = layout::DecodeTopicMetadata(objects.metadata_key, json);
      if (md.ok()) {
        t.metadata = std::move(*md);
      } else if (md.status().code() == Status::Code::kCorruption ||
                 md.status().code() == Status::Code::kNotImplemented) {
        t.metadata_key = objects.metadata_key;
        t.metadata_error = md.status();
      } else {
        return md.status();
      }
    }
    std::set<int32_t> partitions;
    for (int32_t p = 0; t.metadata && p < t.metadata->partitions; ++p) partitions.insert(p);
    for (const auto& [p, _] : objects.partitions) partitions.insert(p);
    t.partition_count = partitions.empty() ? 0 : *partitions.rbegin() + 1;
    for (const auto& [p, range] : sel.offsets) {
      if (!partitions.contains(p)) {
        return Status::InvalidArgument("--offsets", "partition " + std::to_string(p) + " of '" +
                                                        topic + "' is not in the backup");
      }
    }
    for (int32_t p : partitions) {
      if (!sel.PartitionSelected(p)) continue;
      PartitionPlan pp{.source_topic = topic,
                       .partition = p,
                       .target_topic = t.target_topic,
                       .selection = sel.Describe(p)};
      const OffsetRange allowed = AllowedOffsets(sel, p);
      auto it = objects.partitions.find(p);
      if (it != objects.partitions.end()) {
        for (const catalog::StoredRange& r : it->second.ranges) {
          if (r.end < allowed.first || r.start > allowed.last) continue;
          if (r.is_gap) {
            pp.gaps.push_back({std::max(r.start, allowed.first), std::min(r.end, allowed.last)});
          } else {
            pp.segments.push_back({.key = r.key, .size = r.size, .start = r.start, .end = r.end});
          }
        }
      }
      t.partitions.push_back(std::move(pp));
    }
    plan.topics.push_back(std::move(t));
  }
  if (plan.topics.empty()) {
    return Status::NotFound("--topic",
                            "no topic in " + store.Describe() + " matches the selection");
  }
  KB_RETURN_IF_ERROR(CheckNamesUsed(sel, plan, store));

  // Every footer, read in parallel.
  std::vector<std::pair<PartitionPlan*, SegmentPlan*>> all;
  for (TopicPlan& t : plan.topics) {
    for (PartitionPlan& p : t.partitions) {
      for (SegmentPlan& s : p.segments) all.push_back({&p, &s});
    }
  }
  std::vector<Status> errors(all.size());
  ParallelFor(all.size(), options.parallelism, [&](size_t i) {
    SegmentPlan& s = *all[i].second;
    auto reader = format::SegmentReader::Open(store, s.key, s.size, options.footer_read_bytes);
    if (!reader.ok()) {
      errors[i] = reader.status();
      return;
    }
    s.reader = std::make_shared<const format::SegmentReader>(std::move(*reader));
  });
  // Holes first: a partition that crosses one fails naming the missing offsets.
  for (TopicPlan& t : plan.topics) {
    const catalog::TopicObjects& objects = catalog.at(t.source_topic);
    for (PartitionPlan& p : t.partitions) {
      auto it = objects.partitions.find(p.partition);
      if (it != objects.partitions.end()) {
        PlanHoles(sel, it->second.ranges, options.skip_corrupt, &p);
      }
    }
  }
  for (size_t i = 0; i < all.size(); ++i) {
    plan.footer_bytes += std::min<uint64_t>(all[i].second->size, options.footer_read_bytes);
    if (errors[i].ok()) continue;
    if (!catalog::IsDataProblem(errors[i])) return errors[i];
    PartitionPlan& p = *all[i].first;
    const SegmentPlan& s = *all[i].second;
    if (options.skip_corrupt) {
      p.skipped.push_back({s.start, s.end, s.key, errors[i].ToString()});
    } else if (p.error.ok()) {
      p.error = Status::Corruption(s.key, "segment of offsets " + std::to_string(s.start) + "-" +
                                              std::to_string(s.end) + " of " + p.source_topic +
                                              "/" + std::to_string(p.partition) +
                                              " cannot be read: " + errors[i].ToString());
    }
  }
  for (TopicPlan& t : plan.topics) {
    for (PartitionPlan& p : t.partitions) {
      std::vector<SegmentPlan> kept;
      for (SegmentPlan& s : p.segments) {
        if (!s.reader) continue;
        ChooseBlocks(sel, AllowedOffsets(sel, p.partition), &s, &p);
        if (!s.blocks.empty()) kept.push_back(std::move(s));
      }
      p.segments = std::move(kept);
    }
  }
  // An unreadable topic.json: the topic cannot be created as it was, so its partitions fail —
  // unless the target must exist already, where the restore does not need it (a warning).
  for (TopicPlan& t : plan.topics) {
    if (t.metadata_error.ok() || options.require_target_exists) continue;
    for (PartitionPlan& p : t.partitions) {
      p.error = Status::Corruption(
          t.metadata_key,
          "the topic metadata cannot be read (" + t.metadata_error.ToString() + "): nothing of " +
              t.source_topic +
              " is restored, since its partition count and configs are unknown; to restore into "
              "an existing topic without them, give --require-target-exists");
    }
  }
  return plan;
}

}  // namespace kb::restore
