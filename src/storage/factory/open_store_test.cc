#include "storage/factory/open_store.h"

#include <gtest/gtest.h>

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
