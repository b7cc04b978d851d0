// Store conformance suite, part: Batch deletes, concurrent use, a large object, Describe. (See
// store_conformance.h.)
#include <algorithm>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "storage/store_conformance.h"
#include "storage/store_conformance_util.h"

namespace kb::storage {

using namespace conformance;  // NOLINT(build/namespaces): test helpers

TEST_P(StoreConformanceTest, DeleteBatchRemovesExactlyThoseKeys) {
  std::vector<std::string> keys;
  for (size_t i = 0; i < 1200; ++i)
    keys.push_back(Key("del/" + std::to_string(i % 5) + "/" + Pad(i)));
  for (size_t i = 0; i < 3; ++i) keys.push_back(Key("del/all-gone/" + Pad(i)));
  ASSERT_TRUE(PutAll(store(), keys, [](size_t) { return std::string("d"); }));

  std::vector<std::string> batch(keys.begin(), keys.begin() + 1000);  // existing
  batch.insert(batch.end(), keys.end() - 3, keys.end());
  for (size_t i = 0; batch.size() < 1500; ++i) {  // missing, some in existing "directories"
    batch.push_back(i % 2 == 0 ? Key("del/missing/" + Pad(i)) : Key("del/1/x" + Pad(i)));
  }
  KB_CONF_ASSERT_OK(store().Delete(batch));

  const std::vector<std::string> kept(keys.begin() + 1000, keys.end() - 3);
  KB_CONF_ASSIGN_OR_FAIL(auto listed, ListAll(store(), Key("del/")));
  EXPECT_EQ(KeysOf(listed), Sorted(kept));
  EXPECT_TRUE(store().Get(keys[0]).status().IsNotFound());
  EXPECT_TRUE(store().Get(keys[999]).status().IsNotFound());
  EXPECT_TRUE(HasContent(store(), keys[1000], "d"));
  KB_CONF_ASSIGN_OR_FAIL(auto gone, ListAll(store(), Key("del/all-gone/")));
  EXPECT_TRUE(gone.empty());
}

TEST_P(StoreConformanceTest, DeleteOfMissingKeysIsOk) {
  KB_CONF_ASSERT_OK(store().Delete({}));
  KB_CONF_ASSERT_OK(store().Delete({Key("never-written")}));
  KB_CONF_ASSERT_OK(store().Delete({Key("no/such/dir/key")}));
  const std::string key = Key("twice");
  KB_CONF_ASSERT_OK(store().Put(key, "x"));
  KB_CONF_ASSERT_OK(store().Delete({key, key}));  // duplicates in one batch
  KB_CONF_ASSERT_OK(store().Delete({key}));
  EXPECT_TRUE(store().Head(key).status().IsNotFound());
}

TEST_P(StoreConformanceTest, ConcurrentPutsAndGetsOnDistinctKeys) {
  constexpr int kThreads = 4;
  constexpr int kKeysPerThread = 50;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kKeysPerThread; ++i) {
        const std::string key = Key("t" + std::to_string(t) + "/" + Pad(i));
        for (int version = 0; version < 2; ++version) {
          const std::string data = Pattern(1000 + 37 * i + version, t * 1000 + i * 2 + version);
          const Status put = store().Put(key, data);
          EXPECT_TRUE(put.ok()) << put.ToString();
          EXPECT_TRUE(HasContent(store(), key, data));
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  KB_CONF_ASSIGN_OR_FAIL(auto listed, ListAll(store(), prefix_));
  ASSERT_EQ(listed.size(), size_t{kThreads * kKeysPerThread});
  for (const auto& o : listed) {
    const int i = std::stoi(o.key.substr(o.key.size() - 5));
    EXPECT_EQ(o.size, static_cast<uint64_t>(1000 + 37 * i + 1)) << o.key;
  }
}

TEST_P(StoreConformanceTest, ConcurrentOverwritesAreAllOrNothing) {
  const std::string key = Key("contended");
  const std::string a(256 << 10, 'a');
  const std::string b((300 << 10) + 7, 'b');
  KB_CONF_ASSERT_OK(store().Put(key, a));
  std::atomic<int> writers_left{2};
  std::atomic<int> reads{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < 2; ++w) {
    threads.emplace_back([&, w] {
      for (int i = 0; i < 15; ++i) {
        const Status s = store().Put(key, (i + w) % 2 == 0 ? b : a);
        EXPECT_TRUE(s.ok()) << s.ToString();
      }
      --writers_left;
    });
  }
  for (int r = 0; r < 2; ++r) {
    threads.emplace_back([&] {
      do {
        auto got = store().Get(key);
        ASSERT_TRUE(got.ok()) << got.status().ToString();
        EXPECT_TRUE(*got == a || *got == b)
            << "read neither write whole: " << got->size() << " bytes, "
            << std::count(got->begin(), got->end(), 'a') << " of them 'a'";
        ++reads;
      } while (writers_left > 0);
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_GE(reads.load(), 2);
}

TEST_P(StoreConformanceTest, LargeObjectRoundTrip) {
  const size_t n = GetParam().large_object_bytes;
  if (n == 0) GTEST_SKIP() << "large_object_bytes is 0 for " << GetParam().name;
  const std::string key = Key("large");
  const std::string data = Pattern(n, 7);
  KB_CONF_ASSERT_OK(store().Put(key, data));
  KB_CONF_ASSIGN_OR_FAIL(uint64_t size, store().Head(key));
  EXPECT_EQ(size, n);
  {
    KB_CONF_ASSIGN_OR_FAIL(std::string got, store().Get(key));
    EXPECT_TRUE(SameBytes(got, data));
  }
  KB_CONF_ASSIGN_OR_FAIL(std::string tail, store().GetRange(key, n - std::min<size_t>(n, 10), 100));
  EXPECT_TRUE(SameBytes(tail, std::string_view(data).substr(n - std::min<size_t>(n, 10))));
  KB_CONF_ASSIGN_OR_FAIL(std::string middle, store().GetRange(key, n / 2, 4096));
  EXPECT_TRUE(SameBytes(middle, std::string_view(data).substr(n / 2, 4096)));
}

TEST_P(StoreConformanceTest, DescribeNamesTheLocation) {
  const std::string where = store().Describe();
  EXPECT_FALSE(where.empty());
  EXPECT_NE(where.find("://"), std::string::npos) << where << " is not a URL-like location";
}

}  // namespace kb::storage
