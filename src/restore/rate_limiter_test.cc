#include <gtest/gtest.h>

#include <chrono>
#include <thread>
#include <vector>

#include "restore/restore_producer.h"

namespace kb::restore {
namespace {

using Clock = std::chrono::steady_clock;

// The limiter is a correctness property (a production cluster must not see more than the set
// rate), checked as a lower bound on elapsed time: sleeping never ends early, so this cannot
// flake on a slow machine.
TEST(RateLimiterTest, NeverLetsMoreThanTheRateThroughAcrossThreads) {
  constexpr uint64_t kRate = 8 << 20;  // 8 MiB/s
  RateLimiter limiter(kRate);
  const auto start = Clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 5; ++i) limiter.Acquire(1 << 20);  // 4 x 5 MiB = 20 MiB in all
    });
  }
  for (auto& t : threads) t.join();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  // 20 MiB at 8 MiB/s starting from an empty budget: at least 2.5 s (a little slack for the
  // budget's refill arithmetic).
  EXPECT_GE(seconds, 2.4);
}

TEST(RateLimiterTest, ZeroMeansUnlimitedAndNeverWaits) {
  RateLimiter limiter(0);
  const auto start = Clock::now();
  for (int i = 0; i < 1000; ++i) limiter.Acquire(uint64_t{1} << 30);
  // 1000 GiB "sent": with any limit this would take forever; unlimited returns at once.
  EXPECT_LT(std::chrono::duration<double>(Clock::now() - start).count(), 60.0);
}

}  // namespace
}  // namespace kb::restore
