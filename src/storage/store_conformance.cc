#include "storage/store_conformance.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <limits>
#include <mutex>
#include <random>
#include <thread>
#include <utility>
#include <vector>

#include "testing/test_env.h"

// Assertion helpers local to this file: they print the failing expression and the Status.
#define KB_CONF_ASSERT_OK(expr)                                                       \
  do {                                                                                \
    const ::kb::Status kb_conf_status_ = (expr);                                      \
    ASSERT_TRUE(kb_conf_status_.ok()) << #expr << ": " << kb_conf_status_.ToString(); \
  } while (0)
#define KB_CONF_ASSIGN_OR_FAIL(lhs, rexpr) \
  KB_CONF_ASSIGN_OR_FAIL_IMPL_(KB_CONCAT_(kb_conf_result_, __LINE__), lhs, rexpr)
#define KB_CONF_ASSIGN_OR_FAIL_IMPL_(tmp, lhs, rexpr)                 \
  auto tmp = (rexpr);                                                 \
  ASSERT_TRUE(tmp.ok()) << #rexpr << ": " << tmp.status().ToString(); \
  lhs = std::move(tmp).value()

namespace kb::storage {

std::string StoreFactoryName(const ::testing::TestParamInfo<StoreFactory>& info) {
  return info.param.name;
}

void PrintTo(const StoreFactory& factory, std::ostream* os) {
  *os << "StoreFactory{" << factory.name << "}";
}

void StoreConformanceTest::SetUp() {
  ASSERT_TRUE(GetParam().make) << "StoreFactory " << GetParam().name << " has no make function";
  store_ = GetParam().make();
  ASSERT_NE(store_, nullptr) << "StoreFactory " << GetParam().name << " returned no store";
  // The test name without the "/<param>" suffix keeps the prefix readable in a shared bucket.
  std::string test = ::testing::UnitTest::GetInstance()->current_test_info()->name();
  test = test.substr(0, test.find('/'));
  prefix_ = kb::testing::UniqueName("kbconf-" + test) + "/";
}

void StoreConformanceTest::TearDown() {
  if (store_ == nullptr) return;
  // Best effort: a store that cannot list or delete has already failed a test.
  auto all = ListAll(*store_, prefix_);
  if (all.ok() && !all->empty()) {
    std::vector<std::string> keys;
    for (const auto& o : *all) keys.push_back(o.key);
    (void)store_->Delete(keys);
  }
  store_.reset();
}

namespace {

// Deterministic pseudo-random bytes (all 256 values occur, NUL included).
std::string Pattern(size_t n, uint64_t seed) {
  std::string out(n, '\0');
  uint64_t x = seed * 0x9E3779B97F4A7C15ULL + 1;
  for (size_t i = 0; i < n; i += 8) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    for (size_t j = 0; j < 8 && i + j < n; ++j) out[i + j] = static_cast<char>(x >> (8 * j));
  }
  return out;
}

std::string Pad(size_t i) {
  std::string s = std::to_string(i);
  return std::string(s.size() < 5 ? 5 - s.size() : 0, '0') + s;
}

// Compares without dumping megabytes: reports sizes and the first differing offset.
::testing::AssertionResult SameBytes(std::string_view actual, std::string_view expected) {
  if (actual == expected) return ::testing::AssertionSuccess();
  size_t i = 0;
  while (i < actual.size() && i < expected.size() && actual[i] == expected[i]) ++i;
  auto result = ::testing::AssertionFailure()
                << "got " << actual.size() << " bytes, expected " << expected.size()
                << "; first difference at offset " << i;
  if (expected.size() <= 64 && actual.size() <= 64) {
    result << " (got \"" << ::testing::PrintToString(std::string(actual)) << "\", expected "
           << ::testing::PrintToString(std::string(expected)) << ")";
  }
  return result;
}

::testing::AssertionResult HasContent(ObjectStore& store, const std::string& key,
                                      std::string_view expected) {
  auto got = store.Get(key);
  if (!got.ok()) {
    return ::testing::AssertionFailure() << "Get(" << key << "): " << got.status().ToString();
  }
  auto same = SameBytes(*got, expected);
  if (!same) return ::testing::AssertionFailure() << "Get(" << key << "): " << same.message();
  auto size = store.Head(key);
  if (!size.ok()) {
    return ::testing::AssertionFailure() << "Head(" << key << "): " << size.status().ToString();
  }
  if (*size != expected.size()) {
    return ::testing::AssertionFailure()
           << "Head(" << key << ") = " << *size << ", expected " << expected.size();
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult IsCode(const Status& s, Status::Code code, const std::string& subject) {
  if (s.code() != code) {
    return ::testing::AssertionFailure() << "expected " << Status::CodeName(code) << " about \""
                                         << subject << "\", got " << s.ToString();
  }
  if (!subject.empty() && s.subject() != subject) {
    return ::testing::AssertionFailure()
           << "expected the subject to be the key \"" << subject << "\", got \"" << s.subject()
           << "\" (" << s.ToString() << ")";
  }
  return ::testing::AssertionSuccess();
}

// Puts value(i) under keys[i] from 4 threads (slow remote stores are latency-bound).
::testing::AssertionResult PutAll(ObjectStore& store, const std::vector<std::string>& keys,
                                  const std::function<std::string(size_t)>& value) {
  std::atomic<size_t> next{0};
  std::mutex mu;
  Status first_error;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (size_t i = next++; i < keys.size(); i = next++) {
        Status s = store.Put(keys[i], value(i));
        if (!s.ok()) {
          std::lock_guard lock(mu);
          if (first_error.ok()) first_error = s;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  if (!first_error.ok()) return ::testing::AssertionFailure() << "Put: " << first_error.ToString();
  return ::testing::AssertionSuccess();
}

std::vector<std::string> KeysOf(const std::vector<ObjectInfo>& objects) {
  std::vector<std::string> keys;
  for (const auto& o : objects) keys.push_back(o.key);
  return keys;
}

std::vector<std::string> Sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());  // std::string compares bytes as unsigned char
  return v;
}

// A key of exactly `total` bytes under `prefix` with a '/' every 100 bytes.
std::string KeyOfLength(const std::string& prefix, size_t total) {
  std::string key = prefix;
  char letter = 'a';
  while (total - key.size() > 100) {
    key += std::string(99, letter) + "/";
    letter = letter == 'z' ? 'a' : static_cast<char>(letter + 1);
  }
  key += std::string(total - key.size(), 'Z');
  return key;
}

}  // namespace

TEST_P(StoreConformanceTest, PutGetRoundTrip) {
  const std::string key = Key("round/trip");
  const std::string data = "hello, object store";
  KB_CONF_ASSERT_OK(store().Put(key, data));
  EXPECT_TRUE(HasContent(store(), key, data));
  KB_CONF_ASSIGN_OR_FAIL(auto listed, ListAll(store(), prefix_));
  EXPECT_EQ(listed, (std::vector<ObjectInfo>{{key, data.size()}}));
}

TEST_P(StoreConformanceTest, OverwriteReplacesWholeObject) {
  const std::string key = Key("overwrite");
  const std::string big = Pattern(10000, 1);
  const std::string small = "short";
  KB_CONF_ASSERT_OK(store().Put(key, big));
  KB_CONF_ASSERT_OK(store().Put(key, small));
  EXPECT_TRUE(HasContent(store(), key, small));  // no tail of the bigger old object
  const std::string other = Pattern(20000, 2);
  KB_CONF_ASSERT_OK(store().Put(key, other));
  EXPECT_TRUE(HasContent(store(), key, other));
  KB_CONF_ASSIGN_OR_FAIL(auto listed, ListAll(store(), prefix_));
  EXPECT_EQ(listed, (std::vector<ObjectInfo>{{key, other.size()}}));
}

TEST_P(StoreConformanceTest, EmptyObject) {
  const std::string key = Key("empty");
  KB_CONF_ASSERT_OK(store().Put(key, ""));
  EXPECT_TRUE(HasContent(store(), key, ""));
  KB_CONF_ASSIGN_OR_FAIL(auto listed, ListAll(store(), prefix_));
  EXPECT_EQ(listed, (std::vector<ObjectInfo>{{key, 0}}));
  // Overwriting a non-empty object with an empty one empties it.
  KB_CONF_ASSERT_OK(store().Put(key, "not empty"));
  KB_CONF_ASSERT_OK(store().Put(key, ""));
  EXPECT_TRUE(HasContent(store(), key, ""));
}

TEST_P(StoreConformanceTest, BinaryBytesIncludingNul) {
  std::string data;
  for (int round = 0; round < 4; ++round) {
    for (int b = 0; b < 256; ++b) data.push_back(static_cast<char>(b));
  }
  data = std::string(1, '\0') + data + std::string(1, '\0');
  const std::string key = Key("binary");
  KB_CONF_ASSERT_OK(store().Put(key, data));
  EXPECT_TRUE(HasContent(store(), key, data));
  KB_CONF_ASSIGN_OR_FAIL(auto first, store().GetRange(key, 0, 2));
  EXPECT_EQ(first, std::string("\0\0", 2));
}

TEST_P(StoreConformanceTest, KeysWithSpecialCharacters) {
  const std::vector<std::string> suffixes = {
      "with space",
      "plus+sign",
      "equals=sign",
      "amp&ersand",
      "question?mark",
      "percent%sign",
      "pct%41encoded",
      "%",
      "%%",
      "hash#tag",
      "tilde~",
      "~",
      ".~kbtmp-lookalike",
      "colon:",
      "at@sign",
      "bang!",
      "quote'",
      "paren(",
      "paren)",
      "star*",
      "comma,semi;dollar$",
      "back\\slash",
      "\"double\" <angle> |pipe|",
      ".hidden",
      "...",
      "trailing.dot.",
      "donn\xc3\xa9"
      "es/\xe6\x97\xa5\xe6\x9c\xac/\xc3\xbc",  // "données/日本/ü"
      "mix a+b=c&d?e%f#g~h:i@j!k'l(m)n*o",
  };
  std::vector<std::string> keys;
  for (const auto& s : suffixes) keys.push_back(Key(s));
  ASSERT_TRUE(PutAll(store(), keys, [&](size_t i) { return "value of " + keys[i]; }));
  for (const auto& key : keys) EXPECT_TRUE(HasContent(store(), key, "value of " + key));
  KB_CONF_ASSIGN_OR_FAIL(auto listed, ListAll(store(), prefix_));
  EXPECT_EQ(KeysOf(listed), Sorted(keys));
  for (const auto& o : listed) EXPECT_EQ(o.size, ("value of " + o.key).size()) << o.key;
  KB_CONF_ASSERT_OK(store().Delete(keys));
  KB_CONF_ASSIGN_OR_FAIL(auto after, ListAll(store(), prefix_));
  EXPECT_TRUE(after.empty()) << after.size() << " objects left, first: " << after[0].key;
}

TEST_P(StoreConformanceTest, LongKeyAtTheLimit) {
  const std::string key = KeyOfLength(prefix_ + "long/", kMaxKeyBytes);
  ASSERT_EQ(key.size(), kMaxKeyBytes);
  KB_CONF_ASSERT_OK(store().Put(key, "long"));
  EXPECT_TRUE(HasContent(store(), key, "long"));
  KB_CONF_ASSIGN_OR_FAIL(auto listed, ListAll(store(), prefix_));
  EXPECT_EQ(listed, (std::vector<ObjectInfo>{{key, 4}}));
  KB_CONF_ASSERT_OK(store().Delete({key}));
  EXPECT_TRUE(store().Get(key).status().IsNotFound());
}

TEST_P(StoreConformanceTest, InvalidKeysAreInvalidArgument) {
  const std::string too_long = KeyOfLength(prefix_ + "long/", kMaxKeyBytes + 1);
  const std::string with_nul = Key(std::string("nul\0byte", 8));
  for (const std::string& key : {too_long, with_nul, std::string()}) {
    const std::string what = key.empty() ? "empty key" : std::to_string(key.size()) + "-byte key";
    EXPECT_TRUE(store().Put(key, "x").IsInvalidArgument()) << what;
    EXPECT_TRUE(store().Get(key).status().IsInvalidArgument()) << what;
    EXPECT_TRUE(store().GetRange(key, 0, 1).status().IsInvalidArgument()) << what;
    EXPECT_TRUE(store().Head(key).status().IsInvalidArgument()) << what;
    EXPECT_TRUE(store().Delete({key}).IsInvalidArgument()) << what;
  }
  EXPECT_FALSE(store().Put(too_long, "x").subject().empty()) << "the error must name the key";
  KB_CONF_ASSIGN_OR_FAIL(auto listed, ListAll(store(), prefix_));
  EXPECT_TRUE(listed.empty()) << "an invalid key was stored as " << listed[0].key;
}

TEST_P(StoreConformanceTest, MissingKeyIsNotFoundNamingTheKey) {
  KB_CONF_ASSERT_OK(store().Put(Key("dir/object"), "x"));
  KB_CONF_ASSERT_OK(store().Put(Key("file"), "x"));
  // Never written; a "directory" of other keys; "below" an object; in a missing "directory".
  for (const std::string& key :
       {Key("missing"), Key("dir"), Key("file/child"), Key("no/such/dir/key")}) {
    EXPECT_TRUE(IsCode(store().Get(key).status(), Status::Code::kNotFound, key));
    EXPECT_TRUE(IsCode(store().Head(key).status(), Status::Code::kNotFound, key));
    EXPECT_TRUE(IsCode(store().GetRange(key, 0, 10).status(), Status::Code::kNotFound, key));
    EXPECT_TRUE(IsCode(store().GetRange(key, 0, 0).status(), Status::Code::kNotFound, key));
    EXPECT_TRUE(IsCode(store().GetRange(key, 5, 1).status(), Status::Code::kNotFound, key));
  }
}

TEST_P(StoreConformanceTest, DeletedKeyIsNotFoundAndCanBeRewritten) {
  const std::string key = Key("deleted");
  KB_CONF_ASSERT_OK(store().Put(key, "first"));
  KB_CONF_ASSERT_OK(store().Delete({key}));
  EXPECT_TRUE(IsCode(store().Get(key).status(), Status::Code::kNotFound, key));
  EXPECT_TRUE(IsCode(store().Head(key).status(), Status::Code::kNotFound, key));
  KB_CONF_ASSERT_OK(store().Put(key, "second"));
  EXPECT_TRUE(HasContent(store(), key, "second"));
}

TEST_P(StoreConformanceTest, RangedReads) {
  const std::string key = Key("ranged");
  const std::string data = Pattern(1000, 3);
  KB_CONF_ASSERT_OK(store().Put(key, data));
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  struct Case {
    uint64_t offset, length;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {0, 1, data.substr(0, 1)},
      {0, 1000, data},
      {0, 2000, data},
      {0, kMax, data},
      {999, 1, data.substr(999)},
      {999, 100, data.substr(999)},
      {500, 300, data.substr(500, 300)},
      {1, kMax, data.substr(1)},
      {10, 0, ""},
      {1000, 0, ""},
      {1000, 5, ""},
      {1000, kMax, ""},
  };
  for (const auto& c : cases) {
    auto got = store().GetRange(key, c.offset, c.length);
    ASSERT_TRUE(got.ok()) << "GetRange(" << c.offset << ", " << c.length
                          << "): " << got.status().ToString();
    EXPECT_TRUE(SameBytes(*got, c.expected)) << "GetRange(" << c.offset << ", " << c.length << ")";
  }
  for (uint64_t offset : {uint64_t{1001}, uint64_t{5000}, kMax}) {
    EXPECT_TRUE(
        IsCode(store().GetRange(key, offset, 1).status(), Status::Code::kInvalidArgument, key))
        << "offset " << offset << " is past the end of a 1000-byte object";
    EXPECT_TRUE(
        IsCode(store().GetRange(key, offset, 0).status(), Status::Code::kInvalidArgument, key))
        << "offset " << offset << ", length 0";
  }
}

TEST_P(StoreConformanceTest, RangedReadsOfEmptyObject) {
  const std::string key = Key("empty-ranged");
  KB_CONF_ASSERT_OK(store().Put(key, ""));
  for (uint64_t length : {uint64_t{0}, uint64_t{10}, std::numeric_limits<uint64_t>::max()}) {
    auto got = store().GetRange(key, 0, length);
    ASSERT_TRUE(got.ok()) << "GetRange(0, " << length << "): " << got.status().ToString();
    EXPECT_EQ(*got, "");
  }
  EXPECT_TRUE(IsCode(store().GetRange(key, 1, 1).status(), Status::Code::kInvalidArgument, key));
}

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
