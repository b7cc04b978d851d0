// GcsStore against the real GCS emulator started by scripts/test.sh (fake-gcs-server,
// test/services/gcs.sh): the storage conformance suite, unchanged, plus the upload paths
// (multipart and resumable, chunks cutting across the caller's parts).
#include <gtest/gtest.h>

#include "storage/gcs/gcs_store.h"
#include "testing/gcs_server.h"
#include "testing/test_env.h"

namespace kb::storage::gcs {
namespace {

std::string Pattern(size_t n) {
  std::string data(n, '\0');
  for (size_t i = 0; i < n; ++i) data[i] = static_cast<char>((i * 131) >> 7);
  return data;
}

TEST(GcsSmokeTest, PutGetHeadRangeDelete) {
  auto store = GcsStore::Make(testing::TestGcsServerConfig());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ((*store)->Describe(), "gs://" + testing::RequireEnv("KB_TEST_GCS_BUCKET"));
  const std::string key = testing::UniqueName("smoke") + "/hello world+=%?#.txt";
  ASSERT_TRUE((*store)->Put(key, "hello, gcs").ok());
  auto got = (*store)->Get(key);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, "hello, gcs");
  EXPECT_EQ(*(*store)->Head(key), 10u);
  EXPECT_EQ(*(*store)->GetRange(key, 7, 100), "gcs");
  ASSERT_TRUE((*store)->Delete({key}).ok());
  auto gone = (*store)->Get(key);
  ASSERT_FALSE(gone.ok());
  EXPECT_TRUE(gone.status().IsNotFound()) << gone.status().ToString();
  EXPECT_EQ(gone.status().subject(), key);
}

// Resumable upload with 256 KiB chunks; the parts are cut across by the chunks, and one part
// spans several chunks.
TEST(GcsSmokeTest, ResumableUploadCutsChunksAcrossTheParts) {
  auto store = GcsStore::Make(testing::TestGcsServerConfig(),
                              {.resumable_threshold = 300 << 10, .chunk_size = 256 << 10});
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  const std::string data = Pattern((1 << 20) + 12345);
  const std::string_view all(data);
  const std::vector<std::string_view> parts = {all.substr(0, 1000), all.substr(1000, 600 << 10),
                                               all.substr(1000 + (600 << 10), 0),
                                               all.substr(1000 + (600 << 10))};
  const std::string key = testing::UniqueName("resumable") + "/parts";
  Status put = (*store)->PutParts(key, parts);
  ASSERT_TRUE(put.ok()) << put.ToString();
  auto got = (*store)->Get(key);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->size(), data.size());
  EXPECT_TRUE(*got == data);
  auto range = (*store)->GetRange(key, (256 << 10) - 3, 6);
  ASSERT_TRUE(range.ok()) << range.status().ToString();
  EXPECT_EQ(*range, data.substr((256 << 10) - 3, 6));
  EXPECT_TRUE((*store)->Delete({key}).ok());
}

// An object of exactly two chunks (the last chunk is a full one).
TEST(GcsSmokeTest, ResumableUploadOfWholeChunks) {
  auto store = GcsStore::Make(testing::TestGcsServerConfig(),
                              {.resumable_threshold = 1, .chunk_size = 256 << 10});
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  const std::string data = Pattern(512 << 10);
  const std::string key = testing::UniqueName("resumable") + "/whole";
  ASSERT_TRUE((*store)->Put(key, data).ok());
  auto got = (*store)->Get(key);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_TRUE(*got == data);
  EXPECT_TRUE((*store)->Delete({key}).ok());
}

TEST(GcsSmokeTest, AChunkSizeThatIsNotAMultipleOf256KiBIsRefused) {
  auto store = GcsStore::Make(testing::TestGcsServerConfig(), {.chunk_size = 100 << 10});
  ASSERT_FALSE(store.ok());
  EXPECT_TRUE(store.status().IsInvalidArgument()) << store.status().ToString();
}

TEST(GcsSmokeTest, MissingBucketIsNotFound) {
  GcsStoreConfig cfg = testing::TestGcsServerConfig();
  cfg.bucket = "kb-no-such-bucket";
  auto store = GcsStore::Make(cfg);
  ASSERT_TRUE(store.ok());
  auto r = (*store)->Get("k");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsNotFound()) << r.status().ToString();
  auto list = (*store)->List("", "", 10);
  ASSERT_FALSE(list.ok());
  EXPECT_TRUE(list.status().IsNotFound()) << list.status().ToString();
}

}  // namespace
}  // namespace kb::storage::gcs

// The storage conformance suite, unchanged, against the emulator.
#include "storage/store_conformance.h"

KB_INSTANTIATE_STORE_CONFORMANCE(Gcs, kb::storage::StoreFactory{
                                          .name = "gcs",
                                          .make =
                                              [] {
                                                auto s = kb::storage::gcs::GcsStore::Make(
                                                    kb::testing::TestGcsServerConfig());
                                                EXPECT_TRUE(s.ok()) << s.status().ToString();
                                                return std::unique_ptr<kb::storage::ObjectStore>(
                                                    std::move(s).value());
                                              },
                                          .large_object_bytes = 100 << 20});
