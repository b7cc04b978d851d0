// libFuzzer target for the JSON a restore keeps in the store (restore/offset_map.h,
// restore/offset_map_store.h). The first input byte picks the decoder (testing/fuzz_util.h):
//   0 OffsetMap::Decode      the rest is the map's JSON
//   1 DecodeRestoreRecord    the rest is "<key>\n<record JSON>" (the key is checked against the
//                            record's fields, so the fuzzer mutates both)
// Whatever the text, a decoder must return (no crash, no sanitizer report, no exception) with OK or
// Corruption / NotImplemented naming the key. A decoded map must answer Lookup, TranslateCommitted,
// target_end, record_count and ToCsv without overflow (UBSan watches) and consistently, and
// whatever decodes must encode to text that decodes to an equal value.
//
// Seed mode: with KB_FUZZ_WRITE_SEEDS=<dir> the binary writes valid maps and records and exits.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "layout/keys.h"
#include "restore/offset_map.h"
#include "restore/offset_map_store.h"
#include "testing/fuzz_util.h"

namespace {

using kb::Status;
using kb::restore::OffsetMap;
using kb::restore::PartitionRestoreRecord;
namespace fuzz = kb::fuzz;

constexpr char kMapKey[] = "fuzz/orders/0/restore/MkU3OEVBNTcwNTJENDM2Qg/orders";
constexpr int kDecoders = 2;

const kb::layout::Keys& FuzzKeys() {
  static const kb::layout::Keys keys("fuzz");
  return keys;
}

void CheckDecodeError(const char* what, const Status& s, std::string_view key) {
  fuzz::CheckError(what, s, {Status::Code::kCorruption, Status::Code::kNotImplemented},
                   !key.empty());
  if (!s.ok() && s.subject() != key)
    fuzz::Fail(what, "error does not name the key: " + s.ToString());
}

// The queries restore and `offsets translate` make of a stored map.
void Exercise(const OffsetMap& map) {
  const int64_t count = map.record_count();
  if (count < 0) fuzz::Fail("record_count", std::to_string(count));
  const int64_t end = map.target_end();
  if (end < map.target_start()) fuzz::Fail("target_end below target_start");
  (void)map.ToCsv();
  int64_t seen = 0;
  for (const kb::restore::OffsetRun& run : map.runs()) {
    seen += run.count;
    const int64_t last = run.source_start + run.count - 1;
    for (int64_t source : {run.source_start, last}) {
      std::optional<int64_t> target = map.Lookup(source);
      if (!target || *target != run.target_start + (source - run.source_start)) {
        fuzz::Fail("Lookup of a mapped offset", std::to_string(source));
      }
      if (map.TranslateCommitted(source) != *target) fuzz::Fail("TranslateCommitted", "in a run");
    }
    if (run.source_start > 0) (void)map.Lookup(run.source_start - 1);
    if (last < INT64_MAX) {
      (void)map.Lookup(last + 1);
      (void)map.TranslateCommitted(last + 1);
    }
  }
  if (seen != count) fuzz::Fail("record_count disagrees with the runs");
  for (int64_t v : {INT64_MIN, int64_t{-1}, int64_t{0}, INT64_MAX}) {
    (void)map.Lookup(v);
    const int64_t t = map.TranslateCommitted(v);
    if (t < map.target_start() || t > end) fuzz::Fail("TranslateCommitted out of the target range");
  }
}

void FuzzOffsetMap(std::string_view text) {
  kb::Result<OffsetMap> map = OffsetMap::Decode(kMapKey, text);
  CheckDecodeError("OffsetMap::Decode", map.status(), kMapKey);
  if (!map.ok()) return;
  Exercise(*map);
  const std::string encoded = map->Encode();
  kb::Result<OffsetMap> again = OffsetMap::Decode(kMapKey, encoded);
  if (!again.ok() || !(*again == *map)) fuzz::Fail("offset map round trip", encoded);
}

void FuzzRestoreRecord(std::string_view input) {
  const size_t newline = input.find('\n');
  if (newline == std::string_view::npos) return;
  const std::string_view key = input.substr(0, newline);
  const std::string_view text = input.substr(newline + 1);
  kb::Result<PartitionRestoreRecord> record =
      kb::restore::DecodeRestoreRecord(FuzzKeys(), key, text);
  CheckDecodeError("DecodeRestoreRecord", record.status(), key);
  if (!record.ok()) return;
  Exercise(record->map);
  const std::string encoded = kb::restore::EncodeRestoreRecord(*record);
  kb::Result<PartitionRestoreRecord> again =
      kb::restore::DecodeRestoreRecord(FuzzKeys(), key, encoded);
  if (!again.ok() || !(*again == *record)) fuzz::Fail("restore record round trip", encoded);
}

void WriteSeeds(fuzz::SeedWriter& w) {
  std::vector<OffsetMap> maps;
  maps.emplace_back(0);
  maps.emplace_back(500);
  if (!maps.back().AppendRun(0, 500, 1000).ok()) fuzz::Fail("seed");
  maps.emplace_back(10);
  if (!maps.back().AppendRun(3, 10, 5).ok() || !maps.back().Append(20, 15).ok() ||
      !maps.back().AppendRun(1LL << 40, 1LL << 41, 7).ok()) {
    fuzz::Fail("seed");
  }
  for (const OffsetMap& m : maps) w.Put(0, m.Encode());
  for (const OffsetMap& m : maps) {
    PartitionRestoreRecord r{.source_topic = "orders",
                             .partition = 3,
                             .cluster_id = "MkU3OEVBNTcwNTJENDM2Qg",
                             .target_topic = "orders-restored",
                             .selection = "offsets:100-199,time:1700000000000-",
                             .complete = m.record_count() > 100,
                             .updated_at_ms = 1700000000000,
                             .map = m};
    const std::string key =
        FuzzKeys().RestoreOffsetMap(r.source_topic, r.partition, r.cluster_id, r.target_topic);
    w.Put(1, key + "\n" + kb::restore::EncodeRestoreRecord(r));
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  fuzz::WriteSeedsIfAsked(WriteSeeds);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const fuzz::Selector in = fuzz::Select(data, size, kDecoders);
  if (in.index == 0) FuzzOffsetMap(in.rest);
  if (in.index == 1) FuzzRestoreRecord(in.rest);
  return 0;
}
