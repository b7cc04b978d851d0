// Text of `kafka-backup restore`: the --dry-run plan, the progress line and the summary.
//
//   FormatPlan      one row per partition: source -> target, the target partition's current end
//                   offset ("absent" when the topic does not exist), segments, blocks' records
//                   (with "<=" when a time window cuts through blocks), stored bytes, time span,
//                   gaps and skipped (corrupt) ranges; then the target topics to create.
//   FormatProgress  "restored 1.2M/4.0M records, 1.1 GiB, 85.0 MiB/s, 3/8 partitions, ETA 0:42".
//   FormatSummary   one row per partition with its outcome, records sent / verified (/ excluded,
//                   with an --exclude-keys list), target offsets, gaps and errors; then totals.
//   FormatSummaryJson  the same as one JSON object (docs/operations.md, `restore --output json`).
//   ReadableSelection  a restore record's selection text (RestoreSelection::Describe) for people:
//                   "time:1700000000000-" becomes "time >= 2023-11-14T22:13:20.000Z",
//                   "exclude-keys:3:<sha256>" "excluding 3 keys (sha256 <its first 12 digits>)".
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

// `targets` / `ends`: null when the target check failed (the end column shows "-").
// `partitions` > 0: a reshaping restore (restore --partitions): targets are shown as "topic/*".
std::string FormatPlan(const RestorePlan& plan, const TargetCheck* targets, const TargetEnds* ends,
                       int32_t partitions = 0);
std::string FormatProgress(const RestoreProgress& progress);
std::string FormatSummary(const RestoreReport& report);
std::string FormatSummaryJson(const RestoreReport& report);
std::string ReadableSelection(const std::string& selection);

struct PredictedMap {
  const PartitionPlan* partition = nullptr;
  OffsetMap map;
};
// `target_ends`: the current end offset of existing target partitions (absent: 0).
std::vector<PredictedMap> PredictMaps(
    const RestorePlan& plan, const std::map<std::pair<std::string, int32_t>, int64_t>& target_ends);

}  // namespace kb::restore
