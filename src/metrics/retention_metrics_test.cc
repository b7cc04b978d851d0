#include "metrics/retention_metrics.h"

#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include "metrics/metrics_test_util.h"

namespace kb::metrics {
namespace {

using testing::Exposition;
using testing::SeriesValue;

class RetentionMetricsTest : public ::testing::Test {
 protected:
  std::optional<double> Value(const std::string& series) const {
    return SeriesValue(Exposition(*registry_), series);
  }
  std::shared_ptr<prometheus::Registry> registry_ = std::make_shared<prometheus::Registry>();
  RetentionMetrics metrics_{registry_};
};

TEST_F(RetentionMetricsTest, RoundCountersAndTopicGauges) {
  EXPECT_EQ(Value(R"(kafka_backup_retention_runs_total{result="ok"})"), 0);
  metrics_.RetentionRound({{.topic = "a",
                            .pruned_segments = 2,
                            .pruned_bytes = 300,
                            .expired_segments = 1,
                            .oldest_timestamp_ms = 1'700'000'000'500},
                           {.topic = "gone", .missing_since_ms = 1'600'000'000'000}},
                          1'700'000'001'000);
  EXPECT_EQ(Value(R"(kafka_backup_retention_pruned_segments_total{topic="a"})"), 2);
  EXPECT_EQ(Value(R"(kafka_backup_retention_pruned_bytes_total{topic="a"})"), 300);
  // A topic with nothing pruned yet has its counters at 0.
  EXPECT_EQ(Value(R"(kafka_backup_retention_pruned_segments_total{topic="gone"})"), 0);
  EXPECT_EQ(Value(R"(kafka_backup_retention_pruned_bytes_total{topic="gone"})"), 0);
  EXPECT_EQ(Value(R"(kafka_backup_retention_expired_segments{topic="a"})"), 1);
  EXPECT_DOUBLE_EQ(*Value(R"(kafka_backup_oldest_record_timestamp_seconds{topic="a"})"),
                   1'700'000'000.5);
  EXPECT_EQ(Value(R"(kafka_backup_topic_missing_since_timestamp_seconds{topic="gone"})"),
            1'600'000'000);
  EXPECT_FALSE(Value(R"(kafka_backup_topic_missing_since_timestamp_seconds{topic="a"})"));
  EXPECT_FALSE(Value(R"(kafka_backup_oldest_record_timestamp_seconds{topic="gone"})"));
  EXPECT_EQ(Value(R"(kafka_backup_retention_runs_total{result="ok"})"), 1);
  EXPECT_EQ(Value("kafka_backup_retention_last_success_timestamp_seconds"), 1'700'000'001);

  // Next round: "gone" was pruned entirely, "a" pruned once more; counters add up, gauges of a
  // topic that left the store disappear.
  metrics_.RetentionRound({{.topic = "a", .pruned_segments = 1, .pruned_bytes = 50},
                           {.topic = "gone", .pruned_segments = 4, .backup_deleted = true}},
                          1'700'000'002'000);
  EXPECT_EQ(Value(R"(kafka_backup_retention_pruned_segments_total{topic="a"})"), 3);
  EXPECT_EQ(Value(R"(kafka_backup_retention_pruned_bytes_total{topic="a"})"), 350);
  EXPECT_EQ(Value(R"(kafka_backup_retention_pruned_segments_total{topic="gone"})"), 4);
  EXPECT_FALSE(Value(R"(kafka_backup_topic_missing_since_timestamp_seconds{topic="gone"})"));
  EXPECT_FALSE(Value(R"(kafka_backup_oldest_record_timestamp_seconds{topic="a"})"));
  EXPECT_EQ(Value(R"(kafka_backup_retention_expired_segments{topic="a"})"), 0);
  metrics_.RetentionFailed();
  EXPECT_EQ(Value(R"(kafka_backup_retention_runs_total{result="error"})"), 1);
}

TEST_F(RetentionMetricsTest, VerifyRuns) {
  metrics_.VerifyRound({.segments = 3, .bytes = 1000, .problems = 0}, 10'000);
  metrics_.VerifyRound({.segments = 2, .bytes = 500, .problems = 2}, 20'000);
  metrics_.VerifyFailed(30'000);
  EXPECT_EQ(Value("kafka_backup_verify_segments_total"), 5);
  EXPECT_EQ(Value("kafka_backup_verify_bytes_total"), 1500);
  EXPECT_EQ(Value("kafka_backup_verify_problems"), 2);
  EXPECT_EQ(Value("kafka_backup_verify_last_run_timestamp_seconds"), 20);
  EXPECT_EQ(Value("kafka_backup_verify_last_success_timestamp_seconds"), 10);
  EXPECT_EQ(Value(R"(kafka_backup_verify_runs_total{result="ok"})"), 1);
  EXPECT_EQ(Value(R"(kafka_backup_verify_runs_total{result="problems"})"), 1);
  EXPECT_EQ(Value(R"(kafka_backup_verify_runs_total{result="error"})"), 1);
}

}  // namespace
}  // namespace kb::metrics
