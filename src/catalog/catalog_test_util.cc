#include "catalog/catalog_test_util.h"

#include <gtest/gtest.h>

#include "format/segment_writer.h"
#include "layout/metadata.h"

namespace kb::catalog::testing {

std::string SegmentBytes(int64_t first, int64_t last, int64_t base_ts, int64_t middle_ts) {
  auto writer = format::SegmentWriter::Create({.zstd_level = 1, .block_bytes = 64});
  EXPECT_TRUE(writer.ok()) << writer.status().ToString();
  if (!writer.ok()) return {};
  const int64_t middle = first + (last - first) / 2;
  for (int64_t o = first; o <= last; ++o) {
    format::Record r;
    r.offset = o;
    r.timestamp = o == middle ? middle_ts : base_ts + o;
    r.timestamp_type = format::TimestampType::kCreateTime;
    r.value = "value " + std::to_string(o);
    EXPECT_TRUE(writer->Add(r).ok());
  }
  auto bytes = writer->Finish();
  EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
  return bytes.ok() ? *bytes : std::string();
}

std::string SegmentBytes(int64_t first, int64_t last, int64_t base_ts) {
  return SegmentBytes(first, last, base_ts, base_ts + first + (last - first) / 2);
}

void OpsStore::Put(const std::string& key, const std::string& data) {
  Status s = store_.Put(key, data);
  EXPECT_TRUE(s.ok()) << s.ToString();
}

std::string OpsStore::AddSegment(const std::string& topic, int32_t partition, int64_t first,
                                 int64_t last, int64_t base_ts) {
  const std::string key = keys_.Segment(topic, partition, first, last);
  Put(key, SegmentBytes(first, last, base_ts));
  return key;
}

std::string OpsStore::AddGap(const std::string& topic, int32_t partition, int64_t start,
                             int64_t end) {
  const std::string key = keys_.Gap(topic, partition, start, end);
  Put(key, layout::EncodeGap({"retention", 1'700'000'000'000}));
  return key;
}

std::string OpsStore::AddTopic(const std::string& topic, int32_t partitions,
                               const std::map<std::string, std::string>& configs) {
  const std::string key = keys_.TopicMetadata(topic);
  Put(key, layout::EncodeTopicMetadata({.topic = topic,
                                        .partitions = partitions,
                                        .replication_factor = 3,
                                        .configs = configs,
                                        .updated_at_ms = 1'700'000'000'000}));
  return key;
}

std::string OpsStore::AddGroupOffsets(const std::string& topic, int32_t partition,
                                      const std::map<std::string, int64_t>& offsets) {
  const std::string key = keys_.ConsumerOffsets(topic, partition);
  Put(key, layout::EncodeGroupOffsets(offsets));
  return key;
}

std::string OpsStore::AddOffsetSnapshot(const std::string& topic, int32_t partition,
                                        int64_t time_ms,
                                        const std::map<std::string, int64_t>& offsets) {
  const std::string key = keys_.ConsumerOffsetsHistory(topic, partition, time_ms);
  Put(key, layout::EncodeGroupOffsets(offsets));
  return key;
}

std::string OpsStore::Bytes(const std::string& key) {
  auto contents = store_.Contents();
  auto it = contents.find(key);
  EXPECT_NE(it, contents.end()) << key;
  return it == contents.end() ? std::string() : it->second;
}

}  // namespace kb::catalog::testing
