// Throughput of the backup segment format (src/format): encoding records into a segment and
// decoding a segment back into record views, in bytes of record payload (key + value + header keys
// and values) per second. Results and the machine they came from: docs/benchmarks.md.
//
// Data: testing::JsonLikeRecords: event-like JSON values of 100 B, 1 KiB or 64 KiB (ids, enum-like
// event names, numbers, URLs, random hex session ids and free text drawn from a 24-word vocabulary
// with random numbers mixed in), a 16-byte key and two headers (content-type, a random trace id).
// zstd compresses it about 3-6x. Each benchmark works on one segment of ~16 MiB of payload with the
// default 256 KiB blocks.
//
//   BM_Encode/<level>/<value bytes>  SegmentWriter::Add for every record + Finish; the writer is
//                                    reused across iterations like a backup task would. zstd at
//                                    <level> (0 = none; -1, -3 = zstd's fast levels).
//   BM_Decode/<level>/<value bytes>  what a restore does per segment: ParseTrailer, ParseFooter,
//                                    then DecodedBlock::Decode of every block (one reused
//                                    DecodedBlock), touching every record.
//   BM_EncodeLz4/<value bytes>, BM_DecodeLz4/<value bytes>  the same with codec LZ4.
// Counters: ratio = payload bytes / segment bytes; records/s.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "format/format_testing.h"
#include "format/segment_decoder.h"
#include "format/segment_writer.h"

namespace kb::format {
namespace {

constexpr size_t kSegmentPayloadBytes = size_t{16} << 20;

struct Dataset {
  std::vector<Record> records;
  size_t payload_bytes = 0;
};

const Dataset& Data(size_t value_bytes) {
  static std::map<size_t, Dataset> cache;
  auto it = cache.find(value_bytes);
  if (it != cache.end()) return it->second;
  const size_t count = std::max<size_t>(16, kSegmentPayloadBytes / (value_bytes + 60));
  Dataset d;
  d.records = testing::JsonLikeRecords(value_bytes, count, value_bytes);
  std::vector<HeaderView> scratch;
  for (const Record& r : d.records) d.payload_bytes += PayloadBytes(r.View(&scratch));
  return cache.emplace(value_bytes, std::move(d)).first->second;
}

// zstd at `level`, or LZ4 when `lz4`.
WriterOptions Options(int level, bool lz4) {
  WriterOptions o;
  o.zstd_level = level;
  if (lz4) o.codec = Compression::kLz4;
  return o;
}

const std::string& Segment(int level, bool lz4, size_t value_bytes) {
  static std::map<std::tuple<int, bool, size_t>, std::string> cache;
  auto key = std::make_tuple(level, lz4, value_bytes);
  auto it = cache.find(key);
  if (it != cache.end()) return it->second;
  auto bytes = testing::BuildSegment(Data(value_bytes).records, Options(level, lz4));
  return cache.emplace(key, std::move(bytes).value()).first->second;
}

void Encode(benchmark::State& state, int level, bool lz4, size_t value_bytes) {
  const Dataset& data = Data(value_bytes);
  // Views are built once: the benchmark measures the writer, not Record -> RecordView.
  std::vector<std::vector<HeaderView>> header_storage(data.records.size());
  std::vector<RecordView> views;
  views.reserve(data.records.size());
  for (size_t i = 0; i < data.records.size(); ++i) {
    views.push_back(data.records[i].View(&header_storage[i]));
  }
  auto writer = SegmentWriter::Create(Options(level, lz4));
  size_t segment_bytes = 0;
  for (auto _ : state) {
    for (const RecordView& v : views) {
      if (!writer->Add(v).ok()) state.SkipWithError("Add failed");
    }
    auto bytes = writer->Finish();
    if (!bytes.ok()) state.SkipWithError("Finish failed");
    segment_bytes = bytes->size();
    benchmark::DoNotOptimize(bytes->data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * data.payload_bytes));
  state.counters["records/s"] = benchmark::Counter(
      static_cast<double>(state.iterations() * data.records.size()), benchmark::Counter::kIsRate);
  state.counters["ratio"] =
      static_cast<double>(data.payload_bytes) / static_cast<double>(segment_bytes);
}

void Decode(benchmark::State& state, int level, bool lz4, size_t value_bytes) {
  const Dataset& data = Data(value_bytes);
  const std::string& segment = Segment(level, lz4, value_bytes);
  const std::string_view bytes(segment);
  const char* const object = "bench/topic/0/segment";
  DecodedBlock block;
  for (auto _ : state) {
    auto location = ParseTrailer(object, bytes.substr(bytes.size() - kTrailerSize), bytes.size());
    auto footer =
        ParseFooter(object, bytes.substr(location->position, location->length), *location);
    if (!footer.ok()) state.SkipWithError("bad footer");
    uint64_t sum = 0;
    for (const BlockIndexEntry& e : footer->blocks) {
      if (!block.Decode(object, e, bytes.substr(e.position, e.length)).ok()) {
        state.SkipWithError("bad block");
      }
      for (const RecordView& r : block.records()) {
        sum += static_cast<uint64_t>(r.offset) + r.value->size() + r.headers.size();
      }
    }
    benchmark::DoNotOptimize(sum);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * data.payload_bytes));
  state.counters["records/s"] = benchmark::Counter(
      static_cast<double>(state.iterations() * data.records.size()), benchmark::Counter::kIsRate);
  state.counters["ratio"] =
      static_cast<double>(data.payload_bytes) / static_cast<double>(segment.size());
}

void BM_Encode(benchmark::State& state) {
  Encode(state, static_cast<int>(state.range(0)), false, static_cast<size_t>(state.range(1)));
}
void BM_Decode(benchmark::State& state) {
  Decode(state, static_cast<int>(state.range(0)), false, static_cast<size_t>(state.range(1)));
}
void BM_EncodeLz4(benchmark::State& state) {
  Encode(state, 0, true, static_cast<size_t>(state.range(0)));
}
void BM_DecodeLz4(benchmark::State& state) {
  Decode(state, 0, true, static_cast<size_t>(state.range(0)));
}

void Args(benchmark::internal::Benchmark* b) {
  b->ArgNames({"level", "value_bytes"});
  for (int64_t value_bytes : {100, 1024, 64 << 10}) {
    for (int64_t level : {0, 1, 3, -1, -3}) b->Args({level, value_bytes});
  }
  b->Unit(benchmark::kMillisecond);
}

void Lz4Args(benchmark::internal::Benchmark* b) {
  b->ArgNames({"value_bytes"});
  for (int64_t value_bytes : {100, 1024, 64 << 10}) b->Args({value_bytes});
  b->Unit(benchmark::kMillisecond);
}

BENCHMARK(BM_Encode)->Apply(Args);
BENCHMARK(BM_Decode)->Apply(Args);
BENCHMARK(BM_EncodeLz4)->Apply(Lz4Args);
BENCHMARK(BM_DecodeLz4)->Apply(Lz4Args);

}  // namespace
}  // namespace kb::format

BENCHMARK_MAIN();
