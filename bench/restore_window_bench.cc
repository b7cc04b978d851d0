// Bytes a time-window restore reads (issue 13 target: at most the window's bytes plus one block
// and one footer per segment).
//
// Writes a synthetic 24-hour backup of one partition (JSON-like records, timestamps evenly spread
// over 24 h, zstd level 3, the daemon's default 256 KiB blocks, segments of --segment-mib), then
// plans and reads a 1-hour window with the restore's own code (restore::PlanRestore +
// PartitionReader) through a store wrapper that counts every byte the store returned. The store is
// a local directory (--dir), or with --config FILE the `storage:` section of a kafka-backup config
// opened as the product opens it (e.g. the S3 server: bytes are HTTP response bodies).
//
// The bound checked: blocks read <= the window's share of the stored block bytes + one block per
// segment read (the first and last blocks of a window are only partly in it) and footers read =
// one footer per segment. Prints one Markdown table row; exit 0 within the bound, 2 above it.
//
//   restore_window_bench [--records N] [--value-bytes B] [--segment-mib M] [--dir D]
//                        [--config FILE]
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "config/config.h"
#include "config/env_expand.h"
#include "format/format_testing.h"
#include "format/segment_writer.h"
#include "layout/keys.h"
#include "restore/partition_reader.h"
#include "restore/plan.h"
#include "storage/factory/open_store.h"
#include "storage/local/local_store.h"
#include "storage/read_counting_store.h"

namespace {

using namespace kb;

int Fail(const Status& s) {
  std::fprintf(stderr, "restore_window_bench: %s\n", s.ToString().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  size_t records = 2'000'000;
  size_t value_bytes = 512;
  size_t segment_mib = 64;
  std::string dir = "/tmp/kb-restore-window-bench";
  std::string config_path;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--records") records = std::strtoull(argv[i + 1], nullptr, 10);
    if (flag == "--value-bytes") value_bytes = std::strtoull(argv[i + 1], nullptr, 10);
    if (flag == "--segment-mib") segment_mib = std::strtoull(argv[i + 1], nullptr, 10);
    if (flag == "--dir") dir = argv[i + 1];
    if (flag == "--config") config_path = argv[i + 1];
  }
  std::unique_ptr<storage::ObjectStore> store;
  std::string prefix = "restore-window-bench";
  if (config_path.empty()) {
    std::filesystem::remove_all(dir);
    auto local = storage::LocalStore::Open(dir);
    if (!local.ok()) return Fail(local.status());
    store = std::move(*local);
  } else {
    auto cfg = LoadConfigFile(config_path, ProcessEnv());
    if (!cfg.ok()) return Fail(cfg.status());
    if (!cfg->storage.prefix.empty()) prefix = cfg->storage.prefix + "/" + prefix;
    auto opened = storage::OpenStore(cfg->storage);
    if (!opened.ok()) return Fail(opened.status());
    store = std::move(*opened);
  }
  const layout::Keys keys(prefix);
  constexpr int64_t kDayMs = 86'400'000;
  constexpr int64_t kStart = 1'700'000'000'000;
  const std::string topic = "window";

  // Segments of about segment_mib of stored bytes, records generated in chunks.
  std::vector<format::Record> chunk;
  uint64_t segments = 0, stored = 0, payload_total = 0;
  std::vector<std::string> written;
  size_t next = 0;
  while (next < records) {
    auto writer = format::SegmentWriter::Create({.zstd_level = 3, .subject = topic + "/0"});
    if (!writer.ok()) return Fail(writer.status());
    const int64_t first = static_cast<int64_t>(next);
    while (next < records && writer->buffered_bytes() < segment_mib << 20) {
      chunk = format::testing::JsonLikeRecords(next, std::min<size_t>(10'000, records - next),
                                               value_bytes);
      for (format::Record& r : chunk) {
        r.offset = static_cast<int64_t>(next);
        r.timestamp = kStart + static_cast<int64_t>(next) * kDayMs / static_cast<int64_t>(records);
        std::vector<format::HeaderView> h;
        const format::RecordView view = r.View(&h);
        Status s = writer->Add(view);
        if (!s.ok()) return Fail(s);
        payload_total += format::PayloadBytes(view);
        ++next;
      }
    }
    auto bytes = writer->Finish();
    if (!bytes.ok()) return Fail(bytes.status());
    written.push_back(keys.Segment(topic, 0, first, static_cast<int64_t>(next) - 1));
    Status s = store->Put(written.back(), *bytes);
    if (!s.ok()) return Fail(s);
    ++segments;
    stored += bytes->size();
  }

  storage::ReadCountingStore counting(store.get());
  restore::RestoreSelection sel;
  sel.topics = {topic};
  sel.from_ms = kStart + 12 * kDayMs / 24;  // hour 12
  sel.to_ms = kStart + 13 * kDayMs / 24 - 1;
  const auto t0 = std::chrono::steady_clock::now();
  auto plan = restore::PlanRestore(counting, keys, sel, {});
  if (!plan.ok()) return Fail(plan.status());
  const uint64_t footer_bytes = counting.bytes_read();
  restore::PartitionReader reader(plan->topics[0].partitions[0], sel, false);
  uint64_t restored = 0, payload = 0;
  for (;;) {
    auto r = reader.Next();
    if (!r.ok()) return Fail(r.status());
    if (*r == nullptr) break;
    ++restored;
    payload += format::PayloadBytes(**r);
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const uint64_t block_bytes = counting.bytes_read() - footer_bytes;
  const double ratio = static_cast<double>(block_bytes) / static_cast<double>(payload);
  // The bound: the window's share of the stored bytes (its payload at the backup's overall
  // stored/payload ratio), plus one whole block (at most the 256 KiB block size, stored) per
  // segment the window reads from.
  size_t segments_read = 0;
  for (const auto& seg : plan->topics[0].partitions[0].segments) {
    if (!seg.blocks.empty()) ++segments_read;
  }
  const double window_share = static_cast<double>(payload) * static_cast<double>(stored) /
                              static_cast<double>(payload_total);
  const double bound = window_share + static_cast<double>(segments_read) * (256 << 10);
  const bool within = static_cast<double>(block_bytes) <= bound;
  std::printf(
      "| store | records | backup (stored) | segments | window records | records in blocks read | "
      "window payload | blocks read | bound: window share + 1 block/segment | footers read | "
      "blocks/payload | time |\n"
      "|---|---|---|---|---|---|---|---|---|---|---|---|\n");
  std::printf(
      "| %s | %zu | %.1f MiB | %llu | %llu | %llu | %.2f MiB | %.2f MiB | %.2f MiB (%s) | %.1f KiB "
      "(%.1f KiB/segment) | %.2fx | %.2f s |\n",
      store->Describe().c_str(), records, stored / 1048576.0,
      static_cast<unsigned long long>(segments), static_cast<unsigned long long>(restored),
      static_cast<unsigned long long>(plan->topics[0].partitions[0].records), payload / 1048576.0,
      block_bytes / 1048576.0, bound / 1048576.0, within ? "within" : "ABOVE",
      footer_bytes / 1024.0, footer_bytes / 1024.0 / segments, ratio, secs);
  if (config_path.empty()) {
    std::filesystem::remove_all(dir);
  } else {
    (void)store->Delete(written);
  }
  return within ? 0 : 2;
}
