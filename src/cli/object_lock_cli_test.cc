// storage.s3.object_lock through the kafka-backup binary, against the real broker and the real S3
// server (versitygw; KB_TEST_S3_*), in a bucket created with Object Lock: `backup --once` writes
// segments the server reports locked (topic.json and the offsets not), `prune --topic --execute`
// refuses while they are locked (exit 1, naming a locked key and its date, nothing deleted), and
// deletes the backup once the date has passed.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "backup/backup_test_util.h"
#include "cli/cli_test_util.h"
#include "common/clock.h"
#include "layout/keys.h"
#include "storage/factory/open_store.h"
#include "storage/s3/s3_client.h"
#include "testing/s3_server.h"
#include "testing/test_env.h"

namespace kb::cli {
namespace {

using namespace std::chrono_literals;
using cli::testing::Ran;

class ObjectLockCliTest : public backup::testutil::KafkaTest {
 protected:
  void SetUp() override {
    backup::testutil::KafkaTest::SetUp();
    if (HasFatalFailure()) return;
    storage_.type = StorageConfig::Type::kS3;
    storage_.prefix = kb::testing::UniqueName("lock");
    storage_.retry_timeout = 10s;
    storage_.s3 = kb::testing::TestS3ServerConfig();
    storage_.s3.bucket = "kb-lock-cli-" + std::to_string(NowMs());
    auto client = storage::s3::S3Client::Make(storage_.s3);
    ASSERT_TRUE(client.ok()) << client.status().ToString();
    Status s = (*client)->CreateBucket(/*object_lock=*/true);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  std::string Config(const std::string& topic) {
    const std::string path = dir_.path() + "/kb.yaml";
    const S3StoreConfig& s3 = storage_.s3;
    std::ofstream(path) << "kafka:\n  bootstrap.servers: " << bootstrap_ << "\n"
                        << "storage:\n  prefix: " << storage_.prefix
                        << "\n  retry_timeout: 10s\n  s3:\n    endpoint: " << s3.endpoint
                        << "\n    bucket: " << s3.bucket << "\n    region: " << s3.region
                        << "\n    access_key_id: " << s3.access_key_id
                        << "\n    secret_access_key: " << s3.secret_access_key
                        << "\n    path_style: true\n"
                        << "    object_lock: {mode: governance, retention: 30s}\n"
                        << "backup:\n  group_id: " << storage_.prefix << "-g\n  topics: [" << topic
                        << "]\n  segment:\n    max_age: 1s\n";
    return path;
  }
  Ran Kb(const std::string& config, std::vector<std::string> args, const std::string& log) {
    args.insert(args.begin(), {"--config", config});
    return cli::testing::Run(KB_BINARY, args, dir_.path() + "/" + log + ".log", 180s);
  }

  StorageConfig storage_;
  kb::testing::TempDir dir_;
};

TEST_F(ObjectLockCliTest, BackupLocksSegmentsAndPruneWaitsForTheDate) {
  const std::string topic = kb::testing::UniqueName("locked");
  CreateTopic(topic, 1);
  backup::testutil::RawProducer producer(bootstrap_);
  for (int i = 0; i < 50; ++i) {
    format::Record r;
    r.key = "k" + std::to_string(i);
    r.value = "v" + std::to_string(i);
    producer.Send(topic, 0, r);
  }
  producer.Flush();
  const std::string config = Config(topic);
  const int64_t before = NowMs();
  Ran backup = Kb(config, {"backup", "--once"}, "backup");
  ASSERT_EQ(backup.code, 0) << backup.output;

  auto store = storage::OpenStore(storage_);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  const layout::Keys keys(storage_.prefix);
  auto objects = storage::ListAll(**store, keys.TopicPrefix(topic));
  ASSERT_TRUE(objects.ok()) << objects.status().ToString();
  size_t segments = 0;
  int64_t last_until = 0;
  for (const storage::ObjectInfo& o : *objects) {
    auto lock = (*store)->Lock(o.key);
    ASSERT_TRUE(lock.ok()) << o.key << ": " << lock.status().ToString();
    const bool segment = keys.Classify(o.key) == layout::KeyKind::kSegment;
    EXPECT_EQ(lock->has_value(), segment) << o.key;
    if (!segment || !lock->has_value()) continue;
    ++segments;
    EXPECT_EQ((*lock)->mode, "GOVERNANCE") << o.key;
    EXPECT_GE((*lock)->retain_until_ms, before + 30'000) << o.key;
    last_until = std::max(last_until, (*lock)->retain_until_ms);
  }
  ASSERT_GE(segments, 1u);
  ASSERT_GT(objects->size(), segments) << "topic.json and offsets are stored too";
  ASSERT_LT(NowMs(), last_until - 5'000) << "the backup took too long to test before the date";

  Ran refused = Kb(config, {"prune", "--topic", topic, "--force", "--execute"}, "prune1");
  EXPECT_EQ(refused.code, 1) << refused.output;
  EXPECT_NE(refused.output.find("object-locked (GOVERNANCE) until"), std::string::npos)
      << refused.output;
  EXPECT_NE(refused.output.find("nothing deleted"), std::string::npos) << refused.output;
  auto after_refusal = storage::ListAll(**store, keys.TopicPrefix(topic));
  ASSERT_TRUE(after_refusal.ok());
  EXPECT_EQ(after_refusal->size(), objects->size());

  while (NowMs() <= last_until + 1000) std::this_thread::sleep_for(200ms);
  Ran pruned = Kb(config, {"prune", "--topic", topic, "--force", "--execute"}, "prune2");
  EXPECT_EQ(pruned.code, 0) << pruned.output;
  auto left = storage::ListAll(**store, keys.TopicPrefix(topic));
  ASSERT_TRUE(left.ok());
  EXPECT_TRUE(left->empty()) << left->size() << " objects left";
}

}  // namespace
}  // namespace kb::cli
