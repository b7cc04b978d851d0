#include "kafka/client.h"

#include <gtest/gtest.h>

namespace kb::kafka {
namespace {

TEST(KafkaClientTest, AcceptsLibrdkafkaPropertiesUnchanged) {
  Properties p{{"bootstrap.servers", "127.0.0.1:1"},
               {"security.protocol", "plaintext"},
               {"client.id", "kb-test"},
               {"socket.keepalive.enable", "true"}};
  EXPECT_TRUE(ValidateProperties(p).ok());
  auto conf = MakeConf(p);
  ASSERT_TRUE(conf.ok());
  std::string v;
  ASSERT_EQ((*conf)->get("client.id", v), RdKafka::Conf::CONF_OK);
  EXPECT_EQ(v, "kb-test");
}

TEST(KafkaClientTest, UnknownPropertyIsNamed) {
  Status s = ValidateProperties({{"bootstrap.servers", "x:1"}, {"bootstrap.srevers", "y"}});
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_EQ(s.subject(), "kafka.bootstrap.srevers");
}

TEST(KafkaClientTest, InvalidValueIsNamed) {
  Status s = ValidateProperties({{"security.protocol", "carrier_pigeon"}});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.subject(), "kafka.security.protocol");
}

TEST(KafkaClientTest, OverridesWinOverUserProperties) {
  auto conf = MakeConf({{"enable.auto.commit", "true"}}, {{"enable.auto.commit", "false"}});
  ASSERT_TRUE(conf.ok());
  std::string v;
  ASSERT_EQ((*conf)->get("enable.auto.commit", v), RdKafka::Conf::CONF_OK);
  EXPECT_EQ(v, "false");
}

TEST(KafkaClientTest, TelemetryPushIsOffUnlessTheUserTurnsItOn) {
  auto conf = MakeConf({{"bootstrap.servers", "x:1"}});
  ASSERT_TRUE(conf.ok());
  std::string v;
  ASSERT_EQ((*conf)->get("enable.metrics.push", v), RdKafka::Conf::CONF_OK);
  EXPECT_EQ(v, "false");
  auto on = MakeConf({{"enable.metrics.push", "true"}});
  ASSERT_TRUE(on.ok());
  ASSERT_EQ((*on)->get("enable.metrics.push", v), RdKafka::Conf::CONF_OK);
  EXPECT_EQ(v, "true");
}

}  // namespace
}  // namespace kb::kafka
