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

TEST_F(RestoreCliTest, KillDashNineWithExcludeKeysThenRerunAppliesTheSameList) {
  constexpr int kPartitions = 2;
  constexpr int kPerPartition = 15000;
  const std::string topic = BackedUpTopic(kPartitions, kPerPartition);
  const std::string target = topic + "-erased";
  // Keys k<i> (BackedUpTopic); a fifth of them erased: 6000 keys.
  const std::string list = dir_.path() + "/erase.txt";
  std::set<std::string> erased;
  {
    std::ofstream out(list);
    for (int i = 1; i < kPartitions * kPerPartition; i += 5) {
      erased.insert("k" + std::to_string(i));
      out << "k" << i << "\n";
    }
  }
  const std::string log = dir_.path() + "/erase-kill.log";
  const std::vector<std::string> base = {KB_BINARY,
                                         "--config",
                                         config_,
                                         "restore",
                                         "--topic",
                                         topic,
                                         "--rename",
                                         topic + "=" + target,
                                         "--exclude-keys",
                                         list,
                                         "--checkpoint-interval",
                                         "300ms",
                                         "--no-groups"};
  std::vector<std::string> slow = base;
  slow.insert(slow.end(), {"--max-bytes-per-second", "1MiB", "--parallel", "2"});
  pid_t pid = SpawnLogged(slow, log);
  ASSERT_GT(pid, 0);
  const int64_t kill_at = kPartitions * kPerPartition / 4;
  for (const auto deadline = std::chrono::steady_clock::now() + 90s;
       TargetRecords(target, kPartitions) < kill_at &&
       std::chrono::steady_clock::now() < deadline && WaitFor(pid, 0ms) == -1;) {
    std::this_thread::sleep_for(50ms);
  }
  ASSERT_EQ(kill(pid, SIGKILL), 0) << ReadFile(log);
  ASSERT_EQ(WaitFor(pid, 30s), 128 + SIGKILL)
      << "the restore ended before the kill: " << ReadFile(log);
  EXPECT_GT(TargetRecords(target, kPartitions), 0);

  pid = SpawnLogged(base, log);
  ASSERT_EQ(WaitFor(pid, 180s), 0) << ReadFile(log);
  auto store = storage::OpenStore(cfg_.storage);
  ASSERT_TRUE(store.ok());
  restore::OffsetMapStore maps(store->get(), layout::Keys("kb"));
  for (int p = 0; p < kPartitions; ++p) {
    const std::vector<format::Record> source = restore::testutil::ReadAll(bootstrap_, topic, p);
    std::vector<format::Record> want;
    for (const format::Record& r : source) {
      if (!erased.contains(*r.key)) want.push_back(r);
    }
    ASSERT_LT(want.size(), source.size());
    const std::vector<format::Record> got = restore::testutil::ReadAll(bootstrap_, target, p);
    ASSERT_EQ(got.size(), want.size()) << "partition " << p << "\n" << ReadFile(log);
    for (size_t i = 0; i < want.size(); ++i) {
      ASSERT_EQ(got[i].key, want[i].key) << "partition " << p << " index " << i;
      ASSERT_EQ(got[i].value, want[i].value) << "partition " << p << " index " << i;
    }
    auto records = maps.List(topic, p);
    ASSERT_TRUE(records.ok());
    ASSERT_EQ(records->size(), 1u);
    EXPECT_TRUE((*records)[0].complete);
    int64_t next = 0;
    for (const format::Record& r : source) {
      const std::optional<int64_t> at = (*records)[0].map.Lookup(r.offset);
      if (erased.contains(*r.key)) {
        ASSERT_FALSE(at.has_value()) << r.offset;
      } else {
        ASSERT_EQ(at, next++) << r.offset;
      }
    }
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

// An erasure list through the binary: keyed records (some erased, some without a key, one binary
// key) backed up, restored with --exclude-keys; the target holds exactly the other records in
// order, the reports count what was left out (never printing a key), the offset map has holes
// there, and a group that had committed the offset of an erased record resumes at the next
// restored one. A bad list is a usage error naming the file and line.
TEST_F(RestoreCliTest, ExcludeKeysLeavesOutErasedRecordsAndMovesGroupsPastThem) {
  constexpr int kPartitions = 2;
  constexpr int kRecords = 400;
  const std::string topic = kb::testing::UniqueName("rst-erase");
  ASSERT_TRUE(admin_->CreateTopic({topic, kPartitions, 1, {}}, 30s).ok());
  const std::string binary_key(
      "\x00\xff"
      "bin\r",
      6);
  const auto key_of = [&](int i) -> std::optional<std::string> {
    if (i % 9 == 0) return std::nullopt;
    if (i % 31 == 5) return binary_key;
    return "user-" + std::to_string(i % 13);
  };
  {
    const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
    backup::testutil::RawProducer producer(bootstrap_);
    for (int i = 0; i < kRecords; ++i) {
      format::Record r;
      r.key = key_of(i);
      r.value = "value-" + std::to_string(i);
      r.timestamp = now_ms - 600'000 + i;
      r.headers = {{"n", std::to_string(i)}};
      producer.Send(topic, i % kPartitions, r);
    }
    producer.Flush();
  }
  // user-3 and user-7, the binary key (base64 of 00 ff 'b' 'i' 'n' '\r'), a key no record has,
  // a duplicate, a comment that looks like a key, CRLF line ends.
  const std::set<std::string> erased = {"user-3", "user-7", binary_key};
  const std::string list = dir_.path() + "/erase.txt";
  std::ofstream(list) << "# user-5 asked too late, not erased\r\nuser-3\r\nuser-7\r\n\r\n"
                      << "base64:AP9iaW4N\r\nuser-999\r\nuser-3\r\n";
  const auto kept = [&](const format::Record& r) { return !r.key || !erased.contains(*r.key); };

  // Source records per partition, and a group whose committed offset on partition 0 is an erased
  // record that follows a kept one.
  std::map<int32_t, std::vector<format::Record>> source;
  for (int32_t p = 0; p < kPartitions; ++p) {
    source[p] = restore::testutil::ReadAll(bootstrap_, topic, p);
    ASSERT_EQ(source[p].size(), static_cast<size_t>(kRecords / kPartitions));
  }
  int64_t erased_offset = -1;
  for (size_t i = 1; i < source[0].size() && erased_offset < 0; ++i) {
    if (!kept(source[0][i]) && kept(source[0][i - 1])) erased_offset = source[0][i].offset;
  }
  ASSERT_GT(erased_offset, 0);
  int64_t kept_before = 0;  // restored records before it: where the group must resume
  for (const format::Record& r : source[0]) kept_before += r.offset < erased_offset && kept(r);
  const std::string group = kb::testing::UniqueName("g-erase");
  ASSERT_TRUE(admin_->AlterConsumerGroupOffsets(group, {{{topic, 0}, erased_offset}}, 30s).ok());
  cfg_.backup.topics = {topic};
  {
    auto store = storage::OpenStore(cfg_.storage);
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE(backup::testutil::RunOnce(cfg_, store->get()).ok());  // with consumers_offset
    auto sync = backup::MetadataSync::Make(cfg_, store->get());
    ASSERT_TRUE(sync.ok() && (*sync)->SyncNow().ok());
  }
  const auto no_key_printed = [&](const std::string& output) {
    for (const std::string& k : {std::string("user-3"), std::string("user-7"),
                                 std::string("user-999"), std::string("AP9iaW4N"),
                                 std::string("\xff"
                                             "bin")}) {
      EXPECT_EQ(output.find(k), std::string::npos) << k << " printed:\n" << output;
    }
  };

  // --dry-run: the list is active, with its size; nothing written.
  const std::string target = topic + "-erased";
  const std::vector<std::string> base = {"--config", config_,    "restore",           "--topic",
                                         topic,      "--rename", topic + "=" + target};
  std::vector<std::string> args = base;
  args.insert(args.end(), {"--exclude-keys", list, "--dry-run"});
  cli::testing::Ran r = cli::testing::Run(KB_BINARY, args, dir_.path() + "/dry.log", 60s);
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("exclude-keys: 4 distinct keys from " + list), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("1 duplicate line ignored"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("excluding 4 keys (sha256 "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("<=" + std::to_string(kRecords / kPartitions)), std::string::npos)
      << r.output;
  no_key_printed(r.output);
  EXPECT_TRUE(admin_->DescribeTopic(target, 10s).status().IsNotFound());

  // The restore, with its JSON report.
  const std::string json_path = dir_.path() + "/erase.json";
  std::string command = std::string(KB_BINARY);
  for (const std::string& a : base) command += " '" + a + "'";
  r = cli::testing::Run(
      "/bin/sh", {"-c", command + " --exclude-keys '" + list + "' --output json > " + json_path},
      dir_.path() + "/erase.log", 120s);
  EXPECT_EQ(r.code, 0) << r.output;
  no_key_printed(r.output);
  const std::string json_text = ReadFile(json_path);
  no_key_printed(json_text);
  const nlohmann::json j = nlohmann::json::parse(json_text, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << json_text;
  EXPECT_EQ(j["status"], "ok") << j.dump(2);
  EXPECT_EQ(j["exclude_keys"]["keys"], 4);
  EXPECT_EQ(j["exclude_keys"]["sha256"].get<std::string>().size(), 64u);
  uint64_t total_excluded = 0;
  ASSERT_EQ(j["partitions"].size(), static_cast<size_t>(kPartitions)) << j.dump(2);
  auto store = storage::OpenStore(cfg_.storage);
  ASSERT_TRUE(store.ok());
  restore::OffsetMapStore maps(store->get(), layout::Keys("kb"));
  for (const nlohmann::json& p : j["partitions"]) {
    const int32_t partition = p["partition"];
    std::vector<format::Record> want;
    for (const format::Record& rec : source[partition]) {
      if (kept(rec)) want.push_back(rec);
    }
    const uint64_t excluded = source[partition].size() - want.size();
    ASSERT_GT(excluded, 0u);
    total_excluded += excluded;
    EXPECT_EQ(p["records_excluded"], excluded) << p.dump(2);
    EXPECT_EQ(p["records_sent"], want.size()) << p.dump(2);
    EXPECT_EQ(p["status"], "restored");
    // Record by record: exactly the kept ones, in order, null keys included.
    const std::vector<format::Record> got =
        restore::testutil::ReadAll(bootstrap_, target, partition);
    ASSERT_EQ(got.size(), want.size()) << "partition " << partition;
    for (size_t i = 0; i < want.size(); ++i) {
      EXPECT_EQ(got[i].key, want[i].key) << partition << "/" << i;
      EXPECT_EQ(got[i].value, want[i].value) << partition << "/" << i;
      EXPECT_EQ(got[i].headers, want[i].headers) << partition << "/" << i;
      EXPECT_EQ(got[i].timestamp, want[i].timestamp) << partition << "/" << i;
    }
    // The map: every kept record at its place, a hole at every erased one.
    auto rec = maps.Load(topic, partition, j["cluster_id"], target);
    ASSERT_TRUE(rec.ok() && rec->has_value());
    EXPECT_TRUE((*rec)->complete);
    EXPECT_NE((*rec)->selection.find("exclude-keys:4:"), std::string::npos);
    int64_t next = 0;
    for (const format::Record& s : source[partition]) {
      if (kept(s)) {
        EXPECT_EQ((*rec)->map.Lookup(s.offset), next++) << s.offset;
      } else {
        EXPECT_FALSE((*rec)->map.Lookup(s.offset).has_value()) << s.offset;
      }
    }
  }
  EXPECT_EQ(j["records_excluded"], total_excluded);
  // The group resumes at the first restored record after the erased one.
  auto moved = admin_->ListConsumerGroupOffsets(group, 30s);
  ASSERT_TRUE(moved.ok()) << moved.status().ToString();
  EXPECT_EQ(moved->at({target, 0}), kept_before) << j["groups"].dump(2);
  // And `offsets translate` says so, mentioning the exclusion.
  r = cli::testing::Run(KB_BINARY,
                        {"--config", config_, "offsets", "translate", "--topic", topic,
                         "--partition", "0", "--offset", std::to_string(erased_offset)},
                        dir_.path() + "/translate.log", 30s);
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("offset " + std::to_string(kept_before) + " (cluster"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("--exclude-keys list left out"), std::string::npos) << r.output;

  // The text report of the same command: nothing left to do; another list is refused (exit 1).
  args = base;
  args.insert(args.end(), {"--exclude-keys", list});
  r = cli::testing::Run(KB_BINARY, args, dir_.path() + "/again.log", 60s);
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("already-complete"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("EXCLUDED"), std::string::npos) << r.output;
  const std::string other = dir_.path() + "/erase-more.txt";
  std::ofstream(other) << "user-3\nuser-7\nbase64:AP9iaW4N\nuser-5\n";
  args = base;
  args.insert(args.end(), {"--exclude-keys", other, "--no-groups"});
  r = cli::testing::Run(KB_BINARY, args, dir_.path() + "/other.log", 60s);
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("resumes only with the same --exclude-keys list"), std::string::npos)
      << r.output;
  for (int32_t p = 0; p < kPartitions; ++p) {
    EXPECT_EQ(restore::testutil::ReadAll(bootstrap_, target, p).size(),
              static_cast<size_t>(j["partitions"][p]["records_sent"]));
  }

  // A new target in text mode with --skip-corrupt and a time window that keeps everything: the
  // summary counts per partition and in total.
  args = {"--config",
          config_,
          "restore",
          "--topic",
          topic,
          "--rename",
          topic + "=" + topic + "-text",
          "--exclude-keys",
          list,
          "--skip-corrupt",
          "--from",
          "2020-01-01T00:00:00Z",
          "--no-groups"};
  r = cli::testing::Run(KB_BINARY, args, dir_.path() + "/text.log", 120s);
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("excluded: " + std::to_string(total_excluded) +
                          " records left out for their key by this run (--exclude-keys: 4 keys"),
            std::string::npos)
      << r.output;
  no_key_printed(r.output);

  // Bad lists are usage errors naming the flag, the file and the line.
  const std::string bad = dir_.path() + "/bad.txt";
  std::ofstream(bad) << "user-1\n# fine\nbase64:not base64!\n";
  args = base;
  args.insert(args.end(), {"--exclude-keys", bad});
  r = cli::testing::Run(KB_BINARY, args, dir_.path() + "/bad.log", 30s);
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("--exclude-keys: " + bad + " line 3: not valid base64"),
            std::string::npos)
      << r.output;
  args = base;
  args.insert(args.end(), {"--exclude-keys", dir_.path() + "/missing.txt"});
  r = cli::testing::Run(KB_BINARY, args, dir_.path() + "/missing.log", 30s);
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("--exclude-keys: cannot open '" + dir_.path() + "/missing.txt'"),
            std::string::npos)
      << r.output;
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

// restore --partitions N through the binary: the dry run shows the reshaping, the restore
// creates N partitions and puts each record where Kafka's default partitioner does, `offsets
// translate` / `export` name the target partition, and another count is refused.
TEST_F(RestoreCliTest, PartitionsReshapesAndOffsetsNameTheTargetPartition) {
  const std::string topic = BackedUpTopic(3, 40);
  const std::string target = "seven-" + topic;
  auto run = [&](std::vector<std::string> args, const std::string& name) {
    args.insert(args.begin(), {"--config", config_});
    return cli::testing::Run(KB_BINARY, args, dir_.path() + "/" + name + ".log", 120s);
  };
  cli::testing::Ran r = run({"restore", "--topic", topic, "--rename", topic + "=" + target,
                             "--partitions", "7", "--dry-run"},
                            "dry");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("reshaping (--partitions 7)"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("order across different keys of a source partition is not"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find(target + " would be created with 7 partitions"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find(target + "/*"), std::string::npos) << r.output;
  EXPECT_TRUE(admin_->DescribeTopic(target, 10s).status().IsNotFound());

  r = run({"restore", "--topic", topic, "--rename", topic + "=" + target, "--partitions", "7"},
          "restore");
  ASSERT_EQ(r.code, 0) << r.output;
  auto info = admin_->DescribeTopic(target, 30s);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->partitions, 7);
  EXPECT_EQ(TargetRecords(target, 7), 120);

  // Source partition 1, offset 5 is the 6th record sent to it: i = 1 + 3 * 5, key "k16".
  const int32_t t = restore::TargetPartition(std::string_view("k16"), 1, 5, 7);
  r = run({"offsets", "translate", "--topic", topic, "--partition", "1", "--offset", "5"},
          "translate");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(
      r.output.find(topic + "/1 offset 5 -> " + target + "/" + std::to_string(t) + " offset "),
      std::string::npos)
      << r.output;
  bool found = false;
  for (const format::Record& rec : restore::testutil::ReadAll(bootstrap_, target, t)) {
    if (rec.key != "k16") continue;
    found = true;
    EXPECT_NE(r.output.find(" offset " + std::to_string(rec.offset) + " (the record itself)"),
              std::string::npos)
        << r.output;
  }
  EXPECT_TRUE(found);
  r = run({"offsets", "translate", "--topic", topic, "--partition", "1", "--offset", "5",
           "--output", "json"},
          "translate-json");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("\"target_partition\": " + std::to_string(t) + ","), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("\"target_partitions\": 7"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("\"record_restored\": true"), std::string::npos) << r.output;

  r = run({"offsets", "export", "--topic", topic}, "export");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("target_start,target_end,target_partition\n"), std::string::npos)
      << r.output;

  // Another partition count for the existing target: refused before anything is written.
  r = run({"restore", "--topic", topic, "--rename", topic + "=" + target, "--partitions", "5"},
          "five");
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(
      r.output.find(target + ": the target topic has 7 partitions but --partitions asks for 5"),
      std::string::npos)
      << r.output;
  r = run({"restore", "--topic", topic, "--partitions", "0"}, "zero");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("--partitions"), std::string::npos) << r.output;
}

// A reshaping restore (3 -> 7 partitions) killed twice and run again: every record exactly once,
// on the partition the default partitioner gives, in source order per source partition, and the
// offset maps complete and exact.
TEST_F(RestoreCliTest, ReshapingRestoreKilledTwiceThenRerunRestoresEveryRecordExactlyOnce) {
  constexpr int kPartitions = 3;
  constexpr int kPerPartition = 8000;
  constexpr int32_t kTarget = 7;
  const std::string topic = BackedUpTopic(kPartitions, kPerPartition);
  const std::string target = topic + "-seven";
  const std::string log = dir_.path() + "/reshape.log";
  const std::vector<std::string> base = {KB_BINARY,
                                         "--config",
                                         config_,
                                         "restore",
                                         "--topic",
                                         topic,
                                         "--rename",
                                         topic + "=" + target,
                                         "--partitions",
                                         "7",
                                         "--checkpoint-interval",
                                         "300ms",
                                         "--no-groups"};
  for (int64_t kill_at :
       {int64_t{kPartitions * kPerPartition / 4}, int64_t{kPartitions * kPerPartition / 2}}) {
    std::vector<std::string> args = base;
    args.insert(args.end(), {"--max-bytes-per-second", "1MiB"});
    pid_t pid = SpawnLogged(args, log);
    ASSERT_GT(pid, 0);
    const auto deadline = std::chrono::steady_clock::now() + 90s;
    while (TargetRecords(target, kTarget) < kill_at &&
           std::chrono::steady_clock::now() < deadline && WaitFor(pid, 0ms) == -1) {
      std::this_thread::sleep_for(50ms);
    }
    ASSERT_EQ(kill(pid, SIGKILL), 0) << ReadFile(log);
    ASSERT_EQ(WaitFor(pid, 30s), 128 + SIGKILL)
        << "the restore ended before the kill: " << ReadFile(log);
  }
  const int64_t before_rerun = TargetRecords(target, kTarget);
  EXPECT_GT(before_rerun, 0);
  EXPECT_LT(before_rerun, kPartitions * kPerPartition);

  pid_t pid = SpawnLogged(base, log);
  ASSERT_EQ(WaitFor(pid, 180s), 0) << ReadFile(log);
  // What landed after the last checkpoint was read back and matched, not sent again.
  EXPECT_NE(ReadFile(log).find("after the last checkpoint verified"), std::string::npos)
      << ReadFile(log);

  auto store = storage::OpenStore(cfg_.storage);
  ASSERT_TRUE(store.ok());
  restore::OffsetMapStore maps(store->get(), layout::Keys("kb"));
  std::map<int32_t, restore::PartitionRestoreRecord> records;
  for (int p = 0; p < kPartitions; ++p) {
    auto r = maps.List(topic, p);
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->size(), 1u);
    EXPECT_TRUE((*r)[0].complete);
    EXPECT_EQ((*r)[0].target_partitions, kTarget);
    records[p] = (*r)[0];
  }
  // Record i was sent to source partition i % 3, where it has offset i / 3.
  std::vector<int> seen(kPartitions * kPerPartition, 0);
  for (int32_t t = 0; t < kTarget; ++t) {
    std::map<int32_t, int64_t> last;
    for (const format::Record& r : restore::testutil::ReadAll(bootstrap_, target, t)) {
      ASSERT_TRUE(r.value.has_value());
      const int i = std::stoi(*r.value);
      ASSERT_GE(i, 0);
      ASSERT_LT(i, kPartitions * kPerPartition);
      ++seen[i];
      const int32_t p = i % kPartitions;
      const int64_t o = i / kPartitions;
      EXPECT_EQ(r.key, "k" + std::to_string(i));
      EXPECT_EQ(t, restore::TargetPartition(std::string_view(*r.key), p, o, kTarget)) << i;
      auto prev = last.find(p);
      EXPECT_TRUE(prev == last.end() || prev->second < o) << "order on " << t << " at " << i;
      last[p] = o;
      EXPECT_EQ(records[p].target_maps[t].Lookup(o), r.offset) << i;
    }
  }
  for (size_t i = 0; i < seen.size(); ++i) ASSERT_EQ(seen[i], 1) << "record " << i;
}

}  // namespace
}  // namespace kb::cli
