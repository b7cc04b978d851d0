// Store conformance suite, part: List semantics: byte order, prefixes, pagination. (See
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

TEST_P(StoreConformanceTest, ListIsInByteOrder) {
  // Case differences, digits, punctuation and bytes > 0x7f (UTF-8 sorts after ASCII).
  const std::vector<std::string> suffixes = {
      "b",
      "Z",
      "a",
      "B",
      "z",
      "A",
      "0",
      "9",
      "_",
      "~x",
      "aa",
      "aA",
      "Ab",
      "a_",
      "\xc3\xa9",                  // é
      "\xc3\xbf",                  // ÿ
      "\xe6\x97\xa5\xe6\x9c\xac",  // 日本
      "\xf0\x9f\x98\x80",          // an emoji (4-byte UTF-8)
  };
  std::vector<std::string> keys;
  for (const auto& s : suffixes) keys.push_back(Key(s));
  ASSERT_TRUE(PutAll(store(), keys, [](size_t i) { return std::string(i, 'v'); }));
  const std::vector<std::string> expected = Sorted(keys);
  ASSERT_LT(Key("Z"), Key("a"));  // sanity of the expectation itself: byte order, not locale
  ASSERT_LT(Key("z"), Key("\xc3\xa9"));
  for (size_t page : {size_t{1000}, size_t{3}, size_t{1}}) {
    KB_CONF_ASSIGN_OR_FAIL(auto listed, ListAll(store(), prefix_, page));
    EXPECT_EQ(KeysOf(listed), expected) << "page size " << page;
  }
}

TEST_P(StoreConformanceTest, ListOrderAcrossSlashIsByteOrder) {
  if (!GetParam().byte_order_across_slash) {
    GTEST_SKIP() << GetParam().name << " lists per directory, not in global byte order";
  }
  // ' ' < '-' < '.' < '/' < '0' < '~': keys in a "directory" interleave with sibling names.
  const std::vector<std::string> keys = {Key("a/b"),   Key("a.b"),   Key("a-b"), Key("a b"),
                                         Key("a0"),    Key("a/c/d"), Key("a~"),  Key("a/b.c"),
                                         Key("a/b-c"), Key("a/a")};
  ASSERT_TRUE(PutAll(store(), keys, [](size_t i) { return std::to_string(i); }));
  for (size_t page : {size_t{1000}, size_t{2}}) {
    KB_CONF_ASSIGN_OR_FAIL(auto listed, ListAll(store(), prefix_, page));
    EXPECT_EQ(KeysOf(listed), Sorted(keys)) << "page size " << page;
  }
}

TEST_P(StoreConformanceTest, ListPrefixIsAPlainStringPrefix) {
  const std::vector<std::string> keys = {Key("a/b/c"), Key("a/bc"), Key("a/bd/e"),
                                         Key("a/c"),   Key("ab"),   Key("b")};
  ASSERT_TRUE(PutAll(store(), keys, [](size_t i) { return std::string(i + 1, 'x'); }));
  const std::vector<std::pair<std::string, std::vector<std::string>>> cases = {
      {"a/b", {Key("a/b/c"), Key("a/bc"), Key("a/bd/e")}},  // "a/bc" starts with "a/b"
      {"a/b/", {Key("a/b/c")}},
      {"a/", {Key("a/b/c"), Key("a/bc"), Key("a/bd/e"), Key("a/c")}},
      {"a", {Key("a/b/c"), Key("a/bc"), Key("a/bd/e"), Key("a/c"), Key("ab")}},
      {"", Sorted(keys)},
      {"a/b/c", {Key("a/b/c")}},  // a prefix equal to a whole key
      {"a/b/c/", {}},
      {"a/bd/", {Key("a/bd/e")}},
      {"a/bd/e", {Key("a/bd/e")}},
      {"a/bx", {}},
      {"c", {}},
  };
  for (const auto& [suffix, expected] : cases) {
    for (size_t page : {size_t{1000}, size_t{1}}) {
      KB_CONF_ASSIGN_OR_FAIL(auto listed, ListAll(store(), Key(suffix), page));
      EXPECT_EQ(KeysOf(listed), expected) << "prefix \"" << suffix << "\", page size " << page;
      for (const auto& o : listed) {
        const auto it = std::find(keys.begin(), keys.end(), o.key);
        if (it != keys.end()) {
          EXPECT_EQ(o.size, static_cast<uint64_t>(it - keys.begin()) + 1) << o.key;
        }
      }
    }
  }
}

TEST_P(StoreConformanceTest, ListOfAnEmptyPrefixReturnsNothing) {
  KB_CONF_ASSERT_OK(store().Put(Key("present/x"), "x"));
  for (const std::string& prefix :
       {Key("nothing-here/"), Key("nothing"), Key("present/y"), Key("present/x/")}) {
    KB_CONF_ASSIGN_OR_FAIL(ListPage page, store().List(prefix, "", 1000));
    EXPECT_TRUE(page.objects.empty()) << prefix << " lists " << page.objects[0].key;
    EXPECT_EQ(page.next_token, "") << prefix;
  }
  // Once deleted, a prefix lists nothing again.
  KB_CONF_ASSERT_OK(store().Delete({Key("present/x")}));
  KB_CONF_ASSIGN_OR_FAIL(ListPage page, store().List(Key("present/"), "", 1000));
  EXPECT_TRUE(page.objects.empty());
  EXPECT_EQ(page.next_token, "");
}

TEST_P(StoreConformanceTest, ListPaginationVisitsEveryKeyOnceInOrder) {
  constexpr size_t kKeys = 1100;
  constexpr size_t kPage = 7;
  std::vector<std::string> keys;
  for (size_t i = 0; i < kKeys; ++i) {
    // Ten "directories" plus files next to them.
    keys.push_back(i % 11 == 10 ? Key("f" + Pad(i))
                                : Key("d" + std::to_string(i % 11) + "/" + Pad(i)));
  }
  ASSERT_TRUE(PutAll(store(), keys, [](size_t i) { return std::string(i % 17, 's'); }));
  std::vector<ObjectInfo> expected;
  for (size_t i = 0; i < kKeys; ++i) expected.push_back({keys[i], i % 17});
  std::sort(expected.begin(), expected.end(),
            [](const ObjectInfo& a, const ObjectInfo& b) { return a.key < b.key; });

  std::vector<ObjectInfo> seen;
  std::string token;
  size_t pages = 0;
  do {
    KB_CONF_ASSIGN_OR_FAIL(ListPage page, store().List(prefix_, token, kPage));
    ++pages;
    ASSERT_LE(page.objects.size(), kPage) << "page " << pages;
    if (!page.next_token.empty()) {
      ASSERT_FALSE(page.objects.empty()) << "page " << pages << " is empty but not the last";
    }
    for (auto& o : page.objects) seen.push_back(std::move(o));
    token = page.next_token;
    ASSERT_LE(pages, kKeys) << "the listing does not end";
  } while (!token.empty());
  EXPECT_GE(pages, kKeys / kPage);
  ASSERT_EQ(seen.size(), expected.size());
  EXPECT_EQ(seen, expected);

  KB_CONF_ASSIGN_OR_FAIL(auto all, ListAll(store(), prefix_, 1000));  // two pages
  EXPECT_EQ(all, expected);
}

}  // namespace kb::storage
