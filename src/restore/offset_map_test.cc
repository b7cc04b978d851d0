#include "restore/offset_map.h"

#include <gtest/gtest.h>

#include <random>

namespace kb::restore {
namespace {

TEST(OffsetMapTest, ContiguousRestoreIsOneRun) {
  OffsetMap m(0);
  for (int64_t i = 0; i < 1000; ++i) ASSERT_TRUE(m.Append(i, i).ok());
  EXPECT_EQ(m.runs().size(), 1u);
  EXPECT_EQ(m.record_count(), 1000);
  EXPECT_EQ(m.target_end(), 1000);
  EXPECT_EQ(*m.Lookup(123), 123);
}

TEST(OffsetMapTest, FoundingDesignApproximationIsTheExactAnswerWithoutHoles) {
  // Source offsets 0..N-1, target empty and starting at 0: translation == min(offset, total).
  OffsetMap m(0);
  const int64_t total = 500;
  for (int64_t i = 0; i < total; ++i) ASSERT_TRUE(m.Append(i, i).ok());
  for (int64_t committed : {int64_t{0}, int64_t{1}, int64_t{250}, int64_t{499}, int64_t{500},
                            int64_t{501}, int64_t{100000}}) {
    EXPECT_EQ(m.TranslateCommitted(committed), std::min(committed, total)) << committed;
  }
}

TEST(OffsetMapTest, HolesStartNewRunsAndTranslationIsExactThroughThem) {
  // Source has records at 10..14, 20..24 (a compaction hole 15..19), restored after 100 records
  // already in the target.
  OffsetMap m(100);
  int64_t t = 100;
  for (int64_t s = 10; s < 15; ++s) ASSERT_TRUE(m.Append(s, t++).ok());
  for (int64_t s = 20; s < 25; ++s) ASSERT_TRUE(m.Append(s, t++).ok());
  ASSERT_EQ(m.runs().size(), 2u);
  EXPECT_EQ(m.runs()[1], (OffsetRun{20, 105, 5}));
  EXPECT_EQ(m.TranslateCommitted(0), 100);   // before everything: first restored record
  EXPECT_EQ(m.TranslateCommitted(12), 102);  // inside a run
  EXPECT_EQ(m.TranslateCommitted(15), 105);  // inside the hole: the next record restored
  EXPECT_EQ(m.TranslateCommitted(19), 105);
  EXPECT_EQ(m.TranslateCommitted(24), 109);
  EXPECT_EQ(m.TranslateCommitted(25), 110);  // past the end: end of the restored data
  EXPECT_FALSE(m.Lookup(17).has_value());
  EXPECT_EQ(*m.Lookup(21), 106);
  EXPECT_FALSE(m.Lookup(9).has_value());
}

TEST(OffsetMapTest, EmptyMapTranslatesToTargetStart) {
  OffsetMap m(42);
  EXPECT_EQ(m.TranslateCommitted(0), 42);
  EXPECT_EQ(m.TranslateCommitted(1000), 42);
  EXPECT_EQ(m.target_end(), 42);
}

TEST(OffsetMapTest, OutOfOrderAppendsAreRejected) {
  OffsetMap m(0);
  ASSERT_TRUE(m.Append(5, 0).ok());
  EXPECT_TRUE(m.Append(5, 1).IsInvalidArgument());
  EXPECT_TRUE(m.Append(6, 0).IsInvalidArgument());
  EXPECT_TRUE(OffsetMap(10).Append(0, 9).IsInvalidArgument());
}

TEST(OffsetMapTest, EncodeDecodeRoundTripAndCsv) {
  OffsetMap m(7);
  std::mt19937_64 rng(1);
  int64_t s = 0, t = 7;
  for (int i = 0; i < 2000; ++i) {
    s += 1 + (rng() % 5 == 0 ? rng() % 10 : 0);
    t += 1;
    ASSERT_TRUE(m.Append(s, t).ok());
  }
  auto back = OffsetMap::Decode("k", m.Encode());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, m);
  std::string csv = OffsetMap(0).ToCsv();
  EXPECT_EQ(csv, "source_start,source_end,target_start,target_end\n");
  OffsetMap one(0);
  ASSERT_TRUE(one.Append(3, 0).ok());
  ASSERT_TRUE(one.Append(4, 1).ok());
  EXPECT_EQ(one.ToCsv(), "source_start,source_end,target_start,target_end\n3,4,0,1\n");
}

TEST(OffsetMapTest, DecodeRejectsMalformedNamingTheKey) {
  const std::string key = "p/_restores/r1/t/0/offset_map";
  for (std::string bad :
       {std::string("nope"), std::string("{}"),
        std::string(R"({"format_version":1,"target_start":0,"runs":[[1,2]]})"),
        std::string(R"({"format_version":1,"target_start":0,"runs":[[0,0,5],[3,9,1]]})"),
        std::string(R"({"format_version":1,"target_start":10,"runs":[[0,0,5]]})")}) {
    auto r = OffsetMap::Decode(key, bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_TRUE(r.status().IsCorruption()) << bad;
    EXPECT_EQ(r.status().subject(), key);
  }
  auto newer = OffsetMap::Decode(key, R"({"format_version":2,"target_start":0,"runs":[]})");
  EXPECT_EQ(newer.status().code(), Status::Code::kNotImplemented);
}

// Found with restore_json_fuzz (UBSan): a run whose end is beyond INT64_MAX overflowed (signed,
// undefined) in Decode's overlap check and in every later query; it is Corruption now.
TEST(OffsetMapTest, DecodeRejectsRunsEndingBeyondTheLargestOffset) {
  const std::string key = "p/t/0/restore/c/t";
  for (std::string bad : {
           std::string(R"({"format_version":1,"target_start":0,"runs":[[1,0,9223372036854775807],)"
                       R"([5,5,1]]})"),
           std::string(
               R"({"format_version":1,"target_start":0,"runs":[[9223372036854775800,0,100]]})"),
           std::string(
               R"({"format_version":1,"target_start":0,"runs":[[0,9223372036854775800,100]]})"),
       }) {
    auto r = OffsetMap::Decode(key, bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_TRUE(r.status().IsCorruption()) << bad;
    EXPECT_EQ(r.status().subject(), key);
  }
  // The largest offset itself is fine.
  auto last = OffsetMap::Decode(
      key, R"({"format_version":1,"target_start":0,"runs":[[9223372036854775806,0,1]]})");
  ASSERT_TRUE(last.ok()) << last.status().ToString();
  EXPECT_EQ(last->Lookup(9223372036854775806), 0);
}

}  // namespace
}  // namespace kb::restore
