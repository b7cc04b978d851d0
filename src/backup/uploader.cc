#include "backup/uploader.h"

namespace kb::backup {

Uploader::Uploader(storage::ObjectStore* store, int threads) : store_(store) {
  for (int i = 0; i < std::max(threads, 1); ++i) workers_.emplace_back([this] { Work(); });
}

Uploader::~Uploader() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  work_cv_.notify_all();
  for (std::thread& t : workers_) t.join();
}

void Uploader::Submit(SealedSegment segment) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!segment.pending) segment.size_estimate = segment.bytes.size();
    bytes_in_flight_ += segment.size_estimate;
    ++segments_in_flight_;
    queues_[segment.id].pending.push_back(std::move(segment));
  }
  work_cv_.notify_one();
}

void Uploader::Work() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    Queue* queue = nullptr;
    for (auto& [id, q] : queues_) {
      if (!q.running && !q.pending.empty()) {
        queue = &q;
        break;
      }
    }
    if (queue == nullptr) {
      if (stopping_) return;
      work_cv_.wait(lock);
      continue;
    }
    SealedSegment seg = std::move(queue->pending.front());
    queue->pending.pop_front();
    queue->running = true;
    Status failed = queue->failed;
    lock.unlock();

    Status s = failed;
    uint64_t object_bytes = seg.bytes.size();
    if (s.ok() && seg.pending) {
      s = seg.pending->WaitForBlocks();
      if (s.ok()) {
        // Written from the blocks as they are: no copy of the segment is ever assembled.
        std::string frame;
        Result<std::vector<std::string_view>> parts = seg.pending->Parts(&frame);
        if (parts.ok()) {
          object_bytes = 0;
          for (std::string_view p : *parts) object_bytes += p.size();
          s = store_->PutParts(seg.key, *parts);
        } else {
          s = parts.status();
        }
      }
    } else if (s.ok()) {
      s = store_->Put(seg.key, seg.bytes);
    }
    seg.pending.reset();  // the blocks' buffers go back to the compression pool
    seg.bytes = std::string();

    lock.lock();
    queue->running = false;
    if (!s.ok() && queue->failed.ok()) queue->failed = s;
    bytes_in_flight_ -= seg.size_estimate;
    --segments_in_flight_;
    completed_.push_back(
        {seg.id, seg.start, seg.end, seg.key, seg.records, seg.payload_bytes, object_bytes, s});
    if (queue->pending.empty() && queue->failed.ok()) queues_.erase(seg.id);
    done_cv_.notify_all();
    work_cv_.notify_one();  // this partition's next segment may now run
  }
}

std::vector<UploadResult> Uploader::TakeCompleted() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<UploadResult> out;
  out.swap(completed_);
  return out;
}

bool Uploader::WaitForCompletion() {
  std::unique_lock<std::mutex> lock(mu_);
  done_cv_.wait(lock, [this] { return !completed_.empty() || segments_in_flight_ == 0; });
  return !completed_.empty();
}

bool Uploader::IdleLocked(const PartitionId& id) const {
  auto it = queues_.find(id);
  return it == queues_.end() || (!it->second.running && it->second.pending.empty());
}

void Uploader::WaitForPartition(const PartitionId& id) {
  std::unique_lock<std::mutex> lock(mu_);
  done_cv_.wait(lock, [&] { return IdleLocked(id); });
}

void Uploader::WaitForAll() {
  std::unique_lock<std::mutex> lock(mu_);
  done_cv_.wait(lock, [this] { return segments_in_flight_ == 0; });
}

uint64_t Uploader::bytes_in_flight() const {
  std::lock_guard<std::mutex> lock(mu_);
  return bytes_in_flight_;
}

size_t Uploader::segments_in_flight() const {
  std::lock_guard<std::mutex> lock(mu_);
  return segments_in_flight_;
}

}  // namespace kb::backup
