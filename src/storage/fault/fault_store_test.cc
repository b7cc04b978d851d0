#include "storage/fault/fault_store.h"

#include <gtest/gtest.h>

#include <thread>

#include "storage/memory/memory_store.h"
#include "storage/store_conformance.h"

namespace kb::storage {
namespace {

// With no rules the wrapper must be a perfectly conforming store.
KB_INSTANTIATE_STORE_CONFORMANCE(
    FaultPassThrough,
    StoreFactory{
        .name = "fault_without_rules",
        .make =
            [] { return std::make_unique<FaultInjectingStore>(std::make_unique<MemoryStore>()); },
        .large_object_bytes = 8 << 20,
    });

TEST(FaultInjectingStoreTest, FailsTheNthCallOfAnOperation) {
  MemoryStore mem;
  FaultInjectingStore store(&mem);
  store.FailNth(StoreOp::kGet, 2);
  ASSERT_TRUE(store.Put("k", "v").ok());
  EXPECT_TRUE(store.Get("k").ok());
  const Status second = store.Get("k").status();
  EXPECT_TRUE(second.IsRetryable()) << second.ToString();
  EXPECT_EQ(second.subject(), "k");
  EXPECT_NE(second.message().find("injected"), std::string::npos);
  EXPECT_TRUE(store.Get("k").ok());
  EXPECT_TRUE(store.Head("k").ok());  // other operations are not counted by the rule
  EXPECT_EQ(store.calls(StoreOp::kGet), 3u);
  EXPECT_EQ(store.injected(StoreOp::kGet), 1u);
  EXPECT_EQ(store.calls(StoreOp::kPut), 1u);
  EXPECT_EQ(store.calls(StoreOp::kHead), 1u);
  EXPECT_EQ(store.total_calls(), 5u);
  EXPECT_EQ(store.total_injected(), 1u);
}

TEST(FaultInjectingStoreTest, FailsARunOfCallsWithTheChosenCode) {
  MemoryStore mem;
  FaultInjectingStore store(&mem);
  store.AddRule({.op = StoreOp::kList, .nth = 2, .times = 3, .code = Status::Code::kPermanent});
  std::vector<bool> ok;
  for (int i = 0; i < 6; ++i) {
    auto page = store.List("", "", 10);
    ok.push_back(page.ok());
    if (!page.ok()) {
      EXPECT_EQ(page.status().code(), Status::Code::kPermanent);
    }
  }
  EXPECT_EQ(ok, (std::vector<bool>{true, false, false, false, true, true}));
}

TEST(FaultInjectingStoreTest, RuleWithoutOperationCountsEveryCall) {
  MemoryStore mem;
  FaultInjectingStore store(&mem);
  store.AddRule({.nth = 3, .times = kForever});
  EXPECT_TRUE(store.Put("a", "1").ok());
  EXPECT_TRUE(store.Head("a").ok());
  EXPECT_FALSE(store.Get("a").ok());
  EXPECT_FALSE(store.Delete({"a"}).ok());
  EXPECT_FALSE(store.List("", "", 1).ok());
  EXPECT_EQ(mem.object_count(), 1u);  // the failed Delete did nothing
}

TEST(FaultInjectingStoreTest, KeyPrefixSelectsCalls) {
  MemoryStore mem;
  FaultInjectingStore store(&mem);
  store.AddRule({.key_prefix = "data/", .nth = 1, .times = kForever});
  EXPECT_TRUE(store.Put("meta/x", "1").ok());
  EXPECT_FALSE(store.Put("data/x", "1").ok());
  EXPECT_FALSE(store.Delete({"meta/x", "data/y"}).ok());  // any key of the batch
  EXPECT_TRUE(store.Delete({"meta/x"}).ok());
  EXPECT_FALSE(store.List("data/", "", 5).ok());
  EXPECT_TRUE(store.List("meta/", "", 5).ok());
}

TEST(FaultInjectingStoreTest, LostPutStoresNothingAndKeepsTheOldObject) {
  MemoryStore mem;
  FaultInjectingStore store(&mem);
  ASSERT_TRUE(store.Put("k", "old").ok());
  store.LoseNthPut(1);
  store.LoseNthPut(2);  // counts from its own creation: the 2nd Put from now
  const Status lost = store.Put("k", "new");
  EXPECT_FALSE(lost.ok());
  EXPECT_EQ(lost.subject(), "k");
  EXPECT_EQ(mem.Get("k").value(), "old");
  EXPECT_FALSE(store.Put("fresh", "x").ok());
  EXPECT_TRUE(mem.Get("fresh").status().IsNotFound());
  EXPECT_EQ(mem.stats().puts, 1u);  // the lost puts never reached the store
  EXPECT_TRUE(store.Put("fresh", "x").ok());
  EXPECT_EQ(mem.Get("fresh").value(), "x");
}

TEST(FaultInjectingStoreTest, LostAckStoresTheObjectButReportsFailure) {
  MemoryStore mem;
  FaultInjectingStore store(&mem);
  store.LoseNthPutAck(1);
  const Status s = store.Put("k", "stored anyway");
  EXPECT_TRUE(s.IsRetryable()) << s.ToString();
  EXPECT_EQ(mem.Get("k").value(), "stored anyway");
  EXPECT_EQ(store.injected(StoreOp::kPut), 1u);
}

TEST(FaultInjectingStoreTest, AfterCallTimingAppliesToOtherOperations) {
  MemoryStore mem;
  FaultInjectingStore store(&mem);
  ASSERT_TRUE(mem.Put("k", "v").ok());
  store.AddRule({.op = StoreOp::kDelete, .nth = 1, .timing = FaultTiming::kAfterCall});
  EXPECT_FALSE(store.Delete({"k"}).ok());
  EXPECT_EQ(mem.object_count(), 0u);  // deleted, but the caller was told it failed
}

TEST(FaultInjectingStoreTest, FractionIsSeededAndReproducible) {
  auto run = [](uint64_t seed) {
    MemoryStore mem;
    FaultInjectingStore store(&mem, seed);
    store.FailFraction(0.3, StoreOp::kPut);
    std::vector<bool> outcome;
    for (int i = 0; i < 1000; ++i) outcome.push_back(store.Put("k" + std::to_string(i), "v").ok());
    EXPECT_EQ(mem.object_count(),
              static_cast<size_t>(std::count(outcome.begin(), outcome.end(), true)));
    return outcome;
  };
  const auto a = run(7);
  EXPECT_EQ(a, run(7));
  EXPECT_NE(a, run(8));
  const auto failures = std::count(a.begin(), a.end(), false);
  EXPECT_GT(failures, 230);  // ~300 expected
  EXPECT_LT(failures, 370);
}

TEST(FaultInjectingStoreTest, RemoveAndClearRules) {
  MemoryStore mem;
  FaultInjectingStore store(&mem);
  const int always = store.AddRule({.op = StoreOp::kHead, .nth = 1, .times = kForever});
  store.FailFraction(1.0, StoreOp::kGet, Status::Code::kCorruption);
  ASSERT_TRUE(store.Put("k", "v").ok());
  EXPECT_FALSE(store.Head("k").ok());
  EXPECT_TRUE(store.Get("k").status().IsCorruption());
  store.RemoveRule(always);
  EXPECT_TRUE(store.Head("k").ok());
  EXPECT_FALSE(store.Get("k").ok());
  store.ClearRules();
  EXPECT_TRUE(store.Get("k").ok());
  store.ResetCounters();
  EXPECT_EQ(store.total_calls(), 0u);
  EXPECT_EQ(store.total_injected(), 0u);
}

TEST(FaultInjectingStoreTest, InnerErrorsPassThroughAndDescribeNamesTheInnerStore) {
  FaultInjectingStore store(std::make_unique<MemoryStore>("inner"));  // owning
  EXPECT_TRUE(store.Get("missing").status().IsNotFound());
  EXPECT_TRUE(store.Put("", "x").IsInvalidArgument());
  EXPECT_EQ(store.Describe(), "fault(memory://inner)");
  EXPECT_EQ(store.inner().Describe(), "memory://inner");
}

TEST(FaultInjectingStoreTest, CountsAreExactUnderConcurrency) {
  MemoryStore mem;
  FaultInjectingStore store(&mem);
  store.AddRule({.op = StoreOp::kPut, .nth = 100, .times = 50});
  std::atomic<int> failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 250; ++i) {
        if (!store.Put(std::to_string(t) + "/" + std::to_string(i), "v").ok()) ++failed;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(store.calls(StoreOp::kPut), 1000u);
  EXPECT_EQ(store.injected(StoreOp::kPut), 50u);
  EXPECT_EQ(failed.load(), 50);
  EXPECT_EQ(mem.object_count(), 950u);
}

}  // namespace
}  // namespace kb::storage
