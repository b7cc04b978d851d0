// Smoke test against the real Kafka broker started by scripts/test.sh: librdkafka (built from
// Debian's source package) creates a topic, produces, consumes in a group, commits and reads the
// commit back.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "kafka/admin.h"
#include "kafka/client.h"
#include "testing/test_env.h"

namespace kb::kafka {
namespace {

using namespace std::chrono_literals;

class KafkaSmokeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    bootstrap_ = testing::RequireEnv("KB_TEST_KAFKA_BOOTSTRAP");
    ASSERT_FALSE(bootstrap_.empty());
    props_ = {{"bootstrap.servers", bootstrap_}};
  }
  std::string bootstrap_;
  Properties props_;
};

TEST_F(KafkaSmokeTest, ProduceConsumeAndCommitThroughLibrdkafka) {
  const std::string topic = testing::UniqueName("smoke");
  auto admin = Admin::Make(props_);
  ASSERT_TRUE(admin.ok()) << admin.status().ToString();
  ASSERT_TRUE((*admin)->CreateTopic({topic, 3, 1, {{"cleanup.policy", "delete"}}}, 30s).ok());
  auto count = (*admin)->PartitionCount(topic, 10s);
  ASSERT_TRUE(count.ok()) << count.status().ToString();
  EXPECT_EQ(*count, 3);
  Status again = (*admin)->CreateTopic({topic, 3, 1, {}}, 30s);
  EXPECT_EQ(again.code(), Status::Code::kAlreadyExists) << again.ToString();

  auto producer = MakeProducer(props_, {{"enable.idempotence", "true"}});
  ASSERT_TRUE(producer.ok()) << producer.status().ToString();
  constexpr int kRecords = 30;
  for (int i = 0; i < kRecords; ++i) {
    std::string key = "k" + std::to_string(i);
    std::string value = "v" + std::to_string(i);
    RdKafka::ErrorCode ec =
        (*producer)->produce(topic, i % 3, RdKafka::Producer::RK_MSG_COPY, value.data(),
                             value.size(), key.data(), key.size(), 0, nullptr);
    ASSERT_EQ(ec, RdKafka::ERR_NO_ERROR) << RdKafka::err2str(ec);
  }
  ASSERT_EQ((*producer)->flush(30000), RdKafka::ERR_NO_ERROR);

  const std::string group = testing::UniqueName("smoke-group");
  auto consumer = MakeConsumer(
      props_,
      {{"group.id", group}, {"auto.offset.reset", "earliest"}, {"enable.auto.commit", "false"}});
  ASSERT_TRUE(consumer.ok()) << consumer.status().ToString();
  ASSERT_EQ((*consumer)->subscribe({topic}), RdKafka::ERR_NO_ERROR);
  std::vector<std::string> seen(3);
  int received = 0;
  auto deadline = std::chrono::steady_clock::now() + 60s;
  while (received < kRecords && std::chrono::steady_clock::now() < deadline) {
    std::unique_ptr<RdKafka::Message> m((*consumer)->consume(500));
    if (m->err() == RdKafka::ERR__TIMED_OUT || m->err() == RdKafka::ERR__PARTITION_EOF) continue;
    ASSERT_EQ(m->err(), RdKafka::ERR_NO_ERROR) << m->errstr();
    std::string value(static_cast<const char*>(m->payload()), m->len());
    seen[m->partition()] += value + ",";
    ++received;
  }
  ASSERT_EQ(received, kRecords);
  // Order within a partition is the produce order.
  EXPECT_EQ(seen[0], "v0,v3,v6,v9,v12,v15,v18,v21,v24,v27,");
  ASSERT_EQ((*consumer)->commitSync(), RdKafka::ERR_NO_ERROR);

  std::vector<RdKafka::TopicPartition*> parts;
  for (int p = 0; p < 3; ++p) parts.push_back(RdKafka::TopicPartition::create(topic, p));
  ASSERT_EQ((*consumer)->committed(parts, 10000), RdKafka::ERR_NO_ERROR);
  for (auto* tp : parts) EXPECT_EQ(tp->offset(), kRecords / 3) << "partition " << tp->partition();
  RdKafka::TopicPartition::destroy(parts);
  consumer->reset();

  EXPECT_TRUE((*admin)->DeleteTopic(topic, 30s).ok());
}

TEST_F(KafkaSmokeTest, MissingTopicIsNotFound) {
  auto admin = Admin::Make(props_);
  ASSERT_TRUE(admin.ok());
  auto count = (*admin)->PartitionCount(testing::UniqueName("absent"), 10s);
  ASSERT_FALSE(count.ok());
  EXPECT_TRUE(count.status().IsNotFound()) << count.status().ToString();
}

}  // namespace
}  // namespace kb::kafka
