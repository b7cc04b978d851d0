#include "backup/uploader.h"

#include <gtest/gtest.h>

#include <map>

#include "backup/compression_pool.h"
#include "format/format_testing.h"
#include "storage/fault/fault_store.h"
#include "storage/memory/memory_store.h"

namespace kb::backup {
namespace {

SealedSegment Seg(const std::string& topic, int32_t partition, int64_t start, int64_t end) {
  SealedSegment s;
  s.id = {topic, partition};
  s.start = start;
  s.end = end;
  s.key = topic + "/" + std::to_string(partition) + "/" + std::to_string(start);
  s.bytes = std::string(100, 'x');
  s.records = static_cast<uint64_t>(end - start + 1);
  return s;
}

TEST(UploaderTest, UploadsEverythingAndReportsInPartitionOrder) {
  storage::MemoryStore store;
  Uploader up(&store, 4);
  for (int p = 0; p < 3; ++p) {
    for (int i = 0; i < 20; ++i) up.Submit(Seg("t", p, i * 10, i * 10 + 9));
  }
  up.WaitForAll();
  EXPECT_EQ(up.bytes_in_flight(), 0u);
  EXPECT_EQ(up.segments_in_flight(), 0u);
  std::vector<UploadResult> done = up.TakeCompleted();
  ASSERT_EQ(done.size(), 60u);
  std::map<int32_t, int64_t> last_end;
  for (const UploadResult& r : done) {
    ASSERT_TRUE(r.status.ok()) << r.status.ToString();
    auto it = last_end.find(r.id.partition);
    int64_t expected_start = it == last_end.end() ? 0 : it->second + 1;
    EXPECT_EQ(r.start, expected_start) << "partition " << r.id.partition;
    last_end[r.id.partition] = r.end;
    EXPECT_TRUE(store.Get(r.key).ok()) << r.key;
  }
  EXPECT_TRUE(up.TakeCompleted().empty());
}

TEST(UploaderTest, AFailureStopsThePartitionButNotOthers) {
  storage::MemoryStore mem;
  storage::FaultInjectingStore store(&mem);
  // The 2nd put overall fails; with one worker that is partition 0's second segment.
  store.FailNth(storage::StoreOp::kPut, 2, Status::Code::kPermanent);
  Uploader up(&store, 1);
  for (int i = 0; i < 4; ++i) up.Submit(Seg("t", 0, i * 10, i * 10 + 9));
  up.WaitForAll();
  up.Submit(Seg("t", 1, 0, 9));
  up.WaitForAll();
  std::vector<UploadResult> done = up.TakeCompleted();
  ASSERT_EQ(done.size(), 5u);
  EXPECT_TRUE(done[0].status.ok());
  for (int i = 1; i < 4; ++i) {
    EXPECT_FALSE(done[i].status.ok()) << i;
    // Later segments were not attempted: the store holds no range after the failed one.
    EXPECT_TRUE(mem.Get(done[i].key).status().IsNotFound()) << done[i].key;
  }
  EXPECT_TRUE(done[4].status.ok());
  EXPECT_EQ(store.calls(storage::StoreOp::kPut), 3u);
}

TEST(UploaderTest, WaitForCompletionReturnsFalseWhenIdle) {
  storage::MemoryStore store;
  Uploader up(&store, 2);
  EXPECT_FALSE(up.WaitForCompletion());
  up.Submit(Seg("t", 0, 0, 0));
  EXPECT_TRUE(up.WaitForCompletion());
  up.WaitForPartition({"t", 0});
  EXPECT_EQ(up.segments_in_flight(), 0u);
}

TEST(UploaderTest, WritesPendingSegmentsFromTheirBlocksAndFreesThem) {
  storage::MemoryStore store;
  MemoryGauge gauge;
  CompressionPool::Options o;
  o.threads = 2;
  o.block_bytes = 2048;
  CompressionPool pool(o, &gauge);
  std::map<std::string, std::string> expected;
  {
    Uploader up(&store, 2);
    auto w = format::SegmentWriter::Create({3, 2048, "t/0", &pool});
    ASSERT_TRUE(w.ok());
    for (int i = 0; i < 4; ++i) {
      std::vector<format::Record> records = format::testing::JsonLikeRecords(i, 200, 400);
      for (format::Record& r : records) r.offset += 1000 * i;
      for (const format::Record& r : records) ASSERT_TRUE(w->Add(r).ok());
      auto in_place = format::testing::BuildSegment(records, {3, 2048, "t/0", nullptr});
      ASSERT_TRUE(in_place.ok());
      SealedSegment s;
      s.id = {"t", 0};
      s.start = 1000 * i;
      s.end = records.back().offset;
      s.key = "t/0/" + std::to_string(i);
      s.size_estimate = w->buffered_bytes();
      auto pending = w->FinishPending();
      ASSERT_TRUE(pending.ok());
      s.pending.emplace(std::move(pending).value());
      expected[s.key] = *in_place;
      up.Submit(std::move(s));
    }
    up.WaitForAll();
    EXPECT_EQ(up.bytes_in_flight(), 0u);
    for (const UploadResult& r : up.TakeCompleted()) {
      ASSERT_TRUE(r.status.ok()) << r.status.ToString();
      EXPECT_EQ(r.object_bytes, expected[r.key].size());
    }
  }
  for (const auto& [key, bytes] : expected) {
    auto got = store.Get(key);
    ASSERT_TRUE(got.ok()) << key;
    EXPECT_EQ(*got, bytes) << key;
  }
  EXPECT_EQ(gauge.bytes(), pool.free_bytes()) << "written segments hold no memory";
}

}  // namespace
}  // namespace kb::backup
