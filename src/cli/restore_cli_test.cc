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

#include <atomic>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <thread>

#include "backup/backup_test_util.h"
#include "backup/metadata_sync.h"
#include "cli/cli_test_util.h"
#include "cli/restore_cli_fixture.h"
#include "kafka/admin.h"
#include "layout/metadata.h"
#include "restore/offset_map_store.h"
#include "restore/partitioner.h"
#include "restore/restore_test_util.h"
#include "storage/factory/open_store.h"
#include "testing/test_env.h"

namespace kb::cli {
namespace {

using namespace std::chrono_literals;
using cli::testing::ReadFile;
using cli::testing::SpawnLogged;
using cli::testing::WaitFor;

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

// A LogAppendTime topic, deleted, restored by a run killed with -9 half way: the target exists as
// CreateTime, --dry-run says the switch is still owed, and the rerun ends with every backed-up
// timestamp in place and the topic LogAppendTime again. --dry-run into an existing LogAppendTime
// topic warns.
TEST_F(RestoreCliTest, KilledRestoreOfALogAppendTimeTopicEndsLogAppendTimeWithEveryTimestamp) {
  constexpr int kPartitions = 2;
  constexpr int kPerPartition = 10000;
  const std::string topic =
      BackedUpTopic(kPartitions, kPerPartition, {{"message.timestamp.type", "LogAppendTime"}});
  std::vector<std::vector<format::Record>> source;
  for (int p = 0; p < kPartitions; ++p) {
    source.push_back(restore::testutil::ReadAll(bootstrap_, topic, p));
    ASSERT_EQ(source.back().size(), static_cast<size_t>(kPerPartition));
    ASSERT_EQ(source.back()[0].timestamp_type, format::TimestampType::kLogAppendTime);
  }
  // One log per run (SpawnLogged appends).
  int run = 0;
  std::string log;
  const auto next_log = [&] { return log = dir_.path() + "/lat" + std::to_string(++run) + ".log"; };
  const std::vector<std::string> base = {
      KB_BINARY, "--config",   config_, "restore", "--topic", topic, "--checkpoint-interval",
      "300ms",   "--no-groups"};
  const auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = base;
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  };

  // Into the existing LogAppendTime topic: a warning in --dry-run.
  pid_t pid = SpawnLogged(with({"--dry-run"}), next_log());
  ASSERT_EQ(WaitFor(pid, 60s), 0) << ReadFile(log);
  std::string out = ReadFile(log);
  EXPECT_NE(out.find("warning: " + topic +
                     " has message.timestamp.type=LogAppendTime: the broker "
                     "gives every record restored into it"),
            std::string::npos)
      << out;

  ASSERT_TRUE(admin_->DeleteTopic(topic, 30s).ok());
  for (int i = 0; i < 200 && admin_->DescribeTopic(topic, 5s).ok(); ++i) {
    std::this_thread::sleep_for(100ms);
  }
  pid = SpawnLogged(with({"--dry-run"}), next_log());
  ASSERT_EQ(WaitFor(pid, 60s), 0) << ReadFile(log);
  out = ReadFile(log);
  EXPECT_NE(out.find("message.timestamp.type=CreateTime while restoring (to keep the backed-up "
                     "timestamps), message.timestamp.type=LogAppendTime once every partition is "
                     "restored"),
            std::string::npos)
      << out;

  pid = SpawnLogged(with({"--max-bytes-per-second", "1MiB", "--parallel", "2"}), next_log());
  ASSERT_GT(pid, 0);
  const auto deadline = std::chrono::steady_clock::now() + 90s;
  while (TargetRecords(topic, kPartitions) < kPartitions * kPerPartition / 3 &&
         std::chrono::steady_clock::now() < deadline && WaitFor(pid, 0ms) == -1) {
    std::this_thread::sleep_for(50ms);
  }
  ASSERT_EQ(kill(pid, SIGKILL), 0) << ReadFile(log);
  ASSERT_EQ(WaitFor(pid, 30s), 128 + SIGKILL)
      << "the restore ended before the kill: " << ReadFile(log);
  EXPECT_LT(TargetRecords(topic, kPartitions), kPartitions * kPerPartition);
  EXPECT_EQ(admin_->DescribeTopicConfigs(topic, 30s)->at("message.timestamp.type"), "CreateTime");

  pid = SpawnLogged(with({"--dry-run"}), next_log());
  ASSERT_EQ(WaitFor(pid, 60s), 0) << ReadFile(log);
  out = ReadFile(log);
  EXPECT_NE(out.find("target " + topic +
                     " exists; created by an earlier run of this restore, which still owes "
                     "message.timestamp.type=LogAppendTime"),
            std::string::npos)
      << out;
  EXPECT_EQ(out.find("warning: " + topic + " has message.timestamp.type"), std::string::npos)
      << out;

  pid = SpawnLogged(base, next_log());
  ASSERT_EQ(WaitFor(pid, 180s), 0) << ReadFile(log);
  out = ReadFile(log);
  EXPECT_NE(out.find("set " + topic + ": message.timestamp.type=LogAppendTime"), std::string::npos)
      << out;
  EXPECT_EQ(admin_->DescribeTopicConfigs(topic, 30s)->at("message.timestamp.type"),
            "LogAppendTime");
  for (int p = 0; p < kPartitions; ++p) {
    const std::vector<format::Record> got = restore::testutil::ReadAll(bootstrap_, topic, p);
    ASSERT_EQ(got.size(), source[p].size()) << "partition " << p;
    for (size_t i = 0; i < got.size(); ++i) {
      ASSERT_EQ(got[i].value, source[p][i].value) << "partition " << p << " index " << i;
      ASSERT_EQ(got[i].timestamp, source[p][i].timestamp) << "partition " << p << " index " << i;
    }
  }
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

TEST_F(RestoreCliTest, CorruptGroupSnapshotOrActiveGroupMovesEveryOtherGroupAndExitsPartial) {
  // Regression: one corrupt consumers_offset failed the whole group move after the data was
  // restored (exit 1, even with --skip-corrupt), and a skipped active group exited 0.
  const std::string topic = BackedUpTopic(2, 100);
  const std::string target = topic + "-groups";
  auto store = storage::OpenStore(cfg_.storage);
  ASSERT_TRUE(store.ok());
  const layout::Keys keys("kb");
  const std::string corrupt_key = keys.ConsumerOffsets(topic, 0);
  ASSERT_TRUE((*store)->Put(corrupt_key, "{not json").ok());
  const std::string idle = kb::testing::UniqueName("g-idle");
  const std::string active = kb::testing::UniqueName("g-active");
  ASSERT_TRUE((*store)
                  ->Put(keys.ConsumerOffsets(topic, 1),
                        layout::EncodeGroupOffsets({{idle, 40}, {active, 30}}))
                  .ok());
  // A polling member of `active` (on the source topic: any membership makes the group active).
  auto member = kafka::MakeConsumer(
      {{"bootstrap.servers", bootstrap_}},
      {{"group.id", active}, {"enable.auto.commit", "false"}, {"auto.offset.reset", "earliest"}});
  ASSERT_TRUE(member.ok()) << member.status().ToString();
  ASSERT_EQ((*member)->subscribe({topic}), RdKafka::ERR_NO_ERROR);
  std::vector<RdKafka::TopicPartition*> assigned;
  for (auto deadline = std::chrono::steady_clock::now() + 60s;
       assigned.empty() && std::chrono::steady_clock::now() < deadline;) {
    std::unique_ptr<RdKafka::Message>((*member)->consume(200));
    ASSERT_EQ((*member)->assignment(assigned), RdKafka::ERR_NO_ERROR);
  }
  ASSERT_FALSE(assigned.empty());
  RdKafka::TopicPartition::destroy(assigned);
  std::atomic<bool> stop{false};
  std::thread poller([&] {
    while (!stop) std::unique_ptr<RdKafka::Message>((*member)->consume(100));
  });

  cli::testing::Ran r = cli::testing::Run(KB_BINARY,
                                          {"--config", config_, "restore", "--topic", topic,
                                           "--rename", topic + "=" + target, "--skip-corrupt"},
                                          dir_.path() + "/partial.log", 180s);
  stop = true;
  poller.join();
  EXPECT_EQ(r.code, 3) << r.output;
  EXPECT_NE(r.output.find("restore partial: consumer group offsets not moved from an unreadable "
                          "snapshot: Corruption: " +
                          corrupt_key),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("restore partial: group " + active + " may have active members"),
            std::string::npos)
      << r.output;
  // The data is all there, and the other group moved.
  EXPECT_EQ(TargetRecords(target, 2), 200);
  auto idle_offsets = admin_->ListConsumerGroupOffsets(idle, 30s);
  ASSERT_TRUE(idle_offsets.ok()) << idle_offsets.status().ToString();
  EXPECT_EQ(*idle_offsets, (kafka::GroupOffsets{{{target, 1}, 40}})) << r.output;
  auto active_offsets = admin_->ListConsumerGroupOffsets(active, 30s);
  ASSERT_TRUE(active_offsets.ok()) << active_offsets.status().ToString();
  EXPECT_FALSE(active_offsets->contains({target, 1})) << r.output;
}

TEST_F(RestoreCliTest, CorruptTopicJsonFailsTheTopicUnlessTheTargetMustExist) {
  // Regression: a corrupt topic.json failed every restore of the topic, even into an existing
  // target with --require-target-exists, where the metadata is not needed.
  const std::string topic = BackedUpTopic(1, 50);
  auto store = storage::OpenStore(cfg_.storage);
  ASSERT_TRUE(store.ok());
  const std::string key = layout::Keys("kb").TopicMetadata(topic);
  ASSERT_TRUE((*store)->Put(key, "{\"format_version\": 1, \"partitions\": \"x\"").ok());
  auto run_restore = [&](const std::string& target, std::vector<std::string> extra) {
    std::vector<std::string> args = {"--config", config_,    "restore",           "--topic",
                                     topic,      "--rename", topic + "=" + target};
    args.insert(args.end(), extra.begin(), extra.end());
    return cli::testing::Run(KB_BINARY, args, dir_.path() + "/" + target + ".log", 120s);
  };

  // Without --require-target-exists: the topic fails naming the key; nothing is created.
  const std::string created = topic + "-new";
  cli::testing::Ran r = run_restore(created, {});
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("Corruption: " + key + ": the topic metadata cannot be read"),
            std::string::npos)
      << r.output;
  EXPECT_TRUE(admin_->DescribeTopic(created, 10s).status().IsNotFound());

  // With it, into an existing target: a warning naming the key, and every record restored.
  const std::string existing = topic + "-existing";
  ASSERT_TRUE(admin_->CreateTopic({existing, 1, 1, {}}, 30s).ok());
  r = run_restore(existing, {"--require-target-exists"});
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("warning: " + key + " cannot be read"), std::string::npos) << r.output;
  EXPECT_EQ(restore::testutil::ReadAll(bootstrap_, existing, 0).size(), 50u);
}

TEST_F(RestoreCliTest, FailIfTargetNotEmptyRefusesOthersRecordsButResumesItsOwn) {
  // Regression: a restore into a topic that already held data appended to it silently.
  constexpr int kRecords = 20000;
  const std::string topic = BackedUpTopic(1, kRecords);
  const std::string own = topic + "-own";
  auto args = [&](const std::string& target, std::vector<std::string> extra) {
    std::vector<std::string> a = {"--config",
                                  config_,
                                  "restore",
                                  "--topic",
                                  topic,
                                  "--rename",
                                  topic + "=" + target,
                                  "--fail-if-target-not-empty",
                                  "--no-groups"};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  };
  // A run killed part-way leaves records of its own in the target...
  {
    std::vector<std::string> a =
        args(own, {"--max-bytes-per-second", "1MiB", "--checkpoint-interval", "300ms"});
    a.insert(a.begin(), KB_BINARY);
    const std::string log = dir_.path() + "/own-killed.log";
    pid_t pid = SpawnLogged(a, log);
    ASSERT_GT(pid, 0);
    const auto deadline = std::chrono::steady_clock::now() + 90s;
    while (TargetRecords(own, 1) < kRecords / 4 && std::chrono::steady_clock::now() < deadline &&
           WaitFor(pid, 0ms) == -1) {
      std::this_thread::sleep_for(50ms);
    }
    ASSERT_EQ(kill(pid, SIGKILL), 0) << ReadFile(log);
    ASSERT_EQ(WaitFor(pid, 30s), 128 + SIGKILL) << "ended before the kill: " << ReadFile(log);
  }
  const int64_t before = TargetRecords(own, 1);
  ASSERT_GT(before, 0);
  ASSERT_LT(before, kRecords);
  // ...which the same restore, run again with the flag, does not count against the target.
  cli::testing::Ran r = cli::testing::Run(KB_BINARY, args(own, {}), dir_.path() + "/own.log", 120s);
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(TargetRecords(own, 1), kRecords) << r.output;

  // A target holding someone else's records: exit 1 naming the partition and its offsets, nothing
  // produced, no restore record saved; the dry run says the same and shows the end offset.
  const std::string foreign = topic + "-foreign";
  ASSERT_TRUE(admin_->CreateTopic({foreign, 1, 1, {}}, 30s).ok());
  {
    backup::testutil::RawProducer producer(bootstrap_);
    for (int i = 0; i < 3; ++i) {
      format::Record rec;
      rec.value = "theirs-" + std::to_string(i);
      producer.Send(foreign, 0, rec);
    }
    producer.Flush();
  }
  const std::string refused =
      "Failed precondition: --fail-if-target-not-empty: 1 target partition is not empty: " +
      foreign + "/0 holds offsets 0..2 (start offset 0, end offset 3)";
  r = cli::testing::Run(KB_BINARY, args(foreign, {"--dry-run"}), dir_.path() + "/dry.log", 60s);
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("target check failed: " + refused), std::string::npos) << r.output;
  EXPECT_TRUE(std::regex_search(r.output, std::regex(foreign + "/0 +3 +all"))) << r.output;
  r = cli::testing::Run(KB_BINARY, args(foreign, {}), dir_.path() + "/foreign.log", 60s);
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find(refused), std::string::npos) << r.output;
  EXPECT_EQ(TargetRecords(foreign, 1), 3);
  auto store = storage::OpenStore(cfg_.storage);
  ASSERT_TRUE(store.ok());
  auto records = restore::OffsetMapStore(store->get(), layout::Keys("kb")).List(topic, 0);
  ASSERT_TRUE(records.ok());
  ASSERT_EQ(records->size(), 1u);  // the one into `own`
  EXPECT_EQ((*records)[0].target_topic, own);

  // A target that does not exist yet is "absent" in the dry run, and no obstacle.
  const std::string absent = topic + "-absent";
  r = cli::testing::Run(KB_BINARY, args(absent, {"--dry-run"}), dir_.path() + "/absent.log", 60s);
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_TRUE(std::regex_search(r.output, std::regex(absent + "/0 +absent +all"))) << r.output;
}

TEST_F(RestoreCliTest, OutputJsonReportAndReadableTimeWindow) {
  const std::string topic = BackedUpTopic(1, 100);
  const std::string target = topic + "-json";
  // The dry run shows the window as ISO-8601 UTC (regression: raw epoch ms), and the end offset.
  cli::testing::Ran r = cli::testing::Run(
      KB_BINARY,
      {"--config", config_, "restore", "--topic", topic, "--rename", topic + "=" + target, "--from",
       "2026-01-01T00:00:00Z", "--to", "2099-01-01T00:00:00Z", "--dry-run"},
      dir_.path() + "/window.log", 60s);
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("time [2026-01-01T00:00:00.000Z, 2099-01-01T00:00:00.000Z]"),
            std::string::npos)
      << r.output;
  EXPECT_EQ(r.output.find("time:"), std::string::npos) << r.output;

  // --output json: one JSON object on stdout (stderr apart).
  const std::string json_path = dir_.path() + "/report.json";
  r = cli::testing::Run(
      "/bin/sh",
      {"-c", std::string(KB_BINARY) + " --config " + config_ + " restore --topic " + topic +
                 " --rename " + topic + "=" + target + " --output json > " + json_path},
      dir_.path() + "/json.log", 120s);
  EXPECT_EQ(r.code, 0) << r.output;
  const nlohmann::json j = nlohmann::json::parse(ReadFile(json_path), nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << ReadFile(json_path);
  EXPECT_EQ(j["status"], "ok") << j.dump(2);
  EXPECT_EQ(j["exit_code"], 0);
  EXPECT_TRUE(j["error"].is_null());
  ASSERT_EQ(j["partitions"].size(), 1u) << j.dump(2);
  const nlohmann::json& p = j["partitions"][0];
  EXPECT_EQ(p["source_topic"], topic);
  EXPECT_EQ(p["target_topic"], target);
  EXPECT_EQ(p["status"], "restored");
  EXPECT_EQ(p["records_sent"], 100);
  EXPECT_EQ(p["target_start"], 0);
  EXPECT_EQ(p["target_end"], 100);
  EXPECT_TRUE(p["gaps"].empty());
  EXPECT_TRUE(p["error"].is_null());
  EXPECT_EQ(j["groups"]["ok"], true) << j.dump(2);
  EXPECT_EQ(j["groups"]["partitions"][0]["source_topic"], topic);

  // A failed restore is a JSON report too, with its exit status.
  r = cli::testing::Run(
      "/bin/sh",
      {"-c", std::string(KB_BINARY) + " --config " + config_ + " restore --topic " + topic +
                 " --rename " + topic + "=" + target +
                 " --fail-if-target-not-empty --output json > " + json_path},
      dir_.path() + "/json-failed.log", 60s);
  EXPECT_EQ(r.code, 0) << r.output;  // its own records: complete, nothing to do
  r = cli::testing::Run(
      "/bin/sh",
      {"-c", std::string(KB_BINARY) + " --config " + config_ + " restore --topic " + topic +
                 " --rename " + topic + "=" + target +
                 " --from 2026-01-01 --fail-if-target-not-empty "
                 "--output json > " +
                 json_path},
      dir_.path() + "/json-failed.log", 60s);
  EXPECT_EQ(r.code, 1) << r.output;
  const nlohmann::json failed = nlohmann::json::parse(ReadFile(json_path), nullptr, false);
  ASSERT_FALSE(failed.is_discarded()) << ReadFile(json_path);
  EXPECT_EQ(failed["status"], "failed");
  EXPECT_EQ(failed["exit_code"], 1);
  EXPECT_NE(failed["error"].get<std::string>().find(target + "/0 holds offsets 0..99"),
            std::string::npos)
      << failed.dump(2);
}

TEST_F(RestoreCliTest, BadFlagsAreUsageErrors) {
  const std::string log = dir_.path() + "/bad.log";
  pid_t pid = SpawnLogged(
      {KB_BINARY, "--config", config_, "restore", "--offsets", "0=5-1", "--topic", "t"}, log);
  EXPECT_EQ(WaitFor(pid, 30s), 2) << ReadFile(log);
  EXPECT_NE(ReadFile(log).find("--offsets"), std::string::npos) << ReadFile(log);

  // Regression: a --rename of a topic the restore does not select was ignored silently.
  cli::testing::Ran r = cli::testing::Run(
      KB_BINARY, {"--config", config_, "restore", "--topic", "t", "--rename", "u=v"},
      dir_.path() + "/rename.log", 30s);
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("--rename: 'u=v': topic 'u' is not selected by --topic (t)"),
            std::string::npos)
      << r.output;
  // Selected by pattern, but not in the store.
  const std::string topic = BackedUpTopic(1, 1);
  r = cli::testing::Run(KB_BINARY,
                        {"--config", config_, "restore", "--rename", "absent-" + topic + "=v"},
                        dir_.path() + "/rename2.log", 30s);
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("topic 'absent-" + topic + "' is not selected"), std::string::npos)
      << r.output;
}

}  // namespace
}  // namespace kb::cli
