// SegmentReader against a tiny in-memory ObjectStore that counts ranged reads: a lookup costs
// exactly the reads and bytes docs/format.md promises.
#include "format/segment_reader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "format/format_testing.h"
#include "format/segment_writer.h"

namespace kb::format {
namespace {

using ::testing::HasSubstr;

// Just enough of an ObjectStore for the reader, with read accounting.
class CountingStore : public storage::ObjectStore {
 public:
  Status Put(const std::string& key, std::string_view data) override {
    std::lock_guard<std::mutex> lock(mu_);
    objects_[key] = std::string(data);
    return Status::OK();
  }
  Result<std::string> Get(const std::string& key) override {
    std::lock_guard<std::mutex> lock(mu_);
    ++gets_;
    auto it = objects_.find(key);
    if (it == objects_.end()) return Status::NotFound(key, "no such object");
    return it->second;
  }
  Result<std::string> GetRange(const std::string& key, uint64_t offset, uint64_t length) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = objects_.find(key);
    if (it == objects_.end()) return Status::NotFound(key, "no such object");
    if (offset > it->second.size()) return Status::InvalidArgument(key, "offset past the end");
    std::string out = it->second.substr(offset, length);
    ++range_reads_;
    range_bytes_ += out.size();
    return out;
  }
  Result<uint64_t> Head(const std::string& key) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = objects_.find(key);
    if (it == objects_.end()) return Status::NotFound(key, "no such object");
    return static_cast<uint64_t>(it->second.size());
  }
  Result<storage::ListPage> List(const std::string&, const std::string&, size_t) override {
    return Status::NotImplemented("", "List");
  }
  Status Delete(const std::vector<std::string>&) override {
    return Status::NotImplemented("", "Delete");
  }
  std::string Describe() const override { return "counting://"; }

  int range_reads() const { return range_reads_; }
  uint64_t range_bytes() const { return range_bytes_; }
  int gets() const { return gets_; }
  void ResetCounts() { range_reads_ = 0, range_bytes_ = 0, gets_ = 0; }

 private:
  std::mutex mu_;
  std::map<std::string, std::string> objects_;
  int range_reads_ = 0;
  uint64_t range_bytes_ = 0;
  int gets_ = 0;
};

const std::string kKey = "backups/orders/0/00000000000000000000-00000000000000004999";

class SegmentReaderTest : public ::testing::Test {
 protected:
  // 5000 JSON-like records of ~300 bytes in 16 KiB blocks: ~100 blocks, a ~5 KiB footer.
  void SetUp() override {
    records_ = testing::JsonLikeRecords(17, 5000, 300);
    WriterOptions options;
    options.block_bytes = 16 << 10;
    auto bytes = testing::BuildSegment(records_, options);
    ASSERT_TRUE(bytes.ok());
    size_ = bytes->size();
    ASSERT_TRUE(store_.Put(kKey, *bytes).ok());
  }

  CountingStore store_;
  std::vector<Record> records_;
  uint64_t size_ = 0;
};

TEST_F(SegmentReaderTest, OpenReadsTheTailOnce) {
  auto reader = SegmentReader::Open(store_, kKey, size_);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  EXPECT_EQ(store_.range_reads(), 1);
  EXPECT_EQ(store_.range_bytes(), std::min<uint64_t>(size_, SegmentReader::kDefaultTailReadBytes));
  EXPECT_EQ(store_.gets(), 0);
  EXPECT_GT(reader->block_count(), 50u);
  EXPECT_EQ(reader->footer().record_count, 5000u);
  EXPECT_EQ(reader->version(), kPlainFormatVersion);
}

TEST_F(SegmentReaderTest, LargeFooterNeedsExactlyOneMoreRead) {
  auto reader = SegmentReader::Open(store_, kKey, size_, /*tail_read_bytes=*/256);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  const uint64_t footer_length = kFooterFixedSize + kIndexEntrySize * reader->block_count();
  EXPECT_EQ(store_.range_reads(), 2);
  EXPECT_EQ(store_.range_bytes(), 256 + footer_length);
}

TEST_F(SegmentReaderTest, OffsetLookupIsOneTailReadAndOneBlockRead) {
  auto reader = SegmentReader::Open(store_, kKey, size_);
  ASSERT_TRUE(reader.ok());
  store_.ResetCounts();
  const int64_t wanted = 3217;
  BlockRange range = reader->BlocksForOffsets(wanted, wanted);
  ASSERT_EQ(range.size(), 1u);
  DecodedBlock block;
  ASSERT_TRUE(reader->ReadBlock(range.begin, &block).ok());
  EXPECT_EQ(store_.range_reads(), 1);
  EXPECT_EQ(store_.range_bytes(), reader->footer().blocks[range.begin].length);
  const size_t i = block.LowerBound(wanted);
  ASSERT_LT(i, block.size());
  EXPECT_EQ(Record::FromView(block[i]), records_[wanted]);
}

TEST_F(SegmentReaderTest, TimeWindowReadsOnlyOverlappingBlocks) {
  auto reader = SegmentReader::Open(store_, kKey, size_);
  ASSERT_TRUE(reader.ok());
  store_.ResetCounts();
  const int64_t from = records_[1000].timestamp;
  const int64_t to = records_[1400].timestamp;
  std::vector<size_t> blocks = reader->BlocksForTimes(from, to);
  ASSERT_FALSE(blocks.empty());
  EXPECT_LT(blocks.size(), reader->block_count() / 5);
  std::vector<Record> got;
  uint64_t expected_bytes = 0;
  DecodedBlock block;
  for (size_t b : blocks) {
    ASSERT_TRUE(reader->ReadBlock(b, &block).ok());
    expected_bytes += reader->footer().blocks[b].length;
    for (const RecordView& r : block.records()) {
      if (r.timestamp >= from && r.timestamp <= to) got.push_back(Record::FromView(r));
    }
  }
  EXPECT_EQ(store_.range_reads(), static_cast<int>(blocks.size()));
  EXPECT_EQ(store_.range_bytes(), expected_bytes);
  std::vector<Record> expected;
  for (const Record& r : records_) {
    if (r.timestamp >= from && r.timestamp <= to) expected.push_back(r);
  }
  EXPECT_EQ(got, expected);
}

TEST_F(SegmentReaderTest, ConcurrentBlockReadsWithOneBlockPerThread) {
  auto reader = SegmentReader::Open(store_, kKey, size_);
  ASSERT_TRUE(reader.ok());
  std::vector<uint64_t> counts(2, 0);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < 2; ++t) {
    threads.emplace_back([&, t] {
      DecodedBlock block;
      for (size_t b = t; b < reader->block_count(); b += 2) {
        if (reader->ReadBlock(b, &block).ok()) counts[t] += block.size();
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(counts[0] + counts[1], 5000u);
}

TEST_F(SegmentReaderTest, StoreErrorsPassThrough) {
  auto reader = SegmentReader::Open(store_, "missing", size_);
  EXPECT_TRUE(reader.status().IsNotFound()) << reader.status().ToString();
}

TEST_F(SegmentReaderTest, ObjectShorterThanItsListedSizeIsCorruption) {
  auto reader = SegmentReader::Open(store_, kKey, size_ + 10);
  ASSERT_FALSE(reader.ok());
  EXPECT_TRUE(reader.status().IsCorruption()) << reader.status().ToString();
  EXPECT_EQ(reader.status().subject(), kKey);
  EXPECT_THAT(reader.status().message(), HasSubstr("truncated at byte"));
}

TEST_F(SegmentReaderTest, ReplacedBlockBytesAreCorruption) {
  auto reader = SegmentReader::Open(store_, kKey, size_);
  ASSERT_TRUE(reader.ok());
  // The object is overwritten by a different (shorter) segment after Open.
  auto other = testing::BuildSegment(testing::JsonLikeRecords(2, 10, 100));
  ASSERT_TRUE(store_.Put(kKey, *other).ok());
  DecodedBlock block;
  Status s = reader->ReadBlock(3, &block);
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(s.IsCorruption() || s.IsInvalidArgument()) << s.ToString();
}

TEST(SegmentReaderEdgeTest, EmptyObjectIsCorruptionWithoutReading) {
  CountingStore store;
  ASSERT_TRUE(store.Put("k", "").ok());
  auto reader = SegmentReader::Open(store, "k", 0);
  EXPECT_TRUE(reader.status().IsCorruption());
  EXPECT_THAT(reader.status().message(), HasSubstr("empty"));
  EXPECT_EQ(store.range_reads(), 0);
}

TEST(SegmentReaderEdgeTest, TinySegmentSmallerThanTheTailRead) {
  CountingStore store;
  Record r{5, 0, TimestampType::kCreateTime, std::nullopt, std::string(), {}};
  auto bytes = testing::BuildSegment({r});
  ASSERT_TRUE(bytes.ok());
  ASSERT_TRUE(store.Put("k", *bytes).ok());
  auto reader = SegmentReader::Open(store, "k", bytes->size());
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  EXPECT_EQ(store.range_bytes(), bytes->size());
  DecodedBlock block;
  ASSERT_TRUE(reader->ReadBlock(0, &block).ok());
  ASSERT_EQ(block.size(), 1u);
  EXPECT_EQ(Record::FromView(block[0]), r);
  EXPECT_TRUE(reader->ReadBlock(1, &block).IsInvalidArgument());
}

TEST(SegmentReaderEdgeTest, NewerVersionSaysUpgrade) {
  CountingStore store;
  auto bytes = testing::BuildSegment(testing::JsonLikeRecords(1, 3, 50));
  ASSERT_TRUE(bytes.ok());
  std::string b = *bytes;
  b[b.size() - 12] = 5;
  b[b.size() - 10] = static_cast<char>(~5);
  ASSERT_TRUE(store.Put("k", b).ok());
  auto reader = SegmentReader::Open(store, "k", b.size());
  EXPECT_EQ(reader.status().code(), Status::Code::kNotImplemented);
  EXPECT_THAT(reader.status().message(), HasSubstr("upgrade kafka-backup"));
}

}  // namespace
}  // namespace kb::format
