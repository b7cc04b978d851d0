// Retention propagation, deleted-topic protection, prune and topic generations through the
// kafka-backup binary against the real broker, whose own retention deletes data: topics with tiny
// log segments (internal.segment.bytes) and a short retention.ms; the broker of scripts/test.sh
// checks retention every second when started with log.retention.check.interval.ms=1000 (without
// it these tests wait up to the broker's default 5 minutes, and time out).
#include <gtest/gtest.h>

#include <map>
#include <thread>

#include "backup/backup_test_util.h"
#include "backup/generations.h"
#include "cli/cli_test_util.h"
#include "kafka/admin.h"
#include "layout/keys.h"
#include "layout/retention_state.h"
#include "metrics/metrics_test_util.h"
#include "storage/local/local_store.h"
#include "testing/test_env.h"

namespace kb::cli {
namespace {

using namespace std::chrono_literals;
using metrics::testing::HttpRequest;
using metrics::testing::SeriesValue;
using testing::ReadFile;
using Clock = std::chrono::steady_clock;

constexpr const char* kPrefix = "r";

class RetentionDaemonTest : public backup::testutil::KafkaTest {
 protected:
  void SetUp() override {
    backup::testutil::KafkaTest::SetUp();
    if (HasFatalFailure()) return;
    auto store = storage::LocalStore::Open(dir_.path() + "/store");
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
    address_ = "127.0.0.1:" + std::to_string(testing::FreePort());
  }

  // A topic whose broker segments roll every ~2 KiB and are deleted 2 s after their newest record.
  std::string KafkaRetainedTopic(const std::string& name) {
    const std::string topic = kb::testing::UniqueName(name);
    Status s = admin_->CreateTopic(
        {topic,
         1,
         1,
         {{"internal.segment.bytes", "2048"}, {"retention.ms", "2000"}, {"segment.ms", "500"}}},
        30s);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return topic;
  }
  std::string PlainTopic(const std::string& name) {
    const std::string topic = kb::testing::UniqueName(name);
    Status s = admin_->CreateTopic({topic, 1, 1, {}}, 30s);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return topic;
  }

  void Produce(const std::string& topic, int n) {
    // Small batches: the broker rejects a batch larger than the topic's segment size.
    backup::testutil::RawProducer producer(bootstrap_, {{"batch.size", "800"}});
    for (int i = 0; i < n; ++i) {
      format::Record r;
      r.key = std::to_string(i);
      r.value = std::string(100, 'v');
      producer.Send(topic, 0, r);
    }
    producer.Flush();
  }

  std::string WriteConfig(const std::vector<std::string>& topics, const std::string& retention) {
    const std::string config = dir_.path() + "/kb.yaml";
    std::string list;
    for (const std::string& t : topics) list += (list.empty() ? "" : ", ") + t;
    std::ofstream(config) << "kafka:\n  bootstrap.servers: " << bootstrap_ << "\n"
                          << "storage:\n  prefix: " << kPrefix
                          << "\n  local:\n    path: " << dir_.path() << "/store\n"
                          << "backup:\n  group_id: " << kb::testing::UniqueName("ret-group")
                          << "\n  topics: [" << list
                          << "]\n  segment:\n    max_age: 200ms\n  metadata_interval: 500ms\n"
                          << "  offsets_interval: 1s\n  shutdown_timeout: 5s\n"
                          << "retention:\n"
                          << retention << "verify:\n  interval: 1s\n  sample: 2\n"
                          << "metrics:\n  listen: " << address_ << "\n";
    return config;
  }

  // Starts the daemon and waits for /healthz.
  void StartDaemon(const std::string& config) {
    log_ = dir_.path() + "/daemon.log";
    reaper_.pid = testing::SpawnLogged({KB_BINARY, "--config", config, "backup"}, log_);
    ASSERT_GT(reaper_.pid, 0);
    const auto deadline = Clock::now() + 30s;
    while (Clock::now() < deadline) {
      if (HttpRequest(address_, "/healthz").status == 200) return;
      ASSERT_EQ(testing::WaitFor(reaper_.pid, 0ms), -1) << "daemon exited: " << ReadFile(log_);
      std::this_thread::sleep_for(100ms);
    }
    FAIL() << "no /healthz: " << ReadFile(log_);
  }
  // SIGTERM must end the daemon with 0 within backup.shutdown_timeout (5 s here), also after a
  // topic it backed up was deleted (librdkafka 2.0.2 could hang closing that consumer: the
  // shutdown watchdog covers closing the client too).
  void StopDaemon() {
    ASSERT_EQ(kill(reaper_.pid, SIGTERM), 0);
    const int code = testing::WaitFor(reaper_.pid, 30s);
    EXPECT_EQ(code, 0) << ReadFile(log_);
    if (code != -1) reaper_.pid = 0;  // else the Reaper kills it
  }

  std::string Metrics() {
    auto m = HttpRequest(address_, "/metrics");
    EXPECT_EQ(m.status, 200) << m.error;
    return m.body;
  }

  // The ranges (segments and gaps) stored for partition 0 of `topic` under `keys`.
  std::vector<catalog::StoredRange> Ranges(const std::string& topic, const layout::Keys& keys) {
    auto r = catalog::ListPartitionRanges(*store_, keys, topic, 0);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : std::vector<catalog::StoredRange>{};
  }
  int64_t StoredNext(const std::string& topic, const layout::Keys& keys) {
    int64_t next = -1;
    for (const auto& r : Ranges(topic, keys)) next = std::max(next, r.end + 1);
    return next;
  }
  // Polls `done` every 200 ms for up to `timeout`; the daemon must stay up meanwhile.
  template <typename F>
  bool Eventually(F done, std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
      if (done()) return true;
      if (testing::WaitFor(reaper_.pid, 0ms) != -1) {
        ADD_FAILURE() << "daemon exited: " << ReadFile(log_);
        reaper_.pid = 0;
        return false;
      }
      std::this_thread::sleep_for(200ms);
    }
    return false;
  }
  testing::Ran Cli(const std::string& config, std::vector<std::string> args) {
    args.insert(args.begin(), {"--config", config});
    return testing::Run(KB_BINARY, args, dir_.path() + "/cli.log", 60s);
  }
  size_t Objects(const std::string& prefix) {
    auto all = storage::ListAll(*store_, prefix);
    EXPECT_TRUE(all.ok());
    return all.ok() ? all->size() : 0;
  }

  kb::testing::TempDir dir_;
  std::unique_ptr<storage::LocalStore> store_;
  std::string address_;
  std::string log_;
  testing::Reaper reaper_{0};
  const layout::Keys keys_{kPrefix};
};

TEST_F(RetentionDaemonTest, WithGraceZeroWhatKafkaDeletedGoesTheRestStaysAndDeletedTopicsStay) {
  const std::string topic = KafkaRetainedTopic("ret0");
  const std::string doomed = PlainTopic("ret0-del");
  Produce(doomed, 50);
  const std::string config = WriteConfig({topic, doomed}, "  interval: 1s\n  grace: 0s\n");
  StartDaemon(config);
  // Several rounds of records, so that the broker rolls and then deletes old log segments while
  // the backup keeps everything it took.
  int64_t produced = 0;
  for (int round = 0; round < 4; ++round) {
    Produce(topic, 40);
    produced += 40;
    ASSERT_TRUE(Eventually([&] { return StoredNext(topic, keys_) == produced; }, 30s))
        << "backed up to " << StoredNext(topic, keys_) << " of " << produced << ": "
        << ReadFile(log_);
    std::this_thread::sleep_for(1s);
  }
  ASSERT_TRUE(Eventually([&] { return StoredNext(doomed, keys_) == 50; }, 30s));
  ASSERT_TRUE(admin_->DeleteTopic(doomed, 30s).ok());
  const size_t doomed_objects = Objects(keys_.TopicPrefix(doomed));

  // Kafka's retention raises the log start offset; the daemon deletes the segments below it.
  int64_t low = 0;
  ASSERT_TRUE(Eventually(
      [&] {
        Produce(topic, 1);  // a new record rolls the active segment so the broker can delete it
        ++produced;
        auto w = admin_->QueryWatermarks(topic, 0, 10s);
        if (!w.ok()) return false;
        low = w->low;
        const auto ranges = Ranges(topic, keys_);
        return low > 0 && !ranges.empty() && ranges.front().start > 0;
      },
      90s))
      << "log start " << low << "; " << ReadFile(log_);

  // Nothing at or above the log start offset was deleted, the rest still tiles, and the backup
  // keeps up with what is produced.
  const auto w = admin_->QueryWatermarks(topic, 0, 10s);
  ASSERT_TRUE(w.ok());
  const auto ranges = Ranges(topic, keys_);
  ASSERT_FALSE(ranges.empty());
  EXPECT_LE(ranges.front().start, w->low);
  EXPECT_TRUE(backup::testutil::RangesTile(ranges, ranges.front().start));
  EXPECT_NE(ReadFile(log_).find("retention: deleting " + keys_.TopicPrefix(topic)),
            std::string::npos);

  // Metrics: what was pruned, the oldest data kept, and the scheduled verify.
  std::string m;
  ASSERT_TRUE(Eventually(
      [&] {
        m = Metrics();
        return SeriesValue(m, R"(kafka_backup_verify_runs_total{result="ok"})").value_or(0) >= 1 &&
               SeriesValue(m,
                           "kafka_backup_oldest_record_timestamp_seconds{topic=\"" + topic + "\"}")
                   .has_value() &&
               SeriesValue(m, "kafka_backup_topic_missing_since_timestamp_seconds{topic=\"" +
                                  doomed + "\"}")
                   .has_value();
      },
      20s))
      << m;
  EXPECT_GE(SeriesValue(m, "kafka_backup_retention_pruned_segments_total{topic=\"" + topic + "\"}")
                .value_or(0),
            1)
      << m;
  EXPECT_GT(SeriesValue(m, "kafka_backup_retention_pruned_bytes_total{topic=\"" + topic + "\"}")
                .value_or(0),
            0);
  EXPECT_EQ(SeriesValue(m, "kafka_backup_verify_problems"), 0) << m;
  EXPECT_GE(SeriesValue(m, R"(kafka_backup_retention_runs_total{result="ok"})").value_or(0), 1);

  // The deleted topic's backup is untouched (plus its retention.json recording the sighting).
  EXPECT_EQ(StoredNext(doomed, keys_), 50);
  EXPECT_GE(Objects(keys_.TopicPrefix(doomed)), doomed_objects);
  StopDaemon();

  // prune --topic: refused for a live topic, a plan by default, deletion with --execute.
  testing::Ran live = Cli(config, {"prune", "--topic", topic});
  EXPECT_EQ(live.code, 1) << live.output;
  EXPECT_NE(live.output.find("exists in the cluster"), std::string::npos) << live.output;
  const size_t before = Objects(keys_.TopicPrefix(doomed));
  testing::Ran plan = Cli(config, {"prune", "--topic", doomed});
  EXPECT_EQ(plan.code, 0) << plan.output;
  EXPECT_NE(plan.output.find("would delete " + keys_.Segment(doomed, 0, 0, 49)), std::string::npos)
      << plan.output;
  EXPECT_EQ(Objects(keys_.TopicPrefix(doomed)), before);
  testing::Ran done = Cli(config, {"prune", "--topic", doomed, "--execute", "--output", "json"});
  EXPECT_EQ(done.code, 0) << done.output;
  EXPECT_NE(done.output.find("\"executed\": true"), std::string::npos) << done.output;
  EXPECT_EQ(Objects(keys_.TopicPrefix(doomed)), 0u);
  EXPECT_GT(Objects(keys_.TopicPrefix(topic)), 0u);

  testing::Ran verify = Cli(config, {"verify"});
  EXPECT_EQ(verify.code, 0) << verify.output;
}

TEST_F(RetentionDaemonTest, WithAGracePeriodNothingGoesYet) {
  const std::string topic = KafkaRetainedTopic("ret1h");
  const std::string config = WriteConfig({topic}, "  interval: 1s\n  grace: 1h\n");
  StartDaemon(config);
  Produce(topic, 40);
  ASSERT_TRUE(Eventually([&] { return StoredNext(topic, keys_) == 40; }, 30s));
  const auto before = Ranges(topic, keys_);
  std::this_thread::sleep_for(2500ms);
  int64_t produced = 40;
  // Wait until Kafka deleted data and a round saw segments expired.
  std::string m;
  ASSERT_TRUE(Eventually(
      [&] {
        Produce(topic, 1);
        ++produced;
        m = Metrics();
        return SeriesValue(m, "kafka_backup_retention_expired_segments{topic=\"" + topic + "\"}")
                   .value_or(0) >= 1;
      },
      90s))
      << m;
  auto w = admin_->QueryWatermarks(topic, 0, 10s);
  ASSERT_TRUE(w.ok());
  EXPECT_GT(w->low, 0);
  // Every segment is still there, and retention.json records when each was first seen expired.
  const auto after = Ranges(topic, keys_);
  ASSERT_GE(after.size(), before.size());
  for (size_t i = 0; i < before.size(); ++i) EXPECT_EQ(after[i].key, before[i].key);
  auto json = store_->Get(keys_.RetentionState(topic));
  ASSERT_TRUE(json.ok()) << json.status().ToString();
  auto state = layout::DecodeRetentionState(keys_.RetentionState(topic), *json);
  ASSERT_TRUE(state.ok()) << state.status().ToString();
  ASSERT_TRUE(state->expired.contains(0));
  EXPECT_EQ(state->expired.at(0).front().start, 0);
  EXPECT_EQ(SeriesValue(m, "kafka_backup_retention_pruned_segments_total{topic=\"" + topic + "\"}")
                .value_or(0),
            0);
  // The plan shows them as expired, kept until the grace period ends.
  testing::Ran plan = Cli(WriteConfig({topic}, "  grace: 1h\n"), {"prune"});
  EXPECT_EQ(plan.code, 0) << plan.output;
  EXPECT_NE(plan.output.find("expired, kept until"), std::string::npos) << plan.output;
  StopDaemon();
}

TEST_F(RetentionDaemonTest, ATopicReCreatedWhileTheDaemonRunsStartsANewGeneration) {
  const std::string topic = PlainTopic("gen");
  Produce(topic, 50);
  const std::string config = WriteConfig({topic}, "  interval: 1s\n  grace: 0s\n");
  StartDaemon(config);
  ASSERT_TRUE(Eventually([&] { return StoredNext(topic, keys_) == 50; }, 30s));

  ASSERT_TRUE(admin_->DeleteTopic(topic, 30s).ok());
  // The daemon's topic watch records the deletion.
  ASSERT_TRUE(Eventually(
      [&] {
        auto json = store_->Get(keys_.RetentionState(topic));
        if (!json.ok()) return false;
        auto state = layout::DecodeRetentionState("k", *json);
        return state.ok() && state->missing_since_ms.has_value();
      },
      30s))
      << ReadFile(log_);
  ASSERT_TRUE(admin_->CreateTopic({topic, 1, 1, {}}, 30s).ok());
  Produce(topic, 70);  // more than the old generation had: only the sighting tells them apart

  // The old generation is archived, the new one backed up from offset 0 at the plain layout.
  int64_t generation = -1;
  ASSERT_TRUE(Eventually(
      [&] {
        auto all = storage::ListAll(*store_, keys_.GenerationsRoot());
        if (!all.ok()) return false;
        for (const auto& o : *all) {
          if (auto g = keys_.ParseGenerationKey(o.key)) generation = g->generation;
        }
        return generation > 0 && StoredNext(topic, keys_) == 70;
      },
      60s))
      << ReadFile(log_);
  const layout::Keys old = keys_.Generation(generation);
  EXPECT_EQ(StoredNext(topic, old), 50);
  EXPECT_TRUE(backup::testutil::RangesTile(Ranges(topic, old), 0));
  EXPECT_TRUE(backup::testutil::RangesTile(Ranges(topic, keys_), 0));
  EXPECT_EQ(Objects(keys_.GenerationsRoot() + "moving/"), 0u);
  StopDaemon();

  // Both generations are readable: ls names the archive, --generation reads it.
  testing::Ran ls = Cli(config, {"ls"});
  EXPECT_EQ(ls.code, 0) << ls.output;
  EXPECT_NE(ls.output.find("--generation " + std::to_string(generation)), std::string::npos)
      << ls.output;
  testing::Ran ls_old =
      Cli(config, {"ls", "--generation", std::to_string(generation), "--output", "json"});
  EXPECT_EQ(ls_old.code, 0) << ls_old.output;
  EXPECT_NE(ls_old.output.find("\"last_offset\": 49"), std::string::npos) << ls_old.output;
  EXPECT_EQ(Cli(config, {"verify", "--generation", std::to_string(generation)}).code, 0);
  testing::Ran verify = Cli(config, {"verify"});
  EXPECT_EQ(verify.code, 0) << verify.output;
}

// Without a sighting (the daemon was not running while the topic was deleted) and with more records
// in the new topic than the store holds, only the topic id tells the generations apart.
TEST_F(RetentionDaemonTest, ATopicReCreatedWhileNoDaemonRanIsANewGenerationByItsTopicId) {
  const std::string topic = PlainTopic("genid");
  Produce(topic, 30);
  const std::string config = WriteConfig({topic}, "");
  testing::Ran first = Cli(config, {"backup", "--once"});
  ASSERT_EQ(first.code, 0) << first.output;
  auto old_id = backup::StoredTopicId(*store_, keys_, topic);
  ASSERT_TRUE(old_id.ok()) << old_id.status().ToString();
  ASSERT_FALSE(old_id->empty());

  RecreateTopic(topic, 1);
  if (HasFatalFailure()) return;
  Produce(topic, 45);

  testing::Ran second = Cli(config, {"backup", "--once"});
  ASSERT_EQ(second.code, 0) << second.output;
  EXPECT_NE(second.output.find("the topic id changed from " + *old_id), std::string::npos)
      << second.output;
  int64_t generation = -1;
  auto all = storage::ListAll(*store_, keys_.GenerationsRoot());
  ASSERT_TRUE(all.ok());
  for (const auto& o : *all) {
    if (auto g = keys_.ParseGenerationKey(o.key)) generation = g->generation;
  }
  ASSERT_GT(generation, 0) << second.output;
  const layout::Keys old = keys_.Generation(generation);
  EXPECT_EQ(StoredNext(topic, old), 30);
  EXPECT_EQ(StoredNext(topic, keys_), 45);
  EXPECT_TRUE(backup::testutil::RangesTile(Ranges(topic, keys_), 0));
  // topic.json names the new generation's id; the archived copy keeps the old one.
  auto new_id = backup::StoredTopicId(*store_, keys_, topic);
  ASSERT_TRUE(new_id.ok());
  EXPECT_FALSE(new_id->empty());
  EXPECT_NE(*new_id, *old_id);
  auto archived_id = backup::StoredTopicId(*store_, old, topic);
  ASSERT_TRUE(archived_id.ok());
  EXPECT_EQ(*archived_id, *old_id);
  // A third run finds nothing new to archive.
  testing::Ran third = Cli(config, {"backup", "--once"});
  ASSERT_EQ(third.code, 0) << third.output;
  EXPECT_EQ(third.output.find("new generation"), std::string::npos) << third.output;
}

// Found when tried as a new user would: the store held nothing of a partition any more (its
// segments were pruned after Kafka deleted their offsets), and while no daemon ran Kafka deleted
// the next records too; the backup then started at the log start without a gap record. The backup
// group's committed offset says where the backup was: the lost offsets become a gap.
TEST_F(RetentionDaemonTest, OffsetsDeletedWhileNoDaemonRanAfterEverythingWasPrunedAreAGap) {
  const std::string topic = PlainTopic("down");
  const std::string config = WriteConfig({topic}, "  grace: 0s\n");
  Produce(topic, 100);
  testing::Ran first = Cli(config, {"backup", "--once"});
  ASSERT_EQ(first.code, 0) << first.output;
  ASSERT_EQ(StoredNext(topic, keys_), 100);

  auto deleted = admin_->DeleteRecords(topic, 0, 100, 30s);  // as retention would
  ASSERT_TRUE(deleted.ok()) << deleted.status().ToString();
  testing::Ran prune = Cli(config, {"prune", "--execute"});
  ASSERT_EQ(prune.code, 0) << prune.output;
  ASSERT_TRUE(Ranges(topic, keys_).empty()) << prune.output;

  // The daemon is down: 50 more records come and go.
  Produce(topic, 50);
  ASSERT_TRUE(admin_->DeleteRecords(topic, 0, 150, 30s).ok());
  Produce(topic, 10);  // offsets 150..159, still in Kafka

  testing::Ran second = Cli(config, {"backup", "--once"});
  ASSERT_EQ(second.code, 0) << second.output;
  const auto ranges = Ranges(topic, keys_);
  ASSERT_EQ(ranges.size(), 2u) << second.output;
  EXPECT_TRUE(ranges[0].is_gap);
  EXPECT_EQ(ranges[0].start, 100);
  EXPECT_EQ(ranges[0].end, 149);
  EXPECT_FALSE(ranges[1].is_gap);
  EXPECT_EQ(ranges[1].start, 150);
  EXPECT_EQ(ranges[1].end, 159);
  EXPECT_NE(second.output.find("the backup group committed 100"), std::string::npos)
      << second.output;
}

// Found when tried as a new user would: with a partition's first segment deleted from the store,
// `verify` and `status` said all was well although Kafka still held those offsets.
TEST_F(RetentionDaemonTest, VerifyAndStatusReportFirstSegmentsMissingWhileKafkaHoldsThem) {
  const std::string topic = PlainTopic("startgone");
  const std::string config = WriteConfig({topic}, "");
  Produce(topic, 30);
  ASSERT_EQ(Cli(config, {"backup", "--once"}).code, 0);
  Produce(topic, 30);
  ASSERT_EQ(Cli(config, {"backup", "--once"}).code, 0);
  const auto ranges = Ranges(topic, keys_);
  ASSERT_GE(ranges.size(), 2u);
  testing::Ran clean = Cli(config, {"verify"});
  EXPECT_EQ(clean.code, 0) << clean.output;
  EXPECT_NE(clean.output.find("compared with the Kafka cluster"), std::string::npos)
      << clean.output;

  ASSERT_TRUE(store_->Delete({ranges[0].key}).ok());
  testing::Ran verify = Cli(config, {"verify"});
  EXPECT_EQ(verify.code, 1) << verify.output;
  EXPECT_NE(verify.output.find(ranges[1].key + " offsets 0.." + std::to_string(ranges[0].end) +
                               ": missing: Kafka still holds"),
            std::string::npos)
      << verify.output;
  testing::Ran status = Cli(config, {"status", "--output", "json"});
  EXPECT_EQ(status.code, 0) << status.output;
  EXPECT_NE(status.output.find("\"state\": \"start missing\""), std::string::npos) << status.output;
}

}  // namespace
}  // namespace kb::cli
