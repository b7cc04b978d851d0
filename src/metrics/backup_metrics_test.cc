#include "metrics/backup_metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <atomic>
#include <thread>
#include <vector>

#include "metrics/metrics_test_util.h"

namespace kb::metrics {
namespace {

using testing::Exposition;
using testing::SeriesValue;
using Clock = BackupMetrics::Clock;

class BackupMetricsTest : public ::testing::Test {
 protected:
  std::string Text() const { return Exposition(*registry_); }
  std::optional<double> Value(const std::string& series) const {
    return SeriesValue(Text(), series);
  }
  static Clock::time_point At(int seconds) {
    return Clock::time_point(std::chrono::seconds(seconds));
  }

  std::shared_ptr<prometheus::Registry> registry_ = std::make_shared<prometheus::Registry>();
  std::atomic<int> now_s_{1000};
  BackupMetrics metrics_{registry_, [this] { return At(now_s_.load()); }};
};

constexpr const char* kOrders3 = R"({partition="3",topic="orders"})";
constexpr const char* kOrders4 = R"({partition="4",topic="orders"})";

TEST_F(BackupMetricsTest, ProcessAndStoreSeriesExistFromTheStart) {
  const std::string text = Text();
  EXPECT_NE(text.find("# TYPE kafka_backup_store_request_seconds histogram"), std::string::npos);
  for (const char* op : {"put", "get", "get_range", "head", "list", "delete"}) {
    EXPECT_EQ(SeriesValue(
                  text, std::string("kafka_backup_store_request_seconds_count{op=\"") + op + "\"}"),
              0)
        << op;
  }
  EXPECT_EQ(SeriesValue(text, "kafka_backup_buffered_bytes"), 0);
  EXPECT_EQ(SeriesValue(text, "kafka_backup_assigned_partitions"), 0);
  // Families without series are not exposed: no partition metric before the first update.
  EXPECT_EQ(text.find("topic="), std::string::npos);
  EXPECT_EQ(text.find("kafka_backup_lag_records"), std::string::npos);
}

TEST_F(BackupMetricsTest, EveryPartitionFamilyHasHelpAndType) {
  metrics_.SetDurableOffset("orders", 3, 1);
  metrics_.AddStoreError(StoreOp::kPut, Status::Code::kRetryable);
  const std::string text = Text();
  const std::vector<std::pair<std::string, std::string>> families = {
      {"kafka_backup_lag_records", "gauge"},         {"kafka_backup_lag_seconds", "gauge"},
      {"kafka_backup_durable_offset", "gauge"},      {"kafka_backup_records_total", "counter"},
      {"kafka_backup_bytes_total", "counter"},       {"kafka_backup_segments_total", "counter"},
      {"kafka_backup_gap_records_total", "counter"}, {"kafka_backup_store_errors_total", "counter"},
      {"kafka_backup_buffered_bytes", "gauge"},      {"kafka_backup_assigned_partitions", "gauge"}};
  for (const auto& [name, type] : families) {
    EXPECT_NE(text.find("# HELP " + name + " "), std::string::npos) << name;
    EXPECT_NE(text.find("# TYPE " + name + " " + type + "\n"), std::string::npos) << name;
  }
}

TEST_F(BackupMetricsTest, LagRecordsIsHighWatermarkMinusDurableOffset) {
  metrics_.SetHighWatermark("orders", 3, 100);
  // Unknown durable offset: no lag claimed yet.
  EXPECT_EQ(Value(std::string("kafka_backup_lag_records") + kOrders3), 0);
  metrics_.SetDurableOffset("orders", 3, 40);
  EXPECT_EQ(Value(std::string("kafka_backup_lag_records") + kOrders3), 60);
  EXPECT_EQ(Value(std::string("kafka_backup_durable_offset") + kOrders3), 40);
  metrics_.SetHighWatermark("orders", 3, 150);
  EXPECT_EQ(Value(std::string("kafka_backup_lag_records") + kOrders3), 110);
  metrics_.SetDurableOffset("orders", 3, 150);
  EXPECT_EQ(Value(std::string("kafka_backup_lag_records") + kOrders3), 0);
  // A stale high watermark never makes the lag negative.
  metrics_.SetDurableOffset("orders", 3, 160);
  EXPECT_EQ(Value(std::string("kafka_backup_lag_records") + kOrders3), 0);
  // Offsets are exported exactly up to 2^53.
  metrics_.SetDurableOffset("orders", 4, int64_t{1} << 40);
  EXPECT_EQ(Value(std::string("kafka_backup_durable_offset") + kOrders4), 1099511627776.0);
}

TEST_F(BackupMetricsTest, LagSecondsIsTheAgeOfTheOldestPendingRecord) {
  metrics_.SetOldestPending("orders", 3, At(990));
  EXPECT_EQ(Value(std::string("kafka_backup_lag_seconds") + kOrders3), 10);
  now_s_ = 1025;
  metrics_.RefreshLagSeconds();
  EXPECT_EQ(Value(std::string("kafka_backup_lag_seconds") + kOrders3), 35);
  metrics_.SetOldestPending("orders", 3, std::nullopt);  // everything durable
  EXPECT_EQ(Value(std::string("kafka_backup_lag_seconds") + kOrders3), 0);
  now_s_ = 2000;
  metrics_.RefreshLagSeconds();
  EXPECT_EQ(Value(std::string("kafka_backup_lag_seconds") + kOrders3), 0);
  // A timestamp from the future (clock handed in by another thread) reads as 0, not negative.
  metrics_.SetOldestPending("orders", 3, At(2005));
  EXPECT_EQ(Value(std::string("kafka_backup_lag_seconds") + kOrders3), 0);
}

TEST_F(BackupMetricsTest, CountersAccumulatePerPartition) {
  metrics_.AddSegment("orders", 3, 1000, 65536);
  metrics_.AddSegment("orders", 3, 500, 1024);
  metrics_.AddSegment("orders", 4, 7, 70);
  metrics_.AddGapRecords("orders", 3, 12);
  const std::string text = Text();
  EXPECT_EQ(SeriesValue(text, std::string("kafka_backup_segments_total") + kOrders3), 2);
  EXPECT_EQ(SeriesValue(text, std::string("kafka_backup_records_total") + kOrders3), 1500);
  EXPECT_EQ(SeriesValue(text, std::string("kafka_backup_bytes_total") + kOrders3), 66560);
  EXPECT_EQ(SeriesValue(text, std::string("kafka_backup_gap_records_total") + kOrders3), 12);
  EXPECT_EQ(SeriesValue(text, std::string("kafka_backup_records_total") + kOrders4), 7);
  EXPECT_EQ(SeriesValue(text, std::string("kafka_backup_gap_records_total") + kOrders4), 0);
}

TEST_F(BackupMetricsTest, RemovePartitionDropsItsSeriesOnly) {
  metrics_.SetDurableOffset("orders", 3, 40);
  metrics_.AddSegment("orders", 3, 10, 100);
  metrics_.SetDurableOffset("orders", 4, 7);
  ASSERT_NE(Text().find(kOrders3), std::string::npos);

  metrics_.RemovePartition("orders", 3);
  std::string text = Text();
  EXPECT_EQ(text.find(kOrders3), std::string::npos);
  EXPECT_EQ(SeriesValue(text, std::string("kafka_backup_durable_offset") + kOrders4), 7);
  metrics_.RemovePartition("orders", 3);   // already gone: no-op
  metrics_.RemovePartition("unknown", 0);  // never seen: no-op

  // Assigned again later: the series come back from zero.
  metrics_.AddSegment("orders", 3, 1, 5);
  text = Text();
  EXPECT_EQ(SeriesValue(text, std::string("kafka_backup_records_total") + kOrders3), 1);
  EXPECT_EQ(SeriesValue(text, std::string("kafka_backup_durable_offset") + kOrders3), 0);
}

TEST_F(BackupMetricsTest, StoreAndProcessMetrics) {
  metrics_.ObserveStoreRequest(StoreOp::kPut, std::chrono::milliseconds(3));
  metrics_.ObserveStoreRequest(StoreOp::kPut, std::chrono::seconds(2));
  metrics_.AddStoreError(StoreOp::kPut, Status::Code::kRetryable);
  metrics_.AddStoreError(StoreOp::kGet, Status::Code::kNotFound);
  metrics_.AddStoreError(StoreOp::kGet, Status::Code::kNotFound);
  metrics_.SetBufferedBytes(123456);
  metrics_.SetAssignedPartitions(12);
  const std::string text = Text();
  EXPECT_EQ(SeriesValue(text, R"(kafka_backup_store_request_seconds_count{op="put"})"), 2);
  EXPECT_DOUBLE_EQ(*SeriesValue(text, R"(kafka_backup_store_request_seconds_sum{op="put"})"),
                   2.003);
  EXPECT_EQ(SeriesValue(text, R"(kafka_backup_store_request_seconds_bucket{op="put",le="0.001"})"),
            0);
  EXPECT_EQ(SeriesValue(text, R"(kafka_backup_store_request_seconds_bucket{op="put",le="0.005"})"),
            1);
  EXPECT_EQ(SeriesValue(text, R"(kafka_backup_store_request_seconds_bucket{op="put",le="+Inf"})"),
            2);
  EXPECT_EQ(SeriesValue(text, R"(kafka_backup_store_errors_total{code="retryable",op="put"})"), 1);
  EXPECT_EQ(SeriesValue(text, R"(kafka_backup_store_errors_total{code="not_found",op="get"})"), 2);
  EXPECT_EQ(SeriesValue(text, "kafka_backup_buffered_bytes"), 123456);
  EXPECT_EQ(SeriesValue(text, "kafka_backup_assigned_partitions"), 12);
  EXPECT_EQ(metrics_.StoreRequestSummary(), "put 2, get 0, get_range 0, head 0, list 0, delete 0");
}

TEST_F(BackupMetricsTest, BufferBudgetAndLastUploadTime) {
  EXPECT_EQ(Value("kafka_backup_buffer_memory_bytes"), 0);
  EXPECT_EQ(Value("kafka_backup_last_upload_timestamp_seconds"), 0);
  metrics_.SetBufferMemoryLimit(128 << 20);
  const double before =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  metrics_.AddSegment("orders", 3, 10, 100);
  EXPECT_EQ(Value("kafka_backup_buffer_memory_bytes"), 128 << 20);
  std::optional<double> last = Value("kafka_backup_last_upload_timestamp_seconds");
  ASSERT_TRUE(last.has_value());
  EXPECT_GE(*last, before - 1);
  EXPECT_LE(*last, before + 60);
}

TEST(StoreLabelsTest, EveryCodeAndOpHasASnakeCaseName) {
  for (int c = 0; c <= static_cast<int>(Status::Code::kCancelled); ++c) {
    std::string_view label = StatusCodeLabel(static_cast<Status::Code>(c));
    EXPECT_NE(label, "unknown") << c;
    EXPECT_EQ(label.find_first_not_of("abcdefghijklmnopqrstuvwxyz_"), std::string_view::npos);
  }
  EXPECT_EQ(StoreOpName(StoreOp::kGetRange), "get_range");
  EXPECT_EQ(StoreOpName(StoreOp::kDelete), "delete");
}

// Updates, removals and scrapes from several threads at once (meaningful under ASan/TSan).
TEST_F(BackupMetricsTest, ConcurrentUpdatesRemovalsAndScrapes) {
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 300; ++i) {
        const int32_t partition = i % 4;
        metrics_.SetDurableOffset("t", partition, i);
        metrics_.SetHighWatermark("t", partition, i + t);
        metrics_.SetOldestPending("t", partition, At(i));
        metrics_.AddSegment("t", partition, 1, 10);
        metrics_.ObserveStoreRequest(StoreOp::kPut, std::chrono::microseconds(i));
        if (i % 7 == t) metrics_.RemovePartition("t", partition);
      }
    });
  }
  threads.emplace_back([&] {
    while (!stop) {
      metrics_.RefreshLagSeconds();
      (void)Text();
    }
  });
  for (int t = 0; t < 3; ++t) threads[t].join();
  stop = true;
  threads.back().join();
  EXPECT_EQ(SeriesValue(Text(), R"(kafka_backup_store_request_seconds_count{op="put"})"), 900);
}

}  // namespace
}  // namespace kb::metrics
