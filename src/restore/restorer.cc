#include "restore/restorer.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <charconv>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "common/clock.h"
#include "common/parallel.h"
#include "kafka/admin.h"
#include "report/report_text.h"
#include "restore/offset_map_store.h"
#include "restore/partition_reader.h"
#include "restore/partitioner.h"
#include "restore/restore_producer.h"
#include "restore/restore_report.h"
#include "restore/target_reader.h"

namespace kb::restore {
namespace {

using Clock = std::chrono::steady_clock;

std::string Name(const std::string& topic, int32_t partition) {
  return topic + "/" + std::to_string(partition);
}

// The --exclude-keys part of a selection text (RestoreSelection::Describe; always the last one),
// "" without one.
std::string_view ExclusionOf(std::string_view selection) {
  const size_t at = selection.find("exclude-keys:");
  return at == std::string_view::npos ? std::string_view() : selection.substr(at);
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

// A partition being restored, as the checkpointer sees it.
struct Active {
  PartitionRestoreRecord record;  // identity and selection; map/complete filled at save time
  PartitionSink* sink = nullptr;
  // Reshaping: one sink per target partition (then `sink` is null).
  std::map<int32_t, PartitionSink*> target_sinks;
  std::mutex save_mu;  // one save at a time; the final save sets `finished`
  bool finished = false;
};

class Run {
 public:
  Run(storage::ObjectStore& store, const layout::Keys& keys, const kafka::Properties& props,
      const RestoreSelection& selection, const RestoreOptions& options, kafka::Admin& admin,
      RestoreProducer& producer, std::string cluster_id)
      : records_(&store, keys),
        keys_(keys),
        props_(props),
        selection_(selection),
        options_(options),
        admin_(admin),
        producer_(producer),
        cluster_id_(std::move(cluster_id)) {}

  PartitionResult RestorePartition(const PartitionPlan& plan);
  void CheckpointLoop();
  void Stop() {
    std::lock_guard lock(mu_);
    stop_ = true;
    cv_.notify_all();
  }
  std::atomic<uint64_t> records_sent{0};
  std::atomic<uint64_t> bytes_sent{0};
  std::atomic<uint64_t> bytes_read{0};

 private:
  Status Restore(const PartitionPlan& plan, PartitionResult* result);
  Status RestoreReshaped(const PartitionPlan& plan, PartitionResult* result);
  Status Save(Active& a, const OffsetMap& map, bool complete, bool final_save,
              const std::map<int32_t, OffsetMap>* target_maps = nullptr);

  OffsetMapStore records_;
  const layout::Keys& keys_;
  const kafka::Properties& props_;
  const RestoreSelection& selection_;
  const RestoreOptions& options_;
  kafka::Admin& admin_;
  RestoreProducer& producer_;
  const std::string cluster_id_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::vector<Active*> active_;
};

Status Run::Save(Active& a, const OffsetMap& map, bool complete, bool final_save,
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

void Run::CheckpointLoop() {
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

PartitionResult Run::RestorePartition(const PartitionPlan& plan) {
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
            : options_.partitions > 0 ? RestoreReshaped(plan, &r)
                                      : Restore(plan, &r);
  if (!r.error.ok()) {
    r.outcome = PartitionOutcome::kFailed;
    spdlog::error("restore of {} into {} failed: {}", Name(plan.source_topic, plan.partition),
                  options_.partitions > 0 ? plan.target_topic + " (reshaped)"
                                          : Name(plan.target_topic, plan.partition),
                  r.error.ToString());
  }
  return r;
}

Status Run::Restore(const PartitionPlan& plan, PartitionResult* result) {
  const std::string source = Name(plan.source_topic, plan.partition);
  const std::string target = Name(plan.target_topic, plan.partition);
  const std::string key =
      keys_.RestoreOffsetMap(plan.source_topic, plan.partition, cluster_id_, plan.target_topic);
  KB_ASSIGN_OR_RETURN(auto existing, records_.Load(plan.source_topic, plan.partition, cluster_id_,
                                                   plan.target_topic));
  // Right after a topic is created its leaders may still be elected: retry what is transient.
  Result<kafka::Watermarks> queried = Status::Retryable(target, "not queried");
  for (const auto deadline = Clock::now() + options_.timeout;;) {
    queried = admin_.QueryWatermarks(plan.target_topic, plan.partition, options_.timeout);
    if (queried.ok() || !queried.status().IsRetryable() || Clock::now() > deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  KB_ASSIGN_OR_RETURN(kafka::Watermarks wm, std::move(queried));
  const int64_t end = wm.high;

  Active active;
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
      return Status::FailedPrecondition(
          target, "the target ends at offset " + std::to_string(end) + " but the restore record " +
                      key + " has records restored up to offset " + std::to_string(mapped_end - 1) +
                      ": the target was changed (deleted, recreated or truncated) since; "
                      "stopping rather than guessing");
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
  {
    std::lock_guard lock(mu_);
    active_.push_back(&active);
  }
  Status status;
  uint64_t last_read = 0;
  for (;;) {
    Result<const format::RecordView*> rec = reader.Next();
    bytes_read += reader.bytes_read() - last_read;
    last_read = reader.bytes_read();
    if (!rec.ok()) {
      status = rec.status();
      break;
    }
    if (*rec == nullptr) break;
    status = producer_.Send(out, **rec, reader.block());
    if (!status.ok()) break;
    const uint64_t bytes = format::PayloadBytes(**rec);
    ++result->records_sent;
    result->bytes_sent += bytes;
    ++records_sent;
    bytes_sent += bytes;
  }
  Status delivered = producer_.Drain(&sink);
  if (status.ok()) status = delivered;
  {
    std::lock_guard lock(mu_);
    std::erase(active_, &active);
  }
  result->map = sink.map();
  result->records_excluded = reader.excluded();
  result->skipped = plan.skipped;
  result->skipped.insert(result->skipped.end(), reader.skipped().begin(), reader.skipped().end());
  result->complete = status.ok();
  Status saved = Save(active, result->map, result->complete, true);
  KB_RETURN_IF_ERROR(status);
  KB_RETURN_IF_ERROR(saved);
  result->outcome = PartitionOutcome::kRestored;
  return Status::OK();
}

Status Run::RestoreReshaped(const PartitionPlan& plan, PartitionResult* result) {
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
        return Status::FailedPrecondition(
            Name(target, t),
            "the target ends at offset " + std::to_string(end[t]) + " but the restore record " +
                key + " has records restored up to offset " + std::to_string(mapped_end - 1) +
                ": the target was changed (deleted, recreated or truncated) "
                "since; stopping rather than guessing");
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
  {
    std::lock_guard lock(mu_);
    active_.push_back(&active);
  }
  PartitionReader reader(plan, selection_, options_.skip_corrupt);
  reader.SkipThrough(skip_through);
  uint64_t last_read = 0;
  for (;;) {
    Result<const format::RecordView*> rec = reader.Next();
    bytes_read += reader.bytes_read() - last_read;
    last_read = reader.bytes_read();
    if (!rec.ok()) {
      status = rec.status();
      break;
    }
    if (*rec == nullptr) break;
    const int32_t t = route(**rec);
    if ((*rec)->offset <= last_mapped[t]) continue;  // restored by an earlier run
    status = producer_.Send(outs[t], **rec, reader.block());
    if (!status.ok()) break;
    const uint64_t bytes = format::PayloadBytes(**rec);
    ++result->records_sent;
    result->bytes_sent += bytes;
    ++records_sent;
    bytes_sent += bytes;
  }
  for (auto& sink : sinks) {
    Status delivered = producer_.Drain(sink.get());
    if (status.ok()) status = delivered;
  }
  {
    std::lock_guard lock(mu_);
    std::erase(active_, &active);
  }
  unbind();
  for (int32_t t = 0; t < n; ++t) result->target_maps[t] = sinks[t]->map();
  result->records_excluded = reader.excluded();
  result->skipped = plan.skipped;
  result->skipped.insert(result->skipped.end(), reader.skipped().begin(), reader.skipped().end());
  result->complete = status.ok();
  Status saved = Save(active, OffsetMap(0), result->complete, true, &result->target_maps);
  KB_RETURN_IF_ERROR(status);
  KB_RETURN_IF_ERROR(saved);
  result->outcome = PartitionOutcome::kRestored;
  return Status::OK();
}

// "7 days", "36 hours", "90 minutes", "1500 ms": a retention.ms for people.
std::string ReadableMs(int64_t ms) {
  constexpr int64_t kMinute = 60'000, kHour = 60 * kMinute, kDay = 24 * kHour;
  if (ms >= kDay && ms % kDay == 0) return report::Plural(ms / kDay, "day");
  if (ms >= kHour && ms % kHour == 0) return report::Plural(ms / kHour, "hour");
  if (ms >= kMinute && ms % kMinute == 0) return report::Plural(ms / kMinute, "minute");
  return std::to_string(ms) + " ms";
}

std::string Joined(const std::vector<std::string>& parts, const char* sep = ", ") {
  std::string out;
  for (const std::string& p : parts) out += (out.empty() ? "" : sep) + p;
  return out;
}

std::string ConfigsText(const kafka::TopicConfigs& configs) {
  std::vector<std::string> parts;
  for (const auto& [k, v] : configs) parts.push_back(k + "=" + v);
  return Joined(parts);
}

// Before a target that gets `configs` at the end is created: every planned partition's restore
// record carries them (a new record with an empty map starting at 0, the target's end once it is
// created; an existing record of the same selection keeps its map). Reshaping (`partitions` > 0):
// a new record only for the topic's first planned partition (see below). A record of another
// selection is left alone: that partition fails with the selection mismatch.
Status RecordConfigsAfter(OffsetMapStore& records, const std::string& cluster_id,
                          const TopicPlan& t, const kafka::TopicConfigs& configs,
                          int32_t partitions) {
  for (const PartitionPlan& p : t.partitions) {
    KB_ASSIGN_OR_RETURN(auto existing,
                        records.Load(p.source_topic, p.partition, cluster_id, p.target_topic));
    // Reshaping: only the first partition gets a new record. The later ones start where the
    // earlier ones end on every target partition, unknown yet; one record remembers the switch.
    if (!existing && partitions > 0 && &p != &t.partitions.front()) continue;
    PartitionRestoreRecord r;
    if (existing) {
      if (existing->selection != p.selection || existing->configs_after_restore == configs) {
        continue;
      }
      r = std::move(*existing);
    } else {
      r = {.source_topic = p.source_topic,
           .partition = p.partition,
           .cluster_id = cluster_id,
           .target_topic = p.target_topic,
           .selection = p.selection,
           .map = OffsetMap(0)};
      // Reshaping: an empty map on every target partition (a record of this shape is resumed).
      r.target_partitions = partitions;
      for (int32_t tp = 0; tp < partitions; ++tp) r.target_maps[tp] = OffsetMap(0);
    }
    r.configs_after_restore = configs;
    r.updated_at_ms = NowMs();
    KB_RETURN_IF_ERROR(records.Save(r));
  }
  return Status::OK();
}

// After the switch: the records of `t` no longer owe it.
Status ClearConfigsAfter(OffsetMapStore& records, const std::string& cluster_id,
                         const TopicPlan& t) {
  for (const PartitionPlan& p : t.partitions) {
    KB_ASSIGN_OR_RETURN(auto existing,
                        records.Load(p.source_topic, p.partition, cluster_id, p.target_topic));
    if (!existing || existing->configs_after_restore.empty()) continue;
    existing->configs_after_restore.clear();
    existing->updated_at_ms = NowMs();
    KB_RETURN_IF_ERROR(records.Save(*existing));
  }
  return Status::OK();
}

// At the end of the run: sets the configs owed to each target whose planned partitions are all
// complete (see "Timestamps"), or says why not.
void FinishConfigsAfter(kafka::Admin& admin, OffsetMapStore& records, const RestorePlan& plan,
                        const TargetCheck& check, const RestoreOptions& options,
                        RestoreReport* report) {
  for (const TopicPlan& t : plan.topics) {
    auto after = check.configs_after.find(t.target_topic);
    if (after == check.configs_after.end()) continue;
    std::vector<std::string> incomplete;
    for (const PartitionResult& r : report->partitions) {
      if (r.target_topic == t.target_topic && !r.complete) {
        incomplete.push_back(Name(r.target_topic, r.partition));
      }
    }
    const std::string configs = ConfigsText(after->second);
    if (!incomplete.empty()) {
      const std::string w = t.target_topic + " keeps " + kTimestampTypeConfig + "=" + kCreateTime +
                            " (not yet " + configs + ", as in the backup's topic.json): " +
                            report::Plural(static_cast<int64_t>(incomplete.size()), "partition") +
                            " not completely restored (" + Joined(incomplete) +
                            "); run the same restore again to finish them, and it sets " + configs +
                            " at the end (the restore records remember it)";
      spdlog::warn("{}", w);
      report->warnings.push_back(w);
      continue;
    }
    Status s = admin.AlterTopicConfigs(t.target_topic, after->second, options.timeout);
    if (!s.ok()) {
      Status e = s.WithContext(
          "every record is restored with its timestamp, but the topic stays " +
          std::string(kTimestampTypeConfig) + "=" + kCreateTime + " since setting " + configs +
          " (as in the backup's topic.json) failed; run the same restore again (the restore "
          "records remember the switch), or set it with kafka-configs.sh --alter --entity-type "
          "topics --entity-name " +
          t.target_topic + " --add-config " + configs);
      spdlog::error("{}", e.ToString());
      report->topic_errors.push_back(e);
      continue;
    }
    spdlog::info("{}: every partition restored: set {}", t.target_topic, configs);
    report->switched_topics.push_back(t.target_topic + ": " + configs);
    Status cleared = ClearConfigsAfter(records, report->cluster_id, t);
    if (!cleared.ok()) {
      // Harmless: a rerun sets the same value again.
      const std::string w = "the restore records of " + t.target_topic + " still say to set " +
                            configs + " at the end (" + cleared.ToString() +
                            "); a rerun sets it again, which changes nothing";
      spdlog::warn("{}", w);
      report->warnings.push_back(w);
    }
  }
}

}  // namespace

Result<std::map<std::string, kafka::TopicConfigs>> PendingConfigs(storage::ObjectStore& store,
                                                                  const layout::Keys& keys,
                                                                  const std::string& cluster_id,
                                                                  const RestorePlan& plan,
                                                                  const TargetCheck& check) {
  std::map<std::string, kafka::TopicConfigs> out;
  OffsetMapStore records(&store, keys);
  const auto contains = [](const std::vector<std::string>& v, const std::string& x) {
    return std::find(v.begin(), v.end(), x) != v.end();
  };
  for (const TopicPlan& t : plan.topics) {
    if (contains(check.to_create, t.target_topic)) {
      if (!t.metadata) continue;
      auto type = t.metadata->configs.find(kTimestampTypeConfig);
      if (type != t.metadata->configs.end() && type->second == kLogAppendTime) {
        out[t.target_topic][kTimestampTypeConfig] = kLogAppendTime;
      }
      continue;
    }
    if (!contains(check.existing, t.target_topic)) continue;
    for (const PartitionPlan& p : t.partitions) {
      KB_ASSIGN_OR_RETURN(auto existing,
                          records.Load(p.source_topic, p.partition, cluster_id, p.target_topic));
      if (!existing || existing->selection != p.selection) continue;
      for (const auto& [k, v] : existing->configs_after_restore) out[t.target_topic][k] = v;
    }
  }
  return out;
}

Result<std::set<std::string>> CompletedTargets(storage::ObjectStore& store,
                                               const layout::Keys& keys,
                                               const std::string& cluster_id,
                                               const RestorePlan& plan) {
  OffsetMapStore records(&store, keys);
  std::set<std::string> out;
  for (const TopicPlan& t : plan.topics) {
    bool complete = true;
    for (const PartitionPlan& p : t.partitions) {
      KB_ASSIGN_OR_RETURN(auto existing,
                          records.Load(p.source_topic, p.partition, cluster_id, p.target_topic));
      if (!existing || existing->selection != p.selection || !existing->complete) {
        complete = false;
        break;
      }
    }
    if (complete) out.insert(t.target_topic);
  }
  return out;
}

std::map<std::string, kafka::TopicConfigs> DescribeTargetConfigs(
    kafka::Admin& admin, const std::vector<std::string>& topics, std::chrono::milliseconds timeout,
    std::vector<std::string>* warnings) {
  std::map<std::string, kafka::TopicConfigs> out;
  for (const std::string& topic : topics) {
    auto configs =
        admin.DescribeTopicConfigs(topic, timeout, kafka::Admin::ConfigScope::kEffective);
    if (configs.ok()) {
      out[topic] = std::move(*configs);
      continue;
    }
    warnings->push_back("cannot check the message.timestamp.type and retention.ms of " + topic +
                        (configs.status().IsPermissionDenied()
                             ? " (it needs the DESCRIBE_CONFIGS ACL on it)"
                             : std::string()) +
                        ": " + configs.status().ToString());
  }
  return out;
}

std::vector<std::string> TimestampWarnings(
    const RestorePlan& plan, const std::map<std::string, kafka::TopicConfigs>& configs,
    const std::map<std::string, kafka::TopicConfigs>& configs_after,
    const std::set<std::string>& completed, int64_t now_ms) {
  std::vector<std::string> out;
  for (const TopicPlan& t : plan.topics) {
    auto it = configs.find(t.target_topic);
    if (it == configs.end() || completed.contains(t.target_topic)) continue;
    const kafka::TopicConfigs& c = it->second;
    int64_t min_ts = INT64_MAX, max_ts = INT64_MIN;
    for (const PartitionPlan& p : t.partitions) {
      if (p.records == 0 || p.min_timestamp > p.max_timestamp) continue;
      min_ts = std::min(min_ts, p.min_timestamp);
      max_ts = std::max(max_ts, p.max_timestamp);
    }
    if (min_ts > max_ts) continue;  // nothing to produce
    const std::string& target = t.target_topic;
    auto type = c.find(kTimestampTypeConfig);
    if (type != c.end() && type->second == kLogAppendTime && !configs_after.contains(target)) {
      out.push_back(
          target + " has " + kTimestampTypeConfig + "=" + kLogAppendTime +
          ": the broker gives every record restored into it the time it appends it, so the "
          "backed-up timestamps (" +
          report::FormatTimeMs(min_ts) + " .. " + report::FormatTimeMs(max_ts) + ") are lost in " +
          target + ". To keep them, set " + kTimestampTypeConfig + "=" + kCreateTime + " on " +
          target +
          " before restoring (kafka-configs.sh --alter --entity-type topics --entity-name " +
          target + " --add-config " + kTimestampTypeConfig + "=" + kCreateTime +
          "; set it back afterwards), or delete it and let the restore create it: it creates it "
          "with " +
          kCreateTime + " and sets " + kLogAppendTime + " once every partition is restored");
    }
    auto policy = c.find("cleanup.policy");
    if (policy != c.end() && policy->second.find("delete") == std::string::npos) continue;
    auto retention = c.find("retention.ms");
    if (retention == c.end()) continue;
    int64_t ms = -1;
    const std::string& v = retention->second;
    if (std::from_chars(v.data(), v.data() + v.size(), ms).ec != std::errc() || ms < 0) continue;
    const int64_t cutoff = now_ms - ms;
    std::vector<std::string> named;
    int64_t oldest = INT64_MAX;
    for (const PartitionPlan& p : t.partitions) {
      if (p.records == 0 || p.min_timestamp > p.max_timestamp || p.min_timestamp >= cutoff) {
        continue;
      }
      uint64_t older = 0;  // records of chosen blocks whose newest record is older
      for (const SegmentPlan& seg : p.segments) {
        for (size_t b : seg.blocks) {
          const format::BlockIndexEntry& e = seg.reader->footer().blocks[b];
          if (e.max_timestamp < cutoff) older += e.record_count;
        }
      }
      older = std::min(older, p.records);
      oldest = std::min(oldest, p.min_timestamp);
      named.push_back(std::to_string(p.partition) + " (" +
                      (older == 0 ? std::string("some records")
                                  : (p.count_exact ? "at least " : "up to ") +
                                        report::Plural(static_cast<int64_t>(older), "record")) +
                      ", oldest " + report::FormatTimeMs(p.min_timestamp) + ")");
    }
    if (named.empty()) continue;
    out.push_back(
        target + " has retention.ms=" + v + " (" + ReadableMs(ms) + ") but " +
        (named.size() == 1 ? "partition " : "partitions ") + Joined(named, "; ") + " of " +
        t.source_topic + " hold records older than that (before " + report::FormatTimeMs(cutoff) +
        "): Kafka deletes them soon after they are restored (a segment goes once its "
        "newest record is older than retention.ms). To keep them, raise retention.ms of " +
        target + " before restoring (-1 keeps records forever), or restore with --from " +
        report::FormatTimeMs(cutoff) + " or later");
  }
  return out;
}

std::string MetadataWarning(const TopicPlan& t) {
  return t.metadata_key + " cannot be read (" + t.metadata_error.ToString() + "); " +
         t.target_topic + " exists (--require-target-exists), so " + t.source_topic +
         " is restored into it without the backed-up topic metadata";
}

const char* PartitionOutcomeName(PartitionOutcome outcome) {
  switch (outcome) {
    case PartitionOutcome::kRestored:
      return "restored";
    case PartitionOutcome::kAlreadyComplete:
      return "already-complete";
    case PartitionOutcome::kFailed:
      return "failed";
  }
  return "?";
}

bool RestoreReport::ok() const {
  if (!topic_errors.empty()) return false;
  for (const PartitionResult& p : partitions) {
    if (!p.error.ok()) return false;
  }
  return true;
}

Result<TargetCheck> CheckTargets(const kafka::Properties& props, const RestorePlan& plan,
                                 const RestoreOptions& options) {
  KB_ASSIGN_OR_RETURN(auto admin, kafka::Admin::Make(props));
  TargetCheck check;
  for (const TopicPlan& t : plan.topics) {
    Result<kafka::TopicInfo> info = admin->DescribeTopic(t.target_topic, options.timeout);
    if (info.ok()) {
      if (options.partitions > 0 && info->partitions != options.partitions) {
        return Status::FailedPrecondition(
            t.target_topic, "the target topic has " + std::to_string(info->partitions) +
                                " partitions but --partitions asks for " +
                                std::to_string(options.partitions) + ": give --partitions " +
                                std::to_string(info->partitions) +
                                " or restore into another topic");
      }
      if (options.partitions == 0 && info->partitions < t.partition_count) {
        return Status::FailedPrecondition(
            t.target_topic, "the target topic has " + std::to_string(info->partitions) +
                                " partitions but the backup of '" + t.source_topic + "' has " +
                                std::to_string(t.partition_count) +
                                " (each record goes to the partition with the same number); "
                                "add partitions or restore into another topic");
      }
      check.existing.push_back(t.target_topic);
      if (!t.metadata_error.ok() && options.require_target_exists) {
        check.warnings.push_back(MetadataWarning(t));
      }
      continue;
    }
    if (!info.status().IsNotFound()) return info.status();
    // Without a readable topic.json its partitions fail (PlanRestore): nothing to create.
    if (!t.metadata_error.ok() && !options.require_target_exists) continue;
    if (options.require_target_exists) {
      return Status::NotFound(t.target_topic,
                              "the target topic does not exist (--require-target-exists)");
    }
    check.to_create.push_back(t.target_topic);
  }
  return check;
}

Result<TargetEnds> QueryTargetEnds(kafka::Admin& admin, const RestorePlan& plan,
                                   const std::vector<std::string>& existing,
                                   std::chrono::milliseconds timeout, int32_t partitions) {
  std::vector<kafka::TopicPartition> tps;
  for (const TopicPlan& t : plan.topics) {
    if (std::find(existing.begin(), existing.end(), t.target_topic) == existing.end()) continue;
    if (partitions > 0) {
      for (int32_t i = 0; i < partitions; ++i) tps.push_back({t.target_topic, i});
      continue;
    }
    for (const PartitionPlan& p : t.partitions) tps.push_back({t.target_topic, p.partition});
  }
  TargetEnds ends;
  if (tps.empty()) return ends;
  KB_ASSIGN_OR_RETURN(auto wm, admin.QueryWatermarks(tps, timeout));
  for (const auto& [tp, w] : wm) ends[{tp.topic, tp.partition}] = w;
  return ends;
}

Status CheckTargetsEmpty(storage::ObjectStore& store, const layout::Keys& keys,
                         const std::string& cluster_id, const RestorePlan& plan,
                         const TargetEnds& ends, int32_t partitions) {
  OffsetMapStore records(&store, keys);
  std::string named;
  size_t count = 0;
  for (const TopicPlan& t : plan.topics) {
    if (partitions > 0) {
      // Every source partition's records may land on every target partition: this restore's own
      // records start at the smallest target_start of its restore records there.
      std::map<int32_t, int64_t> own_start;
      for (const PartitionPlan& p : t.partitions) {
        KB_ASSIGN_OR_RETURN(auto existing,
                            records.Load(p.source_topic, p.partition, cluster_id, p.target_topic));
        if (!existing || existing->selection != p.selection ||
            existing->target_partitions != partitions) {
          continue;
        }
        for (const auto& [tp, m] : existing->target_maps) {
          auto [it, fresh] = own_start.emplace(tp, m.target_start());
          if (!fresh) it->second = std::min(it->second, m.target_start());
        }
      }
      for (int32_t tp = 0; tp < partitions; ++tp) {
        auto it = ends.find({t.target_topic, tp});
        if (it == ends.end()) continue;  // a topic to create
        const kafka::Watermarks& wm = it->second;
        int64_t foreign_end = wm.high;
        if (auto own = own_start.find(tp); own != own_start.end()) {
          foreign_end = std::min(foreign_end, own->second);
        }
        if (foreign_end <= wm.low) continue;
        ++count;
        named += (named.empty() ? "" : "; ") + Name(t.target_topic, tp) + " holds offsets " +
                 std::to_string(wm.low) + ".." + std::to_string(foreign_end - 1) +
                 " (start offset " + std::to_string(wm.low) + ", end offset " +
                 std::to_string(wm.high) + ")";
      }
      continue;
    }
    for (const PartitionPlan& p : t.partitions) {
      auto it = ends.find({p.target_topic, p.partition});
      if (it == ends.end()) continue;  // a topic to create
      const kafka::Watermarks& wm = it->second;
      // Records from the restore record's target_start on are this restore's own (an interrupted
      // or finished run of the same selection); the resume logic checks them.
      int64_t foreign_end = wm.high;
      KB_ASSIGN_OR_RETURN(auto existing,
                          records.Load(p.source_topic, p.partition, cluster_id, p.target_topic));
      if (existing && existing->selection == p.selection) {
        foreign_end = std::min(foreign_end, existing->map.target_start());
      }
      if (foreign_end <= wm.low) continue;
      ++count;
      named += (named.empty() ? "" : "; ") + Name(p.target_topic, p.partition) + " holds offsets " +
               std::to_string(wm.low) + ".." + std::to_string(foreign_end - 1) + " (start offset " +
               std::to_string(wm.low) + ", end offset " + std::to_string(wm.high) + ")";
    }
  }
  if (count == 0) return Status::OK();
  return Status::FailedPrecondition(
      "--fail-if-target-not-empty",
      std::to_string(count) + (count == 1 ? " target partition is" : " target partitions are") +
          " not empty: " + named + "; nothing was produced");
}

Result<RestoreReport> RunRestore(storage::ObjectStore& store, const layout::Keys& keys,
                                 const kafka::Properties& props, const RestorePlan& plan,
                                 const RestoreSelection& selection, const RestoreOptions& options) {
  const auto started = Clock::now();
  RestoreReport report;
  KB_ASSIGN_OR_RETURN(auto admin, kafka::Admin::Make(props));
  // Made first so that its connection and idempotent producer id are set up while the target
  // topics are checked and created (it sends nothing before the partitions start).
  KB_ASSIGN_OR_RETURN(
      auto producer,
      RestoreProducer::Make(props, {.max_bytes_per_second = options.max_bytes_per_second}));
  KB_ASSIGN_OR_RETURN(report.cluster_id, admin->ClusterId(options.timeout));
  KB_ASSIGN_OR_RETURN(TargetCheck check, CheckTargets(props, plan, options));
  for (const std::string& w : check.warnings) {
    spdlog::warn("{}", w);
    report.warnings.push_back(w);
  }
  KB_ASSIGN_OR_RETURN(check.configs_after,
                      PendingConfigs(store, keys, report.cluster_id, plan, check));
  if (options.fail_if_target_not_empty) {
    KB_ASSIGN_OR_RETURN(TargetEnds ends, QueryTargetEnds(*admin, plan, check.existing,
                                                         options.timeout, options.partitions));
    KB_RETURN_IF_ERROR(
        CheckTargetsEmpty(store, keys, report.cluster_id, plan, ends, options.partitions));
  }
  OffsetMapStore records(&store, keys);
  for (const TopicPlan& t : plan.topics) {
    if (std::find(check.to_create.begin(), check.to_create.end(), t.target_topic) ==
        check.to_create.end()) {
      continue;
    }
    kafka::TopicSpec spec{
        .name = t.target_topic,
        .partitions = options.partitions > 0 ? options.partitions : std::max(t.partition_count, 1)};
    if (t.metadata) {
      spec.replication_factor =
          t.metadata->replication_factor > 0 ? t.metadata->replication_factor : -1;
      spec.configs = t.metadata->configs;
    } else {
      spdlog::warn("{}: no topic.json in the backup: creating {} with the broker's default configs",
                   t.source_topic, t.target_topic);
    }
    if (options.replication_factor) spec.replication_factor = *options.replication_factor;
    if (auto after = check.configs_after.find(t.target_topic); after != check.configs_after.end()) {
      // Produced as CreateTime, switched at the end; recorded first so that a rerun after a kill
      // right after the creation still switches it (see "Timestamps").
      spec.configs[kTimestampTypeConfig] = kCreateTime;
      KB_RETURN_IF_ERROR(
          RecordConfigsAfter(records, report.cluster_id, t, after->second, options.partitions));
      spdlog::info(
          "{}: creating it with {}={}, to keep the backed-up timestamps; {} is set once "
          "every partition is restored",
          t.target_topic, kTimestampTypeConfig, kCreateTime, ConfigsText(after->second));
    }
    Status s = admin->CreateTopic(spec, options.timeout);
    if (!s.ok()) {
      const std::string what =
          "cannot create the target topic with " + std::to_string(spec.partitions) +
          " partitions, replication factor " +
          (spec.replication_factor > 0 ? std::to_string(spec.replication_factor)
                                       : std::string("(broker default)")) +
          " and " + std::to_string(spec.configs.size()) + " configs from the backup";
      if (s.message().find("eplication") != std::string::npos) {
        return Status::FailedPrecondition(
            t.target_topic,
            what + ": " + s.message() + " (give --replication-factor N for this cluster)");
      }
      return s.WithContext(what);
    }
    spdlog::info("created topic {} ({} partitions)", t.target_topic, spec.partitions);
    report.created_topics.push_back(t.target_topic);
  }

  if (selection.exclude_keys != nullptr) {
    report.exclude_keys = selection.exclude_keys->size();
    report.exclude_keys_sha256 = selection.exclude_keys->Digest();
    // The count and digest only: the keys may be personal data.
    spdlog::info(
        "leaving out every record whose key is one of the {} keys of --exclude-keys {} "
        "(sha256 {})",
        report.exclude_keys, selection.exclude_keys->path(), report.exclude_keys_sha256);
  }
  {
    // Every target exists now: check the timestamps against the configs in force.
    std::vector<std::string> targets = check.existing;
    targets.insert(targets.end(), report.created_topics.begin(), report.created_topics.end());
    KB_ASSIGN_OR_RETURN(std::set<std::string> completed,
                        CompletedTargets(store, keys, report.cluster_id, plan));
    std::vector<std::string> warnings;
    auto configs = DescribeTargetConfigs(*admin, targets, options.timeout, &warnings);
    for (std::string& w :
         TimestampWarnings(plan, configs, check.configs_after, completed, NowMs())) {
      warnings.push_back(std::move(w));
    }
    for (const std::string& w : warnings) {
      spdlog::warn("{}", w);
      report.warnings.push_back(w);
    }
  }

  Run run(store, keys, props, selection, options, *admin, *producer, report.cluster_id);
  std::vector<const PartitionPlan*> partitions;
  RestoreProgress progress;
  for (const TopicPlan& t : plan.topics) {
    for (const PartitionPlan& p : t.partitions) {
      partitions.push_back(&p);
      progress.records_planned += p.records;
    }
  }
  progress.partitions_total = partitions.size();
  report.partitions.resize(partitions.size());
  std::atomic<size_t> done{0};
  std::thread checkpointer([&] { run.CheckpointLoop(); });
  std::atomic<bool> finished{false};
  std::thread reporter;
  auto snapshot = [&] {
    progress.records_sent = run.records_sent.load();
    progress.bytes_sent = run.bytes_sent.load();
    progress.partitions_done = done.load();
    progress.elapsed = Clock::now() - started;
    return progress;
  };
  if (options.on_progress) {
    reporter = std::thread([&] {
      while (!finished.load()) {
        std::this_thread::sleep_for(options.progress_interval);
        if (!finished.load()) options.on_progress(snapshot());
      }
    });
  }
  // Work units: each partition, or when reshaping each topic's partitions one after the other
  // (at most one source partition writes into a reshaped target topic at a time).
  std::vector<std::vector<size_t>> units;
  for (size_t i = 0; i < partitions.size(); ++i) {
    if (options.partitions > 0 && i > 0 &&
        partitions[i]->source_topic == partitions[i - 1]->source_topic) {
      units.back().push_back(i);
    } else {
      units.push_back({i});
    }
  }
  ParallelFor(units.size(), options.parallelism, [&](size_t u) {
    const PartitionResult* failed = nullptr;
    for (size_t i : units[u]) {
      if (failed != nullptr) {
        const PartitionPlan& p = *partitions[i];
        report.partitions[i] = {
            .source_topic = p.source_topic,
            .partition = p.partition,
            .target_topic = p.target_topic,
            .selection = p.selection,
            .outcome = PartitionOutcome::kFailed,
            .map = OffsetMap(0),
            .target_partitions = options.partitions,
            .error = Status::FailedPrecondition(Name(p.source_topic, p.partition),
                                                "not restored: the reshaping restore of " +
                                                    p.source_topic + " stops at " +
                                                    Name(failed->source_topic, failed->partition) +
                                                    ", which failed (a rerun resumes it first)")};
      } else {
        report.partitions[i] = run.RestorePartition(*partitions[i]);
        if (!report.partitions[i].error.ok()) failed = &report.partitions[i];
      }
      ++done;
    }
  });
  finished = true;
  if (reporter.joinable()) reporter.join();
  if (options.on_progress) options.on_progress(snapshot());
  run.Stop();
  checkpointer.join();
  FinishConfigsAfter(*admin, records, plan, check, options, &report);
  report.bytes_read = run.bytes_read.load();
  report.zero_timestamps = producer->zero_timestamps();
  report.elapsed = Clock::now() - started;
  return report;
}

}  // namespace kb::restore
