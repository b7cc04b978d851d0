#include "restore/partitioner.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace kb::restore {
namespace {

// Kafka's own vectors (org.apache.kafka.common.utils.UtilsTest.testMurmur2).
const std::map<std::string, int32_t>& JavaVectors() {
  static const std::map<std::string, int32_t> kJava = {
      {"21", -973932308},
      {"foobar", -790332482},
      {"a-little-bit-long-string", -985981536},
      {"a-little-bit-longer-string", -1486304829},
      {"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971},
      {"abc", 479470107},
  };
  return kJava;
}

TEST(Murmur2Test, MatchesKafkasJavaImplementation) {
  for (const auto& [key, hash] : JavaVectors()) EXPECT_EQ(Murmur2(key), hash) << key;
}

TEST(Murmur2Test, EveryTailLengthAndHighBytes) {
  // Tail lengths 0..3 give different hashes, and bytes >= 0x80 are taken unsigned (as Java's
  // `& 0xff`): flipping the top bit of any byte changes the hash.
  const std::string base = "abcdefg";
  for (size_t len = 0; len <= base.size(); ++len) {
    const std::string s = base.substr(0, len);
    for (size_t i = 0; i < len; ++i) {
      std::string t = s;
      t[i] = static_cast<char>(t[i] ^ 0x80);
      EXPECT_NE(Murmur2(s), Murmur2(t)) << len << " " << i;
    }
  }
  EXPECT_NE(Murmur2(""), Murmur2(std::string(1, '\0')));
}

TEST(TargetPartitionTest, KeyedRecordsFollowKafkasDefaultPartitioner) {
  // toPositive(murmur2(key)) % N, whatever the source partition and offset.
  for (const auto& [key, hash] : JavaVectors()) {
    const int32_t expected = static_cast<int32_t>((static_cast<uint32_t>(hash) & 0x7fffffffu) % 7);
    for (int32_t p = 0; p < 3; ++p) {
      for (int64_t o = 0; o < 20; ++o) {
        EXPECT_EQ(TargetPartition(std::string_view(key), p, o, 7), expected) << key;
      }
    }
  }
  // -790332482 & 0x7fffffff = 1357151166; % 50 = 16 (as Kafka's client places "foobar").
  EXPECT_EQ(TargetPartition(std::string_view("foobar"), 0, 0, 50), 16);
  EXPECT_EQ(TargetPartition(std::string_view("anything"), 5, 9, 1), 0);
}

TEST(TargetPartitionTest, NullKeysRoundRobinPerSourcePartition) {
  for (int64_t o = 0; o < 14; ++o) {
    EXPECT_EQ(TargetPartition(std::nullopt, 0, o, 7), o % 7);
    EXPECT_EQ(TargetPartition(std::nullopt, 2, o, 7), (2 + o) % 7);
  }
  EXPECT_EQ(TargetPartition(std::nullopt, 2'000'000'000, INT64_MAX, 7),
            static_cast<int32_t>((2'000'000'000 % 7 + INT64_MAX % 7) % 7));
}

}  // namespace
}  // namespace kb::restore
