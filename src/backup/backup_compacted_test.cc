// A compacted topic (cleanup.policy=compact) against the real broker: after the log cleaner has
// removed superseded records, the backup holds exactly what a consumer of the topic sees — the
// same records at the same, no longer contiguous, offsets, tombstones included — and its segment
// ranges still tile the partition; and restoring it gives those records back in order, with an
// exact offset map through the holes.
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include <optional>
#include <thread>

#include "backup/backup_engine.h"
#include "backup/backup_test_util.h"
#include "layout/keys.h"
#include "restore/restore_report.h"
#include "restore/restore_test_util.h"
#include "storage/memory/memory_store.h"
#include "testing/test_env.h"

namespace kb::backup {
namespace {

using namespace std::chrono_literals;
using format::Record;

// Every record of topic/0 as a read_committed consumer sees it, from the start to the end.
std::vector<Record> ConsumeAll(const std::string& bootstrap, const std::string& topic) {
  std::vector<Record> out;
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  for (const auto& [k, v] :
       std::map<std::string, std::string>{{"bootstrap.servers", bootstrap},
                                          {"group.id", testing::UniqueName("compact-reader")},
                                          {"enable.partition.eof", "true"},
                                          {"enable.auto.commit", "false"},
                                          {"isolation.level", "read_committed"}}) {
    EXPECT_EQ(rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof(err)), RD_KAFKA_CONF_OK);
  }
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
  if (rk == nullptr) {
    ADD_FAILURE() << err;
    return out;
  }
  rd_kafka_poll_set_consumer(rk);
  rd_kafka_topic_partition_list_t* parts = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(parts, topic.c_str(), 0)->offset = RD_KAFKA_OFFSET_BEGINNING;
  EXPECT_EQ(rd_kafka_assign(rk, parts), RD_KAFKA_RESP_ERR_NO_ERROR);
  rd_kafka_topic_partition_list_destroy(parts);
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (std::chrono::steady_clock::now() < deadline) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk, 500);
    if (m == nullptr) continue;
    const rd_kafka_resp_err_t e = m->err;
    if (e == RD_KAFKA_RESP_ERR_NO_ERROR) {
      Record r;
      r.offset = m->offset;
      if (m->key != nullptr) r.key = std::string(static_cast<const char*>(m->key), m->key_len);
      if (m->payload != nullptr) {
        r.value = std::string(static_cast<const char*>(m->payload), m->len);
      }
      r.timestamp = rd_kafka_message_timestamp(m, nullptr);
      out.push_back(std::move(r));
    }
    rd_kafka_message_destroy(m);
    if (e == RD_KAFKA_RESP_ERR__PARTITION_EOF) break;
    EXPECT_TRUE(e == RD_KAFKA_RESP_ERR_NO_ERROR) << rd_kafka_err2str(e);
  }
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
  return out;
}

std::string Describe(const Record& r) {
  return std::to_string(r.offset) + " " + (r.key ? *r.key : "<null>") + "=" +
         (r.value ? *r.value : "<tombstone>");
}

TEST(BackupCompactedTest, BackupHoldsExactlyWhatAConsumerOfTheCompactedTopicSees) {
  const std::string bootstrap = testing::RequireEnv("KB_TEST_KAFKA_BOOTSTRAP");
  ASSERT_FALSE(bootstrap.empty());
  auto admin = kafka::Admin::Make({{"bootstrap.servers", bootstrap}});
  ASSERT_TRUE(admin.ok()) << admin.status().ToString();
  const std::string topic = testing::UniqueName("compact");
  // Tiny log segments (internal.segment.bytes: Kafka 4 refuses segment.bytes < 1 MiB) that roll
  // often, and a cleaner that takes any dirty segment at once.
  Status created = (*admin)->CreateTopic({topic,
                                          1,
                                          1,
                                          {{"cleanup.policy", "compact"},
                                           {"internal.segment.bytes", "2048"},
                                           {"segment.ms", "100"},
                                           {"min.cleanable.dirty.ratio", "0.01"},
                                           {"min.compaction.lag.ms", "0"},
                                           {"delete.retention.ms", "86400000"}}},
                                         30s);
  ASSERT_TRUE(created.ok()) << created.ToString();

  // 5 keys written once (they survive compaction at the lowest offsets), then 20 keys each
  // written 30 times; every fifth of those ends with a tombstone.
  constexpr int kStatic = 5, kKeys = 20, kRounds = 30;
  int produced = 0;
  {
    testutil::RawProducer producer(bootstrap);
    for (int i = 0; i < kStatic; ++i) {
      Record r;
      r.key = "static-" + std::to_string(i);
      r.value = "kept";
      producer.Send(topic, 0, r);
      ++produced;
    }
    for (int round = 0; round < kRounds; ++round) {
      for (int k = 0; k < kKeys; ++k) {
        Record r;
        r.key = "key-" + std::to_string(k);
        if (round < kRounds - 1 || k % 5 != 0) {
          r.value = "v" + std::to_string(round) + "-" + std::string(40, 'a' + k % 26);
        }
        producer.Send(topic, 0, r);
        ++produced;
      }
      producer.Flush();  // spreads the rounds over many small log segments
    }
  }

  // The cleaner runs every log.cleaner.backoff.ms (15 s by default): wait until a consumer sees
  // fewer records than were produced, then until what it sees stops changing.
  std::vector<Record> seen;
  const auto deadline = std::chrono::steady_clock::now() + 120s;
  while (std::chrono::steady_clock::now() < deadline) {
    std::vector<Record> now = ConsumeAll(bootstrap, topic);
    const bool compacted = now.size() < static_cast<size_t>(produced);
    const bool stable = compacted && now.size() == seen.size();
    seen = std::move(now);
    if (stable) break;
    std::this_thread::sleep_for(2s);
  }
  ASSERT_LT(seen.size(), static_cast<size_t>(produced)) << "the log cleaner never ran";

  // The cleaner may still run between two reads; retry the backup until the view before and after
  // it agree, so that there is exactly one answer to compare with.
  for (int attempt = 0; attempt < 5; ++attempt) {
    Config cfg = testutil::MakeConfig(bootstrap, {topic}, testing::UniqueName("compact-group"));
    cfg.backup.segment_max_records = 37;  // several segments, boundaries inside compacted runs
    cfg.backup.block_bytes = 1024;
    storage::MemoryStore store;
    ASSERT_TRUE(testutil::RunOnce(cfg, &store).ok());
    std::vector<Record> after = ConsumeAll(bootstrap, topic);
    std::vector<Record> before = std::move(seen);
    seen = after;
    if (before.size() != after.size()) continue;  // the cleaner ran meanwhile

    auto got = testutil::ReadPartition(store, cfg, topic, 0);
    EXPECT_TRUE(testutil::RangesTile(got.ranges, 0));
    ASSERT_EQ(got.records.size(), after.size());
    bool holes = false;
    int tombstones = 0;
    for (size_t i = 0; i < after.size(); ++i) {
      const Record& want = after[i];
      const Record& have = got.records[i];
      ASSERT_EQ(have.offset, want.offset) << "record " << i << ": " << Describe(want);
      EXPECT_EQ(have.key, want.key) << Describe(want);
      EXPECT_EQ(have.value, want.value) << Describe(want);
      EXPECT_EQ(have.timestamp, want.timestamp) << Describe(want);
      if (i > 0 && want.offset != after[i - 1].offset + 1) holes = true;
      if (!want.value) ++tombstones;
    }
    EXPECT_TRUE(holes) << "compaction left the offsets contiguous";
    ASSERT_GE(after.size(), static_cast<size_t>(kStatic));
    EXPECT_EQ(after[kStatic - 1].offset, kStatic - 1) << "the keys written once are kept";
    EXPECT_EQ(tombstones, kKeys / 5) << "tombstones are kept (delete.retention.ms is a day)";
    // The last range ends at the last offset of the partition, not at its record count.
    ASSERT_FALSE(got.ranges.empty());
    EXPECT_EQ(got.ranges.back().end, after.back().offset);

    // And it restores (into a plain topic: there is no topic.json, so the broker's defaults): the
    // same records in the same order at contiguous offsets, with an offset map that knows where
    // each went and sends a group parked on a compacted-away offset to the next surviving record.
    restore::RestoreSelection sel;
    sel.topics = {topic};
    sel.target_prefix = "copy-";
    auto report =
        restore::testutil::Restore(store, layout::Keys(cfg.storage.prefix), bootstrap, sel);
    ASSERT_TRUE(report.ok()) << report.status().ToString();
    ASSERT_TRUE(report->ok()) << restore::FormatSummary(*report);
    const std::vector<Record> restored = restore::testutil::ReadAll(bootstrap, "copy-" + topic, 0);
    ASSERT_EQ(restored.size(), after.size());
    const restore::PartitionResult* result = restore::testutil::Find(*report, topic, 0);
    ASSERT_NE(result, nullptr);
    const restore::OffsetMap& map = result->map;
    std::optional<size_t> first_after_hole;
    for (size_t i = 0; i < after.size(); ++i) {
      EXPECT_EQ(restored[i].offset, static_cast<int64_t>(i));
      EXPECT_EQ(restored[i].key, after[i].key) << Describe(after[i]);
      EXPECT_EQ(restored[i].value, after[i].value) << Describe(after[i]);
      EXPECT_EQ(restored[i].timestamp, after[i].timestamp) << Describe(after[i]);
      EXPECT_EQ(map.Lookup(after[i].offset), std::optional<int64_t>(i)) << Describe(after[i]);
      if (!first_after_hole && i > 0 && after[i].offset != after[i - 1].offset + 1) {
        first_after_hole = i;
      }
    }
    ASSERT_TRUE(first_after_hole.has_value());
    const int64_t hole = after[*first_after_hole - 1].offset + 1;  // compacted away
    EXPECT_EQ(map.Lookup(hole), std::nullopt);
    EXPECT_EQ(map.TranslateCommitted(hole), static_cast<int64_t>(*first_after_hole));
    return;
  }
  FAIL() << "the log cleaner kept changing the topic during every backup attempt";
}

}  // namespace
}  // namespace kb::backup
