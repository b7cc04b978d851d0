#include "storage/factory/open_store.h"

#include <gtest/gtest.h>

#include "layout/keys.h"
#include "testing/test_env.h"

namespace kb::storage {
namespace {

TEST(OpenStoreTest, LocalByDefault) {
  testing::TempDir dir;
  StorageConfig cfg;
  cfg.local.path = dir.path() + "/store";
  auto store = OpenStore(cfg);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  ASSERT_TRUE((*store)->Put("a/b", "x").ok());
  EXPECT_EQ(*(*store)->Get("a/b"), "x");
  EXPECT_NE((*store)->Describe().find(dir.path()), std::string::npos) << (*store)->Describe();
}

TEST(OpenStoreTest, DecoratorSitsUnderTheRetryLayer) {
  testing::TempDir dir;
  StorageConfig cfg;
  cfg.local.path = dir.path();
  int wrapped = 0;
  auto store = OpenStore(cfg, [&](std::unique_ptr<ObjectStore> inner) {
    ++wrapped;
    return inner;
  });
  ASSERT_TRUE(store.ok());
  EXPECT_EQ(wrapped, 1);
  EXPECT_NE(dynamic_cast<RetryingStore*>(store->get()), nullptr);
}

TEST(OpenStoreTest, BadS3EndpointNamesTheKey) {
  StorageConfig cfg;
  cfg.type = StorageConfig::Type::kS3;
  cfg.s3.bucket = "b";
  cfg.s3.endpoint = "not a url";
  auto store = OpenStore(cfg);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().subject(), "storage.s3.endpoint");
}

TEST(OpenStoreTest, GcsSectionOpensTheGcsBackend) {
  StorageConfig cfg;
  cfg.type = StorageConfig::Type::kGcs;
  cfg.gcs.bucket = "kb-bucket";
  cfg.gcs.endpoint = "http://127.0.0.1:9";
  cfg.gcs.auth = GcsStoreConfig::Auth::kNone;
  auto store = OpenStore(cfg);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ((*store)->Describe(), "gs://kb-bucket");
  cfg.gcs.auth = GcsStoreConfig::Auth::kServiceAccount;
  cfg.gcs.credentials_file = "/nonexistent/sa.json";
  store = OpenStore(cfg);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().subject(), "storage.gcs.credentials_file");
}

// storage.s3.storage_class goes to data segments only, as layout::Keys names them.
TEST(OpenStoreTest, SegmentKeyPredicateKnowsOnlySegments) {
  for (const char* prefix : {"", "prod/eu"}) {
    const layout::Keys keys(prefix);
    const auto is_segment = SegmentKeyPredicate(prefix);
    EXPECT_TRUE(is_segment(keys.Segment("orders", 3, 0, 999))) << prefix;
    EXPECT_TRUE(is_segment(keys.Generation(1700000000000).Segment("orders", 0, 5, 9))) << prefix;
    EXPECT_FALSE(is_segment(keys.TopicMetadata("orders"))) << prefix;
    EXPECT_FALSE(is_segment(keys.RetentionState("orders"))) << prefix;
    EXPECT_FALSE(is_segment(keys.ConsumerOffsets("orders", 3))) << prefix;
    EXPECT_FALSE(is_segment(keys.ConsumerOffsetsHistory("orders", 3, 1700000000000))) << prefix;
    EXPECT_FALSE(is_segment(keys.Gap("orders", 3, 0, 10))) << prefix;
    EXPECT_FALSE(is_segment(keys.RestoreOffsetMap("orders", 3, "AbCd_-12", "orders2"))) << prefix;
    EXPECT_FALSE(is_segment(keys.GenerationMove("orders"))) << prefix;
    EXPECT_FALSE(is_segment(keys.Generation(1700000000000).TopicMetadata("orders"))) << prefix;
  }
  // A segment key under another prefix is not one of this store's segments.
  EXPECT_FALSE(SegmentKeyPredicate("a")(layout::Keys("b").Segment("t", 0, 0, 1)));
}

TEST(OpenStoreTest, BadS3UploadOptionNamesTheKey) {
  StorageConfig cfg;
  cfg.type = StorageConfig::Type::kS3;
  cfg.s3.bucket = "b";
  cfg.s3.endpoint = "https://h";
  cfg.s3.storage_class = "DEEP_ARCHIVE";
  auto store = OpenStore(cfg);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().subject(), "storage.s3.storage_class");
}

TEST(OpenStoreTest, LocalPathUnderAFileFails) {
  testing::TempDir dir;
  StorageConfig cfg;
  ASSERT_TRUE(OpenStore({.local = {dir.path()}}).ok());
  std::FILE* f = std::fopen((dir.path() + "/file").c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fclose(f);
  cfg.local.path = dir.path() + "/file/store";
  auto store = OpenStore(cfg);
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.status().ToString().find("storage.local.path"), std::string::npos)
      << store.status().ToString();
}

}  // namespace
}  // namespace kb::storage
