#include "config/env_expand.h"

#include <gtest/gtest.h>

#include <map>

namespace kb {
namespace {

EnvLookup FakeEnv(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

TEST(EnvExpandTest, ExpandsVariables) {
  auto env = FakeEnv({{"HOST", "broker1"}, {"PORT", "9092"}});
  auto r = ExpandEnv("${HOST}:${PORT}", "kafka.bootstrap.servers", env);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, "broker1:9092");
}

TEST(EnvExpandTest, DefaultsApplyWhenUnsetOrEmpty) {
  auto env = FakeEnv({{"EMPTY", ""}, {"SET", "x"}});
  EXPECT_EQ(*ExpandEnv("${MISSING:-d1}", "k", env), "d1");
  EXPECT_EQ(*ExpandEnv("${EMPTY:-d2}", "k", env), "d2");
  EXPECT_EQ(*ExpandEnv("${SET:-d3}", "k", env), "x");
  EXPECT_EQ(*ExpandEnv("${MISSING:-}", "k", env), "");
}

TEST(EnvExpandTest, DollarEscapesAndLoneDollars) {
  auto env = FakeEnv({});
  EXPECT_EQ(*ExpandEnv("pa$$word", "k", env), "pa$word");
  EXPECT_EQ(*ExpandEnv("pa$word$", "k", env), "pa$word$");
  EXPECT_EQ(*ExpandEnv("$${NOT_EXPANDED}", "k", env), "${NOT_EXPANDED}");
}

TEST(EnvExpandTest, UnsetVariableIsAnErrorNamingKeyAndVariable) {
  auto r = ExpandEnv("${S3_SECRET}", "storage.s3.secret_access_key", FakeEnv({}));
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsInvalidArgument());
  EXPECT_EQ(r.status().subject(), "storage.s3.secret_access_key");
  EXPECT_NE(r.status().message().find("S3_SECRET"), std::string::npos);
}

TEST(EnvExpandTest, MalformedReferences) {
  auto env = FakeEnv({});
  EXPECT_FALSE(ExpandEnv("${UNTERMINATED", "k", env).ok());
  EXPECT_FALSE(ExpandEnv("${}", "k", env).ok());
  EXPECT_FALSE(ExpandEnv("${1ABC}", "k", env).ok());
  EXPECT_FALSE(ExpandEnv("${A-B}", "k", env).ok());
}

}  // namespace
}  // namespace kb
