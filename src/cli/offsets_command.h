// `kafka-backup offsets`: queries the offset maps that restores keep in the store
// (restore/offset_map_store.h); needs no Kafka.
//
//   offsets translate --topic T --partition P --offset N [--target-topic X] [--cluster-id C]
//       [--output text|json]
//     Where source offset N of T/P went: the new offset (OffsetMap::TranslateCommitted, where a
//     consumer group that committed N resumes) and whether the record at N was itself restored
//     (OffsetMap::Lookup). When the partition was restored more than once (several target
//     clusters or topics), --target-topic / --cluster-id must pick one.
//   offsets export --topic T [--partition P]... [--target-topic X] [--cluster-id C]
//       [--format csv|json]
//     Every recorded restore of the topic's partitions (all of them, or those given), as runs:
//     CSV "source_topic,partition,cluster_id,target_topic,complete,source_start,source_end,
//     target_start,target_end" (ends inclusive), or JSON.
//   Both take --generation N for restores made from an archived topic generation (kept under the
//   generation's prefix, like everything read from it).
//
// Failure contract: no recorded restore is NotFound naming the topic/partition (exit 1); an
// ambiguous translate, a negative offset or partition, an illegal topic name or cluster id is
// InvalidArgument naming it (exit 2); store errors and corrupt records (Corruption naming the key)
// pass through (exit 1).
// Thread-safety: called once per process from RunCli.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "common/status.h"
#include "config/config.h"

namespace CLI {
class App;
}

namespace kb::cli {

struct OffsetsArgs {
  std::string action;  // "translate" or "export"
  std::string topic;
  int32_t partition = -1;           // translate
  int64_t offset = -1;              // translate
  std::vector<int32_t> partitions;  // export; empty: every partition with a recorded restore
  std::string target_topic;         // "": any
  std::string cluster_id;           // "": any
  std::string output = "text";
  std::string format = "csv";
  std::optional<int64_t> generation;  // restores read from an archived generation (--generation)
};

// Adds the translate and export subcommands and their flags to the `offsets` command.
void AddOffsetsCommands(CLI::App* offsets, OffsetsArgs* args);

Status RunOffsets(const Config& cfg, const OffsetsArgs& args, std::ostream& out);

}  // namespace kb::cli
