// The choices a restore makes from the work and the targets: its default parallelism
// (restorer.h, DefaultParallelism) and each target's producer codec (restore_producer.h,
// ChooseCompression).
#include <gtest/gtest.h>

#include "restore/restore_producer.h"
#include "restore/restorer.h"

namespace kb::restore {
namespace {

RestorePlan PlanOf(const std::vector<int>& partitions_per_topic) {
  RestorePlan plan;
  for (size_t i = 0; i < partitions_per_topic.size(); ++i) {
    TopicPlan t{.source_topic = "t" + std::to_string(i), .target_topic = "t" + std::to_string(i)};
    t.partition_count = partitions_per_topic[i];
    for (int p = 0; p < partitions_per_topic[i]; ++p) {
      t.partitions.push_back({.source_topic = t.source_topic, .partition = p});
    }
    plan.topics.push_back(std::move(t));
  }
  return plan;
}

TEST(DefaultParallelismTest, OneWorkerPerPartitionUpToTheCap) {
  EXPECT_EQ(DefaultParallelism(PlanOf({1}), 0), 1u);
  EXPECT_EQ(DefaultParallelism(PlanOf({8}), 0), 8u);  // the 1 GiB / 8-partition case
  EXPECT_EQ(DefaultParallelism(PlanOf({3, 5}), 0), 8u);
  // 20 topics x 100 small partitions: as many in flight as allowed.
  EXPECT_EQ(DefaultParallelism(PlanOf(std::vector<int>(20, 100)), 0), kMaxDefaultParallelism);
  EXPECT_EQ(DefaultParallelism(PlanOf({65}), 0), kMaxDefaultParallelism);
  EXPECT_EQ(DefaultParallelism(PlanOf({64}), 0), 64u);
}

TEST(DefaultParallelismTest, NothingPlannedStillOneWorker) {
  EXPECT_EQ(DefaultParallelism(RestorePlan{}, 0), 1u);
  EXPECT_EQ(DefaultParallelism(PlanOf({0, 0}), 0), 1u);
}

TEST(DefaultParallelismTest, ReshapingCountsTopics) {
  // Reshaped: the partitions of one topic are restored one after the other.
  EXPECT_EQ(DefaultParallelism(PlanOf({100}), 7), 1u);
  EXPECT_EQ(DefaultParallelism(PlanOf({4, 4, 4, 0}), 7), 3u);
  EXPECT_EQ(DefaultParallelism(PlanOf(std::vector<int>(100, 2)), 3), kMaxDefaultParallelism);
}

TEST(ChooseCompressionTest, UserSettingOverridesEveryTopic) {
  const kafka::TopicConfigs zstd = {{"compression.type", "zstd"}};
  EXPECT_EQ(ChooseCompression({{"compression.type", "gzip"}}, &zstd, &zstd), std::nullopt);
  EXPECT_EQ(ChooseCompression({{"compression.codec", "none"}}, &zstd, nullptr), std::nullopt);
  EXPECT_EQ(ChooseCompression({{"compression.type", "none"}}, nullptr, nullptr), std::nullopt);
}

TEST(ChooseCompressionTest, TheTargetsCodecAsNamed) {
  for (const char* codec : {"gzip", "snappy", "lz4", "zstd"}) {
    const kafka::TopicConfigs target = {{"compression.type", codec}};
    EXPECT_EQ(ChooseCompression({{"linger.ms", "5"}}, &target, nullptr), (Compression{codec, ""}))
        << codec;
  }
  const kafka::TopicConfigs plain = {{"compression.type", "uncompressed"}};
  EXPECT_EQ(ChooseCompression({}, &plain, nullptr), (Compression{"none", ""}));
}

TEST(ChooseCompressionTest, TheTargetsLevel) {
  const kafka::TopicConfigs target = {{"compression.type", "zstd"},
                                      {"compression.zstd.level", "7"},
                                      {"compression.gzip.level", "2"}};
  EXPECT_EQ(ChooseCompression({}, &target, nullptr), (Compression{"zstd", "7"}));
  // -1 (Kafka's default for gzip and lz4) is the codec's default level.
  const kafka::TopicConfigs gzip = {{"compression.type", "gzip"}, {"compression.gzip.level", "-1"}};
  EXPECT_EQ(ChooseCompression({}, &gzip, nullptr), (Compression{"gzip", ""}));
}

TEST(ChooseCompressionTest, TargetBeforeTheBackup) {
  const kafka::TopicConfigs target = {{"compression.type", "lz4"}};
  const kafka::TopicConfigs backed_up = {{"compression.type", "gzip"}};
  EXPECT_EQ(ChooseCompression({}, &target, &backed_up), (Compression{"lz4", ""}));
  // Target configs unknown (no DESCRIBE_CONFIGS): the backup's topic.json.
  EXPECT_EQ(ChooseCompression({}, nullptr, &backed_up), (Compression{"gzip", ""}));
  // "producer" keeps whatever comes: the backup's topic.json may name the codec.
  const kafka::TopicConfigs producer = {{"compression.type", "producer"}};
  EXPECT_EQ(ChooseCompression({}, &producer, &backed_up), (Compression{"gzip", ""}));
}

TEST(ChooseCompressionTest, CheapCodecWhenNothingNamesOne) {
  const kafka::TopicConfigs producer = {{"compression.type", "producer"}};
  const kafka::TopicConfigs none;
  EXPECT_EQ(ChooseCompression({}, &producer, &producer), kFallbackCompression);
  EXPECT_EQ(ChooseCompression({}, &none, &none), kFallbackCompression);
  EXPECT_EQ(ChooseCompression({}, nullptr, nullptr), kFallbackCompression);
  const kafka::TopicConfigs odd = {{"compression.type", "brotli"}};
  EXPECT_EQ(ChooseCompression({}, &odd, nullptr), kFallbackCompression);
  EXPECT_NE(kFallbackCompression.codec, "none");
}

TEST(CreateRequestRangesTest, AtMostTheLimitPerRequestButAlwaysAWholeTopic) {
  using Ranges = std::vector<std::pair<size_t, size_t>>;
  EXPECT_EQ(CreateRequestRanges({}, 500), Ranges{});
  EXPECT_EQ(CreateRequestRanges({3, 5}, 500), (Ranges{{0, 2}}));
  // 20 topics x 100 partitions: 5 topics (500 partitions) per request.
  EXPECT_EQ(CreateRequestRanges(std::vector<int32_t>(20, 100), 500),
            (Ranges{{0, 5}, {5, 10}, {10, 15}, {15, 20}}));
  // A topic bigger than the limit goes alone; the next request starts after it.
  EXPECT_EQ(CreateRequestRanges({100, 800, 400, 200}, 500),
            (Ranges{{0, 1}, {1, 2}, {2, 3}, {3, 4}}));
  EXPECT_EQ(CreateRequestRanges({250, 250, 1}, 500), (Ranges{{0, 2}, {2, 3}}));
}

}  // namespace
}  // namespace kb::restore
