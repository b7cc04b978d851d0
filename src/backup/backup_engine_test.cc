// BackupEngine against the real Kafka broker started by scripts/test.sh.
#include "backup/backup_engine.h"

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

#include "backup/backup_test_util.h"
#include "backup/metadata_sync.h"
#include "layout/metadata.h"
#include "storage/fault/fault_store.h"
#include "storage/memory/memory_store.h"
#include "storage/retrying_store.h"
#include "testing/test_env.h"

namespace kb::backup {
namespace {

using namespace std::chrono_literals;
using format::Header;
using format::Record;
using format::TimestampType;
using testutil::MakeConfig;
using testutil::RangesTile;
using testutil::RawProducer;
using testutil::ReadPartition;
using testutil::RunOnce;

class BackupEngineTest : public testutil::KafkaTest {
 protected:
  std::string NewTopic(int partitions, std::map<std::string, std::string> configs = {}) {
    std::string topic = testing::UniqueName("bk");
    // The test broker checks retention every second; records with old timestamps must stay.
    configs.emplace("retention.ms", "-1");
    Status s = admin_->CreateTopic({topic, partitions, 1, configs}, 30s);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return topic;
  }
  Config Cfg(const std::string& topic) {
    return MakeConfig(bootstrap_, {topic}, testing::UniqueName("bk-group"));
  }
  static Record Rec(std::string value) {
    Record r;
    r.key = "k";
    r.value = std::move(value);
    return r;
  }
};

TEST_F(BackupEngineTest, EveryRecordAttributeRoundTrips) {
  const std::string topic = NewTopic(1, {{"max.message.bytes", "4194304"}});
  std::vector<Record> sent;
  auto add = [&](std::optional<std::string> key, std::optional<std::string> value,
                 std::vector<Header> headers, int64_t ts) {
    Record r;
    r.key = std::move(key);
    r.value = std::move(value);
    r.headers = std::move(headers);
    r.timestamp = ts;
    sent.push_back(std::move(r));
  };
  add(std::nullopt, std::string("null key"), {}, 1700000000000);
  add(std::string(""), std::string("empty key"), {}, 1700000000001);
  add(std::string("tombstone"), std::nullopt, {}, 1700000000002);
  add(std::string("empty value"), std::string(""), {}, 1700000000003);
  add(std::string("headers"), std::string("v"),
      {{"dup", "1"}, {"nullval", std::nullopt}, {"dup", "2"}, {"", "empty key"}, {"e", ""}},
      1700000000004);
  add(std::string("bin\0ary", 7), std::string("\0\xff\x01", 3), {}, 1);  // ts 1 ms after epoch
  add(std::string("old"), std::string("1970"), {}, 86400000);
  add(std::string("large"), std::string(2 << 20, 'L'), {}, 1700000000005);
  {
    RawProducer producer(bootstrap_, {{"message.max.bytes", "4194304"}});
    for (const Record& r : sent) producer.Send(topic, 0, r);
    producer.Flush();
  }
  Config cfg = Cfg(topic);
  storage::MemoryStore store;
  EngineStats stats;
  Status s = RunOnce(cfg, &store, &stats);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(stats.records, sent.size());

  auto got = ReadPartition(store, cfg, topic, 0);
  ASSERT_EQ(got.records.size(), sent.size());
  EXPECT_TRUE(RangesTile(got.ranges, 0));
  for (size_t i = 0; i < sent.size(); ++i) {
    const Record& a = sent[i];
    const Record& b = got.records[i];
    EXPECT_EQ(b.offset, static_cast<int64_t>(i));
    EXPECT_EQ(b.key, a.key) << i;
    EXPECT_EQ(b.value, a.value) << i;
    EXPECT_EQ(b.headers, a.headers) << i;
    EXPECT_EQ(b.timestamp, a.timestamp) << i;
    EXPECT_EQ(b.timestamp_type, TimestampType::kCreateTime) << i;
  }
}

TEST_F(BackupEngineTest, LogAppendTimeIsKept) {
  const std::string topic = NewTopic(1, {{"message.timestamp.type", "LogAppendTime"}});
  {
    RawProducer producer(bootstrap_);
    Record r = Rec("x");
    r.timestamp = 1000;  // replaced by the broker
    producer.Send(topic, 0, r);
    producer.Flush();
  }
  Config cfg = Cfg(topic);
  storage::MemoryStore store;
  ASSERT_TRUE(RunOnce(cfg, &store).ok());
  auto got = ReadPartition(store, cfg, topic, 0);
  ASSERT_EQ(got.records.size(), 1u);
  EXPECT_EQ(got.records[0].timestamp_type, TimestampType::kLogAppendTime);
  EXPECT_GT(got.records[0].timestamp, 1600000000000);
}

TEST_F(BackupEngineTest, RepeatedRunsTileEveryPartitionWithoutOverlap) {
  const std::string topic = NewTopic(3);
  Config cfg = Cfg(topic);
  cfg.backup.segment_max_records = 37;
  storage::MemoryStore store;
  RawProducer producer(bootstrap_);
  int64_t total = 0;
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 300; ++i) producer.Send(topic, i % 3, Rec(std::to_string(total++)));
    producer.Flush();
    Status s = RunOnce(cfg, &store);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  std::set<std::string> values;
  for (int p = 0; p < 3; ++p) {
    auto got = ReadPartition(store, cfg, topic, p);
    EXPECT_TRUE(RangesTile(got.ranges, 0)) << "partition " << p;
    ASSERT_EQ(got.records.size(), 300u) << "partition " << p;
    for (size_t i = 0; i < got.records.size(); ++i) {
      EXPECT_EQ(got.records[i].offset, static_cast<int64_t>(i));
      values.insert(*got.records[i].value);
    }
  }
  EXPECT_EQ(values.size(), 900u);
}

TEST_F(BackupEngineTest, LostAckAfterUploadNeverWritesAnOffsetTwice) {
  const std::string topic = NewTopic(1);
  Config cfg = Cfg(topic);
  cfg.backup.segment_max_records = 10;
  {
    RawProducer producer(bootstrap_);
    for (int i = 0; i < 50; ++i) producer.Send(topic, 0, Rec(std::to_string(i)));
    producer.Flush();
  }
  storage::MemoryStore mem;
  {
    // The 3rd segment is stored but its acknowledgement is lost: the engine stops with an error
    // before committing, as after a crash.
    storage::FaultInjectingStore faulty(&mem);
    faulty.LoseNthPutAck(3);
    Status s = RunOnce(cfg, &faulty);
    EXPECT_FALSE(s.ok());
  }
  Status s = RunOnce(cfg, &mem);
  ASSERT_TRUE(s.ok()) << s.ToString();
  auto got = ReadPartition(mem, cfg, topic, 0);
  EXPECT_TRUE(RangesTile(got.ranges, 0));
  ASSERT_EQ(got.records.size(), 50u);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(got.records[i].offset, i);
}

// Found when tried as a new user would: a short S3 outage ended the daemon ("gave up after 8
// attempts in 7501 ms"). Under the daemon's retry policy every upload is retried until the store
// answers: nothing lost, nothing written twice, and the retry layer reports the outage meanwhile.
TEST_F(BackupEngineTest, AStoreOutageIsRiddenOutUnderTheDaemonsRetryPolicy) {
  const std::string topic = NewTopic(2);
  Config cfg = Cfg(topic);
  cfg.backup.segment_max_records = 20;
  {
    RawProducer producer(bootstrap_);
    for (int i = 0; i < 200; ++i) producer.Send(topic, i % 2, Rec(std::to_string(i)));
    producer.Flush();
  }
  storage::MemoryStore mem;
  auto faulty = std::make_unique<storage::FaultInjectingStore>(&mem);
  storage::FaultInjectingStore* fault = faulty.get();
  // From the 2nd put on, 60 puts in a row fail: far more than the old 8-attempt limit.
  fault->AddRule({.op = storage::StoreOp::kPut, .nth = 2, .times = 60});
  storage::RetryPolicy policy = storage::RetryPolicy::Unlimited();
  policy.max_backoff = 50ms;  // an outage of seconds, not minutes, for the test
  storage::RetryingStore store(std::move(faulty), policy);
  std::atomic<bool> saw_outage{false};
  std::atomic<bool> done{false};
  std::thread watcher([&] {
    while (!done.load()) {
      if (store.Outage().failing) saw_outage = true;
      std::this_thread::sleep_for(1ms);
    }
  });
  Status s = RunOnce(cfg, &store);
  done = true;
  watcher.join();
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_TRUE(saw_outage.load());
  EXPECT_FALSE(store.Outage().failing);
  EXPECT_GE(store.Outage().retries_total, 60u);
  for (int32_t p = 0; p < 2; ++p) {
    auto got = ReadPartition(mem, cfg, topic, p);
    EXPECT_TRUE(RangesTile(got.ranges, 0));
    ASSERT_EQ(got.records.size(), 100u) << "partition " << p;
    for (int i = 0; i < 100; ++i) EXPECT_EQ(got.records[i].offset, i);
  }
}

TEST_F(BackupEngineTest, RetentionGapIsRecordedNotSkippedSilently) {
  const std::string topic = NewTopic(1);
  Config cfg = Cfg(topic);
  storage::MemoryStore store;
  RawProducer producer(bootstrap_);
  for (int i = 0; i < 100; ++i) producer.Send(topic, 0, Rec(std::to_string(i)));
  producer.Flush();
  ASSERT_TRUE(RunOnce(cfg, &store).ok());
  for (int i = 100; i < 200; ++i) producer.Send(topic, 0, Rec(std::to_string(i)));
  producer.Flush();
  // Retention removes [100, 150) before the next backup run sees it.
  auto low = admin_->DeleteRecords(topic, 0, 150, 30s);
  ASSERT_TRUE(low.ok()) << low.status().ToString();
  EngineStats stats;
  ASSERT_TRUE(RunOnce(cfg, &store, &stats).ok());
  EXPECT_EQ(stats.gaps, 1u);
  auto got = ReadPartition(store, cfg, topic, 0);
  EXPECT_TRUE(RangesTile(got.ranges, 0));
  int gaps = 0;
  for (const catalog::StoredRange& r : got.ranges) {
    if (!r.is_gap) continue;
    ++gaps;
    EXPECT_EQ(r.start, 100);
    EXPECT_EQ(r.end, 149);
  }
  EXPECT_EQ(gaps, 1);
  ASSERT_EQ(got.records.size(), 150u);
  EXPECT_EQ(got.records[100].offset, 150);
}

TEST_F(BackupEngineTest, FirstBackupStartsAtTheLogStartWithoutAGap) {
  const std::string topic = NewTopic(1);
  RawProducer producer(bootstrap_);
  for (int i = 0; i < 20; ++i) producer.Send(topic, 0, Rec(std::to_string(i)));
  producer.Flush();
  ASSERT_TRUE(admin_->DeleteRecords(topic, 0, 5, 30s).ok());
  Config cfg = Cfg(topic);
  storage::MemoryStore store;
  ASSERT_TRUE(RunOnce(cfg, &store).ok());
  auto got = ReadPartition(store, cfg, topic, 0);
  EXPECT_TRUE(RangesTile(got.ranges, 5));
  ASSERT_EQ(got.records.size(), 15u);
  EXPECT_EQ(got.records.front().offset, 5);
}

TEST_F(BackupEngineTest, AbortedTransactionsAreNotBackedUp) {
  const std::string topic = NewTopic(1);
  {
    RawProducer tx(bootstrap_, {{"transactional.id", testing::UniqueName("tx")}});
    rd_kafka_t* rk = tx.handle();
    ASSERT_EQ(rd_kafka_init_transactions(rk, 30000), nullptr);
    for (int round = 0; round < 3; ++round) {
      ASSERT_EQ(rd_kafka_begin_transaction(rk), nullptr);
      for (int i = 0; i < 5; ++i) tx.Send(topic, 0, Rec("r" + std::to_string(round)));
      // Deliver before ending the transaction, so that every record's offset is known when the
      // markers are written (librdkafka 2.0.2 also got INVALID_TXN_STATE otherwise).
      ASSERT_EQ(rd_kafka_flush(rk, 30000), RD_KAFKA_RESP_ERR_NO_ERROR);
      rd_kafka_error_t* e = round == 1 ? rd_kafka_abort_transaction(rk, 30000)
                                       : rd_kafka_commit_transaction(rk, 30000);
      ASSERT_EQ(e, nullptr) << rd_kafka_error_string(e);
    }
  }
  Config cfg = Cfg(topic);
  storage::MemoryStore store;
  ASSERT_TRUE(RunOnce(cfg, &store).ok());
  auto got = ReadPartition(store, cfg, topic, 0);
  ASSERT_EQ(got.records.size(), 10u);
  for (const Record& r : got.records) EXPECT_NE(*r.value, "r1");
  EXPECT_TRUE(RangesTile(got.ranges, 0));
  // Offsets are not contiguous: the aborted records and the markers take offsets too.
  EXPECT_GT(got.records.back().offset, 9);
}

TEST_F(BackupEngineTest, ManagedKafkaPropertiesAreRejected) {
  Config cfg = Cfg("t");
  cfg.kafka.properties["enable.auto.commit"] = "true";
  storage::MemoryStore store;
  auto e = BackupEngine::Make(cfg, &store, {});
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().subject(), "kafka.enable.auto.commit");
}

TEST_F(BackupEngineTest, OnceWithNoMatchingTopicIsAnError) {
  Config cfg = MakeConfig(bootstrap_, {"^no-such-topic-.*"}, testing::UniqueName("g"));
  storage::MemoryStore store;
  Status s = RunOnce(cfg, &store);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.subject(), "backup.topics");
}

TEST_F(BackupEngineTest, UnreachableBrokerIsOneClearError) {
  Config cfg = MakeConfig("127.0.0.1:9", {"t"}, "g");
  cfg.kafka.properties["socket.connection.setup.timeout.ms"] = "1000";
  storage::MemoryStore store;
  auto start = std::chrono::steady_clock::now();
  auto e = BackupEngine::Make(cfg, &store, {.once = true});
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.status().ToString().find("cannot reach the Kafka cluster"), std::string::npos)
      << e.status().ToString();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 60s);
}

TEST_F(BackupEngineTest, GroupOffsetsAndTopicMetadataAreWritten) {
  const std::string topic =
      NewTopic(2, {{"cleanup.policy", "compact"}, {"retention.ms", "123456789"}});
  const std::string group_a = testing::UniqueName("app-a");
  const std::string group_b = testing::UniqueName("app-b");
  ASSERT_TRUE(
      admin_->AlterConsumerGroupOffsets(group_a, {{{topic, 0}, 0}, {{topic, 1}, 0}}, 30s).ok());
  {
    RawProducer producer(bootstrap_);
    for (int i = 0; i < 20; ++i) producer.Send(topic, i % 2, Rec(std::to_string(i)));
    producer.Flush();
  }
  ASSERT_TRUE(
      admin_->AlterConsumerGroupOffsets(group_a, {{{topic, 0}, 7}, {{topic, 1}, 3}}, 30s).ok());
  ASSERT_TRUE(admin_->AlterConsumerGroupOffsets(group_b, {{{topic, 1}, 10}}, 30s).ok());

  Config cfg = Cfg(topic);
  storage::MemoryStore store;
  auto sync = MetadataSync::Make(cfg, &store);
  ASSERT_TRUE(sync.ok()) << sync.status().ToString();
  Status s = (*sync)->SyncNow();
  ASSERT_TRUE(s.ok()) << s.ToString();

  layout::Keys keys(cfg.storage.prefix);
  auto p0 = store.Get(keys.ConsumerOffsets(topic, 0));
  ASSERT_TRUE(p0.ok()) << p0.status().ToString();
  auto map0 = layout::DecodeGroupOffsets("p0", *p0);
  ASSERT_TRUE(map0.ok());
  EXPECT_EQ(*map0, (layout::GroupOffsets{{group_a, 7}}));
  auto map1 = layout::DecodeGroupOffsets("p1", *store.Get(keys.ConsumerOffsets(topic, 1)));
  ASSERT_TRUE(map1.ok());
  EXPECT_EQ(*map1, (layout::GroupOffsets{{group_a, 3}, {group_b, 10}}));
  auto history = storage::ListAll(store, keys.ConsumerOffsetsHistoryPrefix(topic, 1));
  ASSERT_TRUE(history.ok());
  EXPECT_EQ(history->size(), 1u);

  auto md = layout::DecodeTopicMetadata("t", *store.Get(keys.TopicMetadata(topic)));
  ASSERT_TRUE(md.ok()) << md.status().ToString();
  EXPECT_EQ(md->partitions, 2);
  EXPECT_EQ(md->replication_factor, 1);
  EXPECT_EQ(md->configs.at("cleanup.policy"), "compact");
  EXPECT_EQ(md->configs.at("retention.ms"), "123456789");

  // Unchanged offsets write no new history; a moved group does.
  ASSERT_TRUE((*sync)->SyncNow().ok());
  EXPECT_EQ(storage::ListAll(store, keys.ConsumerOffsetsHistoryPrefix(topic, 1))->size(), 1u);
  std::this_thread::sleep_for(5ms);
  ASSERT_TRUE(admin_->AlterConsumerGroupOffsets(group_b, {{{topic, 1}, 9}}, 30s).ok());
  ASSERT_TRUE((*sync)->SyncNow().ok());
  EXPECT_EQ(storage::ListAll(store, keys.ConsumerOffsetsHistoryPrefix(topic, 1))->size(), 2u);
  map1 = layout::DecodeGroupOffsets("p1", *store.Get(keys.ConsumerOffsets(topic, 1)));
  EXPECT_EQ(map1->at(group_b), 9);

  // A restarted daemon (a new MetadataSync) writes nothing that did not change: no history, and
  // topic.json keeps its time.
  const std::string topic_json = *store.Get(keys.TopicMetadata(topic));
  auto restarted = MetadataSync::Make(cfg, &store);
  ASSERT_TRUE(restarted.ok());
  std::this_thread::sleep_for(5ms);
  ASSERT_TRUE((*restarted)->SyncNow().ok());
  EXPECT_EQ(storage::ListAll(store, keys.ConsumerOffsetsHistoryPrefix(topic, 1))->size(), 2u);
  EXPECT_EQ(storage::ListAll(store, keys.ConsumerOffsetsHistoryPrefix(topic, 0))->size(), 1u);
  EXPECT_EQ(*store.Get(keys.TopicMetadata(topic)), topic_json);
}

}  // namespace
}  // namespace kb::backup
