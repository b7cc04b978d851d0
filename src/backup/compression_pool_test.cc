// CompressionPool: segments built through it are byte-identical to the in-place writer's, buffers
// are recycled by size class, and the MemoryGauge sees every buffer it holds and nothing after.
#include "backup/compression_pool.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <thread>

#include "format/format_testing.h"

namespace kb::backup {
namespace {

using format::PendingSegment;
using format::Record;
using format::SegmentWriter;

std::string InPlace(const std::vector<Record>& records, int level, size_t block_bytes,
                    format::Compression codec = format::Compression::kZstd) {
  auto bytes =
      format::testing::BuildSegment(records, {level, block_bytes, "t/0", nullptr, nullptr, codec});
  EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
  return bytes.ok() ? *bytes : std::string();
}

// One compression thread, blocks of `block_bytes`, idle buffers kept within `idle_limit`.
CompressionPool::Options OneThread(size_t block_bytes, size_t idle_limit) {
  CompressionPool::Options o;
  o.threads = 1;
  o.block_bytes = block_bytes;
  o.idle_limit = idle_limit;
  return o;
}

TEST(CompressionPoolTest, SegmentsMatchTheInPlaceWriterAndMemoryIsGivenBack) {
  // Levels 0 and 3, zstd's fast level -3, and 100 for LZ4.
  for (int setting : {0, 3, -3, 100}) {
    SCOPED_TRACE("setting " + std::to_string(setting));
    const format::Compression codec =
        setting == 100 ? format::Compression::kLz4 : format::Compression::kZstd;
    const int level = setting == 100 ? 0 : setting;
    MemoryGauge gauge;
    {
      CompressionPool::Options o;
      o.threads = 2;
      o.block_bytes = 4096;
      o.max_queued = 3;
      o.idle_limit = 4 * (format::kBlockHeaderSize + 4096);  // four full buffers
      CompressionPool pool(o, &gauge);
      auto w = SegmentWriter::Create({level, 4096, "t/0", &pool, nullptr, codec});
      ASSERT_TRUE(w.ok()) << w.status().ToString();
      std::vector<std::vector<Record>> parts;
      std::vector<PendingSegment> pending;
      size_t objects = 0;
      for (int i = 0; i < 5; ++i) {
        parts.push_back(format::testing::JsonLikeRecords(100 + i, 400, 200 + 150 * i));
        for (Record& r : parts.back()) r.offset += 10'000 * i;
        for (const Record& r : parts.back()) ASSERT_TRUE(w->Add(r).ok());
        auto seg = w->FinishPending();
        ASSERT_TRUE(seg.ok()) << seg.status().ToString();
        pending.push_back(std::move(seg).value());
      }
      size_t blocks = 0;
      for (const PendingSegment& p : pending) blocks += p.blocks.size();
      // Assembled on other threads, as the uploader does.
      std::vector<std::string> got(pending.size());
      std::vector<std::thread> threads;
      for (size_t i = 0; i < pending.size(); ++i) {
        threads.emplace_back([&, i] {
          auto object = pending[i].Assemble();
          ASSERT_TRUE(object.ok()) << object.status().ToString();
          got[i] = std::move(object).value();
        });
      }
      for (std::thread& t : threads) t.join();
      for (size_t i = 0; i < parts.size(); ++i) {
        EXPECT_EQ(got[i], InPlace(parts[i], level, 4096, codec)) << "segment " << i;
        objects += got[i].size();
      }
      pending.clear();
      // Only the idle buffers kept for reuse are left, and they are counted.
      EXPECT_EQ(gauge.bytes(), pool.free_bytes());
      EXPECT_LE(pool.free_bytes(), o.idle_limit);
      // Bounded by the buffers in use at once plus what every block keeps until its segment is
      // assembled (this test keeps them all until the end): its compressed copy, or at level 0
      // its buffer; idle buffers only fill what is left up to idle_limit.
      const size_t kept = setting == 0 ? blocks * pool.buffer_bytes() : objects;
      EXPECT_LE(gauge.peak(), std::max((o.max_queued + o.threads + 2) * pool.buffer_bytes() + kept,
                                       o.idle_limit));
      EXPECT_GT(gauge.peak(), 0u);
    }
    EXPECT_EQ(gauge.bytes(), 0u) << "the pool gave everything back when destroyed";
  }
}

TEST(CompressionPoolTest, BuffersAreRecycledBySizeClass) {
  MemoryGauge gauge;
  // Keeps one full buffer's worth idle.
  CompressionPool pool(OneThread(256 << 10, (256 << 10) + format::kBlockHeaderSize), &gauge);
  EXPECT_EQ(pool.buffer_bytes(), (256u << 10) + format::kBlockHeaderSize);
  EXPECT_EQ(pool.ClassSize(1), 8u << 10);
  EXPECT_EQ(pool.ClassSize(20000), 32u << 10);
  EXPECT_EQ(pool.ClassSize(256 << 10), 256u << 10);
  EXPECT_EQ(pool.ClassSize((256 << 10) + 1), pool.buffer_bytes());
  EXPECT_EQ(pool.ClassSize(1 << 20), 1u << 20) << "a record larger than a block: its own size";

  std::string small = pool.TakeBuffer(100);
  EXPECT_EQ(small.size(), 8u << 10);
  EXPECT_EQ(gauge.bytes(), 8u << 10);
  pool.Release(std::move(small), 0);
  EXPECT_EQ(pool.free_bytes(), 8u << 10);
  EXPECT_EQ(gauge.bytes(), 8u << 10) << "an idle buffer is still memory";
  std::string again = pool.TakeBuffer(5000);
  EXPECT_EQ(again.size(), 8u << 10);
  EXPECT_EQ(gauge.bytes(), 8u << 10) << "reused, not allocated";
  EXPECT_EQ(pool.free_bytes(), 0u);

  std::string huge = pool.TakeBuffer(1 << 20);
  EXPECT_EQ(gauge.bytes(), (8u << 10) + (1u << 20));
  pool.Release(std::move(huge), 0);
  EXPECT_EQ(gauge.bytes(), 8u << 10) << "an oversized buffer is freed at once";

  std::string full1 = pool.TakeBuffer(pool.buffer_bytes());
  std::string full2 = pool.TakeBuffer(pool.buffer_bytes());
  pool.Release(std::move(again), 0);  // the gauge is over idle_limit: freed
  pool.Release(std::move(full1), 0);  // still over: freed
  pool.Release(std::move(full2), 0);  // within: kept
  EXPECT_EQ(pool.free_bytes(), pool.buffer_bytes());
  EXPECT_EQ(gauge.bytes(), pool.free_bytes());

  gauge.Add(1234);                    // as the pool counts a block's compressed copy
  pool.Release(std::string(), 1234);  // ...which ~PendingBlock gives back
  EXPECT_EQ(gauge.bytes(), pool.free_bytes());
}

TEST(CompressionPoolTest, ANewBufferFreesIdleOnesToStayWithinTheLimit) {
  MemoryGauge gauge;
  // Room for a full buffer and two small ones.
  CompressionPool pool(OneThread(256 << 10, (256 << 10) + format::kBlockHeaderSize + (16 << 10)),
                       &gauge);
  std::string s1 = pool.TakeBuffer(100);
  std::string s2 = pool.TakeBuffer(100);
  pool.Release(std::move(s1), 0);
  pool.Release(std::move(s2), 0);
  EXPECT_EQ(pool.free_bytes(), 16u << 10);
  std::string full1 = pool.TakeBuffer(pool.buffer_bytes());
  EXPECT_EQ(pool.free_bytes(), 16u << 10) << "room for it and the idle ones";
  std::string full2 = pool.TakeBuffer(pool.buffer_bytes());
  EXPECT_EQ(pool.free_bytes(), 0u) << "the idle buffers made room for the second";
  EXPECT_EQ(gauge.bytes(), 2 * pool.buffer_bytes());
  pool.Release(std::move(full1), 0);
  pool.Release(std::move(full2), 0);
  EXPECT_EQ(pool.free_bytes(), pool.buffer_bytes()) << "one freed, one within the limit kept";
  EXPECT_EQ(gauge.bytes(), pool.free_bytes());
}

TEST(CompressionPoolTest, TrimIdleFreesWhatThePeriodDidNotReuse) {
  MemoryGauge gauge;
  CompressionPool pool(OneThread(64 << 10, 64u << 20), &gauge);
  const size_t full = pool.buffer_bytes();
  std::vector<std::string> taken;
  for (int i = 0; i < 4; ++i) taken.push_back(pool.TakeBuffer(full));
  for (std::string& b : taken) pool.Release(std::move(b), 0);
  taken.clear();
  EXPECT_EQ(pool.free_bytes(), 4 * full);
  for (int i = 0; i < 2; ++i) taken.push_back(pool.TakeBuffer(full));  // reused
  for (std::string& b : taken) pool.Release(std::move(b), 0);
  taken.clear();
  pool.TrimIdle();
  EXPECT_EQ(pool.free_bytes(), 2 * full) << "what the period reused is kept";
  EXPECT_EQ(gauge.bytes(), 2 * full);
  pool.TrimIdle();
  EXPECT_EQ(pool.free_bytes(), 0u) << "nothing reused since: all freed";
  EXPECT_EQ(gauge.bytes(), 0u);
}

TEST(CompressionPoolTest, AStoredSegmentsBlocksAreReusedForTheNext) {
  // Codec none: the blocks keep their buffers until the segment is dropped, then all come back
  // at once; the next segment is built in them, allocating nothing.
  MemoryGauge gauge;
  CompressionPool pool(OneThread(4096, 1 << 20), &gauge);
  auto w = SegmentWriter::Create({0, 4096, "t/0", &pool, nullptr, format::Compression::kNone});
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  const std::vector<Record> records = format::testing::JsonLikeRecords(7, 200, 300);
  size_t first_peak = 0;
  for (int round = 0; round < 3; ++round) {
    SCOPED_TRACE("segment " + std::to_string(round));
    for (const Record& r : records) ASSERT_TRUE(w->Add(r).ok());
    auto seg = w->FinishPending();
    ASSERT_TRUE(seg.ok()) << seg.status().ToString();
    ASSERT_GT(seg->blocks.size(), 10u);
    const size_t blocks = seg->blocks.size();
    auto object = seg->Assemble();
    ASSERT_TRUE(object.ok()) << object.status().ToString();
    EXPECT_EQ(*object, InPlace(records, 0, 4096, format::Compression::kNone));
    *seg = PendingSegment();
    EXPECT_EQ(gauge.bytes(), pool.free_bytes()) << "every buffer is idle";
    EXPECT_GE(pool.free_bytes(), blocks * 4096) << "every block's buffer was kept";
    if (round == 0) first_peak = gauge.peak();
    EXPECT_EQ(gauge.peak(), first_peak) << "nothing allocated beyond the first segment's buffers";
  }
}

TEST(CompressionPoolTest, WithoutThreadsSubmitCompressesInline) {
  MemoryGauge gauge;
  CompressionPool::Options o;
  o.threads = 0;
  o.block_bytes = 1024;
  CompressionPool pool(o, &gauge);
  auto w = SegmentWriter::Create({3, 1024, "t/0", &pool});
  ASSERT_TRUE(w.ok());
  const std::vector<Record> records = format::testing::JsonLikeRecords(5, 50, 300);
  for (const Record& r : records) ASSERT_TRUE(w->Add(r).ok());
  auto seg = w->FinishPending();
  ASSERT_TRUE(seg.ok());
  for (const auto& b : seg->blocks) EXPECT_TRUE(b->done());
  auto object = seg->Assemble();
  ASSERT_TRUE(object.ok());
  EXPECT_EQ(*object, InPlace(records, 3, 1024));
}

TEST(CompressionPoolTest, DestroyingThePoolFinishesEveryQueuedBlock) {
  MemoryGauge gauge;
  std::vector<std::shared_ptr<format::PendingBlock>> blocks;
  const std::vector<Record> records = format::testing::JsonLikeRecords(6, 400, 1000);
  {
    CompressionPool::Options o;
    o.threads = 1;
    o.block_bytes = 512 << 10;
    o.max_queued = 64;
    CompressionPool pool(o, &gauge);
    for (int i = 0; i < 16; ++i) {
      // No owner: these blocks outlive the pool, which the engine never lets a block do.
      auto b = std::make_shared<format::PendingBlock>(nullptr);
      b->raw.assign(format::kBlockHeaderSize, '\0');
      for (const Record& r : records) b->raw += *r.value;
      b->raw_size = b->raw.size();
      b->codec = format::Compression::kZstd;
      b->level = 19;  // slow: most blocks are still queued when the pool goes
      b->record_count = 1;
      b->subject = "t/0";
      blocks.push_back(b);
      pool.Submit(b);
    }
  }
  int cancelled = 0;
  for (const auto& b : blocks) {
    ASSERT_TRUE(b->done());
    Status s = b->Wait();
    if (!s.ok()) {
      EXPECT_EQ(s.code(), Status::Code::kCancelled) << s.ToString();
      ++cancelled;
    }
  }
  RecordProperty("cancelled", cancelled);
}

TEST(CompressionPoolTest, SegmentCodecMapsTheConfigCodec) {
  EXPECT_EQ(SegmentCodec(BackupConfig::Codec::kZstd), format::Compression::kZstd);
  EXPECT_EQ(SegmentCodec(BackupConfig::Codec::kLz4), format::Compression::kLz4);
  EXPECT_EQ(SegmentCodec(BackupConfig::Codec::kNone), format::Compression::kNone);
}

}  // namespace
}  // namespace kb::backup
