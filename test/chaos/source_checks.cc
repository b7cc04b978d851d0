#include "source_checks.h"

#include <map>
#include <set>

#include "backup/backup_test_util.h"
#include "restore/restore_test_util.h"

namespace kb::chaos {
namespace {

bool SameRecord(const format::Record& a, const format::Record& b) {
  return a.key == b.key && a.value == b.value && a.timestamp == b.timestamp;
}

}  // namespace

void ProduceNumbered(const std::string& bootstrap, const std::string& topic, int partitions,
                     int first, int count, size_t value_bytes) {
  backup::testutil::RawProducer producer(bootstrap);
  for (int i = first; i < first + count; ++i) {
    for (int p = 0; p < partitions; ++p) {
      format::Record r;
      r.key = "k" + std::to_string(i);
      std::string value = std::to_string(p) + "-" + std::to_string(i);
      if (value.size() < value_bytes) value.resize(value_bytes, 'v');
      r.value = std::move(value);
      producer.Send(topic, p, r);
    }
  }
  producer.Flush();
}

Comparison CompareStoreWithTopic(storage::ObjectStore& store, const std::string& prefix,
                                 const std::string& bootstrap, const std::string& topic,
                                 int partitions) {
  Comparison c;
  Config cfg;
  cfg.storage.prefix = prefix;
  for (int32_t p = 0; p < partitions; ++p) {
    const std::string where = topic + "/" + std::to_string(p);
    const std::vector<format::Record> source = restore::testutil::ReadAll(bootstrap, topic, p);
    std::map<int64_t, const format::Record*> by_offset;
    for (const format::Record& r : source) by_offset[r.offset] = &r;
    const auto got = backup::testutil::ReadPartition(store, cfg, topic, p);
    if (!source.empty()) {
      if (auto tiles = backup::testutil::RangesTile(got.ranges, source.front().offset); !tiles) {
        c.problems.push_back(where + ": " + tiles.message());
      }
    }
    std::set<int64_t> seen;
    for (const format::Record& r : got.records) {
      ++c.records;
      if (!seen.insert(r.offset).second) {
        ++c.duplicated;
        continue;
      }
      const auto it = by_offset.find(r.offset);
      if (it == by_offset.end()) {
        c.problems.push_back(where + " offset " + std::to_string(r.offset) +
                             ": stored but not in the topic");
      } else if (!SameRecord(*it->second, r)) {
        c.problems.push_back(where + " offset " + std::to_string(r.offset) +
                             ": stored with another key, value or timestamp");
      }
    }
    for (const auto& [offset, r] : by_offset) {
      if (!seen.count(offset)) ++c.lost;
    }
  }
  return c;
}

Comparison CompareTopics(const std::string& bootstrap, const std::string& source,
                         const std::string& target, int partitions) {
  Comparison c;
  for (int32_t p = 0; p < partitions; ++p) {
    const std::vector<format::Record> want = restore::testutil::ReadAll(bootstrap, source, p);
    const std::vector<format::Record> got = restore::testutil::ReadAll(bootstrap, target, p);
    c.records += got.size();
    if (got.size() > want.size()) c.duplicated += got.size() - want.size();
    if (got.size() < want.size()) c.lost += want.size() - got.size();
    for (size_t i = 0; i < std::min(got.size(), want.size()); ++i) {
      if (!SameRecord(got[i], want[i])) {
        c.problems.push_back(target + "/" + std::to_string(p) + " index " + std::to_string(i) +
                             ": another record than " + source + " holds there");
        break;
      }
    }
  }
  return c;
}

uint64_t StoredRecords(storage::ObjectStore& store, const std::string& prefix,
                       const std::string& topic, int partitions) {
  Config cfg;
  cfg.storage.prefix = prefix;
  uint64_t n = 0;
  for (int32_t p = 0; p < partitions; ++p) {
    n += backup::testutil::ReadPartition(store, cfg, topic, p).records.size();
  }
  return n;
}

}  // namespace kb::chaos
