#include "backup/metadata_sync.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <mutex>
#include <optional>

#include "common/clock.h"
#include "common/parallel.h"
#include "kafka/acls.h"

namespace kb::backup {
namespace {

using namespace std::chrono_literals;
constexpr auto kAdminTimeout = 30s;
// Group offset fetches in flight at once (SyncOffsets).
constexpr size_t kOffsetFetchParallelism = 16;

}  // namespace

Result<std::unique_ptr<MetadataSync>> MetadataSync::Make(const Config& cfg,
                                                         storage::ObjectStore* store,
                                                         const Clock& clock) {
  KB_ASSIGN_OR_RETURN(TopicFilter filter, TopicFilter::Make(cfg.backup));
  KB_ASSIGN_OR_RETURN(auto admin, kafka::Admin::Make(cfg.kafka.properties));
  return std::unique_ptr<MetadataSync>(
      new MetadataSync(cfg, store, std::move(filter), std::move(admin), clock));
}

MetadataSync::MetadataSync(const Config& cfg, storage::ObjectStore* store, TopicFilter filter,
                           std::unique_ptr<kafka::Admin> admin, const Clock& clock)
    : cfg_(cfg),
      store_(store),
      filter_(std::move(filter)),
      admin_(std::move(admin)),
      keys_(cfg.storage.prefix),
      clock_(&clock) {}

MetadataSync::~MetadataSync() { Stop(); }

void MetadataSync::Start(std::function<void(const Status&)> on_denied) {
  on_denied_ = std::move(on_denied);
  thread_ = std::thread([this] { Loop(); });
}

void MetadataSync::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void MetadataSync::Loop() {
  auto next_offsets = std::chrono::steady_clock::now();
  auto next_topics = next_offsets;
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    auto now = std::chrono::steady_clock::now();
    bool do_offsets = now >= next_offsets, do_topics = now >= next_topics;
    if (do_offsets || do_topics) {
      lock.unlock();
      Result<std::vector<kafka::TopicInfo>> topics = SelectedTopics();
      Status s = topics.status();
      if (s.ok() && do_offsets) s = SyncOffsets(*topics);
      if (s.ok() && do_topics) s = SyncTopics(*topics);
      if (s.ok() && do_topics) s = SyncSecurity(*topics);
      if (s.IsPermissionDenied() && on_denied_) {
        spdlog::error("metadata sync: {}", s.ToString());
        on_denied_(s);
        return;
      }
      if (!s.ok()) spdlog::warn("metadata sync: {} (retrying next round)", s.ToString());
      lock.lock();
      if (do_offsets) next_offsets = now + cfg_.backup.offsets_interval;
      if (do_topics) next_topics = now + cfg_.backup.metadata_interval;
    }
    cv_.wait_until(lock, std::min(next_offsets, next_topics), [this] { return stop_; });
  }
}

Status MetadataSync::SyncNow() {
  KB_ASSIGN_OR_RETURN(auto topics, SelectedTopics());
  KB_RETURN_IF_ERROR(SyncOffsets(topics));
  KB_RETURN_IF_ERROR(SyncTopics(topics));
  return SyncSecurity(topics);
}

Result<std::vector<kafka::TopicInfo>> MetadataSync::SelectedTopics() {
  KB_ASSIGN_OR_RETURN(auto all, admin_->ListTopics(kAdminTimeout));
  std::vector<kafka::TopicInfo> out;
  for (kafka::TopicInfo& t : all) {
    if (filter_.Matches(t.name)) out.push_back(std::move(t));
  }
  return out;
}

Status MetadataSync::SyncOffsets(const std::vector<kafka::TopicInfo>& topics) {
  std::map<std::string, int32_t> selected;
  for (const auto& t : topics) selected[t.name] = t.partitions;
  std::map<kafka::TopicPartition, layout::GroupOffsets> now;
  const auto started = std::chrono::steady_clock::now();
  KB_ASSIGN_OR_RETURN(auto listed, admin_->ListConsumerGroups(kAdminTimeout));
  std::vector<std::string> groups;
  for (const kafka::GroupListing& g : listed) {
    // Our own progress is in the store.
    if (g.group_id != cfg_.backup.group_id) groups.push_back(g.group_id);
  }
  // One OffsetFetch per group (librdkafka's API takes one group per request): a round trip each,
  // so they are asked kOffsetFetchParallelism at a time — 10,000 groups one after the other took
  // tens of seconds per round. Each answer is merged at once (memory: one copy of the offsets).
  std::mutex mu;
  Status failed;
  ParallelFor(groups.size(), kOffsetFetchParallelism, [&](size_t i) {
    Result<kafka::GroupOffsets> offsets =
        admin_->ListConsumerGroupOffsets(groups[i], kAdminTimeout);
    std::lock_guard lock(mu);
    if (!offsets.ok()) {
      // NotFound: deleted meanwhile.
      if (!offsets.status().IsNotFound() && failed.ok()) failed = offsets.status();
      return;
    }
    for (const auto& [tp, offset] : *offsets) {
      if (selected.count(tp.topic)) now[tp][groups[i]] = offset;
    }
  });
  KB_RETURN_IF_ERROR(failed);
  spdlog::debug("consumer group offsets: {} group(s) read in {} ms", groups.size(),
                std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::steady_clock::now() - started)
                    .count());
  related_groups_.clear();
  for (const auto& [tp, offsets] : now) {
    for (const auto& [group, offset] : offsets) related_groups_.insert(group);
  }
  // Partitions whose groups all went away are written once more, as {}.
  const std::string none = layout::EncodeGroupOffsets({});
  for (const auto& [tp, old] : written_offsets_) {
    if (old != none && !now.count(tp) && selected.count(tp.topic)) now[tp] = {};
  }
  const int64_t t = clock_->WallMs();
  for (const auto& [tp, offsets] : now) {
    std::string json = layout::EncodeGroupOffsets(offsets);
    auto it = written_offsets_.find(tp);
    if (it != written_offsets_.end() && it->second == json) continue;
    if (it == written_offsets_.end()) {
      // First round of this process: what an earlier one stored may be just this.
      const std::string key = keys_.ConsumerOffsets(tp.topic, tp.partition);
      Result<std::string> stored = store_->Get(key);
      if (!stored.ok() && !stored.status().IsNotFound()) return stored.status();
      if (stored.ok()) {
        Result<layout::GroupOffsets> decoded = layout::DecodeGroupOffsets(key, *stored);
        if (decoded.ok() && *decoded == offsets) {
          written_offsets_[tp] = std::move(json);
          continue;
        }
      }
    }
    KB_ASSIGN_OR_RETURN(const int64_t at, HistoryTime(tp, t));
    KB_RETURN_IF_ERROR(store_->Put(keys_.ConsumerOffsetsHistory(tp.topic, tp.partition, at), json));
    last_history_ms_[tp] = at;
    KB_RETURN_IF_ERROR(store_->Put(keys_.ConsumerOffsets(tp.topic, tp.partition), json));
    written_offsets_[tp] = std::move(json);
  }
  return Status::OK();
}

Result<int64_t> MetadataSync::HistoryTime(const kafka::TopicPartition& tp, int64_t now) {
  auto it = last_history_ms_.find(tp);
  if (it == last_history_ms_.end()) {
    // First snapshot of this process: an earlier one (or another daemon, or this host before
    // its clock was stepped back) may have stored later times.
    const std::string prefix = keys_.ConsumerOffsetsHistoryPrefix(tp.topic, tp.partition);
    KB_ASSIGN_OR_RETURN(std::vector<storage::ObjectInfo> stored, storage::ListAll(*store_, prefix));
    int64_t newest = -1;
    for (const storage::ObjectInfo& o : stored) {
      std::optional<layout::ParsedKey> k = keys_.Parse(o.key);
      if (k && k->kind == layout::KeyKind::kConsumerOffsetsHistory) {
        newest = std::max(newest, k->time_ms);
      }
    }
    it = last_history_ms_.emplace(tp, newest).first;
  }
  if (now <= it->second) {
    spdlog::debug(
        "{}/{}: the wall clock ({}) is not after the newest history snapshot ({}): "
        "naming the next one {}",
        tp.topic, tp.partition, now, it->second, it->second + 1);
    return it->second + 1;
  }
  return now;
}

Status MetadataSync::SyncTopics(const std::vector<kafka::TopicInfo>& topics) {
  for (const kafka::TopicInfo& t : topics) {
    Result<kafka::TopicConfigs> configs = admin_->DescribeTopicConfigs(t.name, kAdminTimeout);
    if (!configs.ok()) {
      if (configs.status().IsNotFound()) continue;
      return configs.status();
    }
    const layout::TopicMetadata md{.topic = t.name,
                                   .topic_id = t.topic_id,
                                   .partitions = t.partitions,
                                   .replication_factor = t.replication_factor,
                                   .configs = std::move(configs).value(),
                                   .updated_at_ms = 0};
    auto it = written_topics_.find(t.name);
    if (it != written_topics_.end() && it->second == md) continue;
    if (it == written_topics_.end() || it->second.topic_id != md.topic_id) {
      // First round of this process, or another topic id: what the store holds decides.
      const std::string key = keys_.TopicMetadata(t.name);
      Result<std::string> stored = store_->Get(key);
      if (!stored.ok() && !stored.status().IsNotFound()) return stored.status();
      Result<layout::TopicMetadata> decoded =
          stored.ok() ? layout::DecodeTopicMetadata(key, *stored) : stored.status();
      if (decoded.ok()) {
        decoded->updated_at_ms = 0;
        if (*decoded == md) {  // an earlier process stored just this
          written_topics_[t.name] = md;
          continue;
        }
        if (!decoded->topic_id.empty() && decoded->topic_id != md.topic_id) {
          spdlog::debug(
              "{}: topic.json is of topic id {}, the cluster's is {}: left until the old "
              "generation is archived",
              t.name, decoded->topic_id, md.topic_id);
          continue;
        }
      }
    }
    layout::TopicMetadata stamped = md;
    stamped.updated_at_ms = clock_->WallMs();
    KB_RETURN_IF_ERROR(
        store_->Put(keys_.TopicMetadata(t.name), layout::EncodeTopicMetadata(stamped)));
    written_topics_[t.name] = md;
  }
  return Status::OK();
}

}  // namespace kb::backup

namespace kb::backup {
namespace {

layout::AclEntry ToEntry(const kafka::AclBinding& a) {
  return {a.resource_type, a.resource_name, a.pattern_type, a.principal,
          a.host,          a.operation,     a.permission};
}

}  // namespace

Status MetadataSync::SyncSecurity(const std::vector<kafka::TopicInfo>& topics) {
  if (cfg_.backup.acls == BackupConfig::Acls::kOff) return Status::OK();
  auto denied = [this](const Status& s) {
    if (!security_denied_warned_) {
      spdlog::warn(
          "ACLs and SCRAM users are not backed up: {} (grant DESCRIBE on the cluster to the "
          "backup principal, or set backup.acls: off)",
          s.ToString());
      security_denied_warned_ = true;
    }
    return Status::OK();
  };
  // SCRAM users first: that call checks the principal's cluster operations before asking.
  Result<std::vector<kafka::ScramUser>> users = kafka::DescribeScramUsers(*admin_, kAdminTimeout);
  if (!users.ok()) {
    return users.status().IsPermissionDenied() ? denied(users.status()) : users.status();
  }
  Result<kafka::AclListing> acls = kafka::DescribeAllAcls(*admin_, kAdminTimeout);
  if (!acls.ok()) return acls.status().IsPermissionDenied() ? denied(acls.status()) : acls.status();
  layout::ClusterSecurity now;
  now.authorizer = acls->authorizer;
  now.scope = cfg_.backup.acls == BackupConfig::Acls::kAll ? "all" : "related";
  for (const kafka::AclBinding& a : acls->acls) {
    layout::AclEntry e = ToEntry(a);
    bool keep = cfg_.backup.acls == BackupConfig::Acls::kAll;
    for (size_t i = 0; !keep && i < topics.size(); ++i) {
      keep = layout::AclApplies(e, "TOPIC", topics[i].name);
    }
    for (auto it = related_groups_.begin(); !keep && it != related_groups_.end(); ++it) {
      keep = layout::AclApplies(e, "GROUP", *it);
    }
    if (keep) now.acls.push_back(std::move(e));
  }
  for (const kafka::ScramUser& u : *users) {
    layout::ScramUserEntry e{u.user, {}};
    for (const kafka::ScramCredential& c : u.credentials) {
      e.credentials.push_back({c.mechanism, c.iterations});
    }
    now.scram_users.push_back(std::move(e));
  }
  if (written_security_ && *written_security_ == now) return Status::OK();
  const std::string key = keys_.ClusterSecurity();
  if (!written_security_) {  // first round of this process: an earlier one may have stored it
    Result<std::string> stored = store_->Get(key);
    if (!stored.ok() && !stored.status().IsNotFound()) return stored.status();
    if (stored.ok()) {
      Result<layout::ClusterSecurity> decoded = layout::DecodeClusterSecurity(key, *stored);
      if (decoded.ok()) {
        decoded->updated_at_ms = 0;
        if (*decoded == now) {
          written_security_ = now;
          return Status::OK();
        }
      }
    }
  }
  layout::ClusterSecurity stamped = now;
  stamped.updated_at_ms = clock_->WallMs();
  const std::string json = layout::EncodeClusterSecurity(stamped);
  KB_RETURN_IF_ERROR(store_->Put(keys_.ClusterSecurityHistory(stamped.updated_at_ms), json));
  KB_RETURN_IF_ERROR(store_->Put(key, json));
  written_security_ = std::move(now);
  return Status::OK();
}

}  // namespace kb::backup
