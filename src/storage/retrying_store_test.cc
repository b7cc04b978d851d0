#include "storage/retrying_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <deque>
#include <thread>

namespace kb::storage {
namespace {

using std::chrono::milliseconds;

// An inner store whose answers are scripted: each call pops the next Status (OK when empty).
class ScriptedStore : public ObjectStore {
 public:
  std::deque<Status> script;
  int calls = 0;

  Status Next() {
    ++calls;
    if (script.empty()) return Status::OK();
    Status s = script.front();
    script.pop_front();
    return s;
  }
  Status Put(const std::string&, std::string_view data) override {
    put_data = std::string(data);
    return Next();
  }
  std::string put_data;
  Result<std::string> Get(const std::string&) override {
    Status s = Next();
    if (!s.ok()) return s;
    return std::string("data");
  }
  Result<std::string> GetRange(const std::string&, uint64_t, uint64_t) override {
    Status s = Next();
    if (!s.ok()) return s;
    return std::string("da");
  }
  Result<uint64_t> Head(const std::string&) override {
    Status s = Next();
    if (!s.ok()) return s;
    return uint64_t{4};
  }
  Result<ListPage> List(const std::string&, const std::string&, size_t) override {
    Status s = Next();
    if (!s.ok()) return s;
    return ListPage{{{"k", 4}}, ""};
  }
  Status Delete(const std::vector<std::string>&) override { return Next(); }
  std::string Describe() const override { return "scripted://"; }
};

struct FakeTime {
  std::chrono::steady_clock::time_point now{};
  std::vector<milliseconds> sleeps;
  RetryClock Clock() {
    return {[this] { return now; },
            [this](milliseconds d) {
              sleeps.push_back(d);
              now += d;
            }};
  }
};

class RetryingStoreTest : public ::testing::Test {
 protected:
  RetryingStore Make(RetryPolicy policy = {}) {
    auto inner = std::make_unique<ScriptedStore>();
    inner_ = inner.get();
    return RetryingStore(std::move(inner), policy, time_.Clock());
  }
  ScriptedStore* inner_ = nullptr;
  FakeTime time_;
};

TEST_F(RetryingStoreTest, RetriesRetryableErrorsUntilSuccess) {
  RetryingStore store = Make();
  inner_->script = {Status::Retryable("k", "503"), Status::Retryable("k", "reset")};
  auto r = store.Get("k");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, "data");
  EXPECT_EQ(inner_->calls, 3);
  EXPECT_EQ(time_.sleeps.size(), 2u);
}

TEST_F(RetryingStoreTest, PutPartsIsRetriedWithTheSameParts) {
  RetryingStore store = Make();
  inner_->script = {Status::Retryable("k", "503")};
  const std::vector<std::string_view> parts = {"head", "-", "tail"};
  Status s = store.PutParts("k", parts);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(inner_->calls, 2);
  EXPECT_EQ(inner_->put_data, "head-tail");  // the inner store's default PutParts concatenates
}

TEST_F(RetryingStoreTest, NonRetryableErrorsReturnAtOnce) {
  RetryingStore store = Make();
  for (Status s : {Status::NotFound("k", "no"), Status::PermissionDenied("k", "403"),
                   Status::Corruption("k", "bad"), Status::InvalidArgument("k", "x")}) {
    inner_->calls = 0;
    inner_->script = {s};
    EXPECT_EQ(store.Put("k", "v"), s);
    EXPECT_EQ(inner_->calls, 1);
  }
  EXPECT_TRUE(time_.sleeps.empty());
}

TEST_F(RetryingStoreTest, GivesUpAfterMaxAttemptsWithContext) {
  RetryingStore store = Make({.max_attempts = 4});
  for (int i = 0; i < 10; ++i) inner_->script.push_back(Status::Retryable("k", "503 SlowDown"));
  auto r = store.Head("k");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsRetryable());
  EXPECT_EQ(r.status().subject(), "k");
  EXPECT_NE(r.status().message().find("gave up after 4 attempts"), std::string::npos)
      << r.status().message();
  EXPECT_EQ(inner_->calls, 4);
}

TEST_F(RetryingStoreTest, BackoffGrowsExponentiallyWithFullJitterUpToTheCap) {
  RetryingStore store = Make({.max_attempts = 10,
                              .initial_backoff = milliseconds(100),
                              .max_backoff = milliseconds(800),
                              .deadline = milliseconds(1'000'000)});
  for (int i = 0; i < 9; ++i) inner_->script.push_back(Status::Retryable("k", "timeout"));
  ASSERT_TRUE(store.Delete({"k"}).ok());
  ASSERT_EQ(time_.sleeps.size(), 9u);
  const int64_t caps[] = {100, 200, 400, 800, 800, 800, 800, 800, 800};
  for (size_t i = 0; i < 9; ++i) {
    EXPECT_GE(time_.sleeps[i].count(), 0);
    EXPECT_LE(time_.sleeps[i].count(), caps[i]) << "retry " << i;
  }
}

TEST_F(RetryingStoreTest, DeadlineStopsRetrying) {
  RetryingStore store = Make({.max_attempts = 1000,
                              .initial_backoff = milliseconds(1000),
                              .max_backoff = milliseconds(1000),
                              .deadline = milliseconds(3000)});
  for (int i = 0; i < 1000; ++i) inner_->script.push_back(Status::Retryable("k", "timeout"));
  auto r = store.List("p/", "", 10);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsRetryable());
  auto total = milliseconds(0);
  for (auto d : time_.sleeps) total += d;
  EXPECT_LT(total.count(), 3000);
  EXPECT_NE(r.status().message().find("gave up"), std::string::npos);
}

TEST_F(RetryingStoreTest, ValuesPassThrough) {
  RetryingStore store = Make();
  EXPECT_EQ(*store.GetRange("k", 0, 2), "da");
  EXPECT_EQ(*store.Head("k"), 4u);
  auto page = store.List("", "", 10);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->objects.size(), 1u);
  EXPECT_EQ(page->objects[0].key, "k");
  EXPECT_EQ(store.Describe(), "scripted://");
}

TEST_F(RetryingStoreTest, UnlimitedPolicyRidesOutAnOutageAndReportsIt) {
  RetryingStore store = Make(RetryPolicy::Unlimited());
  EXPECT_FALSE(store.Outage().failing);
  // 200 failed attempts (an outage of minutes at a 10 s back-off cap), then the store answers.
  for (int i = 0; i < 200; ++i) inner_->script.push_back(Status::Retryable("k", "503 SlowDown"));
  ASSERT_TRUE(store.Put("k", "v").ok());
  EXPECT_EQ(inner_->calls, 201);
  EXPECT_FALSE(store.Outage().failing);
  EXPECT_EQ(store.Outage().retries_total, 200u);
}

TEST_F(RetryingStoreTest, OutageLastsFromTheFirstFailureUntilAnyAnswer) {
  RetryingStore store = Make({.max_attempts = 2});
  inner_->script = {Status::Retryable("k", "connection reset"), Status::Retryable("k", "timeout")};
  ASSERT_FALSE(store.Get("k").ok());
  time_.now += std::chrono::seconds(90);
  StoreOutage o = store.Outage();
  EXPECT_TRUE(o.failing);
  EXPECT_GE(o.duration, std::chrono::seconds(90));
  EXPECT_EQ(o.failed_attempts, 2u);
  EXPECT_NE(o.last_error.find("timeout"), std::string::npos) << o.last_error;
  inner_->script = {Status::NotFound("k", "no such key")};  // an answer, if not a success
  EXPECT_TRUE(store.Get("k").status().IsNotFound());
  EXPECT_FALSE(store.Outage().failing);
  EXPECT_EQ(store.Outage().failed_attempts, 0u);
}

// A store on a disk that is full for large objects: Puts of "big" fail while `full` is set, every
// other operation succeeds.
class NearlyFullStore : public ObjectStore {
 public:
  std::atomic<bool> full{true};
  std::atomic<int> big_attempts{0};
  Status Put(const std::string& key, std::string_view) override {
    if (key != "big") return Status::OK();
    ++big_attempts;
    if (full) return Status::Retryable(key, "write /data/.~kbtmp-1: No space left on device");
    return Status::OK();
  }
  Result<std::string> Get(const std::string&) override { return std::string("data"); }
  Result<std::string> GetRange(const std::string&, uint64_t, uint64_t) override {
    return std::string("d");
  }
  Result<uint64_t> Head(const std::string&) override { return uint64_t{4}; }
  Result<ListPage> List(const std::string&, const std::string&, size_t) override {
    return ListPage{};
  }
  Status Delete(const std::vector<std::string>&) override { return Status::OK(); }
  std::string Describe() const override { return "nearly-full://"; }
};

TEST(RetryingStoreOutageTest, OtherAnswersDoNotEndAnOutageWhileAnOperationIsStillRetried) {
  auto inner = std::make_unique<NearlyFullStore>();
  NearlyFullStore* disk = inner.get();
  RetryingStore store(std::move(inner), {.max_attempts = 0,
                                         .initial_backoff = milliseconds(1),
                                         .max_backoff = milliseconds(2),
                                         .deadline = milliseconds(0)});
  std::thread writer([&] { EXPECT_TRUE(store.Put("big", "segment").ok()); });
  while (disk->big_attempts < 3) std::this_thread::sleep_for(milliseconds(1));
  ASSERT_TRUE(store.Outage().failing);
  // Small objects still fit and reads work: the outage goes on while "big" is retried.
  EXPECT_TRUE(store.Put("small", "{}").ok());
  EXPECT_TRUE(store.Get("small").ok());
  EXPECT_TRUE(store.List("", "", 10).ok());
  StoreOutage o = store.Outage();
  EXPECT_TRUE(o.failing);
  EXPECT_NE(o.last_error.find("No space left on device"), std::string::npos) << o.last_error;
  EXPECT_NE(o.last_error.find("put big"), std::string::npos) << o.last_error;
  disk->full = false;  // space freed
  writer.join();
  EXPECT_FALSE(store.Outage().failing);
  EXPECT_EQ(store.Outage().failed_attempts, 0u);
}

}  // namespace
}  // namespace kb::storage
