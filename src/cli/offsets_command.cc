#include "cli/offsets_command.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <tuple>

#include "catalog/store_scan.h"
#include "cli/flag_validators.h"
#include "layout/keys.h"
#include "report/report_text.h"
#include "restore/offset_map_store.h"
#include "storage/factory/open_store.h"

namespace kb::cli {
namespace {

using restore::PartitionRestoreRecord;

std::string PartitionName(const std::string& topic, int32_t partition) {
  return topic + "/" + std::to_string(partition);
}

// "cluster C, topic X" of every record, one per line, for the ambiguity error.
std::string ListRestores(const std::vector<PartitionRestoreRecord>& records) {
  std::string out;
  for (const PartitionRestoreRecord& r : records) {
    out += "\n  --cluster-id " + r.cluster_id + " --target-topic " + r.target_topic + " (" +
           (r.complete ? "complete" : "not complete") + ", updated " +
           report::FormatTimeMs(r.updated_at_ms) + ")";
  }
  return out;
}

bool Wanted(const OffsetsArgs& args, const PartitionRestoreRecord& r) {
  return (args.target_topic.empty() || r.target_topic == args.target_topic) &&
         (args.cluster_id.empty() || r.cluster_id == args.cluster_id);
}

// "" when nothing narrows the choice, else " with --target-topic X --cluster-id C".
std::string Narrowing(const OffsetsArgs& args) {
  std::string out;
  if (!args.target_topic.empty()) out += " --target-topic " + args.target_topic;
  if (!args.cluster_id.empty()) out += " --cluster-id " + args.cluster_id;
  return out.empty() ? out : " matching" + out;
}

Status CheckNames(const OffsetsArgs& args) {
  KB_RETURN_IF_ERROR(layout::ValidateTopicName(args.topic));
  if (!args.target_topic.empty()) KB_RETURN_IF_ERROR(layout::ValidateTopicName(args.target_topic));
  if (!args.cluster_id.empty()) KB_RETURN_IF_ERROR(layout::ValidateClusterId(args.cluster_id));
  return Status::OK();
}

// A reshaped restore (restore --partitions): where `offset` of the source partition went. The
// record itself if it was restored, else the next restored record of this source partition (the
// earliest source offset >= `offset` over every target partition); nullopt if none is.
struct Landed {
  int32_t target_partition = 0;
  int64_t source_offset = 0;
  int64_t target_offset = 0;
};
std::optional<Landed> NextLanded(const PartitionRestoreRecord& r, int64_t offset) {
  std::optional<Landed> best;
  for (const auto& [t, m] : r.target_maps) {
    for (const restore::OffsetRun& run : m.runs()) {
      if (run.source_start + run.count - 1 < offset) continue;
      const int64_t s = std::max(offset, run.source_start);
      if (!best || s < best->source_offset) {
        best = Landed{t, s, run.target_start + (s - run.source_start)};
      }
      break;  // runs are in source order: the first that reaches `offset` is this map's answer
    }
  }
  return best;
}

Status TranslateReshaped(const PartitionRestoreRecord& r, const OffsetsArgs& args,
                         std::ostream& out) {
  const std::string name = PartitionName(args.topic, args.partition);
  const std::optional<Landed> next = NextLanded(r, args.offset);
  const bool exact = next && next->source_offset == args.offset;
  if (args.output == "json") {
    nlohmann::json j = {
        {"source_topic", r.source_topic},
        {"partition", r.partition},
        {"offset", args.offset},
        {"cluster_id", r.cluster_id},
        {"target_topic", r.target_topic},
        {"target_partitions", r.target_partitions},
        {"target_partition",
         next ? nlohmann::json(next->target_partition) : nlohmann::json(nullptr)},
        {"new_offset", next ? nlohmann::json(next->target_offset) : nlohmann::json(nullptr)},
        {"next_source_offset",
         next ? nlohmann::json(next->source_offset) : nlohmann::json(nullptr)},
        {"record_restored", exact},
        {"complete", r.complete}};
    out << j.dump(2) << "\n";
    return Status::OK();
  }
  out << name << " was reshaped into " << r.target_partitions << " partitions of " << r.target_topic
      << " (cluster " << r.cluster_id << ")\n";
  if (exact) {
    out << name << " offset " << args.offset << " -> "
        << PartitionName(r.target_topic, next->target_partition) << " offset "
        << next->target_offset << " (the record itself)\n";
  } else if (next) {
    out << "no record at offset " << args.offset << " was restored; the next restored record of "
        << name << " is offset " << next->source_offset << " at "
        << PartitionName(r.target_topic, next->target_partition) << " offset "
        << next->target_offset << "\n";
  } else {
    out << "no record of " << name << " at or after offset " << args.offset << " was restored\n";
  }
  out << "note: a consumer group's new offsets on a reshaped topic depend on its offsets on every "
         "source partition (the restore moves them; docs/operations.md)\n";
  if (!r.complete) {
    out << "warning: this restore is not complete; the map covers the records restored so far\n";
  }
  return Status::OK();
}

Status Translate(storage::ObjectStore& store, const layout::Keys& keys, const OffsetsArgs& args,
                 std::ostream& out) {
  const std::string name = PartitionName(args.topic, args.partition);
  if (args.partition < 0) return Status::InvalidArgument("--partition", "must be >= 0");
  if (args.offset < 0) {
    return Status::InvalidArgument("--offset", "must be >= 0, got " + std::to_string(args.offset));
  }
  restore::OffsetMapStore maps(&store, keys);
  KB_ASSIGN_OR_RETURN(std::vector<PartitionRestoreRecord> all,
                      maps.List(args.topic, args.partition));
  std::vector<PartitionRestoreRecord> matching;
  for (const PartitionRestoreRecord& r : all) {
    if (Wanted(args, r)) matching.push_back(r);
  }
  if (matching.empty()) {
    return Status::NotFound(name, "no restore" + Narrowing(args) + " is recorded under " +
                                      keys.RestoreOffsetMapPrefix(args.topic, args.partition) +
                                      " in " + store.Describe() +
                                      (all.empty() ? "" : "; recorded:" + ListRestores(all)));
  }
  if (matching.size() > 1) {
    return Status::InvalidArgument(
        name, std::to_string(matching.size()) + " restores of this partition are recorded" +
                  Narrowing(args) +
                  "; pick one with --cluster-id and --target-topic:" + ListRestores(matching));
  }
  const PartitionRestoreRecord& r = matching[0];
  if (r.reshaped()) return TranslateReshaped(r, args, out);
  const std::optional<int64_t> exact = r.map.Lookup(args.offset);
  const int64_t translated = r.map.TranslateCommitted(args.offset);
  if (args.output == "json") {
    nlohmann::json j = {{"source_topic", r.source_topic}, {"partition", r.partition},
                        {"offset", args.offset},          {"cluster_id", r.cluster_id},
                        {"target_topic", r.target_topic}, {"target_partition", r.partition},
                        {"new_offset", translated},       {"record_restored", exact.has_value()},
                        {"complete", r.complete}};
    out << j.dump(2) << "\n";
    return Status::OK();
  }
  out << name << " offset " << args.offset << " -> " << PartitionName(r.target_topic, r.partition)
      << " offset " << translated << " (cluster " << r.cluster_id << ")\n";
  if (exact) {
    out << "the record at offset " << args.offset << " was restored at offset " << *exact << "\n";
  } else {
    out << "no record at offset " << args.offset << " was restored ("
        << (r.selection.find("exclude-keys:") != std::string::npos
                ? "a gap in the backup, outside the restored data, or a record whose key the "
                  "restore's --exclude-keys list left out"
                : "a gap in the backup, or outside the restored data")
        << "); " << translated << " is "
        << (translated < r.map.target_end() ? "the next restored record"
                                            : "the end of the restored data")
        << ", where a consumer group that committed " << args.offset << " resumes\n";
  }
  if (!r.complete) {
    out << "warning: this restore is not complete; the map covers the records restored so far\n";
  }
  return Status::OK();
}

// The records of the wanted partitions: one listing under the topic, then one read per record.
Result<std::vector<PartitionRestoreRecord>> CollectRecords(storage::ObjectStore& store,
                                                           const layout::Keys& keys,
                                                           const OffsetsArgs& args) {
  const std::set<int32_t> wanted(args.partitions.begin(), args.partitions.end());
  for (int32_t p : wanted) {
    if (p < 0) return Status::InvalidArgument("--partition", "must be >= 0");
  }
  std::vector<std::string> found;
  const std::vector<std::string> topics{args.topic};
  KB_RETURN_IF_ERROR(catalog::ForEachStoredObject(store, keys, &topics, [&](const auto& o) {
    if (keys.Classify(o.key) != layout::KeyKind::kRestoreOffsetMap) return;
    Result<layout::Keys::RestoreMapKey> k = keys.ParseRestoreOffsetMap(o.key);
    if (!k.ok() || k->topic != args.topic) return;
    if (!wanted.empty() && !wanted.count(k->partition)) return;
    if (!args.target_topic.empty() && k->target_topic != args.target_topic) return;
    if (!args.cluster_id.empty() && k->cluster_id != args.cluster_id) return;
    found.push_back(o.key);
  }));
  std::vector<PartitionRestoreRecord> records;
  for (const std::string& key : found) {
    KB_ASSIGN_OR_RETURN(std::string text, store.Get(key));
    KB_ASSIGN_OR_RETURN(PartitionRestoreRecord r, restore::DecodeRestoreRecord(keys, key, text));
    records.push_back(std::move(r));
  }
  std::sort(records.begin(), records.end(), [](const auto& a, const auto& b) {
    return std::tie(a.partition, a.cluster_id, a.target_topic) <
           std::tie(b.partition, b.cluster_id, b.target_topic);
  });
  std::set<int32_t> seen;
  for (const PartitionRestoreRecord& r : records) seen.insert(r.partition);
  for (int32_t p : wanted) {
    if (!seen.count(p)) {
      return Status::NotFound(PartitionName(args.topic, p),
                              "no restore" + Narrowing(args) + " is recorded under " +
                                  keys.RestoreOffsetMapPrefix(args.topic, p) + " in " +
                                  store.Describe());
    }
  }
  if (records.empty()) {
    return Status::NotFound(
        args.topic, "no restore" + Narrowing(args) + " is recorded for any partition under " +
                        keys.TopicPrefix(args.topic) + " in " + store.Describe());
  }
  return records;
}

void ExportCsv(const std::vector<PartitionRestoreRecord>& records, std::ostream& out) {
  out << "source_topic,partition,cluster_id,target_topic,complete,source_start,source_end,"
         "target_start,target_end,target_partition\n";
  for (const PartitionRestoreRecord& r : records) {
    const std::string prefix = r.source_topic + "," + std::to_string(r.partition) + "," +
                               r.cluster_id + "," + r.target_topic + "," +
                               (r.complete ? "true" : "false") + ",";
    std::map<int32_t, restore::OffsetMap> maps = r.target_maps;
    if (!r.reshaped()) maps = {{r.partition, r.map}};
    for (const auto& [t, m] : maps) {
      const std::string csv = m.ToCsv();
      size_t pos = csv.find('\n') + 1;  // after ToCsv's own header
      while (pos < csv.size()) {
        const size_t end = csv.find('\n', pos);
        out << prefix << csv.substr(pos, end - pos) << "," << t << "\n";
        pos = end + 1;
      }
    }
  }
}

void ExportJson(const std::vector<PartitionRestoreRecord>& records, std::ostream& out) {
  nlohmann::json restores = nlohmann::json::array();
  for (const PartitionRestoreRecord& r : records) {
    nlohmann::json runs = nlohmann::json::array();
    std::map<int32_t, restore::OffsetMap> maps = r.target_maps;
    if (!r.reshaped()) maps = {{r.partition, r.map}};
    int64_t records_count = 0;
    for (const auto& [t, m] : maps) {
      records_count += m.record_count();
      for (const restore::OffsetRun& run : m.runs()) {
        runs.push_back({{"source_start", run.source_start},
                        {"source_end", run.source_start + run.count - 1},
                        {"target_start", run.target_start},
                        {"target_end", run.target_start + run.count - 1},
                        {"target_partition", t}});
      }
    }
    // Reshaped: the runs of every target partition, in source order.
    std::stable_sort(runs.begin(), runs.end(),
                     [](const nlohmann::json& a, const nlohmann::json& b) {
                       return a["source_start"].get<int64_t>() < b["source_start"].get<int64_t>();
                     });
    restores.push_back({{"source_topic", r.source_topic},
                        {"partition", r.partition},
                        {"cluster_id", r.cluster_id},
                        {"target_topic", r.target_topic},
                        {"selection", r.selection},
                        {"complete", r.complete},
                        {"updated_at_ms", r.updated_at_ms},
                        {"target_partitions", r.reshaped() ? nlohmann::json(r.target_partitions)
                                                           : nlohmann::json(nullptr)},
                        {"target_start", r.reshaped() ? nlohmann::json(nullptr)
                                                      : nlohmann::json(r.map.target_start())},
                        {"target_end", r.reshaped() ? nlohmann::json(nullptr)
                                                    : nlohmann::json(r.map.target_end())},
                        {"records", records_count},
                        {"runs", runs}});
  }
  out << nlohmann::json{{"restores", restores}}.dump(2) << "\n";
}

}  // namespace

void AddOffsetsCommands(CLI::App* offsets, OffsetsArgs* args) {
  offsets->require_subcommand(0, 1);  // none given: RunOffsets names both
  CLI::App* translate = offsets->add_subcommand(
      "translate", "Where an original offset of a restored partition is in the target cluster");
  translate->callback([args] { args->action = "translate"; });
  translate->add_option("--topic", args->topic, "Source topic (as backed up)")
      ->required()
      ->check(TopicNameValidator());
  translate->add_option("--partition", args->partition, "Partition number")
      ->required()
      ->check(IntegerValidator(0, INT32_MAX));
  translate->add_option("--offset", args->offset, "Original (source) offset")
      ->required()
      ->check(IntegerValidator(0, INT64_MAX));
  translate
      ->add_option("--target-topic", args->target_topic,
                   "The restore's target topic, when the partition was restored to several")
      ->check(TopicNameValidator());
  translate
      ->add_option("--cluster-id", args->cluster_id,
                   "The target cluster's id, when the partition was restored to several")
      ->check(ClusterIdValidator());
  translate->add_option("--output", args->output, "text or json")
      ->check(CLI::IsMember({"text", "json"}));

  CLI::App* exp =
      offsets->add_subcommand("export", "Export the offset maps of restored partitions");
  exp->callback([args] { args->action = "export"; });
  exp->add_option("--topic", args->topic, "Source topic (as backed up)")
      ->required()
      ->check(TopicNameValidator());
  exp->add_option("--partition", args->partitions, "Only these partitions (repeatable)")
      ->check(IntegerValidator(0, INT32_MAX));
  exp->add_option("--target-topic", args->target_topic, "Only restores into this topic")
      ->check(TopicNameValidator());
  exp->add_option("--cluster-id", args->cluster_id, "Only restores into this cluster")
      ->check(ClusterIdValidator());
  exp->add_option("--format", args->format, "csv or json")->check(CLI::IsMember({"csv", "json"}));
  for (CLI::App* sub : {translate, exp}) {
    sub->add_option("--generation", args->generation,
                    "Restores made from archived generation N of the topic (listed by ls)")
        ->check(IntegerValidator(0, INT64_MAX));
  }
}

Status RunOffsets(const Config& cfg, const OffsetsArgs& args, std::ostream& out) {
  if (args.action.empty()) {
    return Status::InvalidArgument("offsets",
                                   "needs a subcommand: translate or export (see --help)");
  }
  KB_RETURN_IF_ERROR(CheckNames(args));
  KB_ASSIGN_OR_RETURN(auto store, storage::OpenStore(cfg.storage));
  layout::Keys keys(cfg.storage.prefix);
  if (args.generation) keys = keys.Generation(*args.generation);
  if (args.action == "translate") return Translate(*store, keys, args, out);
  KB_ASSIGN_OR_RETURN(std::vector<PartitionRestoreRecord> records,
                      CollectRecords(*store, keys, args));
  if (args.format == "json") {
    ExportJson(records, out);
  } else {
    ExportCsv(records, out);
  }
  return Status::OK();
}

}  // namespace kb::cli
