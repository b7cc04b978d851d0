#include "restore/shared_restore.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/clock.h"
#include "common/parallel.h"
#include "kafka/work_group.h"
#include "restore/offset_map_store.h"
#include "restore/restore_names.h"

namespace kb::restore {
namespace {

using Clock = std::chrono::steady_clock;

std::string ThisProcess() {
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0')
    return "pid " + std::to_string(getpid());
  return std::string(host) + " pid " + std::to_string(getpid());
}

// The partitions of one process: which ones are queued, running, done here or failed here, and
// the worker threads that restore them.
class Workers {
 public:
  enum class State { kIdle, kQueued, kRunning, kDone, kFailed };

  Workers(PartitionRestorer& restorer, const std::vector<const PartitionPlan*>& partitions,
          size_t parallelism, std::atomic<size_t>* done)
      : restorer_(restorer),
        partitions_(partitions),
        slots_(partitions.size()),
        results_(partitions.size()),
        done_(done) {
    for (size_t i = 0; i < std::max<size_t>(parallelism, 1); ++i) {
      threads_.emplace_back([this] { Work(); });
    }
  }
  ~Workers() { Stop(); }

  // Queues partition i unless it is queued, running or done here.
  void Enqueue(size_t i) {
    std::lock_guard lock(mu_);
    if (slots_[i].state != State::kIdle) return;
    slots_[i].state = State::kQueued;
    queue_.push_back(i);
    cv_.notify_all();
  }
  // Takes partition i back: dequeued, or cancelled and waited for (its record saved).
  void Revoke(size_t i) {
    std::unique_lock lock(mu_);
    Slot& s = slots_[i];
    if (s.state == State::kQueued) {
      std::erase(queue_, i);
      s.state = State::kIdle;
    } else if (s.state == State::kRunning) {
      s.cancel = true;
      cv_.wait(lock, [&] { return s.state != State::kRunning; });
      s.cancel = false;
    }
  }
  bool Busy() {
    std::lock_guard lock(mu_);
    return !queue_.empty() || running_ > 0;
  }
  State state(size_t i) {
    std::lock_guard lock(mu_);
    return slots_[i].state;
  }
  size_t failures() {
    std::lock_guard lock(mu_);
    return failures_;
  }
  // Results of the partitions restored or failed here (the others: records_sent of a cancelled
  // run only).
  const std::vector<PartitionResult>& results() const { return results_; }
  void Stop() {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
      stopping_ = true;
      for (Slot& s : slots_) s.cancel = true;
      cv_.notify_all();
    }
    for (std::thread& t : threads_) t.join();
  }

 private:
  struct Slot {
    State state = State::kIdle;
    std::atomic<bool> cancel{false};
  };

  void Work() {
    std::unique_lock lock(mu_);
    for (;;) {
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      const size_t i = queue_.front();
      queue_.pop_front();
      slots_[i].state = State::kRunning;
      ++running_;
      lock.unlock();
      PartitionResult r = restorer_.RestorePartition(*partitions_[i], &slots_[i].cancel);
      lock.lock();
      --running_;
      const uint64_t sent_before = results_[i].records_sent, bytes_before = results_[i].bytes_sent;
      if (r.error.code() == Status::Code::kCancelled) {
        slots_[i].state = State::kIdle;
        results_[i].records_sent += r.records_sent;
        results_[i].bytes_sent += r.bytes_sent;
      } else {
        slots_[i].state = r.error.ok() ? State::kDone : State::kFailed;
        if (!r.error.ok()) ++failures_;
        results_[i] = std::move(r);
        results_[i].records_sent += sent_before;
        results_[i].bytes_sent += bytes_before;
        ++*done_;
      }
      cv_.notify_all();
    }
  }

  PartitionRestorer& restorer_;
  const std::vector<const PartitionPlan*>& partitions_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Slot> slots_;
  std::vector<PartitionResult> results_;
  std::deque<size_t> queue_;
  size_t running_ = 0;
  size_t failures_ = 0;
  bool stopping_ = false;
  std::atomic<size_t>* done_;
  std::vector<std::thread> threads_;
};

// The result of a partition restored by another process, from its complete record.
PartitionResult FromRecord(const PartitionPlan& p, const PartitionRestoreRecord& record,
                           const std::string& restore_id) {
  return {.source_topic = p.source_topic,
          .partition = p.partition,
          .target_topic = p.target_topic,
          .selection = p.selection,
          .outcome = PartitionOutcome::kRestoredElsewhere,
          .map = record.map,
          .target_partitions = record.target_partitions,
          .target_maps = record.target_maps,
          .complete = true,
          .gaps = p.gaps,
          .note = "restored by another process of restore id " + restore_id};
}

}  // namespace

std::string SharedRestoreGroup(const std::string& restore_id) {
  return "kafka-backup-restore-" + restore_id;
}

Status ValidateRestoreId(const std::string& restore_id) {
  if (restore_id.empty() || restore_id.size() > 200) {
    return Status::InvalidArgument("--restore-id", "must be 1 to 200 characters long");
  }
  for (char c : restore_id) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') {
      return Status::InvalidArgument(
          "--restore-id", "'" + restore_id + "' has the character '" + std::string(1, c) +
                              "'; use letters, digits, '.', '_' and '-'");
    }
  }
  return Status::OK();
}

Status CheckSharedRestore(const RestoreOptions& options) {
  KB_RETURN_IF_ERROR(ValidateRestoreId(options.restore_id));
  if (options.partitions > 0) {
    return Status::InvalidArgument(
        "--restore-id", "a shared restore keeps the partition numbers: not with --partitions");
  }
  if (options.fail_if_target_not_empty) {
    return Status::InvalidArgument("--restore-id",
                                   "a shared restore's processes write into the same targets: "
                                   "not with --fail-if-target-not-empty");
  }
  return Status::OK();
}

std::string EncodeSharedRestoreDone(const SharedRestoreDone& done) {
  nlohmann::json j = {{"format_version", 1},
                      {"restore_id", done.restore_id},
                      {"finished_by", done.finished_by},
                      {"finished_at_ms", done.finished_at_ms},
                      {"status", done.status.ok() ? "ok" : "failed"},
                      {"error", done.status.ok() ? "" : done.status.ToString()}};
  return j.dump(2) + "\n";
}

Result<SharedRestoreDone> DecodeSharedRestoreDone(const std::string& key, std::string_view json) {
  nlohmann::json j = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.value("format_version", nlohmann::json()).is_number_integer() ||
      !j.value("restore_id", nlohmann::json()).is_string() ||
      !j.value("finished_by", nlohmann::json()).is_string() ||
      !j.value("finished_at_ms", nlohmann::json()).is_number_integer() ||
      !j.value("status", nlohmann::json()).is_string() ||
      !j.value("error", nlohmann::json()).is_string()) {
    return Status::Corruption(key, "not a shared restore record (docs/format.md)");
  }
  if (j["format_version"].get<int64_t>() != 1) {
    return Status::Corruption(
        key, "format_version " + j["format_version"].dump() + " is not one this version reads (1)");
  }
  SharedRestoreDone d{.restore_id = j["restore_id"].get<std::string>(),
                      .finished_by = j["finished_by"].get<std::string>(),
                      .finished_at_ms = j["finished_at_ms"].get<int64_t>()};
  const std::string status = j["status"].get<std::string>();
  if (status == "failed") {
    d.status = Status::Permanent("restore id " + d.restore_id, j["error"].get<std::string>());
  } else if (status != "ok") {
    return Status::Corruption(key, "status '" + status + "' is neither ok nor failed");
  }
  return d;
}

Result<SharedRestoreResult> RunSharedRestore(
    PartitionRestorer& restorer, storage::ObjectStore& store, const layout::Keys& keys,
    const std::string& cluster_id, const std::vector<const PartitionPlan*>& partitions,
    const SharedRestoreOptions& options,
    const std::function<Status(std::vector<PartitionResult>&)>& finish, std::atomic<size_t>* done) {
  SharedRestoreResult out;
  if (partitions.empty()) return out;
  std::map<kafka::TopicPartition, size_t> planned;
  std::set<std::string> topics;
  for (size_t i = 0; i < partitions.size(); ++i) {
    planned[{partitions[i]->target_topic, partitions[i]->partition}] = i;
    topics.insert(partitions[i]->target_topic);
  }
  const kafka::TopicPartition first = planned.begin()->first;
  const std::string group = SharedRestoreGroup(options.restore_id);
  const std::string done_key = keys.SharedRestoreDone(cluster_id, options.restore_id);

  Workers workers(restorer, partitions, options.parallelism, done);
  KB_ASSIGN_OR_RETURN(
      auto members,
      kafka::WorkGroup::Join({.group_id = group,
                              .topics = std::vector<std::string>(topics.begin(), topics.end()),
                              .props = options.props,
                              .session_timeout = options.session_timeout},
                             [&](const std::vector<kafka::TopicPartition>& parts, bool lost) {
                               for (const kafka::TopicPartition& tp : parts) {
                                 auto it = planned.find(tp);
                                 if (it == planned.end()) continue;
                                 if (lost) {
                                   spdlog::warn("{}: lost to another process of {}",
                                                Name(tp.topic, tp.partition), group);
                                 }
                                 workers.Revoke(it->second);
                               }
                             }));
  spdlog::info(
      "restore id {}: dividing {} among the processes of consumer group {}", options.restore_id,
      partitions.size() == 1 ? "1 partition" : std::to_string(partitions.size()) + " partitions",
      group);

  OffsetMapStore records(&store, keys);
  std::vector<std::optional<PartitionRestoreRecord>> complete(partitions.size());
  // Every planned partition's result once all are complete: this process's, else from the record
  // (with what this process sent of it before handing it over).
  const auto every_result = [&] {
    std::vector<PartitionResult> all;
    for (size_t i = 0; i < partitions.size(); ++i) {
      const PartitionResult& mine = workers.results()[i];
      if (workers.state(i) == Workers::State::kDone) {
        all.push_back(mine);
        continue;
      }
      all.push_back(FromRecord(*partitions[i], *complete[i], options.restore_id));
      all.back().records_sent = mine.records_sent;
      all.back().bytes_sent = mine.bytes_sent;
    }
    return all;
  };
  auto last_check = Clock::now() - options.recheck;
  for (;;) {
    KB_ASSIGN_OR_RETURN(std::vector<kafka::TopicPartition> assigned,
                        members->Poll(std::chrono::milliseconds(100)));
    std::string here;
    for (const kafka::TopicPartition& tp : assigned) {
      auto it = planned.find(tp);
      if (it == planned.end() || complete[it->second]) continue;
      workers.Enqueue(it->second);
      here += (here.empty() ? "" : ", ") + Name(tp.topic, tp.partition);
    }
    if (!here.empty()) spdlog::info("restore id {}: restoring here: {}", options.restore_id, here);
    if (workers.Busy()) continue;
    if (workers.failures() > 0) {
      spdlog::error(
          "restore id {}: leaving {} after {} failed here; the other processes try it "
          "again",
          options.restore_id, group,
          workers.failures() == 1 ? std::string("a partition")
                                  : std::to_string(workers.failures()) + " partitions");
      break;
    }
    if (Clock::now() - last_check < options.recheck) continue;
    last_check = Clock::now();
    // Idle: which planned partitions are complete (read from the store: most were restored by
    // the other processes)?
    std::vector<size_t> unknown;
    for (size_t i = 0; i < partitions.size(); ++i) {
      if (!complete[i]) unknown.push_back(i);
    }
    std::vector<Result<std::optional<PartitionRestoreRecord>>> loaded(
        unknown.size(), Status::Retryable("", "not read"));
    ParallelFor(unknown.size(), 16, [&](size_t u) {
      const PartitionPlan& p = *partitions[unknown[u]];
      loaded[u] = records.Load(p.source_topic, p.partition, cluster_id, p.target_topic);
    });
    for (size_t u = 0; u < unknown.size(); ++u) {
      const size_t i = unknown[u];
      KB_RETURN_IF_ERROR(loaded[u].status());
      if (*loaded[u] && (*loaded[u])->complete &&
          (*loaded[u])->selection == partitions[i]->selection) {
        complete[i] = std::move(**loaded[u]);
        continue;
      }
      // Ours and not complete, but not in work (e.g. an older checkpoint was saved over it):
      // restore it again (the resume makes that exact).
      const PartitionPlan& p = *partitions[i];
      if (members->owned().contains({p.target_topic, p.partition}) &&
          workers.state(i) != Workers::State::kFailed) {
        workers.Enqueue(i);
      }
    }
    if (std::any_of(complete.begin(), complete.end(), [](const auto& c) { return !c; })) {
      continue;
    }
    // Every planned partition is complete: finish once, in the owner of the first one.
    Result<std::string> recorded = store.Get(done_key);
    if (recorded.ok()) {
      KB_ASSIGN_OR_RETURN(SharedRestoreDone d, DecodeSharedRestoreDone(done_key, *recorded));
      out.finished_by = d.finished_by;
      out.finish_status = d.status;
      break;
    }
    if (!recorded.status().IsNotFound()) return recorded.status();
    if (!members->owned().contains(first)) continue;  // the owner of the first one finishes
    out.partitions = every_result();
    spdlog::info("restore id {}: every partition is restored; finishing here", options.restore_id);
    Status finished = finish(out.partitions);
    const SharedRestoreDone d{.restore_id = options.restore_id,
                              .finished_by = ThisProcess(),
                              .finished_at_ms = NowMs(),
                              .status = finished};
    KB_RETURN_IF_ERROR(store.Put(done_key, EncodeSharedRestoreDone(d)));
    out.finish_status = finished;
    break;
  }
  workers.Stop();
  KB_RETURN_IF_ERROR(members->Close());
  if (!out.partitions.empty()) return out;  // the finishing process's, every partition
  if (workers.failures() == 0 &&
      std::all_of(complete.begin(), complete.end(), [](const auto& c) { return c.has_value(); })) {
    out.partitions = every_result();
    return out;
  }
  for (size_t i = 0; i < partitions.size(); ++i) {  // left early: what was done or failed here
    const Workers::State s = workers.state(i);
    if (s == Workers::State::kDone || s == Workers::State::kFailed) {
      out.partitions.push_back(workers.results()[i]);
    }
  }
  return out;
}

}  // namespace kb::restore
