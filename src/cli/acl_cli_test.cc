// The least-privilege principals of docs/security.md ("ACLs") against the secured broker, which
// runs the KRaft StandardAuthorizer (test/services/kafka.sh --security secured; scripts/test.sh
// exports its variables as KB_TEST_SECURED_*): the backup principal (kb-backup-min) with exactly
// the documented ACLs runs `backup --once`, the daemon and `status`; the restore principal
// (kb-restore-min) restores into new topics and moves a consumer group. Then, for each ACL of
// each set, the same command with that one ACL removed fails within seconds, non-zero, with a
// message that names the ACL ("not authorized to READ group ...").
//
// ACLs are granted and removed through the PLAINTEXT listener (a super user) with librdkafka's
// CreateAcls/DeleteAcls, and each change is awaited by polling DescribeAcls until the broker
// reports it (KRaft applies ACLs from its metadata log: a broker may lag the controller).
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <signal.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <thread>

#include "backup/backup_test_util.h"
#include "cli/cli_test_util.h"
#include "kafka/admin.h"
#include "restore/restore_test_util.h"
#include "storage/local/local_store.h"
#include "testing/test_env.h"

namespace kb::cli {
namespace {

using namespace std::chrono_literals;
using cli::testing::Ran;
using cli::testing::ReadFile;
using cli::testing::SpawnLogged;
using cli::testing::WaitFor;
using kb::testing::RequireEnv;

std::string Env(const std::string& name) { return RequireEnv(("KB_TEST_SECURED_" + name).c_str()); }

// One ACL binding (ALLOW, any host) for `principal`.
struct Acl {
  rd_kafka_ResourceType_t type;
  std::string name;
  rd_kafka_ResourcePatternType_t pattern;
  rd_kafka_AclOperation_t operation;
  std::string label;  // how the test names it, e.g. "READ group g"
};

// Grants and removes ACLs through `admin` (a super user), waiting until the broker applies them.
class Acls {
 public:
  Acls(kafka::Admin* admin, std::string principal)
      : rk_(admin->handle()->c_ptr()), principal_("User:" + std::move(principal)) {}

  void Add(const std::vector<Acl>& acls) {
    std::vector<rd_kafka_AclBinding_t*> bindings;
    for (const Acl& a : acls) {
      char err[256];
      bindings.push_back(rd_kafka_AclBinding_new(
          a.type, a.name.c_str(), a.pattern, principal_.c_str(), "*", a.operation,
          RD_KAFKA_ACL_PERMISSION_TYPE_ALLOW, err, sizeof(err)));
      ASSERT_NE(bindings.back(), nullptr) << err;
    }
    rd_kafka_queue_t* q = rd_kafka_queue_new(rk_);
    rd_kafka_CreateAcls(rk_, bindings.data(), bindings.size(), nullptr, q);
    rd_kafka_event_t* ev = rd_kafka_queue_poll(q, 30000);
    ASSERT_NE(ev, nullptr) << "CreateAcls: no answer";
    EXPECT_EQ(rd_kafka_event_error(ev), RD_KAFKA_RESP_ERR_NO_ERROR)
        << rd_kafka_event_error_string(ev);
    size_t n = 0;
    const rd_kafka_acl_result_t** results =
        rd_kafka_CreateAcls_result_acls(rd_kafka_event_CreateAcls_result(ev), &n);
    for (size_t i = 0; i < n; ++i) {
      const rd_kafka_error_t* e = rd_kafka_acl_result_error(results[i]);
      EXPECT_TRUE(e == nullptr || rd_kafka_error_code(e) == RD_KAFKA_RESP_ERR_NO_ERROR)
          << rd_kafka_error_string(e);
    }
    rd_kafka_event_destroy(ev);
    rd_kafka_queue_destroy(q);
    rd_kafka_AclBinding_destroy_array(bindings.data(), bindings.size());
    for (const Acl& a : acls) AwaitPresent(a, true);
  }

  void Remove(const Acl& a) {
    char err[256];
    rd_kafka_AclBindingFilter_t* filter = Filter(a, err, sizeof(err));
    ASSERT_NE(filter, nullptr) << err;
    rd_kafka_queue_t* q = rd_kafka_queue_new(rk_);
    rd_kafka_DeleteAcls(rk_, &filter, 1, nullptr, q);
    rd_kafka_event_t* ev = rd_kafka_queue_poll(q, 30000);
    ASSERT_NE(ev, nullptr) << "DeleteAcls: no answer";
    EXPECT_EQ(rd_kafka_event_error(ev), RD_KAFKA_RESP_ERR_NO_ERROR)
        << rd_kafka_event_error_string(ev);
    rd_kafka_event_destroy(ev);
    rd_kafka_queue_destroy(q);
    rd_kafka_AclBinding_destroy(filter);
    AwaitPresent(a, false);
  }

 private:
  rd_kafka_AclBindingFilter_t* Filter(const Acl& a, char* err, size_t err_size) {
    return rd_kafka_AclBindingFilter_new(a.type, a.name.c_str(), a.pattern, principal_.c_str(), "*",
                                         a.operation, RD_KAFKA_ACL_PERMISSION_TYPE_ALLOW, err,
                                         err_size);
  }

  // Polls DescribeAcls (answered from the broker's own authorizer) until `a` is there or gone.
  void AwaitPresent(const Acl& a, bool present) {
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    for (;;) {
      char err[256];
      rd_kafka_AclBindingFilter_t* filter = Filter(a, err, sizeof(err));
      ASSERT_NE(filter, nullptr) << err;
      rd_kafka_queue_t* q = rd_kafka_queue_new(rk_);
      rd_kafka_DescribeAcls(rk_, filter, nullptr, q);
      rd_kafka_event_t* ev = rd_kafka_queue_poll(q, 10000);
      size_t n = 0;
      if (ev != nullptr && rd_kafka_event_error(ev) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        rd_kafka_DescribeAcls_result_acls(rd_kafka_event_DescribeAcls_result(ev), &n);
      }
      const bool answered = ev != nullptr && rd_kafka_event_error(ev) == RD_KAFKA_RESP_ERR_NO_ERROR;
      if (ev != nullptr) rd_kafka_event_destroy(ev);
      rd_kafka_queue_destroy(q);
      rd_kafka_AclBinding_destroy(filter);
      if (answered && (n > 0) == present) return;
      ASSERT_LT(std::chrono::steady_clock::now(), deadline)
          << a.label << (present ? " not applied" : " not removed") << " within 30 s";
      std::this_thread::sleep_for(50ms);
    }
  }

  rd_kafka_t* rk_;
  std::string principal_;
};

Acl TopicAcl(rd_kafka_AclOperation_t op, const std::string& op_name, const std::string& topic,
             rd_kafka_ResourcePatternType_t pattern = RD_KAFKA_RESOURCE_PATTERN_LITERAL) {
  return {RD_KAFKA_RESOURCE_TOPIC, topic, pattern, op, op_name + " topic " + topic};
}
Acl GroupAcl(rd_kafka_AclOperation_t op, const std::string& op_name, const std::string& group) {
  return {RD_KAFKA_RESOURCE_GROUP, group, RD_KAFKA_RESOURCE_PATTERN_LITERAL, op,
          op_name + " group " + group};
}

std::string KafkaYaml(const std::string& user, const std::string& password) {
  return "  bootstrap.servers: " + Env("SASL_SSL_BOOTSTRAP") +
         "\n  security.protocol: SASL_SSL\n  sasl.mechanism: SCRAM-SHA-512\n  sasl.username: " +
         user + "\n  sasl.password: " + password + "\n  ssl.ca.location: " + Env("CA") + "\n";
}

std::string WriteConfig(const std::string& dir, const std::string& name, const std::string& kafka,
                        const std::string& store, const std::string& topic,
                        const std::string& group) {
  const std::string path = dir + "/" + name + ".yaml";
  std::ofstream(path) << "kafka:\n"
                      << kafka << "storage:\n  local:\n    path: " << store << "\n"
                      << "backup:\n  group_id: " << group << "\n  topics: [" << topic
                      << "]\n  segment:\n    max_age: 300ms\n  metadata_interval: 1s\n"
                      << "  offsets_interval: 1s\n";
  return path;
}

uint64_t Stored(const std::string& store_dir, const std::string& topic) {
  auto store = storage::LocalStore::Open(store_dir);
  if (!store.ok()) return 0;
  Config cfg;
  return backup::testutil::ReadPartition(**store, cfg, topic, 0).records.size() +
         backup::testutil::ReadPartition(**store, cfg, topic, 1).records.size();
}

void Produce(const std::string& topic, int count) {
  backup::testutil::RawProducer producer(Env("PLAIN_BOOTSTRAP"));
  for (int i = 0; i < count; ++i) {
    format::Record r;
    r.value = "v" + std::to_string(i);
    producer.Send(topic, i % 2, r);
  }
  producer.Flush();
}

// Runs the binary; a command refused for a missing ACL must end within seconds.
Ran RunKb(const std::string& config, std::vector<std::string> args, const std::string& log,
          std::chrono::milliseconds timeout = 60s) {
  args.insert(args.begin(), {"--config", config});
  return cli::testing::Run(KB_BINARY, args, log, timeout);
}

void ExpectRefused(const Ran& ran, std::chrono::steady_clock::duration took,
                   const std::string& expected, const std::string& secret) {
  EXPECT_NE(ran.code, 0) << ran.output;
  EXPECT_NE(ran.code, -1) << "did not end within the timeout: " << ran.output;
  EXPECT_LT(took, 30s) << ran.output;
  EXPECT_NE(ran.output.find(expected), std::string::npos) << "expected '" << expected << "' in:\n"
                                                          << ran.output;
  EXPECT_EQ(ran.output.find(secret), std::string::npos) << "the password was printed";
  // The message, for the log (docs/security.md quotes them).
  const size_t at = ran.output.rfind("kafka-backup: ");
  std::cout << "[refused in " << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
            << " ms, exit code " << ran.code << "] "
            << (at == std::string::npos ? ran.output : ran.output.substr(at)) << "\n";
}

class AclTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto admin = kafka::Admin::Make({{"bootstrap.servers", Env("PLAIN_BOOTSTRAP")}});
    ASSERT_TRUE(admin.ok()) << admin.status().ToString();
    admin_ = std::move(*admin);
    topic_ = kb::testing::UniqueName("acl");
    app_group_ = topic_ + "-app";
    ASSERT_TRUE(admin_->CreateTopic({topic_, 2, 1, {{"retention.ms", "604800000"}}}, 30s).ok());
    Produce(topic_, 100);
    // A consumer group of the application, with offsets to back up and move (retried while a
    // fresh broker is still loading its group coordinator).
    Status committed;
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    do {
      committed = admin_->AlterConsumerGroupOffsets(app_group_,
                                                    {{{topic_, 0}, 20}, {{topic_, 1}, 30}}, 30s);
      if (!committed.IsRetryable()) break;
      std::this_thread::sleep_for(200ms);
    } while (std::chrono::steady_clock::now() < deadline);
    ASSERT_TRUE(committed.ok()) << committed.ToString();
  }

  std::unique_ptr<kafka::Admin> admin_;
  std::string topic_;
  std::string app_group_;
  kb::testing::TempDir dir_;
};

// docs/security.md, ACLs: the backup principal.
TEST_F(AclTest, BackupAndStatusNeedExactlyTheDocumentedAcls) {
  const std::string user = Env("BACKUP_MIN_USER");
  const std::string password = Env("BACKUP_MIN_PASSWORD");
  const std::string group = topic_ + "-backup";
  // No DESCRIBE on the topic: Kafka implies it from READ.
  const std::vector<Acl> required = {
      TopicAcl(RD_KAFKA_ACL_OPERATION_READ, "READ", topic_),
      TopicAcl(RD_KAFKA_ACL_OPERATION_DESCRIBE_CONFIGS, "DESCRIBE_CONFIGS", topic_),
      GroupAcl(RD_KAFKA_ACL_OPERATION_READ, "READ", group),
  };
  // Optional: the application groups whose offsets are copied.
  const Acl app_describe = GroupAcl(RD_KAFKA_ACL_OPERATION_DESCRIBE, "DESCRIBE", app_group_);
  Acls acls(admin_.get(), user);
  acls.Add(required);
  acls.Add({app_describe});
  const std::string kafka = KafkaYaml(user, password);

  // With exactly these: --once, status and the daemon work.
  {
    const std::string store = dir_.path() + "/store";
    const std::string config = WriteConfig(dir_.path(), "ok", kafka, store, topic_, group);
    Ran ran = RunKb(config, {"backup", "--once"}, dir_.path() + "/once.log", 3min);
    ASSERT_EQ(ran.code, 0) << ran.output;
    EXPECT_EQ(Stored(store, topic_), 100u);
    // The application group's offsets were copied (DESCRIBE on it).
    const std::string offsets = ReadFile(store + "/" + topic_ + "/1/offset/consumers_offset");
    EXPECT_NE(offsets.find(app_group_), std::string::npos) << offsets;
    EXPECT_NE(offsets.find("30"), std::string::npos) << offsets;
    ran = RunKb(config, {"status"}, dir_.path() + "/status.log");
    EXPECT_EQ(ran.code, 0) << ran.output;
    EXPECT_NE(ran.output.find(topic_), std::string::npos) << ran.output;

    const std::string log = dir_.path() + "/daemon.log";
    const pid_t pid = SpawnLogged({KB_BINARY, "--config", config, "backup"}, log);
    cli::testing::Reaper reaper{pid};
    Produce(topic_, 50);
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (Stored(store, topic_) < 150 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(200ms);
    }
    EXPECT_EQ(Stored(store, topic_), 150u) << ReadFile(log);
    ASSERT_EQ(kill(pid, SIGTERM), 0);
    EXPECT_EQ(WaitFor(pid, 60s), 0) << ReadFile(log);
    reaper.pid = 0;
    EXPECT_EQ(ReadFile(log).find("[error]"), std::string::npos) << ReadFile(log);
  }

  // One ACL less: the command ends at once, non-zero, naming the ACL.
  int round = 0;
  for (const Acl& missing : required) {
    SCOPED_TRACE("without " + missing.label);
    acls.Remove(missing);
    const std::string store = dir_.path() + "/store-" + std::to_string(++round);
    const std::string config =
        WriteConfig(dir_.path(), "less" + std::to_string(round), kafka, store, topic_, group);
    auto start = std::chrono::steady_clock::now();
    Ran ran = RunKb(config, {"backup", "--once"}, dir_.path() + "/less.log");
    ExpectRefused(ran, std::chrono::steady_clock::now() - start,
                  "not authorized to " + missing.label, password);
    if (round == 1) {
      // status of the backup taken above: the topic in the store is hidden by Kafka now.
      start = std::chrono::steady_clock::now();
      ran = RunKb(WriteConfig(dir_.path(), "status", kafka, dir_.path() + "/store", topic_, group),
                  {"status"}, dir_.path() + "/status-less.log");
      ExpectRefused(ran, std::chrono::steady_clock::now() - start,
                    "not authorized to DESCRIBE topic " + topic_, password);
    }
    acls.Add({missing});
  }

  // The daemon too stops (rather than backing up without a topic's configs, or retrying).
  {
    const Acl& missing = required[1];  // DESCRIBE_CONFIGS on the topic
    acls.Remove(missing);
    const std::string store = dir_.path() + "/store-daemon";
    const std::string config = WriteConfig(dir_.path(), "daemon", kafka, store, topic_, group);
    auto start = std::chrono::steady_clock::now();
    Ran ran = RunKb(config, {"backup"}, dir_.path() + "/daemon-less.log");
    ExpectRefused(ran, std::chrono::steady_clock::now() - start,
                  "not authorized to " + missing.label, password);
    acls.Add({missing});
  }

  // DESCRIBE on an application group is what makes Kafka list it: without it its offsets are not
  // copied (the backup cannot see the group at all), and the backup itself still succeeds.
  {
    acls.Remove(app_describe);
    const std::string store = dir_.path() + "/store-nogroups";
    const std::string config = WriteConfig(dir_.path(), "nogroups", kafka, store, topic_, group);
    Ran ran = RunKb(config, {"backup", "--once"}, dir_.path() + "/nogroups.log", 3min);
    EXPECT_EQ(ran.code, 0) << ran.output;
    EXPECT_EQ(ReadFile(store + "/" + topic_ + "/1/offset/consumers_offset").find(app_group_),
              std::string::npos);
  }
}

// doctor, run as the backup principal: all checks pass with the documented ACLs (a warning for
// the optional DESCRIBE on the cluster, which backup.acls: off silences), and with one ACL less
// the acls check fails naming what is missing.
TEST_F(AclTest, DoctorFindsEachMissingBackupAcl) {
  const std::string user = Env("BACKUP_MIN_USER");
  const std::string password = Env("BACKUP_MIN_PASSWORD");
  const std::string group = topic_ + "-backup";
  const Acl read_topic = TopicAcl(RD_KAFKA_ACL_OPERATION_READ, "READ", topic_);
  const Acl describe_configs =
      TopicAcl(RD_KAFKA_ACL_OPERATION_DESCRIBE_CONFIGS, "DESCRIBE_CONFIGS", topic_);
  const Acl read_group = GroupAcl(RD_KAFKA_ACL_OPERATION_READ, "READ", group);
  Acls acls(admin_.get(), user);
  acls.Add({read_topic, describe_configs, read_group});
  const std::string store = dir_.path() + "/store";
  const std::string config =
      WriteConfig(dir_.path(), "doctor", KafkaYaml(user, password), store, topic_, group);
  const std::string config_off =
      WriteConfig(dir_.path(), "doctor-off", KafkaYaml(user, password), store, topic_, group);
  std::ofstream(config_off, std::ios::app) << "  acls: off\n";

  Ran ran = RunKb(config, {"doctor"}, dir_.path() + "/doctor.log");
  EXPECT_EQ(ran.code, 0) << ran.output;
  EXPECT_NE(ran.output.find("OK    kafka"), std::string::npos) << ran.output;
  EXPECT_NE(ran.output.find("WARN  acls   1 topic selected"), std::string::npos) << ran.output;
  EXPECT_NE(ran.output.find("cluster ACLs cannot be listed"), std::string::npos) << ran.output;
  EXPECT_NE(ran.output.find("fix: grant DESCRIBE on the cluster"), std::string::npos) << ran.output;
  EXPECT_NE(ran.output.find("all checks passed (1 warning)"), std::string::npos) << ran.output;
  EXPECT_EQ(ran.output.find(password), std::string::npos) << "the password was printed";

  ran = RunKb(config_off, {"doctor", "--output", "json"}, dir_.path() + "/doctor-off.log");
  EXPECT_EQ(ran.code, 0) << ran.output;
  EXPECT_NE(ran.output.find("\"ok\": true"), std::string::npos) << ran.output;
  EXPECT_EQ(ran.output.find("\"warn\""), std::string::npos) << ran.output;
  EXPECT_EQ(ran.output.find("\"fail\""), std::string::npos) << ran.output;

  const std::vector<std::pair<Acl, std::vector<std::string>>> cases = {
      {read_topic,
       {"topic " + topic_ + " (backup.topics) is not visible",
        "grant the backup's principal DESCRIBE and READ on it"}},
      {describe_configs,
       {"topic " + topic_ + " configs: ", "not authorized to DESCRIBE_CONFIGS topic " + topic_,
        "grant DESCRIBE_CONFIGS on the backed-up topics"}},
      {read_group, {"group " + group + ": ", "grant DESCRIBE and READ on the group " + group}},
  };
  for (const auto& [missing, expected] : cases) {
    SCOPED_TRACE("without " + missing.label);
    acls.Remove(missing);
    ran = RunKb(config_off, {"doctor", "--timeout", "5"}, dir_.path() + "/doctor-less.log");
    EXPECT_EQ(ran.code, 1) << ran.output;
    EXPECT_NE(ran.output.find("FAIL  acls"), std::string::npos) << ran.output;
    for (const std::string& text : expected) {
      EXPECT_NE(ran.output.find(text), std::string::npos) << "expected '" << text << "' in:\n"
                                                          << ran.output;
    }
    EXPECT_NE(ran.output.find("OK    store"), std::string::npos) << ran.output;
    EXPECT_EQ(ran.output.find(password), std::string::npos) << "the password was printed";
    const size_t at = ran.output.find("FAIL  acls");
    std::cout << "[doctor without " << missing.label << "] "
              << ran.output.substr(at, ran.output.find('\n', at) - at) << "\n";
    acls.Add({missing});
  }
}

// docs/security.md, ACLs: the restore principal, restoring into new topics and moving a group.
TEST_F(AclTest, RestoreNeedsExactlyTheDocumentedAcls) {
  // The backup to restore from, taken by a super user.
  const std::string store = dir_.path() + "/store";
  const std::string super_config =
      WriteConfig(dir_.path(), "super", KafkaYaml(Env("SCRAM_USER"), Env("SCRAM_PASSWORD")), store,
                  topic_, topic_ + "-backup");
  Ran ran = RunKb(super_config, {"backup", "--once"}, dir_.path() + "/backup.log", 3min);
  ASSERT_EQ(ran.code, 0) << ran.output;

  const std::string user = Env("RESTORE_MIN_USER");
  const std::string password = Env("RESTORE_MIN_PASSWORD");
  // Targets <topic>-r<N>: the topic ACLs are PREFIXED on "<topic>-r", so that every run
  // restores into a new topic under the same ACLs.
  const std::string prefix = topic_ + "-r";
  const auto prefixed = RD_KAFKA_RESOURCE_PATTERN_PREFIXED;
  // No DESCRIBE on the topics or the group: Kafka implies it from WRITE and READ.
  const std::vector<Acl> required = {
      TopicAcl(RD_KAFKA_ACL_OPERATION_CREATE, "CREATE", prefix, prefixed),
      TopicAcl(RD_KAFKA_ACL_OPERATION_WRITE, "WRITE", prefix, prefixed),
      TopicAcl(RD_KAFKA_ACL_OPERATION_READ, "READ", prefix, prefixed),
      GroupAcl(RD_KAFKA_ACL_OPERATION_READ, "READ", app_group_),
  };
  Acls acls(admin_.get(), user);
  acls.Add(required);
  const std::string config =
      WriteConfig(dir_.path(), "restore", KafkaYaml(user, password), store, topic_, "unused");
  const auto restore = [&](const std::string& target) {
    return RunKb(
        config,
        {"restore", "--topic", topic_, "--rename", topic_ + "=" + target, "--groups", app_group_},
        dir_.path() + "/restore.log");
  };

  // With exactly these: the topic is created and filled, and the group moved.
  ran = restore(prefix + "0");
  ASSERT_EQ(ran.code, 0) << ran.output;
  EXPECT_EQ(restore::testutil::EndOffsetSum(Env("PLAIN_BOOTSTRAP"), prefix + "0", 2), 100);
  auto moved = admin_->ListConsumerGroupOffsets(app_group_, 30s);
  ASSERT_TRUE(moved.ok()) << moved.status().ToString();
  EXPECT_EQ(moved->count({prefix + "0", 0}), 1u);
  EXPECT_EQ(moved->count({prefix + "0", 1}), 1u);

  int round = 0;
  for (const Acl& missing : required) {
    const std::string target = prefix + std::to_string(++round);
    // The message names the target topic (the ACL itself is on the prefix).
    const std::string expected = missing.type == RD_KAFKA_RESOURCE_TOPIC
                                     ? "not authorized to " +
                                           missing.label.substr(0, missing.label.find(' ')) +
                                           " topic " + target
                                     : "not authorized to " + missing.label;
    SCOPED_TRACE("without " + missing.label);
    acls.Remove(missing);
    auto start = std::chrono::steady_clock::now();
    ran = restore(target);
    ExpectRefused(ran, std::chrono::steady_clock::now() - start, expected, password);
    acls.Add({missing});
  }
}

}  // namespace
}  // namespace kb::cli
