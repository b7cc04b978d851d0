// FakeClock and WallGuard (common/clock.h) under wall-clock jumps.
#include "common/clock.h"

#include <gtest/gtest.h>

namespace kb {
namespace {

using namespace std::chrono_literals;
constexpr int64_t kDay = 86'400'000;
constexpr int64_t kHour = 3'600'000;

TEST(FakeClockTest, WallJumpsLeaveTheMonotonicClockAlone) {
  FakeClock clock(1'000'000);
  const Clock::SteadyTime s0 = clock.SteadyNow();
  EXPECT_NE(s0, Clock::SteadyTime{});
  clock.JumpWall(-24h);
  EXPECT_EQ(clock.WallMs(), 1'000'000 - kDay);
  EXPECT_EQ(clock.SteadyNow(), s0);
  clock.Advance(5s);
  EXPECT_EQ(clock.WallMs(), 1'000'000 - kDay + 5000);
  EXPECT_EQ(clock.SteadyNow() - s0, 5s);
  clock.AdvanceSteady(1s);
  EXPECT_EQ(clock.WallMs(), 1'000'000 - kDay + 5000);
  EXPECT_EQ(clock.SteadyNow() - s0, 6s);
}

TEST(WallGuardTest, WithoutJumpsBothReadingsAreTheWallClock) {
  FakeClock clock(1'800'000'000'000);
  WallGuard guard(clock);
  clock.Advance(90min);
  const WallGuard::Reading r = guard.Read();
  EXPECT_EQ(r.reached_ms, clock.WallMs());
  EXPECT_EQ(r.stamp_ms, clock.WallMs());
}

TEST(WallGuardTest, ClockJumpForwardIsNotReachedBeforeTheMonotonicClockGetsThere) {
  FakeClock clock(1'800'000'000'000);
  WallGuard guard(clock);
  const int64_t start = clock.WallMs();
  clock.Advance(1h);
  clock.JumpWall(24h);
  WallGuard::Reading r = guard.Read();
  EXPECT_EQ(r.reached_ms, start + kHour);       // what really passed
  EXPECT_EQ(r.stamp_ms, start + kHour + kDay);  // never before the wall clock
  // The jump undone: both readings agree again.
  clock.JumpWall(-24h);
  r = guard.Read();
  EXPECT_EQ(r.reached_ms, start + kHour);
  EXPECT_EQ(r.stamp_ms, start + kHour);
}

TEST(WallGuardTest, ClockJumpBackwardDelaysReachedAndNeverStampsBeforeTheMonotonicClock) {
  FakeClock clock(1'800'000'000'000);
  WallGuard guard(clock);
  const int64_t start = clock.WallMs();
  clock.Advance(2h);
  clock.JumpWall(-1h);
  WallGuard::Reading r = guard.Read();
  EXPECT_EQ(r.reached_ms, start + kHour);  // the wall clock's word: later decisions only
  EXPECT_EQ(r.stamp_ms, start + 2 * kHour);
  // A stamp taken now and a grace period of 30 min: due on both clocks, not before.
  const int64_t due = r.stamp_ms + 30 * 60'000;
  clock.Advance(29min);
  EXPECT_LT(guard.Read().reached_ms, due);
  clock.JumpWall(1h);  // corrected: the wall clock is right again
  clock.Advance(1min);
  EXPECT_GE(guard.Read().reached_ms, due);
}

}  // namespace
}  // namespace kb
