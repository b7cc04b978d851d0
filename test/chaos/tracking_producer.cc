#include "tracking_producer.h"

#include <set>

#include "backup/backup_test_util.h"

namespace kb::chaos {

const char* MixName(Mix m) {
  switch (m) {
    case Mix::kPlain:
      return "plain";
    case Mix::kKeyed:
      return "keyed";
    case Mix::kTransactional:
      return "transactional";
    case Mix::kLarge:
      return "large";
  }
  return "?";
}

// Compares what the store holds with what was produced.
Check CheckStore(storage::ObjectStore& store, const Config& cfg, const std::string& topic,
                 const std::map<int32_t, std::map<int64_t, std::string>>& committed, bool complete,
                 int partitions) {
  Check c;
  for (int32_t p = 0; p < partitions; ++p) {
    auto got = backup::testutil::ReadPartition(store, cfg, topic, p);
    if (!got.ranges.empty()) {
      if (auto tiles = backup::testutil::RangesTile(got.ranges, 0); !tiles) {
        c.problems.push_back("partition " + std::to_string(p) + ": " + tiles.message());
      }
    }
    const auto it = committed.find(p);
    std::set<int64_t> seen;
    for (const format::Record& r : got.records) {
      ++c.records;
      if (!seen.insert(r.offset).second) {
        ++c.duplicated;
        continue;
      }
      const std::string value = r.value.value_or("");
      if (it == committed.end() || !it->second.count(r.offset)) {
        c.problems.push_back("partition " + std::to_string(p) + " offset " +
                             std::to_string(r.offset) + ": stored but not a committed record");
      } else if (it->second.at(r.offset) != value) {
        c.problems.push_back("partition " + std::to_string(p) + " offset " +
                             std::to_string(r.offset) + ": another value than was produced");
      }
    }
    if (complete && it != committed.end()) {
      for (const auto& [offset, value] : it->second) {
        if (!seen.count(offset)) ++c.lost;
      }
    }
  }
  return c;
}

}  // namespace kb::chaos
