// The kafka-backup binary's `restore` against the real broker: kill -9 in the middle of a restore
// (twice), run the same command again, and the target holds every selected record exactly once,
// in order, with a complete offset map; --dry-run prints the plan and writes nothing; a segment
// deleted from the middle of a partition stops that partition (or, with --skip-corrupt, is
// restored around as a gap, groups included).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include "backup/backup_test_util.h"
#include "backup/metadata_sync.h"
#include "cli/cli_test_util.h"
#include "kafka/admin.h"
#include "layout/metadata.h"
#include "restore/offset_map_store.h"
#include "restore/restore_test_util.h"
#include "storage/factory/open_store.h"
#include "testing/test_env.h"

namespace kb::cli {
namespace {

using namespace std::chrono_literals;
using cli::testing::ReadFile;
using cli::testing::SpawnLogged;
using cli::testing::WaitFor;

class RestoreCliTest : public backup::testutil::KafkaTest {
 protected:
  void SetUp() override {
    backup::testutil::KafkaTest::SetUp();
    if (HasFatalFailure()) return;
    config_ = dir_.path() + "/kb.yaml";
    std::ofstream(config_) << "kafka:\n  bootstrap.servers: " << bootstrap_ << "\n"
                           << "storage:\n  prefix: kb\n  local:\n    path: " << dir_.path()
                           << "/store\n";
    cfg_ = backup::testutil::MakeConfig(bootstrap_, {}, kb::testing::UniqueName("g"));
    cfg_.storage.prefix = "kb";
    cfg_.storage.local.path = dir_.path() + "/store";
  }
  // A topic of `partitions` x `per_partition` records of ~200 bytes, backed up into the store.
  std::string BackedUpTopic(int partitions, int per_partition) {
    const std::string topic = kb::testing::UniqueName("rst-cli");
    EXPECT_TRUE(admin_->CreateTopic({topic, partitions, 1, {}}, 30s).ok());
    {
      // Recent timestamps: the broker's time retention would delete records from years ago.
      const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count();
      backup::testutil::RawProducer producer(bootstrap_);
      for (int i = 0; i < partitions * per_partition; ++i) {
        format::Record r;
        r.key = "k" + std::to_string(i);
        r.value = std::to_string(i) + std::string(190, 'v');
        r.timestamp = now_ms - 600'000 + i;
        producer.Send(topic, i % partitions, r);
      }
      producer.Flush();
    }
    cfg_.backup.topics = {topic};
    auto store = storage::OpenStore(cfg_.storage);
    EXPECT_TRUE(store.ok());
    EXPECT_TRUE(backup::testutil::RunOnce(cfg_, store->get()).ok());
    auto sync = backup::MetadataSync::Make(cfg_, store->get());
    EXPECT_TRUE(sync.ok() && (*sync)->SyncNow().ok());
    return topic;
  }
  int64_t TargetRecords(const std::string& topic, int partitions) {
    // A fresh handle each time: an Admin that saw the topic missing keeps it unknown for a while.
    auto admin = kafka::Admin::Make({{"bootstrap.servers", bootstrap_}});
    if (!admin.ok()) return 0;
    int64_t n = 0;
    for (int p = 0; p < partitions; ++p) {
      auto wm = (*admin)->QueryWatermarks(topic, p, 10s);
      if (wm.ok()) n += wm->high;
    }
    return n;
  }

  kb::testing::TempDir dir_;
  std::string config_;
  Config cfg_;
};

TEST_F(RestoreCliTest, KillDashNineTwiceThenRerunRestoresEveryRecordExactlyOnce) {
  constexpr int kPartitions = 3;
  constexpr int kPerPartition = 20000;
  const std::string topic = BackedUpTopic(kPartitions, kPerPartition);
  const std::string target = topic + "-restored";
  const std::string log = dir_.path() + "/restore.log";
  const std::vector<std::string> base = {KB_BINARY,
                                         "--config",
                                         config_,
                                         "restore",
                                         "--topic",
                                         topic,
                                         "--rename",
                                         topic + "=" + target,
                                         "--checkpoint-interval",
                                         "300ms",
                                         "--no-groups"};
  // Two runs slowed down by the rate limit, each killed once part of the data is in.
  for (int64_t kill_at :
       {int64_t{kPartitions * kPerPartition / 4}, int64_t{kPartitions * kPerPartition / 2}}) {
    std::vector<std::string> args = base;
    args.insert(args.end(), {"--max-bytes-per-second", "2MiB", "--parallel", "3"});
    pid_t pid = SpawnLogged(args, log);
    ASSERT_GT(pid, 0);
    const auto deadline = std::chrono::steady_clock::now() + 90s;
    while (TargetRecords(target, kPartitions) < kill_at &&
           std::chrono::steady_clock::now() < deadline && WaitFor(pid, 0ms) == -1) {
      std::this_thread::sleep_for(50ms);
    }
    ASSERT_EQ(kill(pid, SIGKILL), 0) << ReadFile(log);
    ASSERT_EQ(WaitFor(pid, 30s), 128 + SIGKILL)
        << "the restore ended before the kill: " << ReadFile(log);
  }
  const int64_t before_rerun = TargetRecords(target, kPartitions);
  EXPECT_GT(before_rerun, 0);
  EXPECT_LT(before_rerun, kPartitions * kPerPartition);

  pid_t pid = SpawnLogged(base, log);
  ASSERT_EQ(WaitFor(pid, 180s), 0) << ReadFile(log);
  const std::string output = ReadFile(log);
  EXPECT_NE(output.find("verified"), std::string::npos) << output;

  auto store = storage::OpenStore(cfg_.storage);
  ASSERT_TRUE(store.ok());
  restore::OffsetMapStore maps(store->get(), layout::Keys("kb"));
  for (int p = 0; p < kPartitions; ++p) {
    const std::vector<format::Record> source = restore::testutil::ReadAll(bootstrap_, topic, p);
    const std::vector<format::Record> got = restore::testutil::ReadAll(bootstrap_, target, p);
    ASSERT_EQ(source.size(), static_cast<size_t>(kPerPartition));
    ASSERT_EQ(got.size(), source.size()) << "partition " << p;
    for (size_t i = 0; i < source.size(); ++i) {
      ASSERT_EQ(got[i].value, source[i].value) << "partition " << p << " index " << i;
      ASSERT_EQ(got[i].key, source[i].key);
      ASSERT_EQ(got[i].timestamp, source[i].timestamp);
    }
    auto records = maps.List(topic, p);
    ASSERT_TRUE(records.ok());
    ASSERT_EQ(records->size(), 1u);
    EXPECT_TRUE((*records)[0].complete);
    EXPECT_EQ((*records)[0].map.runs(), (std::vector<restore::OffsetRun>{{0, 0, kPerPartition}}));
  }
}

TEST_F(RestoreCliTest, DryRunPrintsThePlanAndWritesNothing) {
  const std::string topic = BackedUpTopic(2, 100);
  const std::string log = dir_.path() + "/dry.log";
  pid_t pid = SpawnLogged({KB_BINARY, "--config", config_, "restore", "--topic", topic,
                           "--target-prefix", "dry-", "--dry-run"},
                          log);
  ASSERT_EQ(WaitFor(pid, 60s), 0) << ReadFile(log);
  const std::string out = ReadFile(log);
  EXPECT_NE(out.find(topic + "/0"), std::string::npos) << out;
  EXPECT_NE(out.find("dry-" + topic + " would be created with 2 partitions"), std::string::npos)
      << out;
  EXPECT_NE(out.find("200 records"), std::string::npos) << out;
  EXPECT_TRUE(admin_->DescribeTopic("dry-" + topic, 10s).status().IsNotFound());
  auto store = storage::OpenStore(cfg_.storage);
  ASSERT_TRUE(store.ok());
  restore::OffsetMapStore maps(store->get(), layout::Keys("kb"));
  EXPECT_TRUE(maps.List(topic, 0)->empty());
}

TEST_F(RestoreCliTest, SegmentMissingFromTheMiddleFailsThePartitionOrIsRestoredAroundAsAGap) {
  // Regression: a segment deleted between two others was restored silently (exit 0, "restored",
  // records missing, groups moved across the hole).
  constexpr int kPerPartition = 6000;
  cfg_.backup.segment_max_records = 2000;
  const std::string topic = BackedUpTopic(2, kPerPartition);
  auto store = storage::OpenStore(cfg_.storage);
  ASSERT_TRUE(store.ok());
  const layout::Keys keys("kb");
  auto listed = storage::ListAll(**store, keys.PartitionPrefix(topic, 0));
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  std::vector<layout::SegmentKey> segments;
  for (const storage::ObjectInfo& o : *listed) {
    if (keys.Classify(o.key) == layout::KeyKind::kSegment) {
      segments.push_back(*keys.ParseSegment(o.key));
    }
  }
  ASSERT_GE(segments.size(), 3u);
  const layout::SegmentKey middle = segments[segments.size() / 2];
  const int64_t a = middle.start_offset, b = middle.end_offset + 1;  // the hole: [a, b)
  const std::string hole = "[" + std::to_string(a) + ", " + std::to_string(b) + ")";
  ASSERT_TRUE((*store)->Delete({keys.Segment(topic, 0, a, b - 1)}).ok());
  // Groups of partition 0: one committed inside the hole, one after it.
  const std::string in_hole = kb::testing::UniqueName("g-in-hole");
  const std::string after = kb::testing::UniqueName("g-after");
  const int64_t after_offset = b + 10;
  ASSERT_TRUE((*store)
                  ->Put(keys.ConsumerOffsets(topic, 0),
                        layout::EncodeGroupOffsets({{in_hole, a + 5}, {after, after_offset}}))
                  .ok());
  auto run_restore = [&](const std::string& target, std::vector<std::string> extra) {
    std::vector<std::string> args = {"--config", config_,    "restore",           "--topic",
                                     topic,      "--rename", topic + "=" + target};
    args.insert(args.end(), extra.begin(), extra.end());
    return cli::testing::Run(KB_BINARY, args, dir_.path() + "/" + target + ".log", 180s);
  };
  restore::OffsetMapStore maps(store->get(), keys);

  // Without --skip-corrupt: exit 1 naming the partition and the missing offsets; nothing of
  // partition 0 is produced (no restore record either); partition 1 is restored.
  const std::string strict = topic + "-strict";
  cli::testing::Ran r = run_restore(strict, {});
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find(topic + "/0"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("offsets " + hole), std::string::npos) << r.output;
  EXPECT_EQ(restore::testutil::ReadAll(bootstrap_, strict, 0).size(), 0u);
  EXPECT_EQ(restore::testutil::ReadAll(bootstrap_, strict, 1).size(),
            static_cast<size_t>(kPerPartition));
  EXPECT_TRUE(maps.List(topic, 0)->empty());

  // With --skip-corrupt: the rest is restored, the hole is reported as a gap, and the groups are
  // translated across it.
  const std::string skip = topic + "-skip";
  r = run_restore(skip, {"--skip-corrupt"});
  EXPECT_EQ(r.code, 0) << r.output;
  const std::string gap = std::to_string(a) + "-" + std::to_string(b - 1);
  EXPECT_NE(r.output.find("hole " + topic + "/0 offsets " + gap), std::string::npos) << r.output;
  const std::vector<format::Record> got = restore::testutil::ReadAll(bootstrap_, skip, 0);
  ASSERT_EQ(got.size(), static_cast<size_t>(kPerPartition - (b - a)));
  EXPECT_EQ(got[a].key, "k" + std::to_string(2 * b));  // key i of the topic went to i % 2
  auto records = maps.List(topic, 0);
  ASSERT_TRUE(records.ok());
  ASSERT_EQ(records->size(), 1u);  // into -skip; -strict has none
  EXPECT_EQ((*records)[0].target_topic, skip);
  EXPECT_TRUE((*records)[0].complete);
  // As for a gap: the group in the hole resumes at the first record after it, the other at its
  // record, (b - a) earlier than on the source.
  auto committed = [&](const std::string& group, const std::string& t) -> int64_t {
    auto offsets = admin_->ListConsumerGroupOffsets(group, 30s);
    if (!offsets.ok()) return -1;
    auto it = offsets->find({t, 0});
    return it == offsets->end() ? -1 : it->second;
  };
  EXPECT_EQ(committed(in_hole, strict), -1);  // not moved across the hole by the failed restore
  EXPECT_EQ(committed(in_hole, skip), a) << r.output;
  EXPECT_EQ(committed(after, skip), after_offset - (b - a)) << r.output;

  // The same backup with a gap record where the hole is restores to the same place.
  ASSERT_TRUE(
      (*store)->Put(keys.Gap(topic, 0, a, b - 1), layout::EncodeGap({"retention", 1})).ok());
  const std::string with_gap = topic + "-gap";
  r = run_restore(with_gap, {});
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(restore::testutil::ReadAll(bootstrap_, with_gap, 0).size(), got.size());
  EXPECT_EQ(committed(in_hole, with_gap), committed(in_hole, skip));
  EXPECT_EQ(committed(after, with_gap), committed(after, skip));
}

TEST_F(RestoreCliTest, BadFlagsAreUsageErrors) {
  const std::string log = dir_.path() + "/bad.log";
  pid_t pid = SpawnLogged(
      {KB_BINARY, "--config", config_, "restore", "--offsets", "0=5-1", "--topic", "t"}, log);
  EXPECT_EQ(WaitFor(pid, 30s), 2) << ReadFile(log);
  EXPECT_NE(ReadFile(log).find("--offsets"), std::string::npos) << ReadFile(log);
}

}  // namespace
}  // namespace kb::cli
