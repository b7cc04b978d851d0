#include "config/units.h"

#include <gtest/gtest.h>

namespace kb {
namespace {

TEST(UnitsTest, Bytes) {
  EXPECT_EQ(*ParseBytes("1048576", "k"), 1048576u);
  EXPECT_EQ(*ParseBytes("64MiB", "k"), 64ull << 20);
  EXPECT_EQ(*ParseBytes("512 KiB", "k"), 512ull << 10);
  EXPECT_EQ(*ParseBytes("2GB", "k"), 2'000'000'000ull);
  EXPECT_EQ(*ParseBytes("3B", "k"), 3u);
  EXPECT_EQ(*ParseBytes("1TiB", "k"), 1ull << 40);
  for (const char* bad : {"", "MiB", "-1", "12 parsecs", "1.5MiB", "99999999999999999999TiB"}) {
    auto r = ParseBytes(bad, "backup.buffer_memory");
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().subject(), "backup.buffer_memory");
  }
}

TEST(UnitsTest, Durations) {
  using std::chrono::milliseconds;
  EXPECT_EQ(*ParseDuration("500ms", "k"), milliseconds(500));
  EXPECT_EQ(*ParseDuration("30s", "k"), milliseconds(30'000));
  EXPECT_EQ(*ParseDuration("5m", "k"), milliseconds(300'000));
  EXPECT_EQ(*ParseDuration("2h", "k"), milliseconds(7'200'000));
  EXPECT_EQ(*ParseDuration("7d", "k"), milliseconds(604'800'000));
  for (const char* bad : {"", "30", "s", "1w", "-5s", "1.5s"}) {
    auto r = ParseDuration(bad, "backup.segment.max_age");
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().subject(), "backup.segment.max_age");
  }
}

}  // namespace
}  // namespace kb
