#include "layout/cluster_security.h"

#include <gtest/gtest.h>

#include "layout/keys.h"

namespace kb::layout {
namespace {

ClusterSecurity Sample() {
  ClusterSecurity s;
  s.acls = {{"GROUP", "app", "LITERAL", "User:carol", "*", "READ", "ALLOW"},
            {"TOPIC", "ord", "PREFIXED", "User:bob", "10.0.0.1", "WRITE", "DENY"}};
  s.scram_users = {{"alice", {{"SCRAM-SHA-256", 8192}, {"SCRAM-SHA-512", 4096}}}};
  s.updated_at_ms = 1700000000000;
  return s;
}

TEST(ClusterSecurityTest, RoundTrips) {
  const ClusterSecurity s = Sample();
  auto back = DecodeClusterSecurity("k", EncodeClusterSecurity(s));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, s);
  ClusterSecurity none;
  none.authorizer = false;
  none.scope = "all";
  EXPECT_EQ(*DecodeClusterSecurity("k", EncodeClusterSecurity(none)), none);
}

TEST(ClusterSecurityTest, RejectsMalformedNamingTheKey) {
  for (const char* bad :
       {R"({"format_version": 1})",
        R"({"format_version": 1, "scope": "some", "authorizer": true, "acls": [],
            "scram_users": [], "updated_at_ms": 0})",
        R"({"format_version": 1, "scope": "all", "authorizer": 1, "acls": [],
            "scram_users": [], "updated_at_ms": 0})",
        R"({"format_version": 1, "scope": "all", "authorizer": true, "acls": [{"x": 1}],
            "scram_users": [], "updated_at_ms": 0})",
        R"({"format_version": 1, "scope": "all", "authorizer": true, "acls": [],
            "scram_users": [{"user": "a", "credentials": [{"mechanism": "m",
            "iterations": -1}]}], "updated_at_ms": 0})",
        "[]", "not json"}) {
    auto r = DecodeClusterSecurity("p/@cluster/security.json", bad);
    EXPECT_TRUE(r.status().IsCorruption()) << bad << ": " << r.status().ToString();
    EXPECT_EQ(r.status().subject(), "p/@cluster/security.json");
  }
  auto newer = DecodeClusterSecurity(
      "k", R"({"format_version": 2, "scope": "all", "authorizer": true, "acls": [],
              "scram_users": [], "updated_at_ms": 0})");
  EXPECT_EQ(newer.status().code(), Status::Code::kNotImplemented);
}

TEST(ClusterSecurityTest, AclAppliesByPattern) {
  const AclEntry literal{"TOPIC", "orders", "LITERAL", "User:a", "*", "READ", "ALLOW"};
  const AclEntry any{"TOPIC", "*", "LITERAL", "User:a", "*", "READ", "ALLOW"};
  const AclEntry prefixed{"TOPIC", "ord", "PREFIXED", "User:a", "*", "READ", "ALLOW"};
  EXPECT_TRUE(AclApplies(literal, "TOPIC", "orders"));
  EXPECT_FALSE(AclApplies(literal, "TOPIC", "orders2"));
  EXPECT_FALSE(AclApplies(literal, "GROUP", "orders"));
  EXPECT_TRUE(AclApplies(any, "TOPIC", "anything"));
  EXPECT_TRUE(AclApplies(prefixed, "TOPIC", "orders"));
  EXPECT_TRUE(AclApplies(prefixed, "TOPIC", "ord"));
  EXPECT_FALSE(AclApplies(prefixed, "TOPIC", "or"));
}

TEST(ClusterSecurityTest, KeysAreOutsideEveryTopic) {
  Keys keys("p");
  EXPECT_EQ(keys.ClusterSecurity(), "p/@cluster/security.json");
  EXPECT_EQ(keys.ClusterSecurityHistory(5), "p/@cluster/history/00000000000000000005");
  EXPECT_EQ(keys.Classify(keys.ClusterSecurity()), KeyKind::kUnknown);
  EXPECT_FALSE(keys.Parse(keys.ClusterSecurityHistory(5)).has_value());
}

}  // namespace
}  // namespace kb::layout
