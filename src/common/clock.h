// Where kafka-backup reads the time, so that tests can fake it (and jump it).
//
//   * Clock: the wall clock (ms since the Unix epoch: what record timestamps, store metadata such
//     as detected_at_ms, updated_at_ms and first-seen times, history keys and generation numbers
//     use) and the monotonic clock (elapsed time, deadlines, segment age). Clock::Real() reads
//     std::chrono::system_clock and steady_clock; FakeClock lets a test set each of them and jump
//     the wall clock forward or backward independently of the monotonic one.
//   * WallGuard: one process's reading of the wall clock checked against the monotonic clock, for
//     decisions that must not be hastened by a wall-clock jump (retention grace periods, see
//     ops/retention.h).
//
// The wall clock may jump either way (an operator, NTP stepping, a VM restored); the monotonic
// clock never does. Code that measures how long something took or how old it is uses the
// monotonic clock; code that stamps something for later readers (or other processes) uses the
// wall clock, and must stay correct when it jumps (docs/operations.md, "When the host clock
// jumps").
//
// storage::RetryClock (retrying_store.h: it must also fake sleeping) and metrics::BackupMetrics'
// `now` read only monotonic time and keep their own test seams.
//
// Thread-safety: every method of Clock::Real(), FakeClock and WallGuard may be called from any
// thread. Never fails. A Clock passed to an object must outlive it.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>

namespace kb {

class Clock {
 public:
  using SteadyTime = std::chrono::steady_clock::time_point;
  virtual ~Clock() = default;
  virtual int64_t WallMs() const = 0;        // ms since the Unix epoch; may jump either way
  virtual SteadyTime SteadyNow() const = 0;  // monotonic: never goes back, never jumps
  // The system's clocks (a process-wide instance).
  static const Clock& Real();
};

// The system's wall clock in ms since the Unix epoch (Clock::Real().WallMs()).
inline int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

inline const Clock& Clock::Real() {
  class RealClock final : public Clock {
   public:
    int64_t WallMs() const override { return NowMs(); }
    SteadyTime SteadyNow() const override { return std::chrono::steady_clock::now(); }
  };
  static const RealClock real;
  return real;
}

// A clock for tests: time moves only when the test moves it. Advance() lets time pass (both
// clocks move forward together); JumpWall() moves the wall clock alone, either way, as a host
// clock being stepped does.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(int64_t wall_ms = 1'800'000'000'000) : wall_ms_(wall_ms) {}

  int64_t WallMs() const override { return wall_ms_.load(); }
  SteadyTime SteadyNow() const override {
    // Starts an hour after the steady clock's epoch, so that no reading equals time_point{}.
    return SteadyTime(std::chrono::hours(1)) + std::chrono::nanoseconds(steady_ns_.load());
  }

  void Advance(std::chrono::milliseconds d) {
    steady_ns_ += std::chrono::nanoseconds(d).count();
    wall_ms_ += d.count();
  }
  void AdvanceSteady(std::chrono::milliseconds d) {
    steady_ns_ += std::chrono::nanoseconds(d).count();
  }
  void JumpWall(std::chrono::milliseconds d) { wall_ms_ += d.count(); }
  void SetWallMs(int64_t ms) { wall_ms_.store(ms); }

 private:
  std::atomic<int64_t> wall_ms_;
  std::atomic<int64_t> steady_ns_{0};
};

// The wall clock of one process, bounded by its monotonic clock. At construction it takes the
// wall time W0 and the monotonic time S0; afterwards the monotonic estimate of the wall clock is
// M = W0 + (steady now - S0). Read() gives
//   reached_ms = min(wall, M): a time that has certainly been reached by both clocks;
//   stamp_ms   = max(wall, M): a time not before either.
// A grace period that starts at a stamp_ms and is due when reached_ms >= stamp + grace has passed
// on the wall clock AND (within this process) on the monotonic clock, whichever way the wall
// clock jumped meanwhile: a forward jump cannot hasten it, a backward one only delays it. Across
// processes only the wall clock is comparable, so a wall clock that was ahead when a process
// started can still hasten it by that much.
// If the wall clock was wrong at construction and is stepped to the right time later, M stays
// off by the step for the guard's life (reached_ms lags: decisions are delayed, never hastened).
class WallGuard {
 public:
  explicit WallGuard(const Clock& clock = Clock::Real())
      : clock_(&clock), wall0_(clock.WallMs()), steady0_(clock.SteadyNow()) {}

  struct Reading {
    int64_t reached_ms = 0;
    int64_t stamp_ms = 0;
  };
  Reading Read() const {
    const int64_t wall = clock_->WallMs();
    const int64_t m = wall0_ + std::chrono::duration_cast<std::chrono::milliseconds>(
                                   clock_->SteadyNow() - steady0_)
                                   .count();
    return {std::min(wall, m), std::max(wall, m)};
  }

 private:
  const Clock* clock_;
  int64_t wall0_;
  Clock::SteadyTime steady0_;
};

}  // namespace kb
