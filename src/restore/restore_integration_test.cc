// Restore against the real broker (and one test against the real S3 server): backups written by
// the backup engine or by hand, restored through the library, read back from the target.
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include <thread>

#include "backup/backup_test_util.h"
#include "backup/metadata_sync.h"
#include "common/clock.h"
#include "format/format_testing.h"
#include "kafka/admin.h"
#include "layout/metadata.h"
#include "report/report_text.h"
#include "restore/group_restore.h"
#include "restore/offset_map_store.h"
#include "restore/restore_producer.h"
#include "restore/restore_report.h"
#include "restore/restore_test_util.h"
#include "storage/memory/memory_store.h"
#include "storage/s3/s3_store.h"
#include "testing/test_env.h"

namespace kb::restore {
namespace {

using namespace std::chrono_literals;
using backup::testutil::RawProducer;
using format::Header;
using format::Record;
using format::TimestampType;
using testutil::Find;
using testutil::ReadAll;

class RestoreIntegrationTest : public backup::testutil::KafkaTest {
 protected:
  // Old record timestamps are the point of several tests: no time retention on test topics (the
  // test broker checks retention every 5 s), carried to the targets by topic.json.
  std::string NewTopic(int partitions, std::map<std::string, std::string> configs = {}) {
    configs.emplace("retention.ms", "-1");
    const std::string topic = testing::UniqueName("rst");
    Status s = admin_->CreateTopic({topic, partitions, 1, configs}, 30s);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return topic;
  }
  // Backs `topic` up (--once) into store_.
  void Backup(const std::string& topic) {
    Config cfg = backup::testutil::MakeConfig(bootstrap_, {topic}, testing::UniqueName("g"));
    Status s = backup::testutil::RunOnce(cfg, &store_);
    ASSERT_TRUE(s.ok()) << s.ToString();
    auto sync = backup::MetadataSync::Make(cfg, &store_);  // topic.json, as backup --once does
    ASSERT_TRUE(sync.ok());
    s = (*sync)->SyncNow();
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  static Record Rec(std::optional<std::string> key, std::optional<std::string> value, int64_t ts,
                    std::vector<Header> headers = {}) {
    Record r;
    r.key = std::move(key);
    r.value = std::move(value);
    r.timestamp = ts;
    r.headers = std::move(headers);
    return r;
  }
  static void ExpectSame(const std::vector<Record>& got, const std::vector<Record>& want,
                         bool timestamps = true) {
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < want.size(); ++i) {
      EXPECT_EQ(got[i].key, want[i].key) << i;
      EXPECT_EQ(got[i].value, want[i].value) << i;
      EXPECT_EQ(got[i].headers, want[i].headers) << i;
      if (timestamps) {
        EXPECT_EQ(got[i].timestamp, want[i].timestamp) << i;
      }
    }
  }

  storage::MemoryStore store_;
  layout::Keys keys_{"backups"};
};

TEST_F(RestoreIntegrationTest, EdgeCaseRecordsRoundTripAndEmptyPartitionStaysEmpty) {
  const std::string topic = NewTopic(2, {{"max.message.bytes", "4194304"}});
  std::vector<Record> sent = {
      Rec(std::nullopt, "null key", 1700000000000),
      Rec("", "empty key", 1700000000001),
      Rec("tombstone", std::nullopt, 1700000000002),
      Rec("empty value", "", 1700000000003),
      Rec("headers", "v", 1700000000004,
          {{"dup", "1"}, {"nullval", std::nullopt}, {"dup", "2"}, {"", "empty key"}, {"e", ""}}),
      Rec(std::string("bin\0ary", 7), std::string("\0\xff\x01", 3), 1),
      Rec("old", "1970", 86400000),
      Rec("large", std::string(2 << 20, 'L'), 1700000000005),
  };
  {
    RawProducer producer(bootstrap_, {{"message.max.bytes", "4194304"}});
    for (const Record& r : sent) producer.Send(topic, 0, r);
    producer.Flush();
  }
  Backup(topic);
  RestoreSelection sel;
  sel.topics = {topic};
  sel.target_prefix = "copy-";
  auto report = testutil::Restore(store_, keys_, bootstrap_, sel);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_TRUE(report->ok()) << FormatSummary(*report);
  EXPECT_EQ(report->created_topics, std::vector<std::string>{"copy-" + topic});
  ExpectSame(ReadAll(bootstrap_, "copy-" + topic, 0), sent);
  EXPECT_TRUE(ReadAll(bootstrap_, "copy-" + topic, 1).empty());
  const PartitionResult* p1 = Find(*report, topic, 1);
  ASSERT_NE(p1, nullptr);
  EXPECT_TRUE(p1->complete);
  EXPECT_EQ(p1->map.record_count(), 0);
  // Configs came from topic.json.
  auto configs = admin_->DescribeTopicConfigs("copy-" + topic, 30s);
  ASSERT_TRUE(configs.ok());
  EXPECT_EQ(configs->at("max.message.bytes"), "4194304");

  // The maps are stored; a second run has nothing to do.
  OffsetMapStore maps(&store_, keys_);
  auto rec = maps.Load(topic, 0, report->cluster_id, "copy-" + topic);
  ASSERT_TRUE(rec.ok() && rec->has_value());
  EXPECT_TRUE((*rec)->complete);
  EXPECT_EQ((*rec)->map.runs(), (std::vector<OffsetRun>{{0, 0, 8}}));
  auto again = testutil::Restore(store_, keys_, bootstrap_, sel);
  ASSERT_TRUE(again.ok() && again->ok());
  EXPECT_EQ(Find(*again, topic, 0)->outcome, PartitionOutcome::kAlreadyComplete);
  EXPECT_EQ(ReadAll(bootstrap_, "copy-" + topic, 0).size(), sent.size());
}

TEST_F(RestoreIntegrationTest, LogAppendTimeSourceKeepsTimesInACreateTimeTarget) {
  const std::string topic = NewTopic(1, {{"message.timestamp.type", "LogAppendTime"}});
  {
    RawProducer producer(bootstrap_);
    for (int i = 0; i < 5; ++i) producer.Send(topic, 0, Rec("k", std::to_string(i), 1000));
    producer.Flush();
  }
  Backup(topic);
  const std::vector<Record> source = ReadAll(bootstrap_, topic, 0);
  ASSERT_EQ(source.size(), 5u);
  ASSERT_EQ(source[0].timestamp_type, TimestampType::kLogAppendTime);
  // A CreateTime target keeps the broker-assigned times of the source.
  const std::string target = NewTopic(1);
  RestoreSelection sel;
  sel.topics = {topic};
  sel.rename[topic] = target;
  auto report = testutil::Restore(store_, keys_, bootstrap_, sel, {.require_target_exists = true});
  ASSERT_TRUE(report.ok() && report->ok()) << report.status().ToString();
  const std::vector<Record> got = ReadAll(bootstrap_, target, 0);
  ExpectSame(got, source);
  EXPECT_EQ(got[0].timestamp_type, TimestampType::kCreateTime);
  EXPECT_TRUE(report->switched_topics.empty());
  EXPECT_EQ(admin_->DescribeTopicConfigs(target, 30s, kafka::Admin::ConfigScope::kEffective)
                ->at("message.timestamp.type"),
            "CreateTime");
}

// The round trip: a LogAppendTime topic backed up, deleted and restored by the restore
// that creates it keeps every record's timestamp and ends LogAppendTime, as in topic.json.
TEST_F(RestoreIntegrationTest, LogAppendTimeTopicDeletedAndRestoredKeepsEveryTimestamp) {
  const std::string topic = NewTopic(2, {{"message.timestamp.type", "LogAppendTime"}});
  {
    RawProducer producer(bootstrap_);
    for (int i = 0; i < 40; ++i) {
      producer.Send(topic, i % 2, Rec("k" + std::to_string(i), std::to_string(i), 1000 + i));
      if (i % 10 == 9) {
        producer.Flush();
        std::this_thread::sleep_for(20ms);  // distinct append times
      }
    }
    producer.Flush();
  }
  Backup(topic);
  const std::vector<Record> source0 = ReadAll(bootstrap_, topic, 0);
  const std::vector<Record> source1 = ReadAll(bootstrap_, topic, 1);
  ASSERT_EQ(source0.size() + source1.size(), 40u);
  for (const Record& r : source0) {
    ASSERT_EQ(r.timestamp_type, TimestampType::kLogAppendTime);
    ASSERT_GT(r.timestamp, 1'000'000);  // append times, not the 1000+i sent
  }
  ASSERT_TRUE(admin_->DeleteTopic(topic, 30s).ok());
  for (int i = 0; i < 200 && admin_->DescribeTopic(topic, 5s).ok(); ++i) {
    std::this_thread::sleep_for(100ms);
  }

  RestoreSelection sel;
  sel.topics = {topic};
  auto report = testutil::Restore(store_, keys_, bootstrap_, sel);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_TRUE(report->ok()) << FormatSummary(*report);
  EXPECT_EQ(report->created_topics, std::vector<std::string>{topic});
  EXPECT_EQ(report->switched_topics,
            std::vector<std::string>{topic + ": message.timestamp.type=LogAppendTime"});
  EXPECT_NE(FormatSummary(*report).find("set " + topic + ": message.timestamp.type=LogAppendTime"),
            std::string::npos);
  // Every record with its backed-up timestamp (and, written while the topic was CreateTime, of
  // type CreateTime).
  const std::vector<Record> got0 = ReadAll(bootstrap_, topic, 0);
  const std::vector<Record> got1 = ReadAll(bootstrap_, topic, 1);
  ExpectSame(got0, source0);
  ExpectSame(got1, source1);
  for (const Record& r : got0) EXPECT_EQ(r.timestamp_type, TimestampType::kCreateTime);
  // The topic ends as topic.json says, and the switch is no longer owed.
  auto configs = admin_->DescribeTopicConfigs(topic, 30s);
  ASSERT_TRUE(configs.ok()) << configs.status().ToString();
  EXPECT_EQ(configs->at("message.timestamp.type"), "LogAppendTime");
  EXPECT_EQ(configs->at("retention.ms"), "-1");
  OffsetMapStore maps(&store_, keys_);
  for (int32_t p : {0, 1}) {
    auto rec = maps.Load(topic, p, report->cluster_id, topic);
    ASSERT_TRUE(rec.ok() && rec->has_value());
    EXPECT_TRUE((*rec)->complete);
    EXPECT_TRUE((*rec)->configs_after_restore.empty());
  }
  // A rerun has nothing to do: no switch, and no warning about the now-LogAppendTime target.
  auto again = testutil::Restore(store_, keys_, bootstrap_, sel);
  ASSERT_TRUE(again.ok() && again->ok());
  EXPECT_TRUE(again->switched_topics.empty());
  EXPECT_TRUE(again->warnings.empty()) << again->warnings.front();
  EXPECT_EQ(ReadAll(bootstrap_, topic, 0).size(), source0.size());
}

// Into an existing LogAppendTime topic the restore warns before producing, saying what happens
// and how to avoid it; records older than the target's retention.ms are warned about too.
TEST_F(RestoreIntegrationTest, LogAppendTimeTargetAndRetentionAreWarnedAboutBeforeProducing) {
  const std::string topic = NewTopic(2);
  const int64_t now = NowMs();
  const int64_t old_ts = now - 10LL * 86'400'000;  // 10 days old
  {
    RawProducer producer(bootstrap_);
    for (int i = 0; i < 6; ++i) producer.Send(topic, 0, Rec("old", std::to_string(i), old_ts + i));
    for (int i = 0; i < 3; ++i) producer.Send(topic, 1, Rec("new", std::to_string(i), now + i));
    producer.Flush();
  }
  Backup(topic);
  const std::string target = topic + "-lat";
  ASSERT_TRUE(admin_
                  ->CreateTopic({target,
                                 2,
                                 1,
                                 {{"message.timestamp.type", "LogAppendTime"},
                                  {"retention.ms", std::to_string(7LL * 86'400'000)}}},
                                30s)
                  .ok());
  RestoreSelection sel;
  sel.topics = {topic};
  sel.rename[topic] = target;
  auto report = testutil::Restore(store_, keys_, bootstrap_, sel, {.require_target_exists = true});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_TRUE(report->ok()) << FormatSummary(*report);
  ASSERT_EQ(report->warnings.size(), 2u) << FormatSummary(*report);
  const std::string& lat = report->warnings[0];
  EXPECT_NE(lat.find(target + " has message.timestamp.type=LogAppendTime"), std::string::npos)
      << lat;
  EXPECT_NE(lat.find("are lost in " + target), std::string::npos) << lat;
  EXPECT_NE(lat.find("--add-config message.timestamp.type=CreateTime"), std::string::npos) << lat;
  const std::string& ret = report->warnings[1];
  EXPECT_NE(ret.find(target + " has retention.ms=604800000 (7 days)"), std::string::npos) << ret;
  EXPECT_NE(
      ret.find("partition 0 (at least 6 records, oldest " + report::FormatTimeMs(old_ts) + ")"),
      std::string::npos)
      << ret;
  EXPECT_EQ(ret.find("partition 1"), std::string::npos) << ret;
  EXPECT_NE(ret.find("Kafka deletes them"), std::string::npos) << ret;
  EXPECT_NE(FormatSummary(*report).find("warning: " + lat), std::string::npos);
  // What the warning said: the broker gave the records their append time.
  const std::vector<Record> got = ReadAll(bootstrap_, target, 0);
  ASSERT_EQ(got.size(), 6u);
  EXPECT_EQ(got[0].timestamp_type, TimestampType::kLogAppendTime);
  EXPECT_GE(got[0].timestamp, now);
  // The checks are pure functions of the plan and the configs: --dry-run prints the same.
  auto plan = PlanRestore(store_, keys_, sel, {});
  ASSERT_TRUE(plan.ok());
  auto again = TimestampWarnings(
      *plan,
      {{target, {{"message.timestamp.type", "LogAppendTime"}, {"retention.ms", "604800000"}}}}, {},
      {}, NowMs());
  ASSERT_EQ(again.size(), 2u);
  EXPECT_EQ(again[0], lat);
  // A compacted target keeps records whatever their age; a switched one is not warned about.
  EXPECT_TRUE(TimestampWarnings(*plan,
                                {{target,
                                  {{"cleanup.policy", "compact"},
                                   {"retention.ms", "604800000"},
                                   {"message.timestamp.type", "CreateTime"}}}},
                                {}, {}, NowMs())
                  .empty());
  EXPECT_TRUE(TimestampWarnings(*plan, {{target, {{"message.timestamp.type", "LogAppendTime"}}}},
                                {{target, {{"message.timestamp.type", "LogAppendTime"}}}}, {},
                                NowMs())
                  .empty());
}

TEST_F(RestoreIntegrationTest, TransactionalSourceRestoresCommittedRecordsWithExactMap) {
  const std::string topic = NewTopic(1);
  {
    char err[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap_.c_str(), err, sizeof(err));
    rd_kafka_conf_set(conf, "transactional.id", testing::UniqueName("tx").c_str(), err,
                      sizeof(err));
    rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
    ASSERT_NE(rk, nullptr) << err;
    ASSERT_EQ(rd_kafka_init_transactions(rk, 30000), nullptr);
    for (int txn = 0; txn < 4; ++txn) {
      ASSERT_EQ(rd_kafka_begin_transaction(rk), nullptr);
      for (int i = 0; i < 3; ++i) {
        const std::string v = "t" + std::to_string(txn) + "-" + std::to_string(i);
        ASSERT_EQ(rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(0),
                                    RD_KAFKA_V_VALUE(const_cast<char*>(v.data()), v.size()),
                                    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END),
                  RD_KAFKA_RESP_ERR_NO_ERROR);
      }
      ASSERT_EQ(rd_kafka_flush(rk, 30000),
                RD_KAFKA_RESP_ERR_NO_ERROR);  // aborted ones are in the log
      rd_kafka_error_t* e = txn % 2 == 1 ? rd_kafka_abort_transaction(rk, 30000)
                                         : rd_kafka_commit_transaction(rk, 30000);
      ASSERT_EQ(e, nullptr) << rd_kafka_error_string(e);
    }
    rd_kafka_destroy(rk);
  }
  // Two consumer groups of the source: one stopped inside the aborted transaction, one at the end
  // of the log (after the last, aborted, transaction and its marker).
  const kafka::TopicPartition tp{topic, 0};
  const std::string in_gap = testing::UniqueName("g-in-gap");
  const std::string at_end = testing::UniqueName("g-at-end");
  ASSERT_TRUE(admin_->AlterConsumerGroupOffsets(in_gap, {{tp, 5}}, 30s).ok());
  auto end = admin_->QueryWatermarks(topic, 0, 30s);
  ASSERT_TRUE(end.ok()) << end.status().ToString();
  ASSERT_TRUE(admin_->AlterConsumerGroupOffsets(at_end, {{tp, end->high}}, 30s).ok());
  Backup(topic);  // also writes the groups' consumers_offset
  RestoreSelection sel;
  sel.topics = {topic};
  sel.target_prefix = "copy-";
  auto report = testutil::Restore(store_, keys_, bootstrap_, sel);
  ASSERT_TRUE(report.ok() && report->ok()) << report.status().ToString();
  const std::vector<Record> got = ReadAll(bootstrap_, "copy-" + topic, 0);
  ASSERT_EQ(got.size(), 6u);  // the committed transactions 0 and 2
  EXPECT_EQ(got[0].value, "t0-0");
  EXPECT_EQ(got[3].value, "t2-0");
  // Source: t0 at 0-2, marker 3, t1 (aborted) 4-6, marker 7, t2 at 8-10. Target: 0-5.
  const OffsetMap& map = Find(*report, topic, 0)->map;
  EXPECT_EQ(map.runs(), (std::vector<OffsetRun>{{0, 0, 3}, {8, 3, 3}}));
  EXPECT_EQ(map.TranslateCommitted(5), 3);  // into the aborted transaction
  EXPECT_EQ(map.TranslateCommitted(11), 6);

  // The groups, moved through the map from the backup's consumers_offset, land exactly: the one in
  // the aborted transaction at the first committed record after it, the other at the end.
  auto groups = RestoreGroupOffsets(store_, keys_, *admin_,
                                    {{.source_topic = topic,
                                      .partition = 0,
                                      .target_topic = "copy-" + topic,
                                      .map = map,
                                      .complete = true}},
                                    {.include = {in_gap, at_end}});
  ASSERT_TRUE(groups.ok()) << groups.status().ToString();
  EXPECT_TRUE(groups->ok()) << FormatGroupReport(*groups);
  EXPECT_EQ(groups->Count(GroupOutcome::kCommitted), 2) << FormatGroupReport(*groups);
  const kafka::TopicPartition target{"copy-" + topic, 0};
  auto moved = admin_->ListConsumerGroupOffsets(in_gap, 30s);
  ASSERT_TRUE(moved.ok()) << moved.status().ToString();
  EXPECT_EQ(moved->at(target), 3);
  moved = admin_->ListConsumerGroupOffsets(at_end, 30s);
  ASSERT_TRUE(moved.ok()) << moved.status().ToString();
  EXPECT_EQ(moved->at(target), 6);
}

// Timestamps 0 and -1 (Kafka's "no timestamp"): librdkafka sends -1 as it is and the broker keeps
// it in a CreateTime topic; 0 means "now" in librdkafka's producer API (rd_kafka_msg_new0), so such
// a record gets the produce time and the report counts it.
TEST_F(RestoreIntegrationTest, TimestampMinusOneRoundTripsAndZeroIsCounted) {
  std::vector<Record> recs = {Rec("a", "minus one", -1), Rec("b", "zero", 0), Rec("c", "one", 1),
                              Rec("d", "minus one again", -1)};
  for (size_t i = 0; i < recs.size(); ++i) {
    recs[i].offset = static_cast<int64_t>(i);
    recs[i].timestamp_type = TimestampType::kCreateTime;
  }
  const std::string topic = testing::UniqueName("rst-ts");
  auto bytes = format::testing::BuildSegment(recs, {.zstd_level = 1, .block_bytes = 512});
  ASSERT_TRUE(bytes.ok());
  ASSERT_TRUE(store_.Put(keys_.Segment(topic, 0, 0, 3), *bytes).ok());
  layout::TopicMetadata md{.topic = topic,
                           .partitions = 1,
                           .replication_factor = 1,
                           .configs = {{"retention.ms", "-1"}}};
  ASSERT_TRUE(store_.Put(keys_.TopicMetadata(topic), layout::EncodeTopicMetadata(md)).ok());
  RestoreSelection sel;
  sel.topics = {topic};
  const int64_t before = NowMs();
  auto report = testutil::Restore(store_, keys_, bootstrap_, sel);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_TRUE(report->ok()) << FormatSummary(*report);
  EXPECT_EQ(report->zero_timestamps, 1u);
  EXPECT_NE(FormatSummary(*report).find("note: 1 record had timestamp 0"), std::string::npos)
      << FormatSummary(*report);
  const std::vector<Record> got = ReadAll(bootstrap_, topic, 0);
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got[0].timestamp, -1);
  EXPECT_GE(got[1].timestamp, before);  // the produce time
  EXPECT_EQ(got[2].timestamp, 1);
  EXPECT_EQ(got[3].timestamp, -1);
  EXPECT_EQ(got[0].value, "minus one");
}

TEST_F(RestoreIntegrationTest, HandMadeBackupWithHolesTimeWindowAndOffsetRange) {
  // A compacted-looking partition: offsets with holes, timestamps 1 s apart.
  std::vector<Record> recs;
  for (int64_t o = 0, i = 0; i < 200; ++i, o += 1 + (i % 3 == 0 ? 2 : 0)) {
    recs.push_back(
        Rec("k" + std::to_string(i % 17), "v" + std::to_string(o), 1'700'000'000'000 + 1000 * i));
    recs.back().offset = o;
    recs.back().timestamp_type = TimestampType::kCreateTime;
  }
  const std::string topic = testing::UniqueName("rst-fix");
  auto bytes = format::testing::BuildSegment(recs, {.zstd_level = 3, .block_bytes = 512});
  ASSERT_TRUE(bytes.ok());
  ASSERT_TRUE(
      store_.Put(keys_.Segment(topic, 0, recs.front().offset, recs.back().offset), *bytes).ok());
  layout::TopicMetadata md{
      .topic = topic,
      .partitions = 1,
      .replication_factor = 1,
      .configs = {
          {"cleanup.policy", "compact"}, {"retention.ms", "-1"}, {"segment.ms", "3600000"}}};
  ASSERT_TRUE(store_.Put(keys_.TopicMetadata(topic), layout::EncodeTopicMetadata(md)).ok());

  RestoreSelection sel;
  sel.topics = {topic};
  sel.from_ms = 1'700'000'000'000 + 50'000;
  sel.to_ms = 1'700'000'000'000 + 99'000;
  sel.rename[topic] = topic + "-window";
  auto report = testutil::Restore(store_, keys_, bootstrap_, sel);
  ASSERT_TRUE(report.ok() && report->ok()) << report.status().ToString();
  std::vector<Record> want(recs.begin() + 50, recs.begin() + 100);
  ExpectSame(ReadAll(bootstrap_, topic + "-window", 0), want);
  const OffsetMap& map = Find(*report, topic, 0)->map;
  for (size_t i = 0; i < want.size(); ++i) EXPECT_EQ(map.Lookup(want[i].offset), int64_t(i));
  auto configs = admin_->DescribeTopicConfigs(topic + "-window", 30s);
  ASSERT_TRUE(configs.ok());
  EXPECT_EQ(configs->at("cleanup.policy"), "compact");
  EXPECT_EQ(configs->at("segment.ms"), "3600000");

  RestoreSelection range;
  range.topics = {topic};
  range.offsets[0] = {recs[10].offset, recs[19].offset};
  range.rename[topic] = topic + "-range";
  report = testutil::Restore(store_, keys_, bootstrap_, range);
  ASSERT_TRUE(report.ok() && report->ok());
  ExpectSame(ReadAll(bootstrap_, topic + "-range", 0),
             std::vector<Record>(recs.begin() + 10, recs.begin() + 20));
}

TEST_F(RestoreIntegrationTest, FewerTargetPartitionsIsRefusedBeforeAnythingIsWritten) {
  const std::string topic = NewTopic(3);
  {
    RawProducer producer(bootstrap_);
    for (int p = 0; p < 3; ++p) producer.Send(topic, p, Rec("k", "v", 1700000000000));
    producer.Flush();
  }
  Backup(topic);
  const std::string target = NewTopic(2);
  RestoreSelection sel;
  sel.topics = {topic};
  sel.rename[topic] = target;
  auto report = testutil::Restore(store_, keys_, bootstrap_, sel);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().subject(), target);
  EXPECT_NE(report.status().message().find("has 2 partitions"), std::string::npos);
  EXPECT_NE(report.status().message().find("has 3"), std::string::npos);
  for (int p = 0; p < 2; ++p) EXPECT_TRUE(ReadAll(bootstrap_, target, p).empty());
  OffsetMapStore maps(&store_, keys_);
  EXPECT_TRUE(maps.List(topic, 0)->empty());
  // And a missing target with --require-target-exists.
  sel.rename[topic] = target + "-missing";
  report = testutil::Restore(store_, keys_, bootstrap_, sel, {.require_target_exists = true});
  EXPECT_TRUE(report.status().IsNotFound()) << report.status().ToString();
  // A replication factor the cluster cannot give is a clear error.
  report = testutil::Restore(store_, keys_, bootstrap_, sel, {.replication_factor = 3});
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.status().message().find("--replication-factor"), std::string::npos)
      << report.status().ToString();
}

// The codec of each target (ChooseCompression): the target's compression.type, else the cheap
// fallback; kafka.compression.type overrides both. Records come back intact whatever the codec.
TEST_F(RestoreIntegrationTest, ProducesWithTheTargetsCodecOrTheUsersOverride) {
  const std::string zstd = NewTopic(2, {{"compression.type", "zstd"}});
  const std::string plain = NewTopic(1);
  std::vector<Record> sent;
  for (int i = 0; i < 300; ++i) {
    sent.push_back(Rec("k" + std::to_string(i),
                       "{\"event\":\"click\",\"n\":" + std::to_string(i) + ",\"pad\":\"" +
                           std::string(200, 'x') + "\"}",
                       1700000000000 + i));
  }
  {
    RawProducer producer(bootstrap_);
    for (const Record& r : sent) {
      producer.Send(zstd, 0, r);
      producer.Send(plain, 0, r);
    }
    producer.Flush();
  }
  Backup(zstd);
  Backup(plain);
  // An existing target whose compression.type names a codec: that one.
  const std::string gzip = NewTopic(1, {{"compression.type", "gzip"}});
  RestoreSelection sel;
  sel.topics = {zstd, plain};
  sel.rename = {{plain, gzip}};
  sel.target_prefix = "c-";
  auto report = testutil::Restore(store_, keys_, bootstrap_, sel);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_TRUE(report->ok()) << FormatSummary(*report);
  // Created from topic.json with compression.type=zstd (Kafka 3.8+ reports its
  // compression.zstd.level too: "zstd level 3").
  EXPECT_EQ(report->compression.at("c-" + zstd).rfind("zstd", 0), 0u)
      << report->compression.at("c-" + zstd);
  EXPECT_EQ(report->compression.at(gzip), "gzip");  // compression.gzip.level -1: the default
  ExpectSame(ReadAll(bootstrap_, "c-" + zstd, 0), sent);
  ExpectSame(ReadAll(bootstrap_, gzip, 0), sent);

  // compression.type "producer" (the default): the cheap fallback.
  RestoreSelection fallback;
  fallback.topics = {plain};
  fallback.target_prefix = "f-";
  report = testutil::Restore(store_, keys_, bootstrap_, fallback);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_TRUE(report->ok()) << FormatSummary(*report);
  EXPECT_EQ(report->compression.at("f-" + plain), kFallbackCompression.codec);
  ExpectSame(ReadAll(bootstrap_, "f-" + plain, 0), sent);

  // kafka.compression.type: every topic, whatever its config.
  RestoreSelection overridden;
  overridden.topics = {zstd, plain};
  overridden.target_prefix = "o-";
  report = testutil::Restore(store_, keys_, bootstrap_, overridden, {},
                             {{"compression.type", "snappy"}});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_TRUE(report->ok()) << FormatSummary(*report);
  EXPECT_EQ(report->compression.at("o-" + zstd), "snappy");
  EXPECT_EQ(report->compression.at("o-" + plain), "snappy");
  ExpectSame(ReadAll(bootstrap_, "o-" + zstd, 0), sent);
  ExpectSame(ReadAll(bootstrap_, "o-" + plain, 0), sent);
}

}  // namespace
}  // namespace kb::restore
