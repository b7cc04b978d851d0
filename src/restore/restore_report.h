// Text of `kafka-backup restore`: the --dry-run plan, the progress line and the summary.
//
//   FormatPlan      one row per partition: source -> target, segments, blocks' records (with "<="
//                   when a time window cuts through blocks), stored bytes, time span, gaps and
//                   skipped (corrupt) ranges; then the target topics to create.
//   FormatProgress  "restored 1.2M/4.0M records, 1.1 GiB, 85.0 MiB/s, 3/8 partitions, ETA 0:42".
//   FormatSummary   one row per partition with its outcome, records sent / verified, target
//                   offsets, gaps and errors; then totals.
//
// PredictMaps gives, for a fresh restore of partitions whose chosen blocks hold contiguous offsets
// and are selected whole, the offset maps the restore would build (what --dry-run uses to show the
// groups' new offsets); other partitions are left out.
//
// Thread-safety: pure functions.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "restore/plan.h"
#include "restore/restorer.h"

namespace kb::restore {

std::string FormatPlan(const RestorePlan& plan, const TargetCheck* targets);
std::string FormatProgress(const RestoreProgress& progress);
std::string FormatSummary(const RestoreReport& report);

struct PredictedMap {
  const PartitionPlan* partition = nullptr;
  OffsetMap map;
};
// `target_ends`: the current end offset of existing target partitions (absent: 0).
std::vector<PredictedMap> PredictMaps(
    const RestorePlan& plan, const std::map<std::pair<std::string, int32_t>, int64_t>& target_ends);

}  // namespace kb::restore
