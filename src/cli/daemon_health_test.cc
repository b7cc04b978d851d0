#include "cli/daemon_health.h"

#include <gtest/gtest.h>

#include "storage/fault/fault_store.h"
#include "storage/memory/memory_store.h"

namespace kb::cli {
namespace {

using namespace std::chrono_literals;

TEST(DaemonHealthTest, UnhealthyOnceTheStoreFailedLongEnoughAndHealthyWhenItAnswers) {
  std::chrono::steady_clock::time_point now{};
  storage::RetryClock clock{[&] { return now; }, [&](std::chrono::milliseconds d) { now += d; }};
  storage::MemoryStore mem;
  auto faulty = std::make_unique<storage::FaultInjectingStore>(&mem);
  faulty->AddRule({.op = storage::StoreOp::kPut, .nth = 1, .times = 3});
  storage::RetryPolicy two_attempts;
  two_attempts.max_attempts = 2;
  storage::RetryingStore store(std::move(faulty), two_attempts, clock);
  std::atomic<int> signals{0};
  DaemonHealth health(&store, 2min, &signals);
  EXPECT_TRUE(health.Check().ok());

  EXPECT_FALSE(store.Put("k", "v").ok());  // both attempts fail: the outage begins
  now += 90s;
  EXPECT_TRUE(health.Check().ok()) << "not failing long enough yet";
  now += 60s;
  Status down = health.Check();
  EXPECT_FALSE(down.ok());
  EXPECT_EQ(down.subject(), "storage");
  EXPECT_NE(down.message().find("failing for 150 s"), std::string::npos) << down.ToString();
  EXPECT_NE(down.message().find("backup.store_unhealthy_after"), std::string::npos);

  EXPECT_TRUE(store.Put("k", "v").ok());  // one more failure, then the store answers
  EXPECT_TRUE(health.Check().ok());

  signals = 1;
  EXPECT_EQ(health.Check().code(), Status::Code::kCancelled);
  signals = 0;
  health.Stopped(Status::Permanent("kafka", "fatal consumer error"));
  EXPECT_EQ(health.Check().message(), "fatal consumer error");
}

}  // namespace
}  // namespace kb::cli
