#include "metrics/metered_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "metrics/metrics_test_util.h"

namespace kb::metrics {
namespace {

using storage::ListPage;
using storage::ObjectInfo;
using testing::Exposition;
using testing::SeriesValue;

// A minimal in-memory store: enough behaviour to tell results pass through, plus an injectable
// failure and delay per call.
class FakeStore : public storage::ObjectStore {
 public:
  Status Put(const std::string& key, std::string_view data) override {
    KB_RETURN_IF_ERROR(Enter());
    std::lock_guard<std::mutex> lock(mu_);
    objects_[key] = std::string(data);
    return Status::OK();
  }
  Result<std::string> Get(const std::string& key) override {
    KB_RETURN_IF_ERROR(Enter());
    std::lock_guard<std::mutex> lock(mu_);
    auto it = objects_.find(key);
    if (it == objects_.end()) return Status::NotFound(key, "no such object");
    return it->second;
  }
  Result<std::string> GetRange(const std::string& key, uint64_t offset, uint64_t length) override {
    KB_ASSIGN_OR_RETURN(std::string all, Get(key));
    if (offset > all.size()) return Status::InvalidArgument(key, "offset past the end");
    return all.substr(offset, length);
  }
  Result<uint64_t> Head(const std::string& key) override {
    KB_ASSIGN_OR_RETURN(std::string all, Get(key));
    return static_cast<uint64_t>(all.size());
  }
  Result<ListPage> List(const std::string& prefix, const std::string&, size_t) override {
    KB_RETURN_IF_ERROR(Enter());
    std::lock_guard<std::mutex> lock(mu_);
    ListPage page;
    for (const auto& [key, data] : objects_) {
      if (key.starts_with(prefix)) page.objects.push_back({key, data.size()});
    }
    return page;
  }
  Status Delete(const std::vector<std::string>& keys) override {
    KB_RETURN_IF_ERROR(Enter());
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& key : keys) objects_.erase(key);
    return Status::OK();
  }
  std::string Describe() const override { return "fake://test"; }

  // The next call fails with `status` (once).
  void FailNext(Status status) {
    std::lock_guard<std::mutex> lock(mu_);
    fail_next_ = std::move(status);
  }
  void SetDelay(std::chrono::milliseconds delay) {
    std::lock_guard<std::mutex> lock(mu_);
    delay_ = delay;
  }

 private:
  Status Enter() {
    std::chrono::milliseconds delay;
    std::optional<Status> fail;
    {
      std::lock_guard<std::mutex> lock(mu_);
      delay = delay_;
      fail.swap(fail_next_);
    }
    if (delay.count() > 0) std::this_thread::sleep_for(delay);
    return fail.value_or(Status::OK());
  }

  std::mutex mu_;
  std::map<std::string, std::string> objects_;
  std::optional<Status> fail_next_;
  std::chrono::milliseconds delay_{0};
};

class MeteredStoreTest : public ::testing::Test {
 protected:
  MeteredStoreTest() {
    auto fake = std::make_unique<FakeStore>();
    fake_ = fake.get();
    store_ = std::make_unique<MeteredStore>(std::move(fake), metrics_);
  }

  std::optional<double> Count(const std::string& op) const {
    return SeriesValue(Exposition(*registry_),
                       "kafka_backup_store_request_seconds_count{op=\"" + op + "\"}");
  }
  std::optional<double> Errors(const std::string& op, const std::string& code) const {
    return SeriesValue(Exposition(*registry_),
                       "kafka_backup_store_errors_total{code=\"" + code + "\",op=\"" + op + "\"}");
  }

  std::shared_ptr<prometheus::Registry> registry_ = std::make_shared<prometheus::Registry>();
  BackupMetrics metrics_{registry_};
  FakeStore* fake_ = nullptr;
  std::unique_ptr<MeteredStore> store_;
};

TEST_F(MeteredStoreTest, CountsEveryOperationAndPassesResultsThrough) {
  ASSERT_TRUE(store_->Put("a/1", "hello").ok());
  const std::vector<std::string_view> parts = {"wor", "ld!"};
  ASSERT_TRUE(store_->PutParts("a/2", parts).ok());
  EXPECT_EQ(*store_->Get("a/1"), "hello");
  EXPECT_EQ(*store_->GetRange("a/2", 1, 3), "orl");
  EXPECT_EQ(*store_->Head("a/2"), 6u);
  auto page = store_->List("a/", "", 10);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->objects, (std::vector<ObjectInfo>{{"a/1", 5}, {"a/2", 6}}));
  EXPECT_TRUE(store_->Delete({"a/1"}).ok());
  EXPECT_EQ(store_->Describe(), "fake://test");
  EXPECT_EQ(store_->inner(), fake_);

  EXPECT_EQ(Count("put"), 2);
  EXPECT_EQ(Count("get"), 1);
  EXPECT_EQ(Count("get_range"), 1);
  EXPECT_EQ(Count("head"), 1);
  EXPECT_EQ(Count("list"), 1);
  EXPECT_EQ(Count("delete"), 1);
  EXPECT_THAT(Exposition(*registry_),
              ::testing::Not(::testing::HasSubstr("kafka_backup_store_errors_total{")));
}

TEST_F(MeteredStoreTest, CountsErrorsByOpAndCodeAndReturnsThemUnchanged) {
  const Status slow_down = Status::Retryable("a/1", "503 SlowDown");
  fake_->FailNext(slow_down);
  EXPECT_EQ(store_->Put("a/1", "x"), slow_down);
  fake_->FailNext(Status::PermissionDenied("a/1", "403 AccessDenied"));
  EXPECT_EQ(store_->Put("a/1", "x").code(), Status::Code::kPermissionDenied);

  auto missing = store_->Get("missing");
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(missing.status().IsNotFound());
  EXPECT_EQ(missing.status().subject(), "missing");
  EXPECT_TRUE(store_->Head("missing").status().IsNotFound());
  ASSERT_TRUE(store_->Put("a/1", "x").ok());
  EXPECT_TRUE(store_->GetRange("a/1", 5, 1).status().IsInvalidArgument());

  EXPECT_EQ(Errors("put", "retryable"), 1);
  EXPECT_EQ(Errors("put", "permission_denied"), 1);
  EXPECT_EQ(Errors("get", "not_found"), 1);
  EXPECT_EQ(Errors("head", "not_found"), 1);
  EXPECT_EQ(Errors("get_range", "invalid_argument"), 1);
  // Failed calls are timed too.
  EXPECT_EQ(Count("put"), 3);
  EXPECT_EQ(Count("get"), 1);
}

TEST_F(MeteredStoreTest, ObservesLatency) {
  fake_->SetDelay(std::chrono::milliseconds(30));
  ASSERT_TRUE(store_->Put("slow", "x").ok());
  fake_->SetDelay(std::chrono::milliseconds(0));
  const std::string text = Exposition(*registry_);
  const auto sum = SeriesValue(text, R"(kafka_backup_store_request_seconds_sum{op="put"})");
  ASSERT_TRUE(sum.has_value());
  EXPECT_GE(*sum, 0.030);
  EXPECT_LT(*sum, 10.0);
  EXPECT_EQ(SeriesValue(text, R"(kafka_backup_store_request_seconds_bucket{op="put",le="0.025"})"),
            0);
  EXPECT_EQ(SeriesValue(text, R"(kafka_backup_store_request_seconds_bucket{op="put",le="60"})"), 1);
}

TEST_F(MeteredStoreTest, IsThreadSafe) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 100; ++i) {
        const std::string key = "k/" + std::to_string(t) + "/" + std::to_string(i);
        EXPECT_TRUE(store_->Put(key, "v").ok());
        EXPECT_TRUE(store_->Get(key).ok());
        (void)store_->Get(key + "/missing");
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(Count("put"), 400);
  EXPECT_EQ(Count("get"), 800);
  EXPECT_EQ(Errors("get", "not_found"), 400);
}

}  // namespace
}  // namespace kb::metrics
