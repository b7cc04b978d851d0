// Tiling: the one check that the segment and gap ranges of a partition tile its offsets
// (docs/format.md "Tiling"): each range starts one past the end of the previous one. Where that
// fails there is a hole (offsets between two ranges that no segment and no gap record covers: a
// segment lost or deleted from the middle of a backup) or an overlap (offsets covered twice).
// Offsets before the first range or after the last one are not holes: retention deletes the
// oldest ranges, and a backup starts at the log start offset it found and ends where it is.
//
// `verify` and `ls` (ops/verify.h CheckTiling) report every fault as a store problem; a restore
// (restore/plan.h) refuses to cross a hole, or with --skip-corrupt restores around it as around a
// retention gap. This header holds only the pure check, so that both build on the same one.
//
// Thread-safety: a pure function. Failure contract: none (faults are findings, returned as values).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace kb::layout {

enum class TilingFaultKind { kHole, kOverlap };

struct TilingFault {
  TilingFaultKind kind = TilingFaultKind::kHole;
  // The offsets concerned, inclusive: missing (hole) or covered twice (overlap).
  int64_t first = 0;
  int64_t last = 0;
  size_t range = 0;  // index of the range after the hole / of the later overlapping range
  size_t reach =
      0;  // index of the earlier range that reaches furthest (before the hole / overlapped)
  friend bool operator==(const TilingFault&, const TilingFault&) = default;
};

// Every fault in the tiling of one partition's ranges, given sorted by start offset (then end), as
// a listing yields them. `Range` has int64_t members `start` and `end` (inclusive), such as
// catalog::StoredRange.
template <typename Range>
std::vector<TilingFault> FindTilingFaults(const std::vector<Range>& ranges) {
  std::vector<TilingFault> out;
  bool any = false;
  size_t reach = 0;  // the range that reaches furthest so far
  for (size_t i = 0; i < ranges.size(); ++i) {
    const Range& r = ranges[i];
    if (any) {
      const int64_t reach_end = ranges[reach].end;
      if (r.start - 1 > reach_end) {
        out.push_back({TilingFaultKind::kHole, reach_end + 1, r.start - 1, i, reach});
      } else if (r.start <= reach_end) {
        out.push_back({TilingFaultKind::kOverlap, r.start, std::min(r.end, reach_end), i, reach});
      }
    }
    if (!any || r.end > ranges[reach].end) reach = i;
    any = true;
  }
  return out;
}

}  // namespace kb::layout
