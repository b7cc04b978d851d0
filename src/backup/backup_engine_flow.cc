// BackupEngine: rolling, the memory budget, completions and commits, --once, ticks.
#include <spdlog/spdlog.h>

#include "backup/backup_engine.h"
#include "backup/partition.h"
#include "common/allocator.h"
#include "common/error_map.h"

namespace kb::backup {
namespace {
using SteadyClock = std::chrono::steady_clock;
}  // namespace

uint64_t BackupEngine::BufferedBytes() const { return buffered_total_; }

Status BackupEngine::RollAged() {
  const SteadyClock::time_point now = options_.clock->SteadyNow();
  if (now < next_roll_check_) return Status::OK();
  next_roll_check_ = now + std::chrono::milliseconds(100);
  for (auto& [id, p] : partitions_) {
    if (p->writer && !p->writer->empty() && now - p->opened >= cfg_.backup.segment_max_age) {
      KB_RETURN_IF_ERROR(Seal(*p));
    }
  }
  return Status::OK();
}

uint64_t BackupEngine::BytesInUse() const {
  const uint64_t held = gauge_.bytes();
  const uint64_t idle = pool_->free_bytes();
  return held > idle ? held - idle : 0;
}

// The budget bounds what the gauge counts less the pool's idle buffers (which the pool frees to
// make room): block buffers (open and compressing), compressed blocks of open and sealed
// segments until written.
Status BackupEngine::EnforceBudget() {
  const uint64_t budget = segment_memory_;
  // Above 3/4 of the budget, seal the largest segment while an upload thread is free, without
  // waiting: partitions that grow at the same pace would otherwise all reach the budget together
  // and consuming would stop while their segments are written.
  const uint64_t in_use = BytesInUse();
  if (in_use > budget / 4 * 3 && in_use <= budget && buffered_total_ > 0 &&
      uploader_->segments_in_flight() < static_cast<size_t>(cfg_.backup.upload_concurrency)) {
    Partition* largest = nullptr;
    for (auto& [id, p] : partitions_) {
      if (p->accounted_bytes > 0 && (!largest || p->accounted_bytes > largest->accounted_bytes)) {
        largest = p.get();
      }
    }
    if (largest &&
        largest->accounted_bytes >= budget / 8 / std::max<size_t>(partitions_.size(), 1)) {
      return Seal(*largest);
    }
  }
  while (BytesInUse() > budget) {
    uint64_t in_flight = uploader_->bytes_in_flight();
    Partition* largest = nullptr;
    if (buffered_total_ > 0) {
      for (auto& [id, p] : partitions_) {
        if (p->accounted_bytes > 0 && (!largest || p->accounted_bytes > largest->accounted_bytes)) {
          largest = p.get();
        }
      }
    }
    if (largest && (buffered_total_ >= in_flight || uploader_->segments_in_flight() == 0)) {
      // Sealing compresses the open block and hands the bytes to the uploader.
      KB_RETURN_IF_ERROR(Seal(*largest));
      // Wait only once every upload thread has a segment: waiting on a single upload while the
      // others sit idle would cap the backup at one segment per store round trip.
      if (uploader_->segments_in_flight() < static_cast<size_t>(cfg_.backup.upload_concurrency)) {
        continue;
      }
    }
    if (uploader_->segments_in_flight() == 0) break;
    // Back-pressure: stop consuming until the store took some of what we hold.
    uploader_->WaitForCompletion();
    KB_RETURN_IF_ERROR(ProcessCompletions(false));
  }
  return Status::OK();
}

Status BackupEngine::ProcessCompletions(bool sync_commit) {
  std::vector<UploadResult> done = uploader_->TakeCompleted();
  if (done.empty()) return Status::OK();
  std::map<PartitionId, int64_t> commits;
  for (const UploadResult& r : done) {
    if (!r.status.ok()) {
      return r.status.WithContext("writing " + r.id.ToString() + " offsets [" +
                                  std::to_string(r.start) + ", " + std::to_string(r.end) +
                                  "] to the store");
    }
    if (r.records > 0) {
      stats_.segments++;
      stats_.durable_records += r.records;
    }
    if (observer_) observer_->OnDurable(r);
    auto it = partitions_.find(r.id);
    if (it == partitions_.end()) continue;
    Partition& p = *it->second;
    if (!p.in_flight.empty()) p.in_flight.pop_front();
    p.durable_next = r.end + 1;
    commits[r.id] = p.durable_next;
  }
  std::vector<RdKafka::TopicPartition*> tps;
  for (const auto& [id, offset] : commits) {
    tps.push_back(RdKafka::TopicPartition::create(id.topic, id.partition, offset));
  }
  RdKafka::ErrorCode ec = sync_commit ? consumer_->commitSync(tps) : consumer_->commitAsync(tps);
  RdKafka::TopicPartition::destroy(tps);
  if (ec == RdKafka::ERR_ILLEGAL_GENERATION || ec == RdKafka::ERR_REBALANCE_IN_PROGRESS ||
      ec == RdKafka::ERR_UNKNOWN_MEMBER_ID || ec == RdKafka::ERR__STATE) {
    // A rebalance is under way: the partitions' next commit (at the latest when they are
    // revoked) carries these offsets too.
    spdlog::debug("committing offsets deferred by a rebalance: {}", RdKafka::err2str(ec));
  } else if (ec != RdKafka::ERR_NO_ERROR) {
    // Not fatal: the store, not the committed offset, decides where a partition resumes.
    spdlog::warn("committing offsets to Kafka failed: {}", RdKafka::err2str(ec));
  }
  return Status::OK();
}

Status BackupEngine::Drain(bool sync_commit) {
  Status result;
  for (auto& [id, p] : partitions_) {
    Status s = Seal(*p);
    if (result.ok()) result = s;
  }
  uploader_->WaitForAll();
  Status s = ProcessCompletions(sync_commit);
  return result.ok() ? s : result;
}

bool BackupEngine::OnceDone(bool ask_positions) {
  if (!once_assigned_ || partitions_.size() < expected_partitions_) return false;
  std::vector<RdKafka::TopicPartition*> short_of_target;
  for (const auto& [id, p] : partitions_) {
    if (p->at_end || p->next >= p->once_target) continue;
    if (!ask_positions) return false;
    short_of_target.push_back(RdKafka::TopicPartition::create(id.topic, id.partition));
  }
  if (short_of_target.empty()) return true;
  // The position is one past the last event taken from the consumer, transaction markers
  // included, which are never delivered as records (partition-EOF events would say the same, but
  // cannot be used with batches: kafka/message_batch.h).
  const bool asked = consumer_->position(short_of_target) == RdKafka::ERR_NO_ERROR;
  bool done = true;
  for (RdKafka::TopicPartition* tp : short_of_target) {
    auto it = partitions_.find({tp->topic(), tp->partition()});
    if (asked && tp->err() == RdKafka::ERR_NO_ERROR && it != partitions_.end() &&
        tp->offset() >= it->second->once_target) {
      it->second->at_end = true;
    } else {
      done = false;
    }
  }
  RdKafka::TopicPartition::destroy(short_of_target);
  return done;
}

void BackupEngine::Tick() {
  next_tick_ = SteadyClock::now() + std::chrono::seconds(1);
  // Block buffers a written segment gave back stay idle for the next segments; every 10 s those
  // that were not reused are freed.
  if (++ticks_ % 10 == 0) pool_->TrimIdle();
  // Segments, compressed blocks and fetch responses are allocated and freed on different threads,
  // so freed memory can stay resident (glibc's per-thread arenas); hand it back to the kernel.
  ReleaseFreeMemory();
  if (spdlog::should_log(spdlog::level::trace)) {
    spdlog::trace("memory: {} counted (segments {}, uploads {}, idle buffers {}), {} blocks queued",
                  gauge_.bytes(), buffered_total_, uploader_->bytes_in_flight(),
                  pool_->free_bytes(), pool_->backlog());
  }
  if (!observer_) return;
  std::vector<EngineObserver::PartitionView> views;
  for (const auto& [id, p] : partitions_) {
    EngineObserver::PartitionView v;
    v.id = id;
    v.durable_next = p->durable_next;
    int64_t low = 0, high = 0;
    if (consumer_->get_watermark_offsets(id.topic, id.partition, &low, &high) ==
        RdKafka::ERR_NO_ERROR) {
      v.high_watermark = high;
    }
    for (const auto& [end, consumed_at] : p->in_flight) {
      if (consumed_at) {
        v.oldest_pending = consumed_at;
        break;
      }
    }
    if (!v.oldest_pending && p->writer && !p->writer->empty()) v.oldest_pending = p->opened;
    views.push_back(v);
  }
  observer_->OnTick(views, buffered_total_);
}

}  // namespace kb::backup
