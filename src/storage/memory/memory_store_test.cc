#include "storage/memory/memory_store.h"

#include <gtest/gtest.h>

#include "storage/store_conformance.h"

namespace kb::storage {
namespace {

KB_INSTANTIATE_STORE_CONFORMANCE(Memory, StoreFactory{
                                             .name = "memory",
                                             .make = [] { return std::make_unique<MemoryStore>(); },
                                         });

TEST(MemoryStoreTest, CountsCallsAndBytes) {
  MemoryStore store("stats");
  ASSERT_TRUE(store.Put("a", "12345").ok());
  ASSERT_TRUE(store.Put("b", "xy").ok());
  ASSERT_TRUE(store.Get("a").ok());
  ASSERT_TRUE(store.GetRange("a", 1, 2).ok());
  ASSERT_TRUE(store.Head("b").ok());
  ASSERT_TRUE(store.List("", "", 10).ok());
  ASSERT_TRUE(store.Delete({"b"}).ok());
  EXPECT_TRUE(store.Get("missing").status().IsNotFound());
  const MemoryStore::Stats s = store.stats();
  EXPECT_EQ(s.puts, 2u);
  EXPECT_EQ(s.gets, 2u);  // the failed Get is counted too
  EXPECT_EQ(s.get_ranges, 1u);
  EXPECT_EQ(s.heads, 1u);
  EXPECT_EQ(s.lists, 1u);
  EXPECT_EQ(s.deletes, 1u);
  EXPECT_EQ(s.bytes_written, 7u);
  EXPECT_EQ(s.bytes_read, 5u + 2u);  // only the range's bytes count for GetRange
  store.ResetStats();
  EXPECT_EQ(store.stats().puts, 0u);
  EXPECT_EQ(store.stats().bytes_read, 0u);
}

TEST(MemoryStoreTest, ContentsAndCountReflectTheStore) {
  MemoryStore store;
  ASSERT_TRUE(store.Put("x/1", "one").ok());
  ASSERT_TRUE(store.Put("x/2", "two").ok());
  EXPECT_EQ(store.object_count(), 2u);
  EXPECT_EQ(store.Contents(), (std::map<std::string, std::string>{{"x/1", "one"}, {"x/2", "two"}}));
  ASSERT_TRUE(store.Delete({"x/1"}).ok());
  EXPECT_EQ(store.object_count(), 1u);
  EXPECT_EQ(store.Describe(), "memory://default");
}

TEST(MemoryStoreTest, ZeroMaxKeysIsInvalidArgument) {
  MemoryStore store;
  EXPECT_TRUE(store.List("", "", 0).status().IsInvalidArgument());
}

TEST(MemoryStoreTest, TokenBeforePrefixStartsAtThePrefix) {
  MemoryStore store;
  for (const char* k : {"a", "b/1", "b/2", "c"}) ASSERT_TRUE(store.Put(k, "").ok());
  auto page = store.List("b/", "a", 10);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->objects.size(), 2u);
  EXPECT_EQ(page->objects[0].key, "b/1");
  EXPECT_EQ(page->next_token, "");
}

}  // namespace
}  // namespace kb::storage
