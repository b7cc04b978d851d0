// Unit tests of Admin that need no broker: argument checks (which must fail before anything is
// sent), the config filter behind DescribeTopicConfigs, names, and timeouts against an address
// where nothing listens.
#include "kafka/admin.h"

#include <gtest/gtest.h>

#include <chrono>

#include "kafka/admin_internal.h"

namespace kb::kafka {
namespace {

using namespace std::chrono_literals;
using Code = Status::Code;

class AdminArgsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Nothing listens on port 1: any request that was sent would time out, not fail fast.
    auto admin = Admin::Make({{"bootstrap.servers", "127.0.0.1:1"}});
    ASSERT_TRUE(admin.ok()) << admin.status().ToString();
    admin_ = std::move(*admin);
  }
  std::unique_ptr<Admin> admin_;
};

void ExpectInvalid(const Status& s, const std::string& subject) {
  EXPECT_EQ(s.code(), Code::kInvalidArgument) << s.ToString();
  EXPECT_EQ(s.subject(), subject) << s.ToString();
}

TEST(AdminNamesTest, TopicPartitionToStringAndOrder) {
  EXPECT_EQ(ToString(TopicPartition{"orders", 3}), "orders/3");
  EXPECT_LT((TopicPartition{"a", 9}), (TopicPartition{"b", 0}));
  EXPECT_LT((TopicPartition{"a", 1}), (TopicPartition{"a", 2}));
}

TEST(AdminNamesTest, GroupStateNamesAreKafkas) {
  EXPECT_STREQ(GroupStateName(GroupState::kStable), "Stable");
  EXPECT_STREQ(GroupStateName(GroupState::kEmpty), "Empty");
  EXPECT_STREQ(GroupStateName(GroupState::kDead), "Dead");
  EXPECT_STREQ(GroupStateName(GroupState::kPreparingRebalance), "PreparingRebalance");
  EXPECT_STREQ(GroupStateName(GroupState::kCompletingRebalance), "CompletingRebalance");
  EXPECT_STREQ(GroupStateName(GroupState::kUnknown), "Unknown");
}

TEST(AdminNamesTest, MayHaveActiveMembers) {
  using D = GroupDescription;
  EXPECT_FALSE((D{.state = GroupState::kEmpty, .members = 0}).MayHaveActiveMembers());
  EXPECT_FALSE((D{.state = GroupState::kDead, .members = 0}).MayHaveActiveMembers());
  EXPECT_TRUE((D{.state = GroupState::kStable, .members = 2}).MayHaveActiveMembers());
  EXPECT_FALSE(
      (D{.state = GroupState::kEmpty, .members = D::kMembersUnknown}).MayHaveActiveMembers());
  EXPECT_FALSE(
      (D{.state = GroupState::kDead, .members = D::kMembersUnknown}).MayHaveActiveMembers());
  EXPECT_TRUE(
      (D{.state = GroupState::kStable, .members = D::kMembersUnknown}).MayHaveActiveMembers());
  EXPECT_TRUE(
      (D{.state = GroupState::kUnknown, .members = D::kMembersUnknown}).MayHaveActiveMembers());
}

TEST(AdminInternalTest, TopicNamesAreChecked) {
  EXPECT_TRUE(internal::CheckTopic("orders.v2_EU-1").ok());
  EXPECT_TRUE(internal::CheckTopic(std::string(249, 'x')).ok());
  EXPECT_FALSE(internal::CheckTopic(std::string(250, 'x')).ok());
  ExpectInvalid(internal::CheckTopic(""), "topic");
  ExpectInvalid(internal::CheckTopic(".."), "..");
  ExpectInvalid(internal::CheckTopic("a/b"), "a/b");
  ExpectInvalid(internal::CheckTopic("with space"), "with space");
}

TEST(AdminInternalTest, OnlyTopicLevelNonDefaultNonSensitiveConfigsAreKept) {
  using internal::ConfigEntryView;
  using internal::IsRestorableTopicConfig;
  EXPECT_TRUE(IsRestorableTopicConfig(
      ConfigEntryView{.name = "retention.ms",
                      .value = "1",
                      .source = RD_KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC_CONFIG}));
  for (auto source :
       {RD_KAFKA_CONFIG_SOURCE_DEFAULT_CONFIG, RD_KAFKA_CONFIG_SOURCE_STATIC_BROKER_CONFIG,
        RD_KAFKA_CONFIG_SOURCE_DYNAMIC_BROKER_CONFIG,
        RD_KAFKA_CONFIG_SOURCE_DYNAMIC_DEFAULT_BROKER_CONFIG,
        RD_KAFKA_CONFIG_SOURCE_UNKNOWN_CONFIG}) {
    EXPECT_FALSE(IsRestorableTopicConfig(
        ConfigEntryView{.name = "retention.ms", .value = "1", .source = source}))
        << rd_kafka_ConfigSource_name(source);
  }
  EXPECT_FALSE(
      IsRestorableTopicConfig(ConfigEntryView{.name = "sasl.jaas.config",
                                              .value = "secret",
                                              .source = RD_KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC_CONFIG,
                                              .is_sensitive = true}));
  EXPECT_FALSE(
      IsRestorableTopicConfig(ConfigEntryView{.name = "retention.ms",
                                              .value = "1",
                                              .source = RD_KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC_CONFIG,
                                              .is_default = true}));
  EXPECT_FALSE(IsRestorableTopicConfig(
      ConfigEntryView{.name = "retention.ms",
                      .value = nullptr,
                      .source = RD_KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC_CONFIG}));
}

TEST(AdminInternalTest, BrokerDetailIsKeptUnlessItRepeatsTheErrorName) {
  const auto err = RD_KAFKA_RESP_ERR_INVALID_PARTITIONS;
  Status base = Status::InvalidArgument("t", "create partitions failed");
  EXPECT_EQ(internal::WithDetail(base, err, nullptr), base);
  EXPECT_EQ(internal::WithDetail(base, err, ""), base);
  EXPECT_EQ(internal::WithDetail(base, err, rd_kafka_err2str(err)), base);
  Status detailed = internal::WithDetail(base, err, "Topic already has 3 partition(s).");
  EXPECT_EQ(detailed.code(), Code::kInvalidArgument);
  EXPECT_EQ(detailed.subject(), "t");
  EXPECT_EQ(detailed.message(), "Topic already has 3 partition(s).: create partitions failed");
}

TEST(AdminInternalTest, TimeoutsAreBounded) {
  EXPECT_TRUE(internal::CheckTimeout(1ms, "x").ok());
  EXPECT_TRUE(internal::CheckTimeout(1h, "x").ok());
  ExpectInvalid(internal::CheckTimeout(0ms, "x"), "x");
  ExpectInvalid(internal::CheckTimeout(-5ms, "x"), "x");
  ExpectInvalid(internal::CheckTimeout(1h + 1ms, "x"), "x");
}

TEST_F(AdminArgsTest, TopicOperationsCheckArguments) {
  ExpectInvalid(admin_->CreateTopic({"", 1, 1, {}}, 1s), "topic");
  ExpectInvalid(admin_->CreateTopic({"t", 1, 1, {}}, 0ms), "t");
  ExpectInvalid(admin_->DeleteTopic("bad name", 1s), "bad name");
  ExpectInvalid(admin_->CreatePartitions("t", 0, 1s), "t");
  ExpectInvalid(admin_->CreatePartitions("t", 2, 2h), "t");
  ExpectInvalid(admin_->DeleteRecords("t", -1, 5, 1s).status(), "t/-1");
  ExpectInvalid(admin_->DeleteRecords("t", 0, -1, 1s).status(), "t/0");
  ExpectInvalid(admin_->DescribeTopicConfigs("", 1s).status(), "topic");
  ExpectInvalid(admin_->DescribeTopicConfigs("t", 0ms).status(), "t");
  ExpectInvalid(admin_->AlterTopicConfigs("bad name", {{"retention.ms", "1"}}, 1s), "bad name");
  ExpectInvalid(admin_->AlterTopicConfigs("t", {{"retention.ms", "1"}}, 0ms), "t");
}

TEST_F(AdminArgsTest, MetadataAndOffsetQueriesCheckArguments) {
  ExpectInvalid(admin_->ListTopics(0ms).status(), "cluster");
  ExpectInvalid(admin_->DescribeTopic("", 1s).status(), "topic");
  ExpectInvalid(admin_->PartitionCount("t", -1ms).status(), "t");
  ExpectInvalid(admin_->QueryWatermarks("t", -2, 1s).status(), "t/-2");
  ExpectInvalid(admin_->QueryWatermarks("t", 0, 0ms).status(), "t/0");
  ExpectInvalid(admin_->QueryWatermarks({{"t", 0}, {"u", 1}, {"t", 0}}, 1s).status(), "t/0");
  ExpectInvalid(admin_->QueryWatermarks({{"t", -1}}, 1s).status(), "t/-1");
  ExpectInvalid(admin_->OffsetsForTimes({{"t", 0}}, -1, 1s).status(), "timestamp");
  ExpectInvalid(admin_->OffsetsForTimes({{"t", 1}, {"t", 1}}, 0, 1s).status(), "t/1");
}

TEST_F(AdminArgsTest, EmptyPartitionListsNeedNoRequest) {
  auto w = admin_->QueryWatermarks(std::vector<TopicPartition>{}, 1s);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  EXPECT_TRUE(w->empty());
  auto o = admin_->OffsetsForTimes({}, 0, 1s);
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_TRUE(o->empty());
}

TEST_F(AdminArgsTest, GroupOperationsCheckArguments) {
  ExpectInvalid(admin_->DescribeConsumerGroup("", 1s).status(), "group");
  ExpectInvalid(admin_->DescribeConsumerGroups({"a", ""}, 1s).status(), "group");
  ExpectInvalid(admin_->DescribeConsumerGroups({"a", "b", "a"}, 1s).status(), "group a");
  ExpectInvalid(admin_->DescribeConsumerGroups({"a"}, 0ms).status(), "group a");
  ExpectInvalid(admin_->ListConsumerGroups(0ms).status(), "consumer groups");
  ExpectInvalid(admin_->ListConsumerGroupOffsets("", 1s).status(), "group");
  ExpectInvalid(admin_->ListConsumerGroupOffsets("g", 0ms).status(), "group g");
  ExpectInvalid(admin_->AlterConsumerGroupOffsets("", {{{"t", 0}, 1}}, 1s), "group");
  ExpectInvalid(admin_->AlterConsumerGroupOffsets("g", {{{"t", 0}, -1}}, 1s), "group g, t/0");
  ExpectInvalid(admin_->AlterConsumerGroupOffsets("g", {{{"", 0}, 1}}, 1s), "topic");
  ExpectInvalid(admin_->AlterConsumerGroupOffsets("g", {{{"t", 0}, 1}}, 0ms), "group g");
  EXPECT_TRUE(admin_->AlterConsumerGroupOffsets("g", {}, 1s).ok());
  auto none = admin_->DescribeConsumerGroups({}, 1s);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

// Without a reachable broker every call gives up after about its timeout, as Retryable.
TEST_F(AdminArgsTest, UnreachableClusterIsRetryableWithinTheTimeout) {
  auto start = std::chrono::steady_clock::now();
  auto topics = admin_->ListTopics(300ms);
  ASSERT_FALSE(topics.ok());
  EXPECT_TRUE(topics.status().IsRetryable()) << topics.status().ToString();
  EXPECT_EQ(topics.status().subject(), "cluster");

  auto groups = admin_->ListConsumerGroups(300ms);
  ASSERT_FALSE(groups.ok());
  EXPECT_TRUE(groups.status().IsRetryable()) << groups.status().ToString();

  auto offsets = admin_->ListConsumerGroupOffsets("g", 300ms);
  ASSERT_FALSE(offsets.ok());
  EXPECT_TRUE(offsets.status().IsRetryable()) << offsets.status().ToString();
  EXPECT_EQ(offsets.status().subject(), "group g");

  auto configs = admin_->DescribeTopicConfigs("t", 300ms);
  ASSERT_FALSE(configs.ok());
  EXPECT_TRUE(configs.status().IsRetryable()) << configs.status().ToString();
  EXPECT_EQ(configs.status().subject(), "t");
  EXPECT_LT(std::chrono::steady_clock::now() - start, 20s);
}

}  // namespace
}  // namespace kb::kafka
