#include "backup/generations.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>

#include "catalog/store_position.h"
#include "common/clock.h"
#include "layout/metadata.h"
#include "layout/retention_state.h"

namespace kb::backup {
namespace {

constexpr size_t kDeleteBatch = 1000;

// The retention state of `topic`, or an empty one when there is none.
Result<layout::RetentionState> LoadState(storage::ObjectStore& store, const std::string& key) {
  Result<std::string> json = store.Get(key);
  if (json.status().IsNotFound()) return layout::RetentionState{};
  if (!json.ok()) return json.status();
  return layout::DecodeRetentionState(key, *json);
}

}  // namespace

Result<std::string> StoredTopicId(storage::ObjectStore& store, const layout::Keys& keys,
                                  const std::string& topic) {
  const std::string key = keys.TopicMetadata(topic);
  Result<std::string> json = store.Get(key);
  if (json.status().IsNotFound()) return std::string();
  if (!json.ok()) return json.status();
  Result<layout::TopicMetadata> md = layout::DecodeTopicMetadata(key, *json);
  if (!md.ok()) {
    // verify reports it; the other signs of a new generation still apply.
    spdlog::warn("{}: topic id unknown: {}", topic, md.status().ToString());
    return std::string();
  }
  return md->topic_id;
}

Generations::Generations(storage::ObjectStore* store, layout::Keys keys, kafka::Admin* admin,
                         std::chrono::milliseconds kafka_timeout, const Clock& clock)
    : store_(store),
      keys_(std::move(keys)),
      admin_(admin),
      timeout_(kafka_timeout),
      clock_(&clock) {}

Result<int64_t> Generations::NextGeneration(const std::string& topic) {
  const int64_t now = clock_->WallMs();
  KB_ASSIGN_OR_RETURN(auto archived, storage::ListAll(*store_, keys_.GenerationsRoot()));
  int64_t newest = -1;
  for (const storage::ObjectInfo& o : archived) {
    const auto g = keys_.ParseGenerationKey(o.key);
    if (g && g->topic == topic) newest = std::max(newest, g->generation);
  }
  if (now > newest) return now;
  spdlog::warn(
      "{}: the wall clock ({}) is not after its newest archived generation {}: naming "
      "the new one {}",
      topic, now, newest, newest + 1);
  return newest + 1;
}

Status Generations::FinishPendingMoves() {
  std::lock_guard lock(mu_);
  KB_ASSIGN_OR_RETURN(auto plans, storage::ListAll(*store_, keys_.GenerationsRoot() + "moving/"));
  for (const storage::ObjectInfo& plan : plans) KB_RETURN_IF_ERROR(FinishMove(plan.key));
  return Status::OK();
}

Status Generations::MarkMissing(const std::string& topic, int64_t now_ms) {
  KB_RETURN_IF_ERROR(layout::ValidateTopicName(topic));
  const std::string key = keys_.RetentionState(topic);
  KB_ASSIGN_OR_RETURN(layout::RetentionState state, LoadState(*store_, key));
  if (state.missing_since_ms) return Status::OK();
  KB_ASSIGN_OR_RETURN(auto page, store_->List(keys_.TopicPrefix(topic), "", 1));
  if (page.objects.empty()) return Status::OK();  // nothing backed up: nothing to keep apart
  state.missing_since_ms = now_ms;
  spdlog::info("{} is missing from the cluster; its backup is kept (recorded in {})", topic, key);
  return store_->Put(key, layout::EncodeRetentionState(state));
}

Result<std::string> Generations::NewGenerationReason(const std::string& topic,
                                                     const std::vector<int32_t>& partitions) {
  KB_ASSIGN_OR_RETURN(layout::RetentionState state,
                      LoadState(*store_, keys_.RetentionState(topic)));
  if (state.missing_since_ms) {
    return "the topic was missing from the cluster at " + std::to_string(*state.missing_since_ms) +
           " ms and exists again";
  }
  KB_ASSIGN_OR_RETURN(std::string stored_id, StoredTopicId(*store_, keys_, topic));
  if (!stored_id.empty()) {
    Result<kafka::TopicInfo> live = admin_->DescribeTopic(topic, timeout_);
    if (!live.ok() && !live.status().IsNotFound()) return live.status();
    if (live.ok() && !live->topic_id.empty() && live->topic_id != stored_id) {
      return "the topic id changed from " + stored_id + " to " + live->topic_id;
    }
  }
  std::map<kafka::TopicPartition, int64_t> stored;
  for (int32_t p : partitions) {
    KB_ASSIGN_OR_RETURN(std::optional<int64_t> next,
                        catalog::NextOffsetInStore(*store_, keys_, topic, p));
    if (next) stored[{topic, p}] = *next;
  }
  if (stored.empty()) return std::string();
  std::vector<kafka::TopicPartition> tps;
  for (const auto& [tp, next] : stored) tps.push_back(tp);
  KB_ASSIGN_OR_RETURN(auto marks, admin_->QueryWatermarks(tps, timeout_));
  for (const auto& [tp, next] : stored) {
    const int64_t high = marks.at(tp).high;
    if (next > high) {
      return kafka::ToString(tp) + ": the store holds offsets up to " + std::to_string(next - 1) +
             " but the partition's high watermark is " + std::to_string(high);
    }
  }
  return std::string();
}

Status Generations::BeforeAssign(const std::vector<PartitionId>& ids) {
  std::map<std::string, std::vector<int32_t>> by_topic;
  for (const PartitionId& id : ids) by_topic[id.topic].push_back(id.partition);
  for (const auto& [topic, partitions] : by_topic) {
    {
      std::lock_guard lock(mu_);
      const std::string plan = keys_.GenerationMove(topic);
      Result<uint64_t> pending = store_->Head(plan);
      if (pending.ok()) {
        KB_RETURN_IF_ERROR(FinishMove(plan));
      } else if (!pending.status().IsNotFound()) {
        return pending.status();
      }
    }
    KB_ASSIGN_OR_RETURN(std::string reason, NewGenerationReason(topic, partitions));
    if (reason.empty()) continue;
    KB_ASSIGN_OR_RETURN(int64_t n, Archive(topic, reason));
    if (n >= 0) {
      spdlog::warn(
          "{} is a new generation of the topic ({}); the old one's backup is archived "
          "as generation {} ({})",
          topic, reason, n, keys_.Generation(n).TopicPrefix(topic));
    }
  }
  return Status::OK();
}

Result<int64_t> Generations::Archive(const std::string& topic, const std::string& reason) {
  KB_RETURN_IF_ERROR(layout::ValidateTopicName(topic));
  std::lock_guard lock(mu_);
  const std::string plan_key = keys_.GenerationMove(topic);
  const std::string prefix = keys_.TopicPrefix(topic);
  KB_ASSIGN_OR_RETURN(auto objects, storage::ListAll(*store_, prefix));
  if (objects.empty()) return -1;
  KB_ASSIGN_OR_RETURN(const int64_t generation, NextGeneration(topic));
  layout::GenerationMove plan{.topic = topic,
                              .generation = generation,
                              .reason = reason,
                              .started_at_ms = clock_->WallMs()};
  for (const storage::ObjectInfo& o : objects) plan.objects.push_back(o.key.substr(prefix.size()));
  KB_RETURN_IF_ERROR(store_->Put(plan_key, layout::EncodeGenerationMove(plan)));
  // Another daemon may have written its plan at the same time: FinishMove follows the one stored.
  KB_ASSIGN_OR_RETURN(std::string stored, store_->Get(plan_key));
  KB_ASSIGN_OR_RETURN(layout::GenerationMove followed,
                      layout::DecodeGenerationMove(plan_key, stored));
  KB_RETURN_IF_ERROR(FinishMove(plan_key));
  return followed.generation;
}

// The topic.json left in place keeps the old generation's configs for a restore but no longer
// names its topic id, so that the metadata sync records the new generation's id.
Status Generations::ForgetTopicId(const std::string& topic) {
  const std::string key = keys_.TopicMetadata(topic);
  Result<std::string> json = store_->Get(key);
  if (json.status().IsNotFound()) return Status::OK();
  if (!json.ok()) return json.status();
  Result<layout::TopicMetadata> md = layout::DecodeTopicMetadata(key, *json);
  if (!md.ok() || md->topic_id.empty()) return Status::OK();  // names no id to forget
  md->topic_id.clear();
  return store_->Put(key, layout::EncodeTopicMetadata(*md));
}

// Copies, checks, then deletes every object of the plan; then the plan. Caller holds mu_.
Status Generations::FinishMove(const std::string& plan_key) {
  KB_ASSIGN_OR_RETURN(std::string json, store_->Get(plan_key));
  KB_ASSIGN_OR_RETURN(layout::GenerationMove plan, layout::DecodeGenerationMove(plan_key, json));
  KB_RETURN_IF_ERROR(layout::ValidateTopicName(plan.topic));
  if (keys_.GenerationMove(plan.topic) != plan_key) {
    return Status::Corruption(plan_key, "the plan is for topic '" + plan.topic + "'");
  }
  const std::string from = keys_.TopicPrefix(plan.topic);
  const std::string to = keys_.Generation(plan.generation).TopicPrefix(plan.topic);
  spdlog::info("archiving {} objects of {} as generation {}: {}", plan.objects.size(), plan.topic,
               plan.generation, plan.reason);
  std::vector<std::string> originals;
  for (const std::string& name : plan.objects) {
    if (name.find("..") != std::string::npos || name.starts_with("/")) {
      return Status::Corruption(plan_key, "object name '" + name + "' leaves the topic");
    }
    const std::string src = from + name, dst = to + name;
    Result<std::string> bytes = store_->Get(src);
    if (bytes.status().IsNotFound()) {
      // Moved by an earlier attempt: the copy must be there.
      Result<uint64_t> copied = store_->Head(dst);
      if (copied.status().IsNotFound()) {
        return Status::Corruption(src,
                                  "neither the original nor its archived copy " + dst + " exists");
      }
      if (!copied.ok()) return copied.status();
      continue;
    }
    if (!bytes.ok()) return bytes.status();
    KB_RETURN_IF_ERROR(store_->Put(dst, *bytes));
    KB_ASSIGN_OR_RETURN(std::string back, store_->Get(dst));
    if (back != *bytes) {
      return Status::Corruption(dst, "the archived copy of " + src + " differs from it");
    }
    // topic.json is copied, not moved: the new generation is the same topic to a restore until
    // the metadata sync writes what differs (it only writes changes).
    if (src != keys_.TopicMetadata(plan.topic)) originals.push_back(src);
  }
  for (size_t i = 0; i < originals.size(); i += kDeleteBatch) {
    std::vector<std::string> batch(originals.begin() + static_cast<std::ptrdiff_t>(i),
                                   originals.begin() + static_cast<std::ptrdiff_t>(std::min(
                                                           originals.size(), i + kDeleteBatch)));
    KB_RETURN_IF_ERROR(store_->Delete(batch));
  }
  KB_RETURN_IF_ERROR(ForgetTopicId(plan.topic));
  KB_RETURN_IF_ERROR(store_->Delete({plan_key}));
  spdlog::info("archived {} as generation {} under {}", plan.topic, plan.generation, to);
  return Status::OK();
}

}  // namespace kb::backup
