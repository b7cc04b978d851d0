// Encryption at rest through the kafka-backup binary, against the real broker and the real S3
// server (versitygw; KB_TEST_S3_*): a backup whose objects hold no plaintext, a restore that gives
// every record back, a restore with the wrong key or no key that fails naming the object and the
// key id (and produces nothing), verify with and without the key, and a key rotated between two
// runs of the backup daemon whose old and new segments both restore.
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "backup/backup_test_util.h"
#include "cli/cli_test_util.h"
#include "crypto/key_ring.h"
#include "crypto/sealed_object.h"
#include "format/segment_decoder.h"
#include "layout/keys.h"
#include "restore/restore_test_util.h"
#include "storage/factory/open_store.h"
#include "testing/test_env.h"

namespace kb::cli {
namespace {

using namespace std::chrono_literals;
using cli::testing::Ran;
using cli::testing::SpawnLogged;
using cli::testing::WaitFor;

constexpr char kMarker[] = "PLAINTEXT-MARKER-";

std::string RandomKey() {
  std::string raw(32, '\0');
  EXPECT_TRUE(crypto::RandomBytes(raw.data(), raw.size()).ok());
  return crypto::EncodeBase64(raw);
}

class EncryptionCliTest : public backup::testutil::KafkaTest {
 protected:
  void SetUp() override {
    backup::testutil::KafkaTest::SetUp();
    if (HasFatalFailure()) return;
    prefix_ = kb::testing::UniqueName("enc");
    ::setenv("KB_TEST_ENC_K1", RandomKey().c_str(), 1);
    ::setenv("KB_TEST_ENC_K2", RandomKey().c_str(), 1);
    ::setenv("KB_TEST_ENC_WRONG", RandomKey().c_str(), 1);
  }
  void TearDown() override {
    for (const char* k : {"KB_TEST_ENC_K1", "KB_TEST_ENC_K2", "KB_TEST_ENC_WRONG"}) ::unsetenv(k);
  }

  // The storage section: S3 when `s3`, else a local directory.
  std::string StorageYaml(bool s3) const {
    std::string y = "storage:\n  prefix: " + prefix_ + "\n  retry_timeout: 10s\n";
    if (s3) {
      y += "  s3:\n    endpoint: " + kb::testing::RequireEnv("KB_TEST_S3_ENDPOINT") +
           "\n    bucket: " + kb::testing::RequireEnv("KB_TEST_S3_BUCKET") +
           "\n    region: " + kb::testing::RequireEnv("KB_TEST_S3_REGION") +
           "\n    access_key_id: " + kb::testing::RequireEnv("KB_TEST_S3_ACCESS_KEY") +
           "\n    secret_access_key: " + kb::testing::RequireEnv("KB_TEST_S3_SECRET_KEY") +
           "\n    path_style: true\n";
    } else {
      y += "  local:\n    path: " + dir_.path() + "/store\n";
    }
    return y;
  }
  // A config file named `name` with the given encryption section (may be empty).
  std::string Config(const std::string& name, bool s3, const std::string& encryption,
                     const std::string& topic) {
    const std::string path = dir_.path() + "/" + name + ".yaml";
    std::ofstream(path) << "kafka:\n  bootstrap.servers: " << bootstrap_ << "\n"
                        << StorageYaml(s3) << encryption << "backup:\n  group_id: " << prefix_
                        << "-g\n  topics: [" << topic << "]\n  segment:\n    max_age: 1s\n";
    return path;
  }
  static std::string Keys(const std::string& current, const std::vector<std::string>& ids,
                          bool metadata = false) {
    std::string y = "  encryption:\n    current_key: " + current + "\n";
    if (metadata) y += "    encrypt_metadata: true\n";
    y += "    keys:\n";
    for (const std::string& id : ids) y += "      " + id + ": env:KB_TEST_ENC_" + id + "\n";
    return y;
  }
  // `records` records of ~150 bytes into partition p of `topic`, offsets `first`... in values.
  void Produce(const std::string& topic, int partitions, int first, int count) {
    const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
    backup::testutil::RawProducer producer(bootstrap_);
    for (int i = first; i < first + count; ++i) {
      format::Record r;
      r.key = "key-" + std::to_string(i);
      r.value = kMarker + std::to_string(i) + std::string(120, 'x');
      r.timestamp = now_ms - 60'000 + i;
      producer.Send(topic, i % partitions, r);
    }
    producer.Flush();
  }
  Ran Kb(const std::string& config, std::vector<std::string> args, const std::string& log) {
    args.insert(args.begin(), {"--config", config});
    return cli::testing::Run(KB_BINARY, args, dir_.path() + "/" + log + ".log", 180s);
  }
  // Every object under the prefix, read raw (no keys).
  std::map<std::string, std::string> RawObjects(bool s3) {
    StorageConfig cfg;
    cfg.prefix = prefix_;
    if (s3) {
      cfg.type = StorageConfig::Type::kS3;
      cfg.s3.endpoint = kb::testing::RequireEnv("KB_TEST_S3_ENDPOINT");
      cfg.s3.bucket = kb::testing::RequireEnv("KB_TEST_S3_BUCKET");
      cfg.s3.region = kb::testing::RequireEnv("KB_TEST_S3_REGION");
      cfg.s3.access_key_id = kb::testing::RequireEnv("KB_TEST_S3_ACCESS_KEY");
      cfg.s3.secret_access_key = kb::testing::RequireEnv("KB_TEST_S3_SECRET_KEY");
      cfg.s3.path_style = true;
    } else {
      cfg.local.path = dir_.path() + "/store";
    }
    std::map<std::string, std::string> out;
    auto store = storage::OpenStore(cfg);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    if (!store.ok()) return out;
    std::string token;
    do {
      auto page = (*store)->List(prefix_ + "/", token, 1000);
      EXPECT_TRUE(page.ok()) << page.status().ToString();
      if (!page.ok()) break;
      for (const auto& o : page->objects) {
        // GetRange: the sealing layer would refuse to hand out a sealed JSON object without keys.
        auto bytes = (*store)->GetRange(o.key, 0, o.size);
        EXPECT_TRUE(bytes.ok()) << o.key;
        if (bytes.ok()) out[o.key] = *bytes;
      }
      token = page->next_token;
    } while (!token.empty());
    return out;
  }
  // The key ids named by the segments of topic/partition, by end offset.
  std::map<int64_t, std::string> SegmentKeyIds(const std::string& topic, bool s3) {
    std::map<int64_t, std::string> out;
    layout::Keys keys(prefix_);
    for (const auto& [key, bytes] : RawObjects(s3)) {
      if (keys.Classify(key) != layout::KeyKind::kSegment) continue;
      auto seg = keys.ParseSegment(key);
      if (!seg.ok() || seg->topic != topic) continue;
      auto loc = format::ParseTrailer(key, bytes, bytes.size());
      EXPECT_TRUE(loc.ok()) << loc.status().ToString();
      out[seg->end_offset] = loc.ok() && loc->seal ? loc->seal->key_id : "";
    }
    return out;
  }
  void ExpectSameRecords(const std::string& source, const std::string& target, int partitions) {
    for (int p = 0; p < partitions; ++p) {
      auto want = restore::testutil::ReadAll(bootstrap_, source, p);
      auto got = restore::testutil::ReadAll(bootstrap_, target, p);
      ASSERT_EQ(got.size(), want.size()) << "partition " << p;
      for (size_t i = 0; i < want.size(); ++i) {
        EXPECT_EQ(got[i].key, want[i].key) << p << "/" << i;
        EXPECT_EQ(got[i].value, want[i].value) << p << "/" << i;
        EXPECT_EQ(got[i].timestamp, want[i].timestamp) << p << "/" << i;
      }
    }
  }

  kb::testing::TempDir dir_;
  std::string prefix_;
};

TEST_F(EncryptionCliTest, S3BackupHoldsNoPlaintextAndRestoresOnlyWithTheRightKey) {
  const std::string topic = kb::testing::UniqueName("enc-s3");
  CreateTopic(topic, 2);
  Produce(topic, 2, 0, 600);
  const std::string with_key = Config("k1", true, Keys("K1", {"K1"}, true), topic);
  Ran r = Kb(with_key, {"backup", "--once"}, "backup");
  ASSERT_EQ(r.code, 0) << r.output;

  // Nothing in the store reveals a record value; segments are format version 2; topic.json is
  // sealed (encrypt_metadata).
  const auto objects = RawObjects(true);
  layout::Keys keys(prefix_);
  int segments = 0;
  bool saw_topic_json = false;
  for (const auto& [key, bytes] : objects) {
    EXPECT_EQ(bytes.find(kMarker), std::string::npos) << key;
    EXPECT_EQ(bytes.find("xxxxxxxxxxxxxxxx"), std::string::npos) << key;
    if (keys.Classify(key) == layout::KeyKind::kSegment) {
      ++segments;
      EXPECT_TRUE(format::LooksEncrypted(bytes)) << key;
    }
    if (key == keys.TopicMetadata(topic)) {
      saw_topic_json = true;
      EXPECT_TRUE(crypto::LooksSealed(bytes)) << key;
    }
  }
  EXPECT_GE(segments, 2);
  EXPECT_TRUE(saw_topic_json);

  // verify: every tag with the key; the structure, and which key is missing, without it.
  r = Kb(with_key, {"verify"}, "verify");
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find(std::to_string(segments) + " checked in full"), std::string::npos)
      << r.output;
  const std::string no_keys = Config("none", true, "", topic);
  r = Kb(no_keys, {"verify"}, "verify-nokey");
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("checked without their key"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("no key 'K1'"), std::string::npos) << r.output;

  // The right key: every record back, in order.
  const std::string target = topic + "-back";
  r = Kb(with_key, {"restore", "--topic", topic, "--rename", topic + "=" + target}, "restore");
  ASSERT_EQ(r.code, 0) << r.output;
  ExpectSameRecords(topic, target, 2);
  // The restore records (offset maps: record positions) are sealed too.
  int restore_records = 0;
  for (const auto& [key, bytes] : RawObjects(true)) {
    if (keys.Classify(key) != layout::KeyKind::kRestoreOffsetMap) continue;
    ++restore_records;
    EXPECT_TRUE(crypto::LooksSealed(bytes)) << key;
  }
  EXPECT_EQ(restore_records, 2);
  r = Kb(with_key, {"offsets", "export", "--topic", topic, "--target-topic", target}, "export");
  EXPECT_EQ(r.code, 0) << r.output;

  // Another key under the id K1, or no key at all: one error naming an object and the key id, and
  // nothing produced.
  const std::string wrong =
      Config("wrong", true, "  encryption:\n    keys:\n      K1: env:KB_TEST_ENC_WRONG\n", topic);
  const std::string wrong_target = topic + "-wrong";
  r = Kb(wrong, {"restore", "--topic", topic, "--rename", topic + "=" + wrong_target},
         "restore-wrong");
  EXPECT_NE(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("another key than the one configured as key id 'K1'"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find(prefix_ + "/" + topic + "/"), std::string::npos) << r.output;
  EXPECT_EQ(restore::testutil::EndOffsetSum(bootstrap_, wrong_target, 2), 0);
  r = Kb(no_keys, {"restore", "--topic", topic, "--rename", topic + "=" + wrong_target},
         "restore-nokey");
  EXPECT_NE(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("key id 'K1'"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("storage.encryption"), std::string::npos) << r.output;
  EXPECT_EQ(restore::testutil::EndOffsetSum(bootstrap_, wrong_target, 2), 0);
  // No key material in any output.
  for (const char* var : {"KB_TEST_ENC_K1", "KB_TEST_ENC_WRONG"}) {
    for (const char* log : {"backup", "verify", "restore", "restore-wrong", "restore-nokey"}) {
      EXPECT_EQ(cli::testing::ReadFile(dir_.path() + "/" + log + ".log").find(::getenv(var)),
                std::string::npos)
          << log;
    }
  }
}

TEST_F(EncryptionCliTest, KeyRotatedBetweenDaemonRunsOldAndNewSegmentsRestore) {
  const std::string topic = kb::testing::UniqueName("enc-rot");
  CreateTopic(topic, 1);
  auto run_daemon_until = [&](const std::string& config, int64_t last_offset,
                              const std::string& log) {
    pid_t pid = SpawnLogged({KB_BINARY, "--config", config, "backup"}, dir_.path() + "/" + log);
    const auto deadline = std::chrono::steady_clock::now() + 120s;
    bool done = false;
    while (!done && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(500ms);
      auto ids = SegmentKeyIds(topic, false);
      done = !ids.empty() && ids.rbegin()->first >= last_offset;
    }
    ::kill(pid, SIGTERM);
    EXPECT_EQ(WaitFor(pid, 60s), 0) << cli::testing::ReadFile(dir_.path() + "/" + log);
    EXPECT_TRUE(done) << "no segment up to offset " << last_offset;
  };
  Produce(topic, 1, 0, 100);
  run_daemon_until(Config("k1", false, Keys("K1", {"K1"}), topic), 99, "daemon1.log");
  // Rotation: K2 becomes current, K1 stays for the old segments.
  Produce(topic, 1, 100, 100);
  run_daemon_until(Config("k2", false, Keys("K2", {"K1", "K2"}), topic), 199, "daemon2.log");

  const auto ids = SegmentKeyIds(topic, false);
  ASSERT_FALSE(ids.empty());
  bool old_seen = false, new_seen = false;
  for (const auto& [end, id] : ids) {
    if (end <= 99) {
      EXPECT_EQ(id, "K1") << "segment ending at " << end;
      old_seen = true;
    } else {
      EXPECT_EQ(id, "K2") << "segment ending at " << end;
      new_seen = true;
    }
  }
  EXPECT_TRUE(old_seen && new_seen);

  const std::string both = dir_.path() + "/k2.yaml";
  const std::string target = topic + "-back";
  Ran r = Kb(both, {"restore", "--topic", topic, "--rename", topic + "=" + target}, "restore");
  ASSERT_EQ(r.code, 0) << r.output;
  ExpectSameRecords(topic, target, 1);
  EXPECT_EQ(restore::testutil::ReadAll(bootstrap_, target, 0).size(), 200u);

  // Without the old key the old segments cannot be read: the error names the key id K1.
  const std::string only_new = Config("only-k2", false, Keys("K2", {"K2"}), topic);
  r = Kb(only_new, {"restore", "--topic", topic, "--rename", topic + "=" + topic + "-k2"},
         "restore-k2");
  EXPECT_NE(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("key id 'K1'"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace kb::cli
