// The retention: and verify: sections of the config file (config.h RetentionConfig,
// VerifyScheduleConfig).
#include <gtest/gtest.h>

#include "config/config.h"

namespace kb {
namespace {

using std::chrono::milliseconds;

EnvLookup NoEnv() {
  return [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
}

TEST(RetentionConfigTest, Defaults) {
  auto cfg = ParseConfig("", "t", NoEnv());
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  EXPECT_TRUE(cfg->retention.enabled);
  EXPECT_EQ(cfg->retention.interval, milliseconds(600'000));
  EXPECT_EQ(cfg->retention.grace, milliseconds(7LL * 86'400'000));
  EXPECT_FALSE(cfg->retention.deleted_topic_max_age.has_value());
  EXPECT_EQ(cfg->verify.interval, milliseconds(6LL * 3'600'000));
  EXPECT_EQ(cfg->verify.sample, 1u);
}

TEST(RetentionConfigTest, FullSections) {
  auto cfg = ParseConfig(R"(
retention:
  enabled: false
  interval: 5m
  grace: 0s
  deleted_topic_max_age: 90d
verify:
  interval: 0s
  sample: 3
)",
                         "t", NoEnv());
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  EXPECT_FALSE(cfg->retention.enabled);
  EXPECT_EQ(cfg->retention.interval, milliseconds(300'000));
  EXPECT_EQ(cfg->retention.grace, milliseconds(0));
  EXPECT_EQ(cfg->retention.deleted_topic_max_age, milliseconds(90LL * 86'400'000));
  EXPECT_EQ(cfg->verify.interval, milliseconds(0));
  EXPECT_EQ(cfg->verify.sample, 3u);

  auto never = ParseConfig("retention: {deleted_topic_max_age: never}", "t", NoEnv());
  ASSERT_TRUE(never.ok()) << never.status().ToString();
  EXPECT_FALSE(never->retention.deleted_topic_max_age.has_value());
}

TEST(RetentionConfigTest, ErrorsNameTheKey) {
  struct Case {
    const char* yaml;
    const char* subject;
  } cases[] = {
      {"retention: {grce: 1d}", "retention.grce"},
      {"retention: {grace: soon}", "retention.grace"},
      {"retention: {interval: 0s}", "retention.interval"},
      {"retention: {enabled: maybe}", "retention.enabled"},
      {"retention: {deleted_topic_max_age: forever}", "retention.deleted_topic_max_age"},
      {"verify: {sample: 0}", "verify.sample"},
      {"verify: {interval: 5ms}", "verify.interval"},
      {"verify: {every: 1h}", "verify.every"},
  };
  for (const Case& c : cases) {
    auto cfg = ParseConfig(c.yaml, "t", NoEnv());
    ASSERT_FALSE(cfg.ok()) << c.yaml;
    EXPECT_EQ(cfg.status().subject(), c.subject) << c.yaml << " -> " << cfg.status().ToString();
  }
}

}  // namespace
}  // namespace kb
