// Test fixture shared by the Admin integration tests (admin_integration_test.cc,
// groups_integration_test.cc): an Admin on the real broker (KB_TEST_KAFKA_BOOTSTRAP), topics that
// are deleted after the test, and helpers to produce records and commit offsets through
// librdkafka.
//
// Ownership: the fixture owns its Admin and deletes the topics it created in TearDown.
// Thread-safety: one test thread. Failure contract: helpers fail the current test (gtest).
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "kafka/admin.h"
#include "kafka/client.h"
#include "testing/test_env.h"

namespace kb::kafka {

using namespace std::chrono_literals;

class AdminIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string bootstrap = testing::RequireEnv("KB_TEST_KAFKA_BOOTSTRAP");
    ASSERT_FALSE(bootstrap.empty());
    props_ = {{"bootstrap.servers", bootstrap}};
    auto admin = Admin::Make(props_);
    ASSERT_TRUE(admin.ok()) << admin.status().ToString();
    admin_ = std::move(*admin);
  }
  void TearDown() override {
    for (const std::string& t : topics_) {
      if (admin_) (void)admin_->DeleteTopic(t, 30s);
    }
  }

  std::string NewTopic(int partitions, const TopicConfigs& configs = {}) {
    std::string name = testing::UniqueName("admin");
    Status s = admin_->CreateTopic({name, partitions, 1, configs}, 30s);
    EXPECT_TRUE(s.ok()) << s.ToString();
    topics_.push_back(name);
    return name;
  }

  // Produces `n` records to topic/partition; record i gets timestamp first_ts_ms + 1000 * i when
  // first_ts_ms > 0 (else the producer's clock).
  void Produce(const std::string& topic, int32_t partition, int n, int64_t first_ts_ms = 0) {
    auto producer = MakeProducer(props_);
    ASSERT_TRUE(producer.ok()) << producer.status().ToString();
    for (int i = 0; i < n; ++i) {
      std::string value = "v" + std::to_string(i);
      int64_t ts = first_ts_ms > 0 ? first_ts_ms + 1000 * i : 0;
      RdKafka::ErrorCode ec =
          (*producer)->produce(topic, partition, RdKafka::Producer::RK_MSG_COPY, value.data(),
                               value.size(), nullptr, 0, ts, nullptr);
      ASSERT_EQ(ec, RdKafka::ERR_NO_ERROR) << RdKafka::err2str(ec);
    }
    ASSERT_EQ((*producer)->flush(30000), RdKafka::ERR_NO_ERROR);
  }

  ConsumerPtr GroupConsumer(const std::string& group) {
    auto c = MakeConsumer(
        props_,
        {{"group.id", group}, {"enable.auto.commit", "false"}, {"auto.offset.reset", "earliest"}});
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? std::move(*c) : nullptr;
  }

  // Commits `offsets` for `group` the way a consumer does, from a consumer that only assign()s.
  void Commit(const std::string& group, const GroupOffsets& offsets) {
    ConsumerPtr c = GroupConsumer(group);
    ASSERT_TRUE(c);
    std::vector<RdKafka::TopicPartition*> parts;
    for (const auto& [tp, off] : offsets) {
      parts.push_back(RdKafka::TopicPartition::create(tp.topic, tp.partition, off));
    }
    RdKafka::ErrorCode ec = c->commitSync(parts);
    RdKafka::TopicPartition::destroy(parts);
    ASSERT_EQ(ec, RdKafka::ERR_NO_ERROR) << RdKafka::err2str(ec);
  }

  Properties props_;
  std::unique_ptr<Admin> admin_;
  std::vector<std::string> topics_;
};

}  // namespace kb::kafka
