#include "restore/offset_map_store.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <tuple>

namespace kb::restore {
namespace {

Status CheckNames(const PartitionRestoreRecord& r) {
  KB_RETURN_IF_ERROR(layout::ValidateTopicName(r.source_topic));
  KB_RETURN_IF_ERROR(layout::ValidateTopicName(r.target_topic));
  KB_RETURN_IF_ERROR(layout::ValidateClusterId(r.cluster_id));
  if (r.partition < 0) {
    return Status::InvalidArgument(r.source_topic + "/" + std::to_string(r.partition),
                                   "partition numbers are >= 0");
  }
  return Status::OK();
}

}  // namespace

std::string EncodeRestoreRecord(const PartitionRestoreRecord& r) {
  nlohmann::json j = {{"format_version", r.reshaped() ? 2 : 1},
                      {"source_topic", r.source_topic},
                      {"partition", r.partition},
                      {"cluster_id", r.cluster_id},
                      {"target_topic", r.target_topic},
                      {"selection", r.selection},
                      {"complete", r.complete},
                      {"updated_at_ms", r.updated_at_ms},
                      {"offset_map", nlohmann::json::parse(r.map.Encode())}};
  if (r.reshaped()) {
    j.erase("offset_map");
    j["target_partitions"] = r.target_partitions;
    nlohmann::json maps = nlohmann::json::object();
    for (const auto& [t, m] : r.target_maps)
      maps[std::to_string(t)] = nlohmann::json::parse(m.Encode());
    j["offset_maps"] = std::move(maps);
  }
  if (!r.configs_after_restore.empty()) j["configs_after_restore"] = r.configs_after_restore;
  return j.dump();
}

Result<PartitionRestoreRecord> DecodeRestoreRecord(const layout::Keys& keys, std::string_view key,
                                                   std::string_view text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return Status::Corruption(key, "not a JSON object");
  auto version = j.find("format_version");
  if (version == j.end() || !version->is_number_integer()) {
    return Status::Corruption(key, "restore record has no integer format_version");
  }
  if (version->get<int64_t>() > PartitionRestoreRecord::kFormatVersion) {
    return Status::NotImplemented(key, "restore record format version " + version->dump() +
                                           " is newer than this kafka-backup supports; upgrade");
  }
  auto str = [&](const char* name, std::string* out) {
    auto it = j.find(name);
    if (it == j.end() || !it->is_string()) return false;
    *out = it->get<std::string>();
    return true;
  };
  PartitionRestoreRecord r;
  auto partition = j.find("partition");
  auto complete = j.find("complete");
  auto updated = j.find("updated_at_ms");
  auto map = j.find("offset_map");
  const bool reshaped = j.contains("target_partitions") || j.contains("offset_maps");
  if (!str("source_topic", &r.source_topic) || !str("cluster_id", &r.cluster_id) ||
      !str("target_topic", &r.target_topic) || !str("selection", &r.selection) ||
      partition == j.end() || !partition->is_number_integer() || complete == j.end() ||
      !complete->is_boolean() || updated == j.end() || !updated->is_number_integer() ||
      (!reshaped && (map == j.end() || !map->is_object()))) {
    return Status::Corruption(key,
                              "restore record needs source_topic, partition, cluster_id, "
                              "target_topic, selection, complete, updated_at_ms and offset_map "
                              "(or target_partitions and offset_maps)");
  }
  if (reshaped) {
    auto n = j.find("target_partitions");
    auto maps = j.find("offset_maps");
    if (version->get<int64_t>() < 2 || n == j.end() || !n->is_number_integer() ||
        n->get<int64_t>() < 1 || n->get<int64_t>() > INT32_MAX || maps == j.end() ||
        !maps->is_object() || maps->size() != n->get<uint64_t>()) {
      return Status::Corruption(key,
                                "a reshaped restore record (format_version 2) needs "
                                "target_partitions >= 1 and offset_maps with one map per target "
                                "partition");
    }
    r.target_partitions = static_cast<int32_t>(n->get<int64_t>());
    for (int32_t t = 0; t < r.target_partitions; ++t) {
      auto m = maps->find(std::to_string(t));
      if (m == maps->end() || !m->is_object()) {
        return Status::Corruption(
            key, "offset_maps has no map for target partition " + std::to_string(t));
      }
      KB_ASSIGN_OR_RETURN(
          r.target_maps[t],
          OffsetMap::Decode(std::string(key) + " (target partition " + std::to_string(t) + ")",
                            m->dump()));
    }
  }
  const int64_t p = partition->get<int64_t>();
  if (p < 0 || p > INT32_MAX) return Status::Corruption(key, "partition out of range");
  r.partition = static_cast<int32_t>(p);
  r.complete = complete->get<bool>();
  r.updated_at_ms = updated->get<int64_t>();
  if (!reshaped) {
    KB_ASSIGN_OR_RETURN(r.map, OffsetMap::Decode(key, map->dump()));
  }
  if (auto after = j.find("configs_after_restore"); after != j.end()) {
    if (!after->is_object()) {
      return Status::Corruption(key, "restore record's configs_after_restore is not an object");
    }
    for (const auto& [name, value] : after->items()) {
      if (name.empty() || !value.is_string()) {
        return Status::Corruption(key,
                                  "restore record's configs_after_restore must map config names "
                                  "to string values");
      }
      r.configs_after_restore[name] = value.get<std::string>();
    }
  }
  if (!CheckNames(r).ok() ||
      keys.RestoreOffsetMap(r.source_topic, r.partition, r.cluster_id, r.target_topic) != key) {
    return Status::Corruption(key,
                              "restore record's topic, partition, cluster_id or "
                              "target_topic does not match its key");
  }
  return r;
}

Status OffsetMapStore::Save(const PartitionRestoreRecord& record) {
  KB_RETURN_IF_ERROR(CheckNames(record));
  return store_->Put(keys_.RestoreOffsetMap(record.source_topic, record.partition,
                                            record.cluster_id, record.target_topic),
                     EncodeRestoreRecord(record));
}

Result<std::optional<PartitionRestoreRecord>> OffsetMapStore::Load(
    const std::string& source_topic, int32_t partition, const std::string& cluster_id,
    const std::string& target_topic) {
  PartitionRestoreRecord probe{.source_topic = source_topic,
                               .partition = partition,
                               .cluster_id = cluster_id,
                               .target_topic = target_topic,
                               .map = OffsetMap(0)};
  KB_RETURN_IF_ERROR(CheckNames(probe));
  const std::string key = keys_.RestoreOffsetMap(source_topic, partition, cluster_id, target_topic);
  Result<std::string> text = store_->Get(key);
  if (text.status().IsNotFound()) return std::optional<PartitionRestoreRecord>();
  KB_RETURN_IF_ERROR(text.status());
  KB_ASSIGN_OR_RETURN(PartitionRestoreRecord r, DecodeRestoreRecord(keys_, key, *text));
  return std::optional<PartitionRestoreRecord>(std::move(r));
}

Result<std::vector<PartitionRestoreRecord>> OffsetMapStore::List(const std::string& source_topic,
                                                                 int32_t partition) {
  KB_RETURN_IF_ERROR(layout::ValidateTopicName(source_topic));
  KB_ASSIGN_OR_RETURN(
      std::vector<storage::ObjectInfo> objects,
      storage::ListAll(*store_, keys_.RestoreOffsetMapPrefix(source_topic, partition)));
  std::vector<PartitionRestoreRecord> out;
  for (const storage::ObjectInfo& o : objects) {
    if (keys_.Classify(o.key) != layout::KeyKind::kRestoreOffsetMap) continue;
    KB_ASSIGN_OR_RETURN(std::string text, store_->Get(o.key));
    KB_ASSIGN_OR_RETURN(PartitionRestoreRecord r, DecodeRestoreRecord(keys_, o.key, text));
    out.push_back(std::move(r));
  }
  std::sort(out.begin(), out.end(), [&](const auto& a, const auto& b) {
    return std::tie(a.cluster_id, a.target_topic) < std::tie(b.cluster_id, b.target_topic);
  });
  return out;
}

}  // namespace kb::restore
