// storage.s3.object_lock against the real S3 test server (versitygw v1.8.0, posix backend, which
// scripts/test.sh starts): a bucket created with Object Lock, segments written through the whole
// store stack OpenStore builds, the lock the server records, the server refusing a direct delete,
// and prune keeping a locked topic until the date has passed.
//
// What versitygw does (checked here): it accepts x-amz-bucket-object-lock-enabled on CreateBucket,
// verifies the signature over the lock headers, records mode and retain-until date (HeadObject
// answers them), and refuses DeleteObject(s) of a locked object with AccessDenied. Unlike AWS it
// does not version this bucket, so a delete there is refused rather than turned into a delete
// marker (docs/security.md says what AWS does).
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

#include "common/clock.h"
#include "layout/keys.h"
#include "ops/retention.h"
#include "report/report_text.h"
#include "storage/factory/open_store.h"
#include "storage/s3/s3_client.h"
#include "testing/s3_server.h"
#include "testing/test_env.h"

namespace kb::ops {
namespace {

using namespace std::chrono_literals;

// A fresh bucket with Object Lock enabled, and a config for it.
StorageConfig LockedBucketConfig(std::chrono::milliseconds retention) {
  StorageConfig cfg;
  cfg.type = StorageConfig::Type::kS3;
  cfg.prefix = "backups";
  cfg.retry_timeout = 3s;
  cfg.s3 = kb::testing::TestS3ServerConfig();
  cfg.s3.bucket = "kb-lock-" + std::to_string(NowMs()) + "-" +
                  std::to_string(std::hash<std::string>()(kb::testing::UniqueName("b")) % 100000);
  auto client = storage::s3::S3Client::Make(cfg.s3);
  EXPECT_TRUE(client.ok()) << client.status().ToString();
  if (client.ok()) {
    Status s = (*client)->CreateBucket(/*object_lock=*/true);
    EXPECT_TRUE(s.ok()) << s.ToString();
  }
  cfg.s3.object_lock = {.mode = "GOVERNANCE", .retention = retention};
  return cfg;
}

TEST(ObjectLockIntegrationTest, SegmentsAreLockedDeletesRefusedAndPruneWaitsForTheDate) {
  StorageConfig cfg = LockedBucketConfig(3s);
  auto store = storage::OpenStore(cfg);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  const layout::Keys keys(cfg.prefix);
  const std::string topic = "orders";
  const std::string small = keys.Segment(topic, 0, 0, 9);
  const std::string big = keys.Segment(topic, 0, 10, 19);  // multipart (above 16 MiB)
  const std::string meta = keys.TopicMetadata(topic);
  const int64_t before = NowMs();
  Status s = (*store)->Put(small, "segment bytes");
  ASSERT_TRUE(s.ok()) << s.ToString();
  std::string big_bytes(17 << 20, 'x');
  big_bytes[(8 << 20) + 5] = 'y';
  s = (*store)->Put(big, big_bytes);
  ASSERT_TRUE(s.ok()) << s.ToString();
  s = (*store)->Put(meta, "{}");
  ASSERT_TRUE(s.ok()) << s.ToString();
  const int64_t after = NowMs();

  // What the server recorded: segments locked for the retention, topic.json not at all.
  int64_t last_until = 0;
  for (const std::string& key : {small, big}) {
    auto lock = (*store)->Lock(key);
    ASSERT_TRUE(lock.ok()) << key << ": " << lock.status().ToString();
    ASSERT_TRUE(lock->has_value()) << key;
    EXPECT_EQ((*lock)->mode, "GOVERNANCE") << key;
    EXPECT_GE((*lock)->retain_until_ms, before + 3000) << key;
    EXPECT_LE((*lock)->retain_until_ms, after + 4000) << key;
    last_until = std::max(last_until, (*lock)->retain_until_ms);
  }
  auto meta_lock = (*store)->Lock(meta);
  ASSERT_TRUE(meta_lock.ok()) << meta_lock.status().ToString();
  EXPECT_FALSE(meta_lock->has_value());
  EXPECT_TRUE((*store)->Lock(keys.Segment(topic, 0, 20, 29)).status().IsNotFound());
  auto big_back = (*store)->Get(big);
  ASSERT_TRUE(big_back.ok()) << big_back.status().ToString();
  EXPECT_TRUE(*big_back == big_bytes);

  // The server refuses a direct delete of a locked segment; the data stays.
  Status del = (*store)->Delete({small});
  ASSERT_FALSE(del.ok()) << "a locked object was deleted";
  EXPECT_TRUE(del.IsPermissionDenied()) << del.ToString();
  EXPECT_EQ(del.subject(), small) << del.ToString();
  EXPECT_EQ(*(*store)->Get(small), "segment bytes");

  // prune --topic before the date: refused, naming a locked key, nothing deleted (not tried).
  auto refused = PruneTopic(**store, keys, topic, /*execute=*/true, "test");
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(refused.status().subject() == small || refused.status().subject() == big)
      << refused.status().ToString();
  EXPECT_NE(refused.status().message().find("GOVERNANCE"), std::string::npos)
      << refused.status().ToString();
  EXPECT_NE(refused.status().message().find("2 of the 3 objects"), std::string::npos)
      << refused.status().ToString();
  EXPECT_TRUE((*store)->Head(meta).ok()) << "topic.json deleted although segments are locked";

  // After the date, prune deletes the whole topic.
  while (NowMs() <= last_until + 1000) std::this_thread::sleep_for(100ms);
  auto done = PruneTopic(**store, keys, topic, /*execute=*/true, "test");
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_EQ(done->deleted.size(), 3u);
  auto left = storage::ListAll(**store, keys.TopicPrefix(topic));
  ASSERT_TRUE(left.ok()) << left.status().ToString();
  EXPECT_TRUE(left->empty());
}

// A bucket without Object Lock: the locked upload is refused with an error naming
// storage.s3.object_lock (not retried); other objects are written as usual.
TEST(ObjectLockIntegrationTest, ABucketWithoutObjectLockNamesTheConfigKey) {
  StorageConfig cfg;
  cfg.type = StorageConfig::Type::kS3;
  cfg.prefix = kb::testing::UniqueName("nolock");
  cfg.retry_timeout = 30s;
  cfg.s3 = kb::testing::TestS3ServerConfig();  // the test bucket: no Object Lock
  cfg.s3.object_lock = {.mode = "COMPLIANCE", .retention = 1h};
  auto store = storage::OpenStore(cfg);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  const layout::Keys keys(cfg.prefix);
  ASSERT_TRUE((*store)->Put(keys.TopicMetadata("t"), "{}").ok());
  const auto start = std::chrono::steady_clock::now();
  Status put = (*store)->Put(keys.Segment("t", 0, 0, 9), "x");
  ASSERT_FALSE(put.ok()) << "versitygw accepted a locked upload into a bucket without Object Lock";
  EXPECT_EQ(put.subject(), "storage.s3.object_lock") << put.ToString();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s) << "retried: " << put.ToString();
  EXPECT_TRUE((*store)->Delete({keys.TopicMetadata("t")}).ok());
}

}  // namespace
}  // namespace kb::ops
