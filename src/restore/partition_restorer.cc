#include "restore/partition_restorer.h"

#include <spdlog/spdlog.h>

#include <deque>
#include <memory>
#include <thread>

#include "common/clock.h"
#include "restore/partitioner.h"
#include "restore/restore_names.h"
#include "restore/restore_report.h"
#include "restore/target_reader.h"

namespace kb::restore {
namespace {

using Clock = std::chrono::steady_clock;

// The --exclude-keys part of a selection text (RestoreSelection::Describe; always the last one),
// "" without one.
std::string_view ExclusionOf(std::string_view selection) {
  const size_t at = selection.find("exclude-keys:");
  return at == std::string_view::npos ? std::string_view() : selection.substr(at);
}

// The error for a target that ends before what its restore record says was restored there.
Status TargetChanged(const std::string& subject, int64_t end, const std::string& key,
                     int64_t mapped_end) {
  return Status::FailedPrecondition(
      subject, "the target ends at offset " + std::to_string(end) + " but the restore record " +
                   key + " has records restored up to offset " + std::to_string(mapped_end - 1) +
                   ": the target was changed (deleted, recreated or truncated) since; stopping "
                   "rather than guessing");
}

// The error for a restore record made by a restore with another selection.
Status OtherSelection(const std::string& key, const std::string& source, const std::string& target,
                      const std::string& existing, const std::string& selection) {
  const bool keys_differ = ExclusionOf(existing) != ExclusionOf(selection);
  return Status::FailedPrecondition(
      key, "an earlier restore of " + source + " into " + target + " selected '" +
               ReadableSelection(existing) + "', this one selects '" +
               ReadableSelection(selection) + "'" +
               (keys_differ ? " (a restore resumes only with the same --exclude-keys list: "
                              "the target may already hold records of keys the other list "
                              "leaves out)"
                            : "") +
               ": restore into another topic, or delete this record to start over");
}

}  // namespace

// A partition being restored, as the checkpointer sees it.
struct PartitionRestorer::Active {
  const std::atomic<bool>* cancel = nullptr;  // RestorePartition's
  PartitionRestoreRecord record;  // identity and selection; map/complete filled at save time
  PartitionSink* sink = nullptr;
  // Reshaping: one sink per target partition (then `sink` is null).
  std::map<int32_t, PartitionSink*> target_sinks;
  std::mutex save_mu;  // one save at a time; the final save sets `finished`
  bool finished = false;
};

Status PartitionRestorer::Save(Active& a, const OffsetMap& map, bool complete, bool final_save,
                               const std::map<int32_t, OffsetMap>* target_maps) {
  std::lock_guard lock(a.save_mu);
  if (a.finished) return Status::OK();
  a.record.map = map;
  if (target_maps != nullptr) a.record.target_maps = *target_maps;
  a.record.complete = complete;
  a.record.updated_at_ms = NowMs();
  if (final_save) a.finished = true;
  return records_.Save(a.record);
}

void PartitionRestorer::CheckpointLoop() {
  // The pass holds mu_: a worker unregisters its Active (and then destroys it) only between passes.
  std::unique_lock lock(mu_);
  while (!stop_) {
    cv_.wait_for(lock, options_.checkpoint_interval, [&] { return stop_; });
    if (stop_) break;
    for (Active* a : active_) {
      Status s;
      if (a->sink == nullptr) {
        bool dirty = false;
        for (auto& [t, sink] : a->target_sinks) dirty = sink->TakeDirty() || dirty;
        if (!dirty) continue;
        std::map<int32_t, OffsetMap> maps;
        for (auto& [t, sink] : a->target_sinks) maps[t] = sink->map();
        s = Save(*a, OffsetMap(0), false, false, &maps);
      } else {
        if (!a->sink->TakeDirty()) continue;
        s = Save(*a, a->sink->map(), false, false);
      }
      if (!s.ok()) {
        spdlog::warn("checkpoint of {} failed (retried at the next one): {}",
                     Name(a->record.source_topic, a->record.partition), s.ToString());
      }
    }
  }
}

PartitionResult PartitionRestorer::RestorePartition(const PartitionPlan& plan,
                                                    const std::atomic<bool>* cancel) {
  PartitionResult r{.source_topic = plan.source_topic,
                    .partition = plan.partition,
                    .target_topic = plan.target_topic,
                    .selection = plan.selection,
                    .map = OffsetMap(0),
                    .target_partitions = options_.partitions,
                    .skipped = plan.skipped,
                    .gaps = plan.gaps,
                    .holes = plan.holes};
  // With skip_corrupt a hole is a gap (without, it is the partition's error).
  for (const OffsetRange& h : plan.holes) {
    if (!plan.error.ok()) break;
    spdlog::warn(
        "{}: offsets {}-{} are in no segment and no gap record of the backup (a hole); "
        "restoring around them as around a gap (--skip-corrupt)",
        Name(plan.source_topic, plan.partition), h.first, h.last);
  }
  r.error = !plan.error.ok()          ? plan.error
            : options_.partitions > 0 ? RestoreReshaped(plan, cancel, &r)
                                      : Restore(plan, cancel, &r);
  if (r.error.code() == Status::Code::kCancelled) {
    r.outcome = PartitionOutcome::kFailed;
    spdlog::info("{}: {}", Name(plan.source_topic, plan.partition), r.error.message());
  } else if (!r.error.ok()) {
    r.outcome = PartitionOutcome::kFailed;
    spdlog::error("restore of {} into {} failed: {}", Name(plan.source_topic, plan.partition),
                  options_.partitions > 0 ? plan.target_topic + " (reshaped)"
                                          : Name(plan.target_topic, plan.partition),
                  r.error.ToString());
  }
  return r;
}

Status PartitionRestorer::Produce(const PartitionPlan& plan, Active& active,
                                  PartitionReader& reader, const Route& route,
                                  const std::vector<PartitionSink*>& sinks,
                                  PartitionResult* result) {
  {
    std::lock_guard lock(mu_);
    active_.push_back(&active);
  }
  Status status;
  uint64_t last_read = 0;
  for (;;) {
    if (active.cancel != nullptr && active.cancel->load(std::memory_order_relaxed)) {
      status = Status::Cancelled(Name(plan.source_topic, plan.partition),
                                 "stopped: the target partition was given to another process");
      break;
    }
    Result<const format::RecordView*> rec = reader.Next();
    bytes_read += reader.bytes_read() - last_read;
    last_read = reader.bytes_read();
    if (!rec.ok()) {
      status = rec.status();
      break;
    }
    if (*rec == nullptr) break;
    const RestoreProducer::Target* out = route(**rec);
    if (out == nullptr) continue;
    status = producer_.Send(*out, **rec, reader.block());
    if (!status.ok()) break;
    const uint64_t bytes = format::PayloadBytes(**rec);
    ++result->records_sent;
    result->bytes_sent += bytes;
    ++records_sent;
    bytes_sent += bytes;
  }
  for (PartitionSink* sink : sinks) {
    Status delivered = producer_.Drain(sink);
    if (status.ok()) status = delivered;
  }
  {
    std::lock_guard lock(mu_);
    std::erase(active_, &active);
  }
  result->records_excluded = reader.excluded();
  result->skipped = plan.skipped;
  result->skipped.insert(result->skipped.end(), reader.skipped().begin(), reader.skipped().end());
  result->complete = status.ok();
  return status;
}

Status PartitionRestorer::Restore(const PartitionPlan& plan, const std::atomic<bool>* cancel,
                                  PartitionResult* result) {
  const std::string source = Name(plan.source_topic, plan.partition);
  const std::string target = Name(plan.target_topic, plan.partition);
  const std::string key =
      keys_.RestoreOffsetMap(plan.source_topic, plan.partition, cluster_id_, plan.target_topic);
  KB_ASSIGN_OR_RETURN(auto existing, records_.Load(plan.source_topic, plan.partition, cluster_id_,
                                                   plan.target_topic));
  // Right after a topic is created its leaders may still be elected: retry what is transient.
  Result<kafka::Watermarks> queried = Status::Retryable(target, "not queried");
  if (auto known = ends_.find({plan.target_topic, plan.partition}); known != ends_.end()) {
    queried = known->second;
  }
  for (const auto deadline = Clock::now() + options_.timeout; !queried.ok();) {
    queried = admin_.QueryWatermarks(plan.target_topic, plan.partition, options_.timeout);
    if (queried.ok() || !queried.status().IsRetryable() || Clock::now() > deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  KB_ASSIGN_OR_RETURN(kafka::Watermarks wm, std::move(queried));
  const int64_t end = wm.high;

  Active active;
  active.cancel = cancel;
  active.record = {.source_topic = plan.source_topic,
                   .partition = plan.partition,
                   .cluster_id = cluster_id_,
                   .target_topic = plan.target_topic,
                   .selection = plan.selection,
                   .map = OffsetMap(0)};
  OffsetMap map(end);
  PartitionReader reader(plan, selection_, options_.skip_corrupt);
  if (!existing) {
    if (end > 0) {
      result->note = "target partition already held offsets up to " + std::to_string(end) +
                     "; restored records follow them";
      spdlog::info("{}: target {} is not empty (end offset {}); restored records start at {}",
                   source, target, end, end);
    }
    KB_RETURN_IF_ERROR(Save(active, map, false, false));
  } else {
    if (existing->selection != plan.selection) {
      return OtherSelection(key, source, target, existing->selection, plan.selection);
    }
    if (existing->reshaped()) {
      return Status::FailedPrecondition(
          key, "an earlier restore of " + source + " into " + plan.target_topic +
                   " reshaped it into " + std::to_string(existing->target_partitions) +
                   " partitions (--partitions); this one keeps the partition numbers: give "
                   "--partitions " +
                   std::to_string(existing->target_partitions) +
                   " to resume it, restore into another topic, or delete this record to start "
                   "over");
    }
    // A switch of the target's configs owed at the end (see "Timestamps") stays in the record.
    active.record.configs_after_restore = existing->configs_after_restore;
    map = existing->map;
    const int64_t mapped_end = map.target_end();
    if (end < mapped_end) {
      return TargetChanged(target, end, key, mapped_end);
    }
    if (existing->complete) {
      result->outcome = PartitionOutcome::kAlreadyComplete;
      result->map = map;
      result->complete = true;
      if (end > mapped_end) {
        result->note = std::to_string(end - mapped_end) +
                       " records were written to the target after the restore completed";
      }
      return Status::OK();
    }
    if (!map.runs().empty()) {
      const OffsetRun& last = map.runs().back();
      reader.SkipThrough(last.source_start + last.count - 1);
    }
    if (end > mapped_end) {
      // Records that reached the target after the last checkpoint: they must be ours.
      Status s = ReadTargetRange(
          props_, plan.target_topic, plan.partition, mapped_end, end,
          [&](const format::RecordView& t) -> Status {
            KB_ASSIGN_OR_RETURN(const format::RecordView* src, reader.Next());
            if (src == nullptr) {
              return Status::FailedPrecondition(
                  target, "offset " + std::to_string(t.offset) +
                              " holds a record but every selected record of " + source +
                              " is already in the target: the target was written by someone "
                              "else; stopping");
            }
            std::string why;
            if (!SameRecord(t, *src, &why)) {
              return Status::FailedPrecondition(
                  target, "offset " + std::to_string(t.offset) + " differs (" + why +
                              ") from the next record to restore (" + source + " offset " +
                              std::to_string(src->offset) +
                              "): the target was written by someone else since the last "
                              "checkpoint; stopping rather than guessing");
            }
            KB_RETURN_IF_ERROR(map.Append(src->offset, t.offset));
            reader.SkipThrough(src->offset);
            ++result->records_verified;
            return Status::OK();
          },
          options_.timeout);
      KB_RETURN_IF_ERROR(s);
      spdlog::info("{}: {} records already in {} after the last checkpoint verified", source,
                   result->records_verified, target);
      KB_RETURN_IF_ERROR(Save(active, map, false, false));
    }
  }

  PartitionSink sink(map);
  active.sink = &sink;
  KB_ASSIGN_OR_RETURN(RestoreProducer::Target out,
                      producer_.Bind(plan.target_topic, plan.partition, &sink));
  Status status = Produce(
      plan, active, reader, [&](const format::RecordView&) { return &out; }, {&sink}, result);
  // Drained: the partition may be bound again (a shared restore may give it back to this process).
  producer_.Unbind(plan.target_topic, plan.partition);
  result->map = sink.map();
  Status saved = Save(active, result->map, result->complete, true);
  KB_RETURN_IF_ERROR(status);
  KB_RETURN_IF_ERROR(saved);
  result->outcome = PartitionOutcome::kRestored;
  return Status::OK();
}

Status PartitionRestorer::RestoreReshaped(const PartitionPlan& plan,
                                          const std::atomic<bool>* cancel,
                                          PartitionResult* result) {
  const int32_t n = options_.partitions;
  const std::string source = Name(plan.source_topic, plan.partition);
  const std::string& target = plan.target_topic;
  const std::string key =
      keys_.RestoreOffsetMap(plan.source_topic, plan.partition, cluster_id_, plan.target_topic);
  result->target_partitions = n;
  KB_ASSIGN_OR_RETURN(auto existing, records_.Load(plan.source_topic, plan.partition, cluster_id_,
                                                   plan.target_topic));
  std::vector<kafka::TopicPartition> tps;
  for (int32_t t = 0; t < n; ++t) tps.push_back({plan.target_topic, t});
  // Right after a topic is created its leaders may still be elected: retry what is transient.
  Result<std::map<kafka::TopicPartition, kafka::Watermarks>> queried =
      Status::Retryable(target, "not queried");
  for (const auto deadline = Clock::now() + options_.timeout;;) {
    queried = admin_.QueryWatermarks(tps, options_.timeout);
    if (queried.ok() || !queried.status().IsRetryable() || Clock::now() > deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  KB_RETURN_IF_ERROR(queried.status());
  std::vector<int64_t> end(n, 0);
  for (const auto& [tp, wm] : *queried) {
    if (tp.partition >= 0 && tp.partition < n) end[tp.partition] = wm.high;
  }

  Active active;
  active.cancel = cancel;
  active.record = {.source_topic = plan.source_topic,
                   .partition = plan.partition,
                   .cluster_id = cluster_id_,
                   .target_topic = plan.target_topic,
                   .selection = plan.selection,
                   .map = OffsetMap(0),
                   .target_partitions = n};
  std::map<int32_t, OffsetMap> maps;
  // Read-back records of target partition t not yet matched to a source record (resume).
  std::map<int32_t, std::deque<format::Record>> landed;
  if (!existing) {
    for (int32_t t = 0; t < n; ++t) maps[t] = OffsetMap(end[t]);
    KB_RETURN_IF_ERROR(Save(active, OffsetMap(0), false, false, &maps));
  } else {
    if (existing->selection != plan.selection) {
      return OtherSelection(key, source, target, existing->selection, plan.selection);
    }
    if (existing->target_partitions != n) {
      return Status::FailedPrecondition(
          key, "an earlier restore of " + source + " into " + target +
                   (existing->reshaped()
                        ? " reshaped it into " + std::to_string(existing->target_partitions) +
                              " partitions"
                        : std::string(" kept the partition numbers")) +
                   ", this one reshapes it into " + std::to_string(n) +
                   " (--partitions): restore into another topic, or delete this record to start "
                   "over");
    }
    // A switch of the target's configs owed at the end (see "Timestamps") stays in the record.
    active.record.configs_after_restore = existing->configs_after_restore;
    maps = existing->target_maps;
    for (int32_t t = 0; t < n; ++t) {
      const int64_t mapped_end = maps[t].target_end();
      if (end[t] < mapped_end) {
        return TargetChanged(Name(target, t), end[t], key, mapped_end);
      }
    }
    if (existing->complete) {
      result->outcome = PartitionOutcome::kAlreadyComplete;
      result->target_maps = maps;
      result->complete = true;
      int64_t after = 0;
      for (int32_t t = 0; t < n; ++t) after += end[t] - maps[t].target_end();
      if (after > 0) {
        result->note = std::to_string(after) +
                       " records were written to the target after the restore completed";
      }
      return Status::OK();
    }
    for (int32_t t = 0; t < n; ++t) {
      const int64_t mapped_end = maps[t].target_end();
      if (end[t] <= mapped_end) continue;
      // Records that reached the target after the last checkpoint: they must be ours.
      KB_RETURN_IF_ERROR(ReadTargetRange(
          props_, target, t, mapped_end, end[t],
          [&](const format::RecordView& r) -> Status {
            landed[t].push_back(format::Record::FromView(r));
            return Status::OK();
          },
          options_.timeout));
    }
  }
  // The last source offset mapped on each target partition: records routed there up to it are
  // in the target (per target partition, what landed is a prefix of what was sent).
  std::vector<int64_t> last_mapped(n, -1);
  int64_t skip_through = INT64_MAX;
  for (int32_t t = 0; t < n; ++t) {
    if (!maps[t].runs().empty()) {
      const OffsetRun& last = maps[t].runs().back();
      last_mapped[t] = last.source_start + last.count - 1;
    }
    skip_through = std::min(skip_through, last_mapped[t]);
  }
  const auto route = [&](const format::RecordView& r) {
    return TargetPartition(r.key, plan.partition, r.offset, n);
  };

  // Resume: match the read-back records to the next unmapped source records of their partition.
  size_t pending = 0;
  for (const auto& [t, q] : landed) pending += q.size();
  if (pending > 0) {
    PartitionReader verify(plan, selection_, options_.skip_corrupt);
    verify.SkipThrough(skip_through);
    while (pending > 0) {
      KB_ASSIGN_OR_RETURN(const format::RecordView* src, verify.Next());
      if (src == nullptr) {
        for (const auto& [t, q] : landed) {
          if (q.empty()) continue;
          return Status::FailedPrecondition(
              Name(target, t), "offset " + std::to_string(q.front().offset) +
                                   " holds a record but every selected record of " + source +
                                   " for this partition is already in the target: the target "
                                   "was written by someone else; stopping");
        }
        return Status::Permanent(source, "records read back but none pending");
      }
      const int32_t t = route(*src);
      if (src->offset <= last_mapped[t] || landed[t].empty()) continue;
      std::vector<format::HeaderView> headers;
      const format::Record& got = landed[t].front();
      const format::RecordView view = got.View(&headers);
      std::string why;
      if (!SameRecord(view, *src, &why)) {
        return Status::FailedPrecondition(
            Name(target, t), "offset " + std::to_string(got.offset) + " differs (" + why +
                                 ") from the next record to restore there (" + source + " offset " +
                                 std::to_string(src->offset) +
                                 "): the target was written by someone else since the last "
                                 "checkpoint; stopping rather than guessing");
      }
      KB_RETURN_IF_ERROR(maps[t].Append(src->offset, got.offset));
      last_mapped[t] = src->offset;
      landed[t].pop_front();
      --pending;
      ++result->records_verified;
    }
    spdlog::info("{}: {} records already in {} after the last checkpoint verified", source,
                 result->records_verified, target);
    KB_RETURN_IF_ERROR(Save(active, OffsetMap(0), false, false, &maps));
  }

  std::vector<std::unique_ptr<PartitionSink>> sinks;
  std::vector<RestoreProducer::Target> outs;
  Status status;
  for (int32_t t = 0; t < n && status.ok(); ++t) {
    sinks.push_back(std::make_unique<PartitionSink>(maps[t]));
    Result<RestoreProducer::Target> out = producer_.Bind(target, t, sinks.back().get());
    if (!out.ok()) {
      status = out.status();
      sinks.pop_back();
      break;
    }
    outs.push_back(*out);
    active.target_sinks[t] = sinks.back().get();
  }
  const auto unbind = [&] {
    for (size_t t = 0; t < outs.size(); ++t) producer_.Unbind(target, static_cast<int32_t>(t));
  };
  if (!status.ok()) {
    unbind();
    return status;
  }
  PartitionReader reader(plan, selection_, options_.skip_corrupt);
  reader.SkipThrough(skip_through);
  std::vector<PartitionSink*> sink_ptrs;
  for (auto& sink : sinks) sink_ptrs.push_back(sink.get());
  status = Produce(
      plan, active, reader,
      [&](const format::RecordView& r) -> const RestoreProducer::Target* {
        const int32_t t = route(r);
        return r.offset <= last_mapped[t] ? nullptr : &outs[t];  // restored by an earlier run
      },
      sink_ptrs, result);
  unbind();
  for (int32_t t = 0; t < n; ++t) result->target_maps[t] = sinks[t]->map();
  Status saved = Save(active, OffsetMap(0), result->complete, true, &result->target_maps);
  KB_RETURN_IF_ERROR(status);
  KB_RETURN_IF_ERROR(saved);
  result->outcome = PartitionOutcome::kRestored;
  return Status::OK();
}

}  // namespace kb::restore
