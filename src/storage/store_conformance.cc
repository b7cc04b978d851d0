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

#include "storage/store_conformance_util.h"
#include "testing/test_env.h"

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

using namespace conformance;  // NOLINT(build/namespaces): test helpers

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

TEST_P(StoreConformanceTest, PutPartsIsPutOfTheConcatenation) {
  const std::string key = Key("parts");
  const std::string a = Pattern(70000, 3), b = "middle", c = Pattern(5000, 4);
  const std::vector<std::string_view> parts = {a, "", b, c, ""};
  KB_CONF_ASSERT_OK(store().PutParts(key, parts));
  EXPECT_TRUE(HasContent(store(), key, a + b + c));
  KB_CONF_ASSIGN_OR_FAIL(std::string across, store().GetRange(key, a.size() - 2, 10));
  EXPECT_EQ(across, (a + b + c).substr(a.size() - 2, 10));
  // No parts at all is the empty object; one part is Put.
  KB_CONF_ASSERT_OK(store().PutParts(key, {}));
  EXPECT_TRUE(HasContent(store(), key, ""));
  const std::vector<std::string_view> one = {b};
  KB_CONF_ASSERT_OK(store().PutParts(key, one));
  EXPECT_TRUE(HasContent(store(), key, b));
  KB_CONF_ASSIGN_OR_FAIL(auto listed, ListAll(store(), prefix_));
  EXPECT_EQ(listed, (std::vector<ObjectInfo>{{key, b.size()}}));
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
      "@generations/1700000000000/orders/0/x",  // an archived topic generation (layout/keys.h)
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

}  // namespace kb::storage
