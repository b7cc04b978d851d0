#include "restore/acl_restore.h"

#include <gtest/gtest.h>

#include "storage/memory/memory_store.h"

namespace kb::restore {
namespace {

layout::AclEntry Acl(std::string type, std::string name, std::string pattern, std::string principal,
                     std::string op = "READ") {
  return {std::move(type), std::move(name), std::move(pattern), std::move(principal), "*",
          std::move(op),   "ALLOW"};
}

layout::ClusterSecurity Backup() {
  layout::ClusterSecurity s;
  s.acls = {Acl("TOPIC", "orders", "LITERAL", "User:alice"),
            Acl("TOPIC", "ord", "PREFIXED", "User:bob", "WRITE"),
            Acl("TOPIC", "*", "LITERAL", "User:ops", "DESCRIBE"),
            Acl("TOPIC", "payments", "LITERAL", "User:zed"),
            Acl("GROUP", "app", "LITERAL", "User:alice")};
  s.scram_users = {{"alice", {{"SCRAM-SHA-512", 4096}}}};
  return s;
}

std::vector<std::string> Formatted(const AclRestorePlan& plan) {
  std::vector<std::string> out;
  for (const auto& a : plan.create) out.push_back(kafka::FormatAcl(a));
  return out;
}

TEST(AclRestoreTest, SameNamesKeepEveryPattern) {
  auto plan = PlanAclRestore(Backup(), {{"orders", "orders"}}, "");
  EXPECT_EQ(Formatted(plan),
            (std::vector<std::string>{"ALLOW User:bob WRITE on TOPIC ord (PREFIXED) from *",
                                      "ALLOW User:alice READ on TOPIC orders (LITERAL) from *"}));
  // '*', the group ACL and the SCRAM user are noted, never silently dropped.
  ASSERT_EQ(plan.notes.size(), 3u);
}

TEST(AclRestoreTest, RenameTurnsPrefixedIntoLiteralAndSaysSo) {
  auto plan = PlanAclRestore(Backup(), {{"orders", "orders-restored"}}, "");
  EXPECT_EQ(
      Formatted(plan),
      (std::vector<std::string>{"ALLOW User:alice READ on TOPIC orders-restored (LITERAL) from *",
                                "ALLOW User:bob WRITE on TOPIC orders-restored (LITERAL) from *"}));
  bool noted = false;
  for (const auto& n : plan.notes) noted = noted || n.find("PREFIXED 'ord'") != std::string::npos;
  EXPECT_TRUE(noted);
}

TEST(AclRestoreTest, TargetPrefixCarriesPrefixedPatternsOver) {
  auto plan = PlanAclRestore(Backup(), {{"orders", "dr.orders"}}, "dr.");
  EXPECT_EQ(Formatted(plan), (std::vector<std::string>{
                                 "ALLOW User:bob WRITE on TOPIC dr.ord (PREFIXED) from *",
                                 "ALLOW User:alice READ on TOPIC dr.orders (LITERAL) from *"}));
}

TEST(AclRestoreTest, OnlyTheRestoredTopicsAclsAndNoDuplicates) {
  auto plan = PlanAclRestore(Backup(), {{"orders", "o2"}, {"orders", "o2"}}, "");
  EXPECT_EQ(plan.create.size(), 2u);  // zed's payments ACL is not the restore's
  for (const auto& a : plan.create) EXPECT_NE(a.principal, "User:zed");
}

TEST(AclRestoreTest, MissingSecurityMetadataIsNotFoundNamingTheKey) {
  storage::MemoryStore store;
  layout::Keys keys("p");
  auto r = ReadClusterSecurity(store, keys);
  EXPECT_TRUE(r.status().IsNotFound());
  EXPECT_EQ(r.status().subject(), "p/@cluster/security.json");
  ASSERT_TRUE(store.Put(keys.ClusterSecurity(), layout::EncodeClusterSecurity(Backup())).ok());
  auto ok = ReadClusterSecurity(store, keys);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->acls.size(), 5u);
}

}  // namespace
}  // namespace kb::restore
