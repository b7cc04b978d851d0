// The fault campaign's results table (test/chaos): one row per scenario, printed when the run ends
// and, with KB_CHAOS_REPORT=<file>, appended to that file as Markdown table rows for
// docs/reliability.md.
//
// Thread-safety: Add and Print may be called from any thread (one mutex).
#pragma once

#include <cstdint>
#include <string>

namespace kb::chaos {

struct ScenarioResult {
  std::string scenario;
  uint64_t iterations = 0;
  uint64_t faults = 0;           // kills, corruptions ... injected
  uint64_t records_checked = 0;  // records compared with what was produced / backed up
  uint64_t lost = 0;             // must be 0
  uint64_t duplicated = 0;       // must be 0
  uint64_t detected = 0;         // corruption scenarios: faults named by verify/restore
  double seconds = 0;
};

void AddResult(const ScenarioResult& r);
// The table of every result added so far, as Markdown.
std::string FormatResults();

// Campaign knobs from the environment, with the CI defaults: KB_CHAOS_SEED (default 1),
// KB_CHAOS_<NAME> for iteration counts.
uint64_t Seed();
int Iterations(const char* name, int ci_default);

}  // namespace kb::chaos
