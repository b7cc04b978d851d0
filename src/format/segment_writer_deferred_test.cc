// SegmentWriter's deferred mode (WriterOptions::compressor): the blocks are compressed outside the
// writer, in any order, and PendingSegment::Assemble lays out exactly the bytes the in-place mode
// writes.
#include <gtest/gtest.h>
#include <zstd.h>

#include <algorithm>
#include <memory>
#include <thread>
#include <vector>

#include "format/format_testing.h"
#include "format/segment_decoder.h"
#include "format/segment_writer.h"

namespace kb::format {
namespace {

// Holds submitted blocks until CompressAll, which compresses them last-submitted first; counts the
// buffers it hands out and gets back.
class HoldingCompressor : public BlockCompressor {
 public:
  ~HoldingCompressor() override { ZSTD_freeCCtx(cctx_); }
  std::string TakeBuffer(size_t min_bytes) override {
    ++taken_;
    return std::string(std::max<size_t>(min_bytes, 100), '\0');
  }
  void Submit(std::shared_ptr<PendingBlock> block) override { held_.push_back(std::move(block)); }
  void Release(std::string raw, size_t) override {
    if (!raw.empty()) ++returned_;
  }
  void CompressAll() {
    for (auto it = held_.rbegin(); it != held_.rend(); ++it) {
      Status s = (*it)->Compress(cctx_, &scratch_);
      (*it)->Done(s);
    }
    held_.clear();
  }
  std::vector<std::shared_ptr<PendingBlock>>& held() { return held_; }
  int taken() const { return taken_; }
  int returned() const { return returned_; }

 private:
  ZSTD_CCtx* cctx_ = ZSTD_createCCtx();
  coding::Buffer scratch_;
  std::vector<std::shared_ptr<PendingBlock>> held_;
  int taken_ = 0;
  int returned_ = 0;
};

std::string InPlace(const std::vector<Record>& records, int level, size_t block_bytes,
                    Compression codec = Compression::kZstd) {
  auto bytes = testing::BuildSegment(records, {level, block_bytes, "t/0", nullptr, nullptr, codec});
  EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
  return bytes.ok() ? *bytes : std::string();
}

// Every codec: zstd at levels 0 (none), fast -3, 1 and 3; LZ4; none.
struct CodecSetting {
  Compression codec;
  int level;
};
constexpr CodecSetting kSettings[] = {{Compression::kZstd, 0}, {Compression::kZstd, -3},
                                      {Compression::kZstd, 1}, {Compression::kZstd, 3},
                                      {Compression::kLz4, 0},  {Compression::kNone, 3}};

TEST(SegmentWriterDeferredTest, SameBytesAsInPlaceWithEveryCodec) {
  const std::vector<Record> random = testing::RandomRecords(7, 3000, 3000, 100);
  const std::vector<Record> json = testing::JsonLikeRecords(8, 2000, 700);
  for (const auto* records : {&random, &json}) {
    for (const CodecSetting& c : kSettings) {
      const int level = c.level;
      for (size_t block_bytes : {size_t{1024}, size_t{64} << 10}) {
        SCOPED_TRACE("codec " + std::to_string(static_cast<int>(c.codec)) + " level " +
                     std::to_string(level) + ", block " + std::to_string(block_bytes));
        HoldingCompressor compressor;
        auto w = SegmentWriter::Create({level, block_bytes, "t/0", &compressor, nullptr, c.codec});
        ASSERT_TRUE(w.ok()) << w.status().ToString();
        // Two segments from one writer: the second reuses what the first learnt.
        const size_t half = records->size() / 2;
        std::vector<Record> first(records->begin(), records->begin() + half);
        std::vector<Record> second(records->begin() + half, records->end());
        std::vector<PendingSegment> pending;
        for (const auto* part : {&first, &second}) {
          for (const Record& r : *part) ASSERT_TRUE(w->Add(r).ok());
          EXPECT_GT(w->buffered_bytes(), 0u);
          auto seg = w->FinishPending();
          ASSERT_TRUE(seg.ok()) << seg.status().ToString();
          EXPECT_TRUE(w->empty());
          pending.push_back(std::move(seg).value());
        }
        EXPECT_FALSE(compressor.held().empty());
        compressor.CompressAll();  // out of order, after both segments were finished
        for (size_t i = 0; i < 2; ++i) {
          auto object = pending[i].Assemble();
          ASSERT_TRUE(object.ok()) << object.status().ToString();
          EXPECT_EQ(*object, InPlace(i == 0 ? first : second, level, block_bytes, c.codec));
          auto decoded = DecodeSegment("t/0", *object);
          ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
          EXPECT_EQ(decoded->ToRecords(), i == 0 ? first : second);
          EXPECT_EQ(decoded->version,
                    c.codec == Compression::kLz4 ? kPlainLz4FormatVersion : kPlainFormatVersion);
        }
        pending.clear();
        EXPECT_EQ(compressor.returned(), compressor.taken()) << "every buffer comes back";
      }
    }
  }
}

TEST(SegmentWriterDeferredTest, FinishWaitsForTheCompressorAndMatches) {
  const std::vector<Record> records = testing::JsonLikeRecords(9, 500, 300);
  HoldingCompressor compressor;
  auto w = SegmentWriter::Create({3, 4096, "t/0", &compressor});
  ASSERT_TRUE(w.ok());
  for (const Record& r : records) ASSERT_TRUE(w->Add(r).ok());
  auto seg = w->FinishPending();
  ASSERT_TRUE(seg.ok());
  std::thread compress([&] { compressor.CompressAll(); });
  auto object = seg->Assemble();
  compress.join();
  ASSERT_TRUE(object.ok()) << object.status().ToString();
  EXPECT_EQ(*object, InPlace(records, 3, 4096));
  EXPECT_TRUE(VerifySegment("t/0", *object).ok());
}

// Parts: header, every block in place, footer; together the same object Assemble builds.
TEST(SegmentWriterDeferredTest, PartsAreTheObjectWithoutCopyingTheBlocks) {
  const std::vector<Record> records = testing::JsonLikeRecords(11, 400, 300);
  for (const CodecSetting& c : kSettings) {
    const int level = c.level;
    HoldingCompressor compressor;
    auto w = SegmentWriter::Create({level, 4096, "t/0", &compressor, nullptr, c.codec});
    ASSERT_TRUE(w.ok());
    for (const Record& r : records) ASSERT_TRUE(w->Add(r).ok());
    auto seg = w->FinishPending();
    ASSERT_TRUE(seg.ok());
    compressor.CompressAll();
    ASSERT_TRUE(seg->WaitForBlocks().ok());
    std::string frame;
    const std::vector<std::string_view> parts = *seg->Parts(&frame);
    ASSERT_EQ(parts.size(), seg->blocks.size() + 2) << level;
    for (size_t i = 0; i < seg->blocks.size(); ++i) {
      EXPECT_EQ(parts[i + 1].data(), seg->blocks[i]->stored().data()) << "block " << i << " copied";
    }
    std::string object;
    for (std::string_view p : parts) object.append(p);
    EXPECT_EQ(object.size(), seg->object_size());
    EXPECT_EQ(object, InPlace(records, level, 4096, c.codec)) << level;
    EXPECT_TRUE(VerifySegment("t/0", object).ok());
  }
}

TEST(SegmentWriterDeferredTest, ABlockFailureFailsAssemble) {
  HoldingCompressor compressor;
  auto w = SegmentWriter::Create({3, 1024, "t/0", &compressor});
  ASSERT_TRUE(w.ok());
  for (const Record& r : testing::JsonLikeRecords(10, 50, 300)) ASSERT_TRUE(w->Add(r).ok());
  auto seg = w->FinishPending();
  ASSERT_TRUE(seg.ok());
  ASSERT_GE(compressor.held().size(), 2u);
  for (auto& b : compressor.held()) b->Done(Status::Permanent("t/0", "disk on fire"));
  compressor.held().clear();
  auto object = seg->Assemble();
  ASSERT_FALSE(object.ok());
  EXPECT_NE(object.status().ToString().find("disk on fire"), std::string::npos);
}

TEST(SegmentWriterDeferredTest, FinishPendingNeedsACompressorAndRecords) {
  auto plain = SegmentWriter::Create({3, 1024, "t/0", nullptr});
  ASSERT_TRUE(plain.ok());
  ASSERT_TRUE(plain->Add(testing::RandomRecords(1, 1)[0]).ok());
  auto s = plain->FinishPending();
  EXPECT_EQ(s.status().code(), Status::Code::kInvalidArgument);
  HoldingCompressor compressor;
  auto deferred = SegmentWriter::Create({3, 1024, "t/0", &compressor});
  ASSERT_TRUE(deferred.ok());
  EXPECT_EQ(deferred->FinishPending().status().code(), Status::Code::kInvalidArgument);
}

}  // namespace
}  // namespace kb::format
