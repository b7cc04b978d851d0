// CPU that storage.s3.payload_signing saves: the hex SHA-256 of every upload body that
// x-amz-content-sha256 carries when payloads are signed, against UNSIGNED-PAYLOAD over HTTPS.
// Results and the machine they came from: docs/benchmarks.md ("S3 payload signing").
//
//   BM_BodySha256       Sha256Hex of a 64 MiB segment given in 3 parts (header, blocks, footer),
//                       as S3Client computes it for PutObject; per 8 MiB part, as it does for the
//                       UploadParts of a multipart upload of the same segment.
//   BM_BodyMd5          Md5Base64 of 64 MiB: what a Content-MD5 header would cost instead (it is
//                       not sent: here it costs more than the SHA-256 it would replace).
//   BM_HttpsPut/<mode>  S3Store::PutParts of one 64 MiB segment (multipart, 8 MiB parts) to the
//                       HTTPS versitygw of test/services/s3.sh (KB_TEST_S3_TLS_ENDPOINT,
//                       KB_TEST_S3_TLS_CA and the KB_TEST_S3_* credentials; skipped without
//                       them), mode 0 = payload_signing always, 1 = never. CPU is the calling
//                       thread's (libcurl runs in it: hashing, TLS encryption, copying), so the
//                       server's own work on the same machine is not counted.
// Counters: bytes_per_second; cpu_s_per_GiB = CPU seconds per GiB uploaded.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "storage/s3/s3_store.h"
#include "storage/s3/s3_util.h"

namespace kb::storage::s3 {
namespace {

constexpr size_t kSegmentBytes = size_t{64} << 20;
constexpr size_t kPartBytes = size_t{8} << 20;

const std::string& Segment() {
  static const std::string data = [] {
    std::string d(kSegmentBytes, '\0');
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (size_t i = 0; i < d.size(); i += 8) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      for (size_t j = 0; j < 8 && i + j < d.size(); ++j) d[i + j] = static_cast<char>(x >> (8 * j));
    }
    return d;
  }();
  return data;
}

// The segment as S3Store is given it: a small header, the blocks, a footer.
std::vector<std::string_view> Parts() {
  std::string_view s = Segment();
  return {s.substr(0, 64), s.substr(64, s.size() - 64 - 4096), s.substr(s.size() - 4096)};
}

void SetCounters(benchmark::State& state, size_t bytes_per_iteration) {
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes_per_iteration));
  // CPU seconds per GiB: Google Benchmark divides "rate" counters by CPU time; invert it.
  state.counters["cpu_s_per_GiB"] = benchmark::Counter(
      static_cast<double>(state.iterations() * bytes_per_iteration) / double(1 << 30),
      benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void BM_BodySha256(benchmark::State& state) {
  const bool per_part = state.range(0) == 1;
  const std::vector<std::string_view> parts = Parts();
  for (auto _ : state) {
    if (per_part) {
      std::string_view s = Segment();
      for (size_t pos = 0; pos < s.size(); pos += kPartBytes) {
        benchmark::DoNotOptimize(Sha256Hex(s.substr(pos, kPartBytes)));
      }
    } else {
      benchmark::DoNotOptimize(Sha256Hex(parts));
    }
  }
  SetCounters(state, kSegmentBytes);
}
BENCHMARK(BM_BodySha256)->Arg(0)->Arg(1)->ArgName("per_8MiB_part")->Unit(benchmark::kMillisecond);

void BM_BodyMd5(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(Md5Base64(Segment()));
  SetCounters(state, kSegmentBytes);
}
BENCHMARK(BM_BodyMd5)->Unit(benchmark::kMillisecond);

void BM_HttpsPut(benchmark::State& state) {
  auto env = [](const char* name) -> std::string {
    const char* v = std::getenv(name);
    return v == nullptr ? "" : v;
  };
  S3StoreConfig cfg;
  cfg.endpoint = env("KB_TEST_S3_TLS_ENDPOINT");
  cfg.ca_bundle = env("KB_TEST_S3_TLS_CA");
  cfg.bucket = env("KB_TEST_S3_BUCKET");
  cfg.region = env("KB_TEST_S3_REGION");
  cfg.access_key_id = env("KB_TEST_S3_ACCESS_KEY");
  cfg.secret_access_key = env("KB_TEST_S3_SECRET_KEY");
  cfg.path_style = true;
  if (cfg.endpoint.empty() || cfg.bucket.empty()) {
    state.SkipWithError("KB_TEST_S3_TLS_ENDPOINT / KB_TEST_S3_* not set (test/services/s3.sh)");
    return;
  }
  cfg.payload_signing = state.range(0) == 1 ? S3StoreConfig::PayloadSigning::kNever
                                            : S3StoreConfig::PayloadSigning::kAlways;
  auto store = S3Store::Make(cfg);
  if (!store.ok()) {
    state.SkipWithError(store.status().ToString().c_str());
    return;
  }
  const std::vector<std::string_view> parts = Parts();
  const std::string key = "bench/s3_payload_bench/" + std::to_string(state.range(0));
  for (auto _ : state) {
    Status s = (*store)->PutParts(key, parts);
    if (!s.ok()) {
      state.SkipWithError(s.ToString().c_str());
      return;
    }
  }
  (void)(*store)->Delete({key});
  SetCounters(state, kSegmentBytes);
}
BENCHMARK(BM_HttpsPut)->Arg(0)->Arg(1)->ArgName("unsigned")->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace kb::storage::s3

BENCHMARK_MAIN();
