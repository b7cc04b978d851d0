#include "backup/uploader.h"

#include <gtest/gtest.h>

#include <map>

#include "storage/fault/fault_store.h"
#include "storage/memory/memory_store.h"

namespace kb::backup {
namespace {

SealedSegment Seg(const std::string& topic, int32_t partition, int64_t start, int64_t end) {
  return {{topic, partition},
          start,
          end,
          topic + "/" + std::to_string(partition) + "/" + std::to_string(start),
          std::string(100, 'x'),
          static_cast<uint64_t>(end - start + 1),
          0};
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

}  // namespace
}  // namespace kb::backup
