#include "restore/offset_map_store.h"

#include <gtest/gtest.h>

#include "storage/memory/memory_store.h"

namespace kb::restore {
namespace {

PartitionRestoreRecord Sample(std::string target = "orders-restored") {
  PartitionRestoreRecord r{.source_topic = "orders",
                           .partition = 2,
                           .cluster_id = "MkU3OEVBNTcwNTJENDM2Qg",
                           .target_topic = std::move(target),
                           .selection = "all",
                           .complete = false,
                           .updated_at_ms = 1700000000000,
                           .map = OffsetMap(10)};
  EXPECT_TRUE(r.map.Append(0, 10).ok());
  EXPECT_TRUE(r.map.Append(1, 11).ok());
  EXPECT_TRUE(r.map.Append(5, 12).ok());
  return r;
}

TEST(OffsetMapStoreTest, SaveLoadRoundTripsUnderTheLayoutKey) {
  storage::MemoryStore store;
  layout::Keys keys("bk");
  OffsetMapStore maps(&store, keys);
  PartitionRestoreRecord r = Sample();
  ASSERT_TRUE(maps.Save(r).ok());
  EXPECT_TRUE(store.Head("bk/orders/2/restore/MkU3OEVBNTcwNTJENDM2Qg/orders-restored").ok());
  auto loaded = maps.Load("orders", 2, r.cluster_id, r.target_topic);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  ASSERT_TRUE(loaded->has_value());
  EXPECT_EQ(**loaded, r);
  EXPECT_EQ((*loaded)->map.TranslateCommitted(2), 12);

  r.complete = true;
  ASSERT_TRUE(maps.Save(r).ok());  // replaces
  EXPECT_TRUE((*maps.Load("orders", 2, r.cluster_id, r.target_topic))->complete);
}

TEST(OffsetMapStoreTest, ConfigsAfterRestoreRoundTripAndAreLeftOutWhenEmpty) {
  storage::MemoryStore store;
  layout::Keys keys("bk");
  OffsetMapStore maps(&store, keys);
  PartitionRestoreRecord r = Sample();
  EXPECT_EQ(EncodeRestoreRecord(r).find("configs_after_restore"), std::string::npos);
  r.configs_after_restore = {{"message.timestamp.type", "LogAppendTime"}};
  const std::string text = EncodeRestoreRecord(r);
  EXPECT_NE(text.find("\"configs_after_restore\":{\"message.timestamp.type\":\"LogAppendTime\"}"),
            std::string::npos)
      << text;
  ASSERT_TRUE(maps.Save(r).ok());
  auto loaded = maps.Load("orders", 2, r.cluster_id, r.target_topic);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  ASSERT_TRUE(loaded->has_value());
  EXPECT_EQ((*loaded)->configs_after_restore, r.configs_after_restore);

  // Not an object of strings: Corruption naming the key.
  const std::string key =
      keys.RestoreOffsetMap(r.source_topic, r.partition, r.cluster_id, r.target_topic);
  std::string bad = text;
  bad.replace(bad.find("\"LogAppendTime\""), 15, "7");
  auto decoded = DecodeRestoreRecord(keys, key, bad);
  ASSERT_FALSE(decoded.ok());
  EXPECT_TRUE(decoded.status().IsCorruption());
  EXPECT_EQ(decoded.status().subject(), key);
}

TEST(OffsetMapStoreTest, MissingRecordIsNulloptAndListFindsEveryTarget) {
  storage::MemoryStore store;
  OffsetMapStore maps(&store, layout::Keys("bk"));
  auto none = maps.Load("orders", 2, "cluster", "orders");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  ASSERT_TRUE(maps.Save(Sample("b-target")).ok());
  ASSERT_TRUE(maps.Save(Sample("a-target")).ok());
  auto all = maps.List("orders", 2);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].target_topic, "a-target");
  EXPECT_EQ((*all)[1].target_topic, "b-target");
  EXPECT_TRUE(maps.List("orders", 3)->empty());
}

TEST(OffsetMapStoreTest, RejectsIllegalNamesBeforeWriting) {
  storage::MemoryStore store;
  OffsetMapStore maps(&store, layout::Keys("bk"));
  PartitionRestoreRecord r = Sample("bad topic");
  Status s = maps.Save(r);
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_EQ(s.subject(), "bad topic");
  r = Sample();
  r.cluster_id = "a/b";
  EXPECT_TRUE(maps.Save(r).IsInvalidArgument());
  EXPECT_TRUE(ListAll(store, "")->empty());
}

TEST(OffsetMapStoreTest, CorruptOrMisplacedRecordsAreNamed) {
  storage::MemoryStore store;
  layout::Keys keys("bk");
  OffsetMapStore maps(&store, keys);
  const std::string key = keys.RestoreOffsetMap("orders", 2, "c1", "t");
  ASSERT_TRUE(store.Put(key, "{not json").ok());
  auto bad = maps.Load("orders", 2, "c1", "t");
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(bad.status().IsCorruption());
  EXPECT_EQ(bad.status().subject(), key);

  // A valid record stored under another partition's key.
  ASSERT_TRUE(store.Put(key, EncodeRestoreRecord(Sample())).ok());
  auto misplaced = maps.Load("orders", 2, "c1", "t");
  ASSERT_FALSE(misplaced.ok());
  EXPECT_TRUE(misplaced.status().IsCorruption());

  PartitionRestoreRecord r = Sample();
  std::string text = EncodeRestoreRecord(r);
  text.replace(text.find("\"format_version\":1"), 18, "\"format_version\":9");
  auto newer = DecodeRestoreRecord(
      keys, keys.RestoreOffsetMap(r.source_topic, r.partition, r.cluster_id, r.target_topic), text);
  EXPECT_EQ(newer.status().code(), Status::Code::kNotImplemented);
}

TEST(OffsetMapStoreTest, ReshapedRecordIsVersion2WithOneMapPerTargetPartition) {
  storage::MemoryStore store;
  layout::Keys keys("bk");
  OffsetMapStore maps(&store, keys);
  PartitionRestoreRecord r = Sample();
  r.map = OffsetMap(0);
  r.target_partitions = 3;
  r.target_maps = {{0, OffsetMap(4)}, {1, OffsetMap(0)}, {2, OffsetMap(7)}};
  ASSERT_TRUE(r.target_maps[0].Append(1, 4).ok());
  ASSERT_TRUE(r.target_maps[0].Append(5, 5).ok());
  ASSERT_TRUE(r.target_maps[2].Append(0, 7).ok());
  ASSERT_TRUE(maps.Save(r).ok());
  const std::string key = keys.RestoreOffsetMap("orders", 2, r.cluster_id, r.target_topic);
  const std::string text = *store.Get(key);
  EXPECT_NE(text.find("\"format_version\":2"), std::string::npos) << text;
  EXPECT_NE(text.find("\"target_partitions\":3"), std::string::npos) << text;
  EXPECT_EQ(text.find("\"offset_map\":"), std::string::npos) << text;
  auto loaded = maps.Load("orders", 2, r.cluster_id, r.target_topic);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  ASSERT_TRUE(loaded->has_value());
  EXPECT_EQ(**loaded, r);
  EXPECT_EQ((*loaded)->target_maps.at(0).Lookup(5), 5);
  EXPECT_EQ((*loaded)->target_maps.at(2).Lookup(0), 7);

  // A map missing for a target partition, or a count that disagrees, is Corruption naming the key.
  std::string missing = text;
  missing.replace(missing.find("\"target_partitions\":3"), 21, "\"target_partitions\":4");
  auto bad = DecodeRestoreRecord(keys, key, missing);
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(bad.status().IsCorruption());
  EXPECT_EQ(bad.status().subject(), key);
  // Version 1 cannot carry offset_maps.
  std::string v1 = text;
  v1.replace(v1.find("\"format_version\":2"), 18, "\"format_version\":1");
  EXPECT_TRUE(DecodeRestoreRecord(keys, key, v1).status().IsCorruption());
}

TEST(OffsetMapStoreTest, RecordsWithoutReshapingStayVersion1) {
  const std::string text = EncodeRestoreRecord(Sample());
  EXPECT_NE(text.find("\"format_version\":1"), std::string::npos) << text;
  EXPECT_EQ(text.find("offset_maps"), std::string::npos) << text;
}

}  // namespace
}  // namespace kb::restore
