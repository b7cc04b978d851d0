// ACLs in the backup and `restore --acls`, through the kafka-backup binary against the secured
// broker (KRaft StandardAuthorizer; its PLAINTEXT listener is a super user): `backup --once` keeps
// the ACLs naming the backed-up topic and its consumer group (not the others) and the SCRAM users
// in <prefix>/@cluster/security.json; `restore --acls --rename` lists (dry run) and re-creates them
// for the new topic name, a PREFIXED pattern becoming LITERAL with a note.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "backup/backup_test_util.h"
#include "cli/cli_test_util.h"
#include "kafka/acls.h"
#include "kafka/admin.h"
#include "layout/cluster_security.h"
#include "layout/keys.h"
#include "restore/restore_test_util.h"
#include "storage/local/local_store.h"
#include "testing/test_env.h"

namespace kb::cli {
namespace {

using namespace std::chrono_literals;
using cli::testing::Ran;

bool HasAcl(const std::vector<kafka::AclBinding>& acls, const kafka::AclBinding& want) {
  return std::find(acls.begin(), acls.end(), want) != acls.end();
}

class AclRestoreCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    bootstrap_ = kb::testing::RequireEnv("KB_TEST_SECURED_PLAIN_BOOTSTRAP");
    if (HasFailure()) return;
    auto admin = kafka::Admin::Make({{"bootstrap.servers", bootstrap_}});
    ASSERT_TRUE(admin.ok()) << admin.status().ToString();
    admin_ = std::move(*admin);
  }
  // Waits until the broker reports every ACL of `want` (KRaft applies them from its log).
  ::testing::AssertionResult AwaitAcls(const std::vector<kafka::AclBinding>& want) {
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    std::string last;
    while (std::chrono::steady_clock::now() < deadline) {
      auto listing = kafka::DescribeAllAcls(*admin_, 10s);
      if (listing.ok()) {
        bool all = true;
        for (const auto& a : want) all = all && HasAcl(listing->acls, a);
        if (all) return ::testing::AssertionSuccess();
      } else {
        last = listing.status().ToString();
      }
      std::this_thread::sleep_for(200ms);
    }
    return ::testing::AssertionFailure() << "ACLs not applied within 30 s " << last;
  }

  std::string bootstrap_;
  std::unique_ptr<kafka::Admin> admin_;
  kb::testing::TempDir dir_;
};

TEST_F(AclRestoreCliTest, BackupKeepsTheTopicsAclsAndRestoreRecreatesThemUnderTheNewName) {
  const std::string topic = kb::testing::UniqueName("aclr");
  const std::string group = topic + "-app";
  const std::string prefix = topic.substr(0, topic.size() - 3);
  ASSERT_TRUE(admin_->CreateTopic({topic, 2, 1, {}}, 30s).ok());
  {
    backup::testutil::RawProducer producer(bootstrap_);
    for (int i = 0; i < 40; ++i) {
      format::Record r;
      r.key = "k" + std::to_string(i);
      r.value = "v" + std::to_string(i);
      producer.Send(topic, i % 2, r);
    }
    producer.Flush();
  }
  // A group with committed offsets on the topic: its ACLs are the topic's too.
  Status committed;
  for (auto deadline = std::chrono::steady_clock::now() + 60s;
       std::chrono::steady_clock::now() < deadline;) {
    committed = admin_->AlterConsumerGroupOffsets(group, {{{topic, 0}, 10}, {{topic, 1}, 5}}, 10s);
    if (committed.ok()) break;
    std::this_thread::sleep_for(500ms);
  }
  ASSERT_TRUE(committed.ok()) << committed.ToString();

  const kafka::AclBinding alice{"TOPIC", topic, "LITERAL", "User:alice", "*", "READ", "ALLOW"};
  const kafka::AclBinding bob{"TOPIC", prefix, "PREFIXED", "User:bob", "*", "WRITE", "ALLOW"};
  const kafka::AclBinding carol{"GROUP", group, "LITERAL", "User:carol", "*", "READ", "ALLOW"};
  const kafka::AclBinding zed{"TOPIC", topic + "-other", "LITERAL", "User:zed",
                              "*",     "READ",           "ALLOW"};
  ASSERT_TRUE(kafka::CreateAcls(*admin_, {alice, bob, carol, zed}, 30s).ok());
  ASSERT_TRUE(AwaitAcls({alice, bob, carol, zed}));

  const std::string config = dir_.path() + "/kb.yaml";
  std::ofstream(config) << "kafka:\n  bootstrap.servers: " << bootstrap_
                        << "\nstorage:\n  prefix: p\n  local:\n    path: " << dir_.path()
                        << "/store\nbackup:\n  group_id: " << topic << "-kb\n  topics: [" << topic
                        << "]\n";
  Ran r = cli::testing::Run(KB_BINARY, {"--config", config, "backup", "--once"},
                            dir_.path() + "/backup.log", 180s);
  ASSERT_EQ(r.code, 0) << r.output;

  // The store keeps the topic's and its group's ACLs, not zed's; and the SCRAM users.
  auto store = storage::LocalStore::Open(dir_.path() + "/store");
  ASSERT_TRUE(store.ok());
  const layout::Keys keys("p");
  auto json = (*store)->Get(keys.ClusterSecurity());
  ASSERT_TRUE(json.ok()) << json.status().ToString();
  auto security = layout::DecodeClusterSecurity(keys.ClusterSecurity(), *json);
  ASSERT_TRUE(security.ok()) << security.status().ToString();
  EXPECT_TRUE(security->authorizer);
  EXPECT_EQ(security->scope, "related");
  auto kept = [&](const kafka::AclBinding& a) {
    const layout::AclEntry e{a.resource_type, a.resource_name, a.pattern_type, a.principal,
                             a.host,          a.operation,     a.permission};
    return std::find(security->acls.begin(), security->acls.end(), e) != security->acls.end();
  };
  EXPECT_TRUE(kept(alice));
  EXPECT_TRUE(kept(bob));
  EXPECT_TRUE(kept(carol));
  EXPECT_FALSE(kept(zed));
  bool scram_user = false;
  for (const auto& u : security->scram_users) {
    scram_user = scram_user || (!u.credentials.empty() && u.credentials[0].iterations > 0);
  }
  EXPECT_TRUE(scram_user) << *json;
  // A history snapshot next to the latest.
  auto history = storage::ListAll(**store, keys.ClusterSecurityHistoryPrefix());
  ASSERT_TRUE(history.ok());
  EXPECT_EQ(history->size(), 1u);

  // Dry run: listed, nothing created.
  const std::string target = topic + "-r";
  const kafka::AclBinding alice2{"TOPIC", target, "LITERAL", "User:alice", "*", "READ", "ALLOW"};
  const kafka::AclBinding bob2{"TOPIC", target, "LITERAL", "User:bob", "*", "WRITE", "ALLOW"};
  r = cli::testing::Run(KB_BINARY,
                        {"--config", config, "restore", "--topic", topic, "--rename",
                         topic + "=" + target, "--acls", "--dry-run"},
                        dir_.path() + "/dry.log", 120s);
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("ACLs (--acls): would create 2"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(kafka::FormatAcl(alice2)), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(kafka::FormatAcl(bob2)), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("PREFIXED '" + prefix + "'"), std::string::npos) << r.output;
  auto after_dry = kafka::DescribeAllAcls(*admin_, 10s);
  ASSERT_TRUE(after_dry.ok());
  EXPECT_FALSE(HasAcl(after_dry->acls, alice2));

  // The restore re-creates them for the new name.
  r = cli::testing::Run(
      KB_BINARY,
      {"--config", config, "restore", "--topic", topic, "--rename", topic + "=" + target, "--acls"},
      dir_.path() + "/restore.log", 180s);
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("ACLs (--acls): created 2"), std::string::npos) << r.output;
  EXPECT_TRUE(AwaitAcls({alice2, bob2}));
}

TEST_F(AclRestoreCliTest, AclsFromABackupWithoutThemIsAnErrorNamingTheKey) {
  const std::string topic = kb::testing::UniqueName("aclr-off");
  ASSERT_TRUE(admin_->CreateTopic({topic, 1, 1, {}}, 30s).ok());
  {
    backup::testutil::RawProducer producer(bootstrap_);
    format::Record rec;
    rec.value = "v";
    producer.Send(topic, 0, rec);
    producer.Flush();
  }
  const std::string config = dir_.path() + "/kb.yaml";
  std::ofstream(config) << "kafka:\n  bootstrap.servers: " << bootstrap_
                        << "\nstorage:\n  prefix: q\n  local:\n    path: " << dir_.path()
                        << "/store\nbackup:\n  acls: off\n  group_id: " << topic
                        << "-kb\n  topics: [" << topic << "]\n";
  Ran r = cli::testing::Run(KB_BINARY, {"--config", config, "backup", "--once"},
                            dir_.path() + "/backup.log", 180s);
  ASSERT_EQ(r.code, 0) << r.output;
  r = cli::testing::Run(KB_BINARY,
                        {"--config", config, "restore", "--topic", topic, "--rename",
                         topic + "=" + topic + "-r", "--acls"},
                        dir_.path() + "/restore.log", 120s);
  EXPECT_NE(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("q/@cluster/security.json"), std::string::npos) << r.output;
  EXPECT_EQ(restore::testutil::EndOffsetSum(bootstrap_, topic + "-r", 1), 0);
}

}  // namespace
}  // namespace kb::cli
