#include "ops/copy.h"

#include <gtest/gtest.h>

#include "catalog/catalog_test_util.h"
#include "storage/memory/memory_store.h"

namespace kb::ops {
namespace {

using catalog::testing::OpsStore;

class CopyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    seg_ = src_.AddSegment("orders", 0, 0, 99);
    src_.AddSegment("orders", 0, 100, 199);
    src_.AddGap("orders", 1, 0, 9);
    src_.AddTopic("orders", 2);
    src_.AddGroupOffsets("orders", 0, {{"app", 150}});
    src_.AddSegment("payments", 0, 0, 49);
  }
  Result<CopyReport> Copy(CopyOptions options = {}) {
    return CopyStore(src_.store(), src_.keys(), dst_, dst_keys_, options);
  }

  OpsStore src_{"backups"};
  std::string seg_;
  storage::MemoryStore dst_;
  layout::Keys dst_keys_{"elsewhere/kafka"};
};

TEST_F(CopyTest, CopiesEveryObjectUnderTheNewPrefixByteForByte) {
  auto report = Copy();
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(report->ok());
  auto listed = storage::ListAll(src_.store(), "backups/");
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(report->listed, listed->size());
  EXPECT_EQ(report->copied, listed->size());
  EXPECT_EQ(report->skipped, 0u);
  for (const storage::ObjectInfo& o : *listed) {
    const std::string target = "elsewhere/kafka/" + o.key.substr(std::string("backups/").size());
    auto copied = dst_.Get(target);
    ASSERT_TRUE(copied.ok()) << target;
    EXPECT_EQ(*copied, *src_.store().Get(o.key)) << target;
  }
}

TEST_F(CopyTest, ASecondRunSkipsTheImmutableObjectsAndRecopiesTheMutableOnes) {
  ASSERT_TRUE(Copy().ok());
  // A newer snapshot of the group offsets (same size) and a new segment since.
  src_.AddGroupOffsets("orders", 0, {{"app", 199}});
  src_.AddSegment("orders", 0, 200, 299);
  dst_.ResetStats();
  auto report = Copy();
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok());
  // Segments (4 - 1 new) and the gap are skipped; the new segment, topic.json and the offsets
  // are copied.
  EXPECT_EQ(report->skipped, 4u);
  EXPECT_EQ(report->copied, 3u);
  EXPECT_EQ(*dst_.Get(dst_keys_.ConsumerOffsets("orders", 0)),
            *src_.store().Get(src_.keys().ConsumerOffsets("orders", 0)));
}

TEST_F(CopyTest, AnInterruptedCopyIsCompletedByTheNextRun) {
  ASSERT_TRUE(Copy().ok());
  const std::string target = "elsewhere/kafka/" + seg_.substr(std::string("backups/").size());
  ASSERT_TRUE(dst_.Delete({target}).ok());
  ASSERT_TRUE(dst_.Put(dst_keys_.TopicMetadata("payments"), "half").ok());
  auto report = Copy();
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok());
  EXPECT_EQ(*dst_.Get(target), *src_.store().Get(seg_));
}

TEST_F(CopyTest, ACorruptSegmentIsNotCopiedAndNamed) {
  std::string bad = *src_.store().Get(seg_);
  bad[bad.size() / 2] ^= 0x5a;
  src_.Put(seg_, bad);
  auto report = Copy();
  ASSERT_TRUE(report.ok());
  ASSERT_EQ(report->failed.size(), 1u);
  EXPECT_NE(report->failed[0].ToString().find(seg_), std::string::npos)
      << report->failed[0].ToString();
  EXPECT_EQ(report->copied, report->listed - 1);
  EXPECT_TRUE(dst_.Get("elsewhere/kafka/" + seg_.substr(std::string("backups/").size()))
                  .status()
                  .IsNotFound());
  EXPECT_NE(FormatCopyReport(*report).find("1 failure"), std::string::npos);
}

TEST_F(CopyTest, OnlyTheNamedTopics) {
  auto report = Copy({.topics = {"payments"}});
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->copied, 1u);
  auto listed = storage::ListAll(dst_, "");
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_NE((*listed)[0].key.find("elsewhere/kafka/payments/0/"), std::string::npos);
}

}  // namespace
}  // namespace kb::ops
