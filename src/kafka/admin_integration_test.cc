// Admin against the real Kafka broker (test/services/kafka.sh; KB_TEST_KAFKA_BOOTSTRAP): topics,
// metadata, topic configs, watermarks, offsets for times, records and partitions, checked end to
// end with records produced through librdkafka.
#include <algorithm>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "kafka/admin_integration_fixture.h"

namespace kb::kafka {
namespace {

using Code = Status::Code;

TEST_F(AdminIntegrationTest, ListAndDescribeTopics) {
  const std::string topic = NewTopic(3);
  auto topics = admin_->ListTopics(30s);
  ASSERT_TRUE(topics.ok()) << topics.status().ToString();
  EXPECT_TRUE(std::is_sorted(topics->begin(), topics->end(),
                             [](const auto& a, const auto& b) { return a.name < b.name; }));
  auto it = std::find_if(topics->begin(), topics->end(),
                         [&](const TopicInfo& t) { return t.name == topic; });
  ASSERT_NE(it, topics->end());
  EXPECT_EQ(it->partitions, 3);
  EXPECT_EQ(it->replication_factor, 1);
  EXPECT_FALSE(it->internal);
  // Kafka's topic id: 16 bytes, base64 without padding.
  EXPECT_EQ(it->topic_id.size(), 22u) << it->topic_id;
  for (const TopicInfo& t : *topics) {
    EXPECT_TRUE(!t.internal || t.name.starts_with("__")) << t.name;
  }

  auto one = admin_->DescribeTopic(topic, 10s);
  ASSERT_TRUE(one.ok()) << one.status().ToString();
  EXPECT_EQ(*one, *it);

  // Deleted and re-created under the same name: a new topic id.
  ASSERT_TRUE(admin_->DeleteTopic(topic, 30s).ok());
  Status created = Status::OK();
  for (int i = 0; i < 100; ++i) {  // the broker finishes a deletion asynchronously
    created = admin_->CreateTopic({topic, 1, 1, {}}, 30s);
    if (created.code() != Status::Code::kAlreadyExists) break;
    std::this_thread::sleep_for(100ms);
  }
  ASSERT_TRUE(created.ok()) << created.ToString();
  auto again = admin_->DescribeTopic(topic, 10s);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->partitions, 1);
  EXPECT_EQ(again->topic_id.size(), 22u);
  EXPECT_NE(again->topic_id, one->topic_id);

  const std::string absent = testing::UniqueName("absent");
  auto missing = admin_->DescribeTopic(absent, 10s);
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(missing.status().IsNotFound()) << missing.status().ToString();
  EXPECT_EQ(missing.status().subject(), absent);
}

TEST_F(AdminIntegrationTest, ConsumerOffsetsTopicIsInternal) {
  const std::string topic = NewTopic(1);
  Commit(testing::UniqueName("internal-probe"), {{{topic, 0}, 0}});  // creates __consumer_offsets
  auto topics = admin_->ListTopics(30s);
  ASSERT_TRUE(topics.ok()) << topics.status().ToString();
  auto it = std::find_if(topics->begin(), topics->end(),
                         [](const TopicInfo& t) { return t.name == "__consumer_offsets"; });
  ASSERT_NE(it, topics->end());
  EXPECT_TRUE(it->internal);
  EXPECT_GT(it->partitions, 0);
}

TEST_F(AdminIntegrationTest, DescribeTopicConfigsReturnsExactlyTheTopicsOverrides) {
  const std::string topic = NewTopic(1, {{"cleanup.policy", "compact"}, {"retention.ms", "12345"}});
  auto configs = admin_->DescribeTopicConfigs(topic, 30s);
  ASSERT_TRUE(configs.ok()) << configs.status().ToString();
  EXPECT_EQ(*configs, (TopicConfigs{{"cleanup.policy", "compact"}, {"retention.ms", "12345"}}));

  const std::string plain = NewTopic(1);
  auto none = admin_->DescribeTopicConfigs(plain, 30s);
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_TRUE(none->empty()) << none->begin()->first;

  const std::string absent = testing::UniqueName("absent");
  auto missing = admin_->DescribeTopicConfigs(absent, 30s);
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(missing.status().IsNotFound()) << missing.status().ToString();
  EXPECT_EQ(missing.status().subject(), absent);
}

TEST_F(AdminIntegrationTest, AlterTopicConfigsSetsOnlyTheGivenConfigs) {
  const std::string topic =
      NewTopic(1, {{"retention.ms", "12345"}, {"message.timestamp.type", "CreateTime"}});
  ASSERT_TRUE(
      admin_->AlterTopicConfigs(topic, {{"message.timestamp.type", "LogAppendTime"}}, 30s).ok());
  auto configs = admin_->DescribeTopicConfigs(topic, 30s);
  ASSERT_TRUE(configs.ok()) << configs.status().ToString();
  // Incremental: retention.ms is kept.
  EXPECT_EQ(*configs,
            (TopicConfigs{{"message.timestamp.type", "LogAppendTime"}, {"retention.ms", "12345"}}));
  EXPECT_TRUE(admin_->AlterTopicConfigs(topic, {}, 30s).ok());

  Status bad = admin_->AlterTopicConfigs(topic, {{"message.timestamp.type", "Sometimes"}}, 30s);
  EXPECT_TRUE(bad.IsInvalidArgument()) << bad.ToString();
  EXPECT_EQ(bad.subject(), topic);
  const std::string absent = testing::UniqueName("absent");
  Status missing =
      admin_->AlterTopicConfigs(absent, {{"message.timestamp.type", "LogAppendTime"}}, 30s);
  EXPECT_TRUE(missing.IsNotFound()) << missing.ToString();
  EXPECT_EQ(missing.subject(), absent);
}

TEST_F(AdminIntegrationTest, WatermarksOfOneAndManyPartitions) {
  const std::string topic = NewTopic(3);
  Produce(topic, 0, 7);
  Produce(topic, 1, 2);
  auto w0 = admin_->QueryWatermarks(topic, 0, 10s);
  ASSERT_TRUE(w0.ok()) << w0.status().ToString();
  EXPECT_EQ(*w0, (Watermarks{0, 7}));
  auto w2 = admin_->QueryWatermarks(topic, 2, 10s);
  ASSERT_TRUE(w2.ok()) << w2.status().ToString();
  EXPECT_EQ(*w2, (Watermarks{0, 0}));

  auto all = admin_->QueryWatermarks({{topic, 2}, {topic, 0}, {topic, 1}}, 10s);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_EQ(*all, (std::map<TopicPartition, Watermarks>{
                      {{topic, 0}, {0, 7}}, {{topic, 1}, {0, 2}}, {{topic, 2}, {0, 0}}}));

  auto bad_partition = admin_->QueryWatermarks(topic, 9, 10s);
  ASSERT_FALSE(bad_partition.ok());
  EXPECT_TRUE(bad_partition.status().IsNotFound()) << bad_partition.status().ToString();
  EXPECT_EQ(bad_partition.status().subject(), topic + "/9");

  const std::string absent = testing::UniqueName("absent");
  auto missing = admin_->QueryWatermarks(absent, 0, 10s);
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(missing.status().IsNotFound()) << missing.status().ToString();
  EXPECT_EQ(missing.status().subject(), absent + "/0");

  auto some_missing = admin_->QueryWatermarks({{topic, 0}, {topic, 9}}, 10s);
  ASSERT_FALSE(some_missing.ok());
  EXPECT_TRUE(some_missing.status().IsNotFound()) << some_missing.status().ToString();
  EXPECT_EQ(some_missing.status().subject(), topic + "/9");
}

TEST_F(AdminIntegrationTest, DeleteRecordsRaisesTheLowWatermark) {
  const std::string topic = NewTopic(2);
  Produce(topic, 1, 10);
  auto low = admin_->DeleteRecords(topic, 1, 4, 30s);
  ASSERT_TRUE(low.ok()) << low.status().ToString();
  EXPECT_EQ(*low, 4);
  auto w = admin_->QueryWatermarks(topic, 1, 10s);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  EXPECT_EQ(*w, (Watermarks{4, 10}));
  auto many = admin_->QueryWatermarks({{topic, 0}, {topic, 1}}, 10s);
  ASSERT_TRUE(many.ok()) << many.status().ToString();
  EXPECT_EQ(many->at({topic, 1}), (Watermarks{4, 10}));
  EXPECT_EQ(many->at({topic, 0}), (Watermarks{0, 0}));

  auto all = admin_->DeleteRecords(topic, 1, 10, 30s);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_EQ(*all, 10);

  auto beyond = admin_->DeleteRecords(topic, 1, 11, 30s);
  ASSERT_FALSE(beyond.ok());
  EXPECT_EQ(beyond.status().subject(), topic + "/1") << beyond.status().ToString();

  auto missing = admin_->DeleteRecords(topic, 5, 0, 30s);
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(missing.status().IsNotFound()) << missing.status().ToString();
  EXPECT_EQ(missing.status().subject(), topic + "/5");
}

TEST_F(AdminIntegrationTest, OffsetsForTimes) {
  const std::string topic = NewTopic(2);
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  const int64_t base = now_ms - 60'000;
  Produce(topic, 0, 10, base);  // timestamps base, base+1000, ..., base+9000
  const std::vector<TopicPartition> parts{{topic, 0}, {topic, 1}};
  auto before = admin_->OffsetsForTimes(parts, 0, 10s);
  ASSERT_TRUE(before.ok()) << before.status().ToString();
  EXPECT_EQ(*before, (std::map<TopicPartition, int64_t>{{{topic, 0}, 0}, {{topic, 1}, 0}}));
  auto mid = admin_->OffsetsForTimes(parts, base + 3500, 10s);
  ASSERT_TRUE(mid.ok()) << mid.status().ToString();
  EXPECT_EQ(mid->at({topic, 0}), 4);
  auto exact = admin_->OffsetsForTimes({{topic, 0}}, base + 3000, 10s);
  ASSERT_TRUE(exact.ok()) << exact.status().ToString();
  EXPECT_EQ(exact->at({topic, 0}), 3);
  auto after = admin_->OffsetsForTimes(parts, now_ms + 3'600'000, 10s);
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_EQ(*after, (std::map<TopicPartition, int64_t>{{{topic, 0}, 10}, {{topic, 1}, 0}}));

  auto missing = admin_->OffsetsForTimes({{topic, 7}}, base, 10s);
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(missing.status().IsNotFound()) << missing.status().ToString();
  EXPECT_EQ(missing.status().subject(), topic + "/7");
}

// Right after CreateTopic returns, every partition's leader answers, and an idempotent producer
// that writes to all partitions at once loses nothing (librdkafka 2.0.2 lost the first batch sent
// to a partition whose leader was not ready yet, and reported it delivered).
TEST_F(AdminIntegrationTest, ANewTopicIsReadyForProducersOnReturn) {
  const std::string topic = NewTopic(12);
  std::vector<TopicPartition> all;
  for (int32_t p = 0; p < 12; ++p) all.push_back({topic, p});
  auto ready = admin_->QueryWatermarks(all, 5s);
  ASSERT_TRUE(ready.ok()) << ready.status().ToString();

  Properties idempotent = props_;
  idempotent["enable.idempotence"] = "true";
  idempotent["linger.ms"] = "5";
  auto producer = MakeProducer(idempotent);
  ASSERT_TRUE(producer.ok()) << producer.status().ToString();
  for (int round = 0; round < 3; ++round) {
    for (const TopicPartition& tp : all) {
      std::string value = "r" + std::to_string(round);
      ASSERT_EQ((*producer)->produce(topic, tp.partition, RdKafka::Producer::RK_MSG_COPY,
                                     value.data(), value.size(), nullptr, 0, 0, nullptr),
                RdKafka::ERR_NO_ERROR);
    }
  }
  ASSERT_EQ((*producer)->flush(30000), RdKafka::ERR_NO_ERROR);
  auto marks = admin_->QueryWatermarks(all, 10s);
  ASSERT_TRUE(marks.ok()) << marks.status().ToString();
  for (const auto& [tp, w] : *marks) EXPECT_EQ(w, (Watermarks{0, 3})) << ToString(tp);
}

TEST_F(AdminIntegrationTest, CreatePartitionsGrowsTheTopic) {
  const std::string topic = NewTopic(2);
  ASSERT_TRUE(admin_->CreatePartitions(topic, 5, 30s).ok());
  auto count = admin_->PartitionCount(topic, 10s);
  ASSERT_TRUE(count.ok()) << count.status().ToString();
  EXPECT_EQ(*count, 5);
  Produce(topic, 4, 3);
  auto w = admin_->QueryWatermarks(topic, 4, 10s);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  EXPECT_EQ(*w, (Watermarks{0, 3}));

  Status shrink = admin_->CreatePartitions(topic, 3, 30s);
  EXPECT_EQ(shrink.code(), Code::kInvalidArgument) << shrink.ToString();
  EXPECT_EQ(shrink.subject(), topic);
  Status same = admin_->CreatePartitions(topic, 5, 30s);
  EXPECT_EQ(same.code(), Code::kInvalidArgument) << same.ToString();

  const std::string absent = testing::UniqueName("absent");
  Status missing = admin_->CreatePartitions(absent, 3, 30s);
  EXPECT_TRUE(missing.IsNotFound()) << missing.ToString();
  EXPECT_EQ(missing.subject(), absent);
}

}  // namespace
}  // namespace kb::kafka
