// ComputeStatus against the real Kafka broker started by scripts/test.sh, with backups made by the
// real BackupEngine (--once).
#include <gtest/gtest.h>

#include <thread>

#include "backup/backup_test_util.h"
#include "ops/lag_probe.h"
#include "ops/status.h"
#include "storage/memory/memory_store.h"
#include "testing/test_env.h"

namespace kb::ops {
namespace {

using namespace std::chrono_literals;
using backup::testutil::MakeConfig;
using backup::testutil::RawProducer;
using backup::testutil::RunOnce;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class StatusIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    bootstrap_ = testing::RequireEnv("KB_TEST_KAFKA_BOOTSTRAP");
    ASSERT_FALSE(bootstrap_.empty());
    props_ = {{"bootstrap.servers", bootstrap_}};
    auto admin = kafka::Admin::Make(props_);
    ASSERT_TRUE(admin.ok()) << admin.status().ToString();
    admin_ = std::move(admin).value();
  }
  std::string NewTopic(int partitions) {
    std::string topic = testing::UniqueName("st");
    Status s = admin_->CreateTopic({topic, partitions, 1, {}}, 30s);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return topic;
  }
  Config Cfg(std::vector<std::string> topics) {
    return MakeConfig(bootstrap_, topics, testing::UniqueName("st-group"));
  }
  // Produces `n` records to each of `partitions` partitions with timestamp `ts` (0: now).
  void Produce(const std::string& topic, int partitions, int n, int64_t ts = 0) {
    RawProducer producer(bootstrap_);
    for (int p = 0; p < partitions; ++p) {
      for (int i = 0; i < n; ++i) {
        format::Record r;
        r.key = "k";
        r.value = "v" + std::to_string(i);
        r.timestamp = ts;
        producer.Send(topic, p, r);
      }
    }
    producer.Flush();
  }
  Result<StatusReport> Report(const Config& cfg, std::vector<std::string> topics = {}) {
    return ComputeStatus(store_, layout::Keys(cfg.storage.prefix), *admin_, props_,
                         {.backup = cfg.backup, .topics = std::move(topics)}, 30s);
  }
  static const PartitionStatus* Row(const StatusReport& r, const std::string& topic, int32_t p) {
    for (const PartitionStatus& row : r.partitions) {
      if (row.topic == topic && row.partition == p) return &row;
    }
    return nullptr;
  }

  std::string bootstrap_;
  kafka::Properties props_;
  std::unique_ptr<kafka::Admin> admin_;
  storage::MemoryStore store_;
};

TEST_F(StatusIntegrationTest, RecordsProducedAfterTheBackupAreTheLag) {
  const std::string topic = NewTopic(1);
  const int64_t old_ts = NowMs() - 600'000;
  const int64_t recent_ts = NowMs() - 120'000;
  Produce(topic, 1, 20, old_ts);
  Config cfg = Cfg({topic});
  ASSERT_TRUE(RunOnce(cfg, &store_).ok());
  Produce(topic, 1, 7, recent_ts);

  auto report = Report(cfg);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_EQ(report->partitions.size(), 1u);
  const PartitionStatus& p = report->partitions[0];
  EXPECT_EQ(p.topic, topic);
  EXPECT_EQ(p.log_start, 0);
  EXPECT_EQ(p.high_watermark, 27);
  EXPECT_EQ(p.stored_from, 0);
  EXPECT_EQ(p.backed_up_next, 20);
  EXPECT_EQ(p.lag_records, 7);
  EXPECT_EQ(p.newest_backed_up_timestamp_ms, old_ts);
  // The oldest record not backed up was stamped two minutes ago.
  EXPECT_GE(p.lag_seconds, 119);
  EXPECT_LE(p.lag_seconds, 119 + 60);
  EXPECT_EQ(p.gap_records, 0u);
  EXPECT_EQ(p.state, kStateLagging);
  ASSERT_EQ(report->topics.size(), 1u);
  EXPECT_EQ(report->topics[0].lag_records, 7);
  EXPECT_EQ(report->topics[0].lag_seconds, p.lag_seconds);
  EXPECT_EQ(report->topics[0].state, kStateLagging);
  EXPECT_NE(FormatStatusText(*report).find(topic), std::string::npos);

  // Once backed up again, nothing lags.
  ASSERT_TRUE(RunOnce(cfg, &store_).ok());
  report = Report(cfg);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->partitions[0].lag_records, 0);
  EXPECT_EQ(report->partitions[0].lag_seconds, 0);
  EXPECT_EQ(report->partitions[0].newest_backed_up_timestamp_ms, recent_ts);
  EXPECT_EQ(report->partitions[0].state, kStateOk);
}

TEST_F(StatusIntegrationTest, FullyBackedUpPartitionsShowNoLag) {
  const std::string topic = NewTopic(3);
  Produce(topic, 2, 10);  // partition 2 stays empty
  Config cfg = Cfg({topic});
  ASSERT_TRUE(RunOnce(cfg, &store_).ok());
  auto report = Report(cfg);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_EQ(report->partitions.size(), 3u);
  for (int32_t i = 0; i < 2; ++i) {
    const PartitionStatus* p = Row(*report, topic, i);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(p->backed_up_next, 10);
    EXPECT_EQ(p->high_watermark, 10);
    EXPECT_EQ(p->lag_records, 0);
    EXPECT_EQ(p->lag_seconds, 0);
    EXPECT_GT(p->newest_backed_up_timestamp_ms, 0);
    EXPECT_EQ(p->state, kStateOk);
  }
  const PartitionStatus* empty = Row(*report, topic, 2);
  ASSERT_NE(empty, nullptr);
  EXPECT_EQ(empty->backed_up_next, -1);
  EXPECT_EQ(empty->high_watermark, 0);
  EXPECT_EQ(empty->state, kStateOk);
  EXPECT_EQ(report->topics[0].state, kStateOk);
}

TEST_F(StatusIntegrationTest, ADeletedTopicIsNotInClusterWithItsStoredRange) {
  const std::string topic = NewTopic(1);
  Produce(topic, 1, 15);
  Config cfg = Cfg({topic});
  ASSERT_TRUE(RunOnce(cfg, &store_).ok());
  ASSERT_TRUE(admin_->DeleteTopic(topic, 30s).ok());
  // Deletion takes a moment to reach the metadata everyone sees.
  Result<StatusReport> report = kb::Status::NotFound("", "not run");
  for (int i = 0; i < 60; ++i) {
    report = Report(cfg);
    if (report.ok() && !report->topics.empty() && !report->topics[0].in_cluster) break;
    std::this_thread::sleep_for(500ms);
  }
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_EQ(report->partitions.size(), 1u);
  const PartitionStatus& p = report->partitions[0];
  EXPECT_EQ(p.state, kStateNotInCluster);
  EXPECT_EQ(p.stored_from, 0);
  EXPECT_EQ(p.backed_up_next, 15);
  EXPECT_EQ(p.log_start, -1);
  EXPECT_EQ(p.high_watermark, -1);
  EXPECT_EQ(p.lag_records, 0);
  ASSERT_EQ(report->topics.size(), 1u);
  EXPECT_EQ(report->topics[0].state, kStateNotInCluster);
  // Shown also when the filter no longer names it.
  Config other = Cfg({"^nothing-matches-this$"});
  auto unfiltered = Report(other);
  ASSERT_TRUE(unfiltered.ok()) << unfiltered.status().ToString();
  ASSERT_NE(Row(*unfiltered, topic, 0), nullptr);
  EXPECT_EQ(Row(*unfiltered, topic, 0)->state, kStateNotInCluster);
}

TEST_F(StatusIntegrationTest, NeverBackedUpAndRetentionGaps) {
  const std::string fresh = NewTopic(1);
  const std::string retained = NewTopic(1);
  Produce(fresh, 1, 5);
  Produce(retained, 1, 100);
  Config backed = Cfg({retained});
  ASSERT_TRUE(RunOnce(backed, &store_).ok());
  Produce(retained, 1, 100);
  auto low = admin_->DeleteRecords(retained, 0, 150, 30s);  // as retention would
  ASSERT_TRUE(low.ok()) << low.status().ToString();

  Config both = Cfg({fresh, retained});
  auto report = Report(both);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  const PartitionStatus* f = Row(*report, fresh, 0);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->state, kStateNotBackedUp);
  EXPECT_EQ(f->lag_records, 5);
  EXPECT_GE(f->lag_seconds, 0);
  EXPECT_LE(f->lag_seconds, 120);
  const PartitionStatus* r = Row(*report, retained, 0);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->state, kStateBehindRetention);
  EXPECT_EQ(r->log_start, 150);
  EXPECT_EQ(r->lag_records, 50);
  EXPECT_GE(r->lag_seconds, 0);

  ASSERT_TRUE(RunOnce(backed, &store_).ok());  // records the gap [100, 149]
  report = Report(both);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  r = Row(*report, retained, 0);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->state, kStateOk);
  EXPECT_EQ(r->gap_records, 50u);
  EXPECT_EQ(r->backed_up_next, 200);
}

TEST_F(StatusIntegrationTest, ExplicitTopicsRestrictTheReport) {
  const std::string a = NewTopic(1);
  const std::string b = NewTopic(1);
  Produce(a, 1, 3);
  Produce(b, 1, 4);
  Config cfg = Cfg({a, b});
  ASSERT_TRUE(RunOnce(cfg, &store_).ok());
  auto report = Report(cfg, {a});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_EQ(report->partitions.size(), 1u);
  EXPECT_EQ(report->partitions[0].topic, a);
  EXPECT_EQ(report->partitions[0].state, kStateOk);

  Config only_a = Cfg({a});  // b is in the store and the cluster but no longer selected
  report = Report(only_a, {b});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_EQ(report->topics.size(), 1u);
  EXPECT_EQ(report->topics[0].state, kStateNotSelected);
  EXPECT_FALSE(report->topics[0].selected);

  auto missing = Report(cfg, {"st-no-such-topic"});
  EXPECT_TRUE(missing.status().IsNotFound()) << missing.status().ToString();
  EXPECT_EQ(missing.status().subject(), "st-no-such-topic");
}

TEST_F(StatusIntegrationTest, TheProbeReadsOneTimestampPerPartitionAndCommitsNothing) {
  const std::string topic = NewTopic(2);
  RawProducer producer(bootstrap_);
  for (int i = 0; i < 5; ++i) {
    format::Record r;
    r.value = "v";
    r.timestamp = 1'700'000'000'000 + i;
    producer.Send(topic, 0, r);
  }
  producer.Flush();
  // Partition 1 is empty: nothing to read at offset 0 before the timeout.
  auto ts = ReadFirstTimestamps(props_, {{{topic, 0}, 3}, {{topic, 1}, 0}}, 3s);
  ASSERT_TRUE(ts.ok()) << ts.status().ToString();
  ASSERT_EQ(ts->size(), 1u);
  EXPECT_EQ(ts->at({topic, 0}), 1'700'000'000'003);
  auto committed = admin_->ListConsumerGroupOffsets(kProbeGroupId, 30s);
  ASSERT_TRUE(committed.ok()) << committed.status().ToString();
  EXPECT_TRUE(committed->empty());
}

}  // namespace
}  // namespace kb::ops
