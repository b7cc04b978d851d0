#include "ops/verify.h"

#include <atomic>
#include <chrono>
#include <mutex>
#include <span>

#include "catalog/store_catalog.h"
#include "common/parallel.h"
#include "crypto/key_ring.h"
#include "format/segment_decoder.h"
#include "layout/metadata.h"
#include "layout/retention_state.h"

namespace kb::ops {
namespace {

using Clock = std::chrono::steady_clock;

enum class ObjectKind { kSegment, kTopicMetadata, kGroupOffsets, kGap, kRetentionState };

// One object to read and check; points into the catalog.
struct Task {
  ObjectKind kind;
  const std::string* key;
  int64_t start = -1;  // offsets of a segment or gap
  int64_t end = -1;
};

Task RangeTask(const catalog::StoredRange& r) {
  return {r.is_gap ? ObjectKind::kGap : ObjectKind::kSegment, &r.key, r.start, r.end};
}

// The footer of a segment held whole in memory (already verified by VerifySegment).
Result<format::SegmentFooter> FooterOf(const std::string& key, std::string_view bytes,
                                       const crypto::KeyRing* keys) {
  KB_ASSIGN_OR_RETURN(format::FooterLocation loc, format::ParseTrailer(key, bytes, bytes.size()));
  KB_ASSIGN_OR_RETURN(
      format::OpenedFooter opened,
      format::ReadFooter(key, std::string(bytes.substr(loc.position, loc.length)), loc, keys));
  return std::move(opened.footer);
}

// What checking one segment found besides problems.
struct SegmentCheck {
  uint64_t records = 0;
  bool encrypted = false;
  std::string missing_key_id;  // encrypted, and checked without its key (structure only)
};

// Checks a segment's bytes and its key against its footer: all of it when it is plain or its key
// is in `keys`, else (encrypted, key id not configured) its structure and checksums only.
SegmentCheck CheckSegment(const Task& t, std::string_view bytes, const crypto::KeyRing* keys,
                          std::vector<catalog::StoreProblem>* problems) {
  SegmentCheck out;
  if (format::LooksEncrypted(bytes)) {
    out.encrypted = true;
    Result<format::FooterLocation> loc = format::ParseTrailer(*t.key, bytes, bytes.size());
    if (loc.ok() && loc->seal && (keys == nullptr || keys->Find(loc->seal->key_id) == nullptr)) {
      out.missing_key_id = loc->seal->key_id;
      Status s = format::VerifySegmentStructure(*t.key, bytes).status();
      if (!s.ok()) problems->push_back(catalog::ProblemFromStatus(*t.key, t.start, t.end, s));
      return out;
    }
  }
  Status s = format::VerifySegment(*t.key, bytes, keys);
  Result<format::SegmentFooter> footer = s.ok() ? FooterOf(*t.key, bytes, keys) : s;
  if (!footer.ok()) {
    problems->push_back(catalog::ProblemFromStatus(*t.key, t.start, t.end, footer.status()));
    return out;
  }
  if (footer->first_offset < t.start || footer->last_offset != t.end) {
    problems->push_back(
        {*t.key, t.start, t.end,
         "the key says offsets " + std::to_string(t.start) + ".." + std::to_string(t.end) +
             " but the footer's records are " + std::to_string(footer->first_offset) + ".." +
             std::to_string(footer->last_offset) +
             " (records must not start before the key's start, and the last one must be at its "
             "end)"});
  }
  out.records = footer->record_count;
  return out;
}

// Decodes one of the JSON objects of a store.
Status CheckJson(const Task& t, std::string_view json) {
  switch (t.kind) {
    case ObjectKind::kTopicMetadata:
      return layout::DecodeTopicMetadata(*t.key, json).status();
    case ObjectKind::kGroupOffsets:
      return layout::DecodeGroupOffsets(*t.key, json).status();
    case ObjectKind::kGap:
      return layout::DecodeGap(*t.key, json).status();
    case ObjectKind::kRetentionState:
      return layout::DecodeRetentionState(*t.key, json).status();
    case ObjectKind::kSegment:
      break;
  }
  return Status::InvalidArgument(*t.key, "not a JSON object of the store");
}

// The segments of one partition to read: those whose footer overlaps the time window if there is
// one (`footers` of `segments`, nullopt when unreadable), then a sample of them.
std::vector<const catalog::StoredRange*> Select(
    const std::vector<const catalog::StoredRange*>& segments,
    std::span<const std::optional<format::SegmentFooter>> footers, const VerifyOptions& o) {
  const bool window = o.from_ms || o.to_ms;
  std::vector<const catalog::StoredRange*> in_window;
  for (size_t i = 0; i < segments.size(); ++i) {
    if (window) {
      const std::optional<format::SegmentFooter>& f = footers[i];
      if (!f || f->max_timestamp < o.from_ms.value_or(INT64_MIN) ||
          f->min_timestamp > o.to_ms.value_or(INT64_MAX)) {
        continue;  // outside the window, or unreadable (already a problem)
      }
    }
    in_window.push_back(segments[i]);
  }
  std::vector<const catalog::StoredRange*> out;
  for (size_t i : SampleEvenly(in_window.size(), o.sample)) out.push_back(in_window[i]);
  return out;
}

// What the workers share.
class Run {
 public:
  // `problems_before`: found before the run (tiling, missing topic.json), counted in the progress.
  Run(storage::ObjectStore& store, const VerifyOptions& options, uint64_t segments_total,
      uint64_t problems_before)
      : store_(store), keys_(store.keys()), options_(options), problems_before_(problems_before) {
    progress_.segments_total = segments_total;
    progress_.problems = problems_before;
  }

  void Check(const Task& t) {
    if (stop_) return;
    Result<std::string> bytes = store_.Get(*t.key);
    std::vector<catalog::StoreProblem> found;
    SegmentCheck segment;
    Status fatal;
    if (!bytes.ok() && t.kind != ObjectKind::kSegment &&
        bytes.status().code() == Status::Code::kFailedPrecondition) {
      // An encrypted JSON object whose key is not configured (crypto::SealingStore).
      std::lock_guard lock(mu_);
      if (objects_not_opened_++ == 0) first_not_opened_ = bytes.status().ToString();
      return;
    }
    if (!bytes.ok()) {
      fatal = catalog::AddProblemOrFail(*t.key, t.start, t.end, bytes.status(), &found);
    } else if (t.kind == ObjectKind::kSegment) {
      segment = CheckSegment(t, *bytes, keys_.get(), &found);
    } else {
      fatal = catalog::AddProblemOrFail(*t.key, t.start, t.end, CheckJson(t, *bytes), &found);
    }
    std::lock_guard lock(mu_);
    if (!fatal.ok()) {
      if (fatal_.ok()) fatal_ = fatal;
      stop_ = true;
      return;
    }
    problems_.insert(problems_.end(), found.begin(), found.end());
    progress_.problems = problems_before_ + problems_.size();
    if (t.kind != ObjectKind::kSegment) {
      ++objects_;
      return;
    }
    records_ += segment.records;
    segments_encrypted_ += segment.encrypted ? 1 : 0;
    if (!segment.missing_key_id.empty()) {
      ++segments_structure_only_;
      missing_key_ids_.insert(segment.missing_key_id);
    }
    ++progress_.segments_done;
    progress_.bytes_done += bytes.ok() ? bytes->size() : 0;
    progress_.seconds = std::chrono::duration<double>(Clock::now() - started_).count();
    if (options_.on_progress) options_.on_progress(progress_);
  }

  // Call after the workers finished.
  Status Finish(VerifyReport* report) {
    if (!fatal_.ok()) return fatal_;
    report->segments_verified = progress_.segments_done;
    report->bytes_verified = progress_.bytes_done;
    report->records_verified = records_;
    report->objects_verified = objects_;
    report->segments_encrypted = segments_encrypted_;
    report->segments_structure_only = segments_structure_only_;
    report->missing_key_ids = missing_key_ids_;
    report->objects_not_opened = objects_not_opened_;
    if (objects_not_opened_ > 0) {
      report->notes.push_back(std::to_string(objects_not_opened_) +
                              " encrypted JSON object(s) not opened, e.g. " + first_not_opened_);
    }
    report->problems.insert(report->problems.end(), problems_.begin(), problems_.end());
    return Status::OK();
  }

 private:
  storage::ObjectStore& store_;
  const std::shared_ptr<const crypto::KeyRing> keys_;
  const VerifyOptions& options_;
  const uint64_t problems_before_;
  const Clock::time_point started_ = Clock::now();
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  Status fatal_;                                 // guarded by mu_
  std::vector<catalog::StoreProblem> problems_;  // guarded by mu_
  VerifyProgress progress_;                      // guarded by mu_
  uint64_t records_ = 0;                         // guarded by mu_
  uint64_t objects_ = 0;                         // guarded by mu_
  uint64_t segments_encrypted_ = 0;              // guarded by mu_
  uint64_t segments_structure_only_ = 0;         // guarded by mu_
  std::set<std::string> missing_key_ids_;        // guarded by mu_
  uint64_t objects_not_opened_ = 0;              // guarded by mu_
  std::string first_not_opened_;                 // guarded by mu_
};

Status CheckOptions(const VerifyOptions& o) {
  if (o.parallelism == 0) return Status::InvalidArgument("--parallel", "must be at least 1");
  if (o.from_ms && o.to_ms && *o.from_ms > *o.to_ms) {
    return Status::InvalidArgument("--from", "is after --to");
  }
  return Status::OK();
}

}  // namespace

Result<VerifyReport> VerifyStore(storage::ObjectStore& store, const layout::Keys& keys,
                                 const VerifyOptions& options) {
  KB_RETURN_IF_ERROR(CheckOptions(options));
  const Clock::time_point started = Clock::now();
  KB_ASSIGN_OR_RETURN(catalog::StoreCatalog catalog,
                      catalog::ListCatalog(store, keys, options.topics));
  VerifyReport report;
  if (options.check_catalog) {
    Result<ClusterCheck> check = options.check_catalog(catalog);
    if (check.ok()) {
      report.partitions_compared = check->partitions_compared;
      report.problems = std::move(check->problems);
      report.notes = std::move(check->notes);
    } else {
      report.notes.push_back("first offsets not compared with the Kafka cluster: " +
                             check.status().ToString());
    }
  }
  std::vector<Task> tasks;
  std::vector<std::vector<const catalog::StoredRange*>> segments;  // per partition
  for (const auto& [topic, objects] : catalog) {
    ++report.topics;
    if (!objects.metadata_key.empty()) {
      tasks.push_back({ObjectKind::kTopicMetadata, &objects.metadata_key});
    } else if (!objects.partitions.empty()) {
      report.problems.push_back({keys.TopicMetadata(topic), -1, -1,
                                 "missing: the topic has stored partitions but no topic.json, so "
                                 "a restore cannot recreate it"});
    }
    if (!objects.retention_state_key.empty()) {
      tasks.push_back({ObjectKind::kRetentionState, &objects.retention_state_key});
    }
    for (const auto& [partition, p] : objects.partitions) {
      ++report.partitions;
      const std::vector<catalog::StoreProblem> tiling = CheckTiling(p.ranges);
      report.problems.insert(report.problems.end(), tiling.begin(), tiling.end());
      for (const catalog::StoredRange& r : p.ranges) {
        if (r.is_gap) tasks.push_back(RangeTask(r));
      }
      if (!p.consumers_offset_key.empty()) {
        tasks.push_back({ObjectKind::kGroupOffsets, &p.consumers_offset_key});
      }
      for (const catalog::OffsetSnapshot& h : p.history) {
        tasks.push_back({ObjectKind::kGroupOffsets, &h.key});
      }
      segments.push_back(catalog::SegmentsOf(p));
      report.segments_listed += segments.back().size();
    }
  }

  std::vector<std::optional<format::SegmentFooter>> footers;
  if (options.from_ms || options.to_ms) {
    std::vector<const catalog::StoredRange*> all;
    for (const auto& s : segments) all.insert(all.end(), s.begin(), s.end());
    KB_ASSIGN_OR_RETURN(footers,
                        catalog::ReadFooters(store, all, options.parallelism, &report.problems));
  }
  uint64_t selected = 0;
  size_t next_footer = 0;
  for (const auto& partition_segments : segments) {
    std::span<const std::optional<format::SegmentFooter>> partition_footers;
    if (!footers.empty()) {  // a time window: footers of every segment, partition by partition
      partition_footers = std::span(footers).subspan(next_footer, partition_segments.size());
      next_footer += partition_segments.size();
    }
    for (const catalog::StoredRange* s : Select(partition_segments, partition_footers, options)) {
      tasks.push_back(RangeTask(*s));
      ++selected;
    }
  }

  Run run(store, options, selected, report.problems.size());
  ParallelFor(tasks.size(), options.parallelism, [&](size_t i) { run.Check(tasks[i]); });
  KB_RETURN_IF_ERROR(run.Finish(&report));
  catalog::SortProblems(&report.problems);
  report.seconds = std::chrono::duration<double>(Clock::now() - started).count();
  return report;
}

}  // namespace kb::ops
