// BackupEngine: per-partition work — assignment, records, sealing, uploads, commits.
#include <librdkafka/rdkafka.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <thread>

#include "backup/backup_engine.h"
#include "backup/generations.h"
#include "backup/partition.h"
#include "catalog/store_position.h"
#include "common/clock.h"
#include "common/error_map.h"
#include "kafka/message_view.h"
#include "layout/metadata.h"

namespace kb::backup {
namespace {

using SteadyClock = std::chrono::steady_clock;

}  // namespace

Status BackupEngine::ListOffsets(const std::vector<PartitionId>& ids, int64_t which,
                                 std::chrono::milliseconds timeout, std::vector<int64_t>* out) {
  // ListOffsets through the consumer (so at its isolation.level): librdkafka groups the
  // partitions by leader and sends one request to each.
  std::vector<RdKafka::TopicPartition*> tps;
  for (const PartitionId& id : ids) {
    tps.push_back(RdKafka::TopicPartition::create(id.topic, id.partition, which));
  }
  RdKafka::ErrorCode ec = consumer_->offsetsForTimes(tps, static_cast<int>(timeout.count()));
  Status s;
  if (ec != RdKafka::ERR_NO_ERROR) {
    std::string subject = ids.front().ToString();
    if (ids.size() > 1) subject += " and " + std::to_string(ids.size() - 1) + " more partition(s)";
    s = FromKafkaError(static_cast<rd_kafka_resp_err_t>(ec), subject, "querying watermarks",
                       {.operation = "DESCRIBE", .topic = ids.front().topic});
  } else {
    out->clear();
    for (size_t i = 0; i < tps.size() && s.ok(); ++i) {
      if (tps[i]->err() != RdKafka::ERR_NO_ERROR) {
        s = FromKafkaError(static_cast<rd_kafka_resp_err_t>(tps[i]->err()), ids[i].ToString(),
                           "querying watermarks", {.operation = "DESCRIBE", .topic = ids[i].topic});
      }
      out->push_back(tps[i]->offset());
    }
  }
  RdKafka::TopicPartition::destroy(tps);
  return s;
}

// Leadership moves (elections, broker restarts), and the partitions of a topic created a moment
// ago may have no leader yet: retryable errors such as NOT_LEADER_FOR_PARTITION are retried for up
// to 30 s instead of ending the daemon.
Result<std::map<PartitionId, std::pair<int64_t, int64_t>>> BackupEngine::QueryWatermarks(
    const std::vector<PartitionId>& ids) {
  std::map<PartitionId, std::pair<int64_t, int64_t>> marks;
  if (ids.empty()) return marks;
  const auto deadline = SteadyClock::now() + std::chrono::seconds(30);
  std::chrono::milliseconds backoff(100);
  for (;;) {
    auto left = std::max(
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now()),
        std::chrono::milliseconds(1000));
    std::vector<int64_t> low, high;
    Status s = ListOffsets(ids, -2, left, &low);        // -2: earliest
    if (s.ok()) s = ListOffsets(ids, -1, left, &high);  // -1: end (latest)
    if (s.ok()) {
      for (size_t i = 0; i < ids.size(); ++i) marks[ids[i]] = {low[i], high[i]};
      return marks;
    }
    if (!s.IsRetryable() || SteadyClock::now() + backoff >= deadline) return s;
    spdlog::info("{}; retrying", s.ToString());
    std::this_thread::sleep_for(backoff);
    backoff = std::min(backoff * 2, std::chrono::milliseconds(1000));
  }
}

Result<std::pair<int64_t, int64_t>> BackupEngine::QueryWatermarks(const PartitionId& id) {
  KB_ASSIGN_OR_RETURN(auto marks, QueryWatermarks(std::vector<PartitionId>{id}));
  return marks.at(id);
}

Result<std::map<PartitionId, int64_t>> BackupEngine::CommittedOffsets(
    const std::vector<PartitionId>& ids) {
  std::map<PartitionId, int64_t> out;
  if (ids.empty()) return out;
  std::vector<RdKafka::TopicPartition*> parts;
  for (const PartitionId& id : ids) {
    parts.push_back(RdKafka::TopicPartition::create(id.topic, id.partition));
  }
  const RdKafka::ErrorCode ec = consumer_->committed(parts, 30000);
  Status s;
  if (ec != RdKafka::ERR_NO_ERROR) {
    s = FromKafkaError(static_cast<rd_kafka_resp_err_t>(ec), "group " + cfg_.backup.group_id,
                       "reading the committed offsets",
                       {.operation = "READ", .group = cfg_.backup.group_id});
  }
  for (RdKafka::TopicPartition* tp : parts) {
    if (s.ok() && tp->err() == RdKafka::ERR_NO_ERROR && tp->offset() >= 0) {
      out[{tp->topic(), tp->partition()}] = tp->offset();
    }
  }
  RdKafka::TopicPartition::destroy(parts);
  if (!s.ok()) return s;
  return out;
}

Status BackupEngine::OnAssign(const std::vector<PartitionId>& ids, std::vector<int64_t>* starts) {
  if (generations_) KB_RETURN_IF_ERROR(generations_->BeforeAssign(ids));
  KB_ASSIGN_OR_RETURN(auto all_marks, QueryWatermarks(ids));
  std::map<PartitionId, std::optional<int64_t>> in_store;
  std::vector<PartitionId> empty;
  for (const PartitionId& id : ids) {
    KB_ASSIGN_OR_RETURN(in_store[id],
                        catalog::NextOffsetInStore(*store_, keys_, id.topic, id.partition));
    if (!in_store[id]) empty.push_back(id);
  }
  // A partition the store holds nothing of may still have been backed up before: retention
  // propagation deletes a partition's segments once Kafka deleted all of their offsets. The
  // group's committed offset (stored only after the store had the segment) says how far.
  KB_ASSIGN_OR_RETURN(auto committed, CommittedOffsets(empty));
  for (const PartitionId& id : ids) {
    std::optional<int64_t> stored = in_store.at(id);
    auto [low, high] = all_marks.at(id);
    std::string from = stored ? std::to_string(*stored) : "empty";
    if (auto c = committed.find(id); c != committed.end() && c->second < low) {
      stored = c->second;
      from = "empty, the backup group committed " + std::to_string(c->second);
    }
    auto p = std::make_unique<Partition>();
    p->id = id;
    int64_t start = stored.value_or(low);
    if (stored && *stored > high) {
      return Status::FailedPrecondition(
          id.ToString(), "the store holds offsets up to " + std::to_string(*stored - 1) +
                             " but the partition's high watermark is " + std::to_string(high) +
                             ": was the topic deleted and re-created? Back it up under another "
                             "storage.prefix, or move the old backup away");
    }
    p->next = p->durable_next = start;
    p->once_target = high;
    Partition& ref = *p;
    partitions_[id] = std::move(p);
    last_ = {};
    if (stored && *stored < low) {
      // Kafka's retention removed these offsets before they were backed up.
      KB_RETURN_IF_ERROR(SubmitGap(ref, *stored, low - 1));
      ref.next = low;
    }
    starts->push_back(ref.next);
    spdlog::info("assigned {}: starting at offset {} (store: {}, kafka: [{}, {}))", id.ToString(),
                 ref.next, from, low, high);
    if (observer_) observer_->OnAssigned(id);
  }
  std::lock_guard<std::mutex> lock(assigned_mu_);
  for (const PartitionId& id : ids) assigned_.push_back(id);
  once_assigned_ = true;
  return Status::OK();
}

Status BackupEngine::OnRevoke(const std::vector<PartitionId>& ids) {
  Status result;
  for (const PartitionId& id : ids) {
    auto it = partitions_.find(id);
    if (it == partitions_.end()) continue;
    Status s = Seal(*it->second);
    uploader_->WaitForPartition(id);
    if (result.ok()) result = s;
  }
  // Commit what became durable while we still own the partitions.
  Status s = ProcessCompletions(/*sync_commit=*/true);
  if (result.ok()) result = s;
  for (const PartitionId& id : ids) {
    partitions_.erase(id);
    last_ = {};
    if (observer_) observer_->OnRevoked(id);
    spdlog::info("revoked {}", id.ToString());
  }
  std::lock_guard<std::mutex> lock(assigned_mu_);
  std::erase_if(assigned_, [&](const PartitionId& a) {
    return std::find(ids.begin(), ids.end(), a) != ids.end();
  });
  return result;
}

Status BackupEngine::HandleMessage(const rd_kafka_message_t& msg) {
  const auto topic_of = [&msg] {
    return std::string(msg.rkt != nullptr ? rd_kafka_topic_name(msg.rkt) : "");
  };
  switch (msg.err) {
    case RD_KAFKA_RESP_ERR_NO_ERROR:
      break;
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
      return Status::OK();
    case RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET:
      return HandleOffsetReset({topic_of(), msg.partition});
    default: {
      // Consuming needs READ on the topic and on the backup's consumer group.
      const std::string topic = topic_of();
      Status s = FromKafkaError(
          msg.err,
          topic.empty() ? std::string("kafka") : topic + "/" + std::to_string(msg.partition),
          "consume", {.operation = "READ", .topic = topic, .group = cfg_.backup.group_id});
      // An ACL missing is not fixed by waiting: the backup stops and says which (a daemon that
      // went on without the topic would leave a hole the operator learns about too late).
      if (IsKafkaAuthorizationError(msg.err)) return s;
      if (msg.err == RD_KAFKA_RESP_ERR__FATAL) {
        std::string reason;
        const RdKafka::ErrorCode cause = consumer_->fatal_error(reason);
        if (cause == RdKafka::ERR_FENCED_INSTANCE_ID) {
          fenced_ = true;
          return Status::FailedPrecondition(
              "backup.instance_id",
              "another member of group " + cfg_.backup.group_id + " joined as '" + instance_id_ +
                  "': every backup process needs its own backup.instance_id (" + reason + ")");
        }
        return Status::Permanent("kafka", "fatal consumer error: " + reason);
      }
      if (msg.err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ||
          msg.err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC ||
          msg.err == RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION) {
        // A deleted topic, repeated twice a second until the next subscription refresh drops it;
        // the topic watch says once that the topic is missing.
        spdlog::debug("{}", s.ToString());
        return Status::OK();
      }
      spdlog::warn("{}", s.ToString());
      return Status::OK();
    }
  }
  // Records come in runs from one partition: look the map up (a topic name copy and string
  // compares) only when the partition changes.
  const rd_kafka_topic_t* rkt = msg.rkt;
  if (last_.partition == nullptr || last_.rkt != rkt || last_.id != msg.partition) {
    auto it = partitions_.find({topic_of(), msg.partition});
    if (it == partitions_.end()) return Status::OK();  // revoked while in flight
    last_ = {rkt, msg.partition, it->second.get()};
  }
  Partition& p = *last_.partition;
  // Fetched before this engine moved the partition (a seek, a new generation) while its batch was
  // being handled: librdkafka fetches it again from the new position.
  if (p.moved_in_batch == batch_seq_) return Status::OK();
  const int64_t offset = msg.offset;
  if (offset < p.next) return Status::OK();  // already backed up (e.g. refetched after a seek)

  const format::RecordView rec = kafka::ViewOf(msg, &headers_scratch_);

  if (!p.writer) {
    KB_ASSIGN_OR_RETURN(format::SegmentWriter w,
                        format::SegmentWriter::Create(
                            {cfg_.backup.zstd_level, cfg_.backup.block_bytes, p.id.ToString(),
                             pool_.get(), store_->keys(), SegmentCodec(cfg_.backup.codec)}));
    p.writer.emplace(std::move(w));
  }
  if (p.writer->empty()) {
    p.segment_start = p.next;
    p.opened = options_.clock->SteadyNow();
  }
  KB_RETURN_IF_ERROR(p.writer->Add(rec));
  p.next = offset + 1;
  size_t now_bytes = p.writer->buffered_bytes();
  buffered_total_ = buffered_total_ - p.accounted_bytes + now_bytes;
  p.accounted_bytes = now_bytes;
  const uint64_t payload = format::PayloadBytes(rec);
  stats_.records++;
  stats_.payload_bytes += payload;
  p.segment_payload_bytes += payload;
  if (p.accounted_bytes >= cfg_.backup.segment_max_bytes ||
      p.writer->record_count() >= cfg_.backup.segment_max_records) {
    return Seal(p);
  }
  return Status::OK();
}

Status BackupEngine::HandleOffsetReset(const PartitionId& id) {
  auto it = partitions_.find(id);
  if (it == partitions_.end()) return Status::OK();
  Partition& p = *it->second;
  KB_ASSIGN_OR_RETURN(auto marks, QueryWatermarks(id));
  auto [low, high] = marks;
  if (low <= p.next) {
    const std::string what = "offset " + std::to_string(p.next) + " is out of range [" +
                             std::to_string(low) + ", " + std::to_string(high) + "]";
    if (high < p.next && generations_ != nullptr) {
      // Fewer records than the store holds: the topic was deleted and re-created while its
      // partitions stayed assigned.
      return RestartAsNewGeneration(id.topic, id.ToString() + ": " + what);
    }
    return Status::FailedPrecondition(id.ToString(),
                                      what + ": was the topic deleted and re-created?");
  }
  KB_RETURN_IF_ERROR(Seal(p));
  KB_RETURN_IF_ERROR(SubmitGap(p, p.next, low - 1));
  p.next = low;
  p.moved_in_batch = batch_seq_;
  std::unique_ptr<RdKafka::TopicPartition> tp(
      RdKafka::TopicPartition::create(id.topic, id.partition, low));
  RdKafka::ErrorCode ec = consumer_->seek(*tp, 10000);
  if (ec != RdKafka::ERR_NO_ERROR) {
    return FromKafkaError(static_cast<rd_kafka_resp_err_t>(ec), id.ToString(), "seek");
  }
  return Status::OK();
}

Status BackupEngine::Seal(Partition& p) {
  if (!p.writer || p.writer->empty()) return Status::OK();
  int64_t end = p.writer->last_offset();
  uint64_t records = p.writer->record_count();
  const uint64_t estimate = p.writer->buffered_bytes();
  // The writer stays for the partition's next segment (it remembers how large blocks get); in
  // deferred mode it holds no buffer or compression context between segments.
  std::string key = keys_.Segment(p.id.topic, p.id.partition, p.segment_start, end);
  KB_ASSIGN_OR_RETURN(format::PendingSegment pending, p.writer->FinishPending(key));
  buffered_total_ -= p.accounted_bytes;
  p.accounted_bytes = 0;
  p.in_flight.emplace_back(end, p.opened);
  SealedSegment seg{p.id,           p.segment_start,         end,
                    std::move(key), std::string(),           std::move(pending),
                    records,        p.segment_payload_bytes, estimate};
  p.segment_payload_bytes = 0;
  uploader_->Submit(std::move(seg));
  return Status::OK();
}

Status BackupEngine::SubmitGap(Partition& p, int64_t start, int64_t end) {
  spdlog::warn(
      "{}: offsets [{}, {}] were deleted by Kafka's retention before they were backed "
      "up; recording the gap",
      p.id.ToString(), start, end);
  p.in_flight.emplace_back(end, std::nullopt);
  std::string body = layout::EncodeGap({"retention", options_.clock->WallMs()});
  SealedSegment gap;
  gap.id = p.id;
  gap.start = start;
  gap.end = end;
  gap.key = keys_.Gap(p.id.topic, p.id.partition, start, end);
  gap.bytes = std::move(body);
  uploader_->Submit(std::move(gap));
  stats_.gaps++;
  if (observer_) observer_->OnGap(p.id, start, end);
  return Status::OK();
}

Status BackupEngine::RestartAsNewGeneration(const std::string& topic, const std::string& reason) {
  std::vector<PartitionId> ids;
  for (auto& [id, p] : partitions_) {
    if (id.topic != topic) continue;
    ids.push_back(id);
    // What was read of the old generation goes to the store first, then moves with the rest.
    KB_RETURN_IF_ERROR(Seal(*p));
    uploader_->WaitForPartition(id);
  }
  KB_RETURN_IF_ERROR(ProcessCompletions(/*sync_commit=*/false));
  KB_ASSIGN_OR_RETURN(int64_t generation, generations_->Archive(topic, reason));
  spdlog::warn(
      "{} was deleted and re-created while backed up ({}); the old one's backup is archived as "
      "generation {} ({}), the new one is backed up from its log start",
      topic, reason, generation, keys_.Generation(generation).TopicPrefix(topic));
  KB_ASSIGN_OR_RETURN(auto marks, QueryWatermarks(ids));
  std::vector<RdKafka::TopicPartition*> parts;
  for (const PartitionId& id : ids) {
    Partition& p = *partitions_.at(id);
    const auto [low, high] = marks.at(id);
    p.next = p.durable_next = low;
    p.once_target = high;
    p.at_end = false;
    p.moved_in_batch = batch_seq_;
    parts.push_back(RdKafka::TopicPartition::create(id.topic, id.partition, low));
  }
  last_ = {};
  // The fetcher of a partition whose topic vanished is stopped, so seek() is refused: assign the
  // partitions afresh at the new log start instead.
  Status result;
  if (consumer_->rebalance_protocol() == "COOPERATIVE") {
    std::unique_ptr<RdKafka::Error> e(consumer_->incremental_unassign(parts));
    if (!e) e.reset(consumer_->incremental_assign(parts));
    if (e) result = Status::Permanent(topic, "re-assigning its partitions failed: " + e->str());
  } else {
    std::vector<RdKafka::TopicPartition*> all;
    for (const auto& [id, p] : partitions_) {
      all.push_back(RdKafka::TopicPartition::create(id.topic, id.partition, p->next));
    }
    const RdKafka::ErrorCode ec = consumer_->assign(all);
    RdKafka::TopicPartition::destroy(all);
    if (ec != RdKafka::ERR_NO_ERROR) {
      result = FromKafkaError(static_cast<rd_kafka_resp_err_t>(ec), topic, "re-assigning");
    }
  }
  RdKafka::TopicPartition::destroy(parts);
  return result;
}

}  // namespace kb::backup
