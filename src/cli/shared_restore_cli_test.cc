// `kafka-backup restore --restore-id ID` (restore/shared_restore.h) through the binary against the
// real broker: three processes share one restore, one is killed -9 half way, the other two take
// over its partitions; the target then holds every record exactly once, in order, the consumer
// group is moved once (by one process, recorded in the store), and a rerun with the same id does
// nothing again.
#include <gtest/gtest.h>
#include <signal.h>

#include <deque>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "cli/cli_test_util.h"
#include "cli/restore_cli_fixture.h"
#include "layout/metadata.h"
#include "restore/offset_map_store.h"
#include "restore/shared_restore.h"

namespace kb::cli {
namespace {

using namespace std::chrono_literals;
using cli::testing::ReadFile;
using cli::testing::SpawnLogged;
using cli::testing::WaitFor;

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST_F(RestoreCliTest, ThreeProcessesShareARestoreAndTakeOverFromOneKilledDashNine) {
  constexpr int kPartitions = 6;
  constexpr int kPerPartition = 15000;
  const std::string topic = BackedUpTopic(kPartitions, kPerPartition);
  const std::string target = topic + "-shared";
  const std::string group = kb::testing::UniqueName("app");
  const std::string restore_id = kb::testing::UniqueName("rid");
  auto store = storage::OpenStore(cfg_.storage);
  ASSERT_TRUE(store.ok());
  const layout::Keys keys("kb");
  // The group's backed-up position: partition p at 1000 + p.
  for (int p = 0; p < kPartitions; ++p) {
    ASSERT_TRUE(
        (*store)
            ->Put(keys.ConsumerOffsets(topic, p), layout::EncodeGroupOffsets({{group, 1000 + p}}))
            .ok());
  }
  const std::vector<std::string> args = {KB_BINARY,
                                         "--config",
                                         config_,
                                         "restore",
                                         "--topic",
                                         topic,
                                         "--rename",
                                         topic + "=" + target,
                                         "--restore-id",
                                         restore_id,
                                         "--session-timeout",
                                         "6s",
                                         "--checkpoint-interval",
                                         "200ms",
                                         "--groups",
                                         group,
                                         "--max-bytes-per-second",
                                         "1MiB",
                                         "--parallel",
                                         "2"};
  std::vector<std::string> logs;
  std::vector<pid_t> pids;
  std::deque<cli::testing::Reaper> reapers;  // never copied: a copy would kill on destruction
  for (int i = 0; i < 3; ++i) {
    logs.push_back(dir_.path() + "/restore-" + std::to_string(i) + ".log");
    pids.push_back(SpawnLogged(args, logs.back()));
    ASSERT_GT(pids.back(), 0);
  }
  for (pid_t pid : pids) reapers.emplace_back(pid);
  // Every process has been given partitions, and a quarter of the records are in: kill one.
  const auto deadline = std::chrono::steady_clock::now() + 90s;
  const auto working = [&](int i) {
    return ReadFile(logs[i]).find("restoring here") != std::string::npos;
  };
  while (std::chrono::steady_clock::now() < deadline &&
         (!working(0) || !working(1) || !working(2) ||
          TargetRecords(target, kPartitions) < kPartitions * kPerPartition / 4)) {
    std::this_thread::sleep_for(50ms);
  }
  ASSERT_EQ(WaitFor(pids[0], 0ms), -1) << ReadFile(logs[0]);
  ASSERT_EQ(kill(pids[0], SIGKILL), 0);
  ASSERT_EQ(WaitFor(pids[0], 30s), 128 + SIGKILL);
  reapers[0].pid = 0;
  const int64_t at_kill = TargetRecords(target, kPartitions);
  EXPECT_LT(at_kill, kPartitions * kPerPartition) << "the restore ended before the kill";
  for (int i = 1; i < 3; ++i) {
    ASSERT_EQ(WaitFor(pids[i], 240s), 0) << ReadFile(logs[i]);
    reapers[i].pid = 0;
  }

  // Every record exactly once, in order.
  for (int p = 0; p < kPartitions; ++p) {
    const std::vector<format::Record> source = restore::testutil::ReadAll(bootstrap_, topic, p);
    const std::vector<format::Record> got = restore::testutil::ReadAll(bootstrap_, target, p);
    ASSERT_EQ(source.size(), static_cast<size_t>(kPerPartition));
    ASSERT_EQ(got.size(), source.size()) << "partition " << p;
    for (size_t i = 0; i < source.size(); ++i) {
      ASSERT_EQ(got[i].key, source[i].key) << "partition " << p << " index " << i;
      ASSERT_EQ(got[i].value, source[i].value) << "partition " << p << " index " << i;
    }
  }
  // Every restore record complete.
  restore::OffsetMapStore maps(store->get(), keys);
  for (int p = 0; p < kPartitions; ++p) {
    auto record = maps.Load(topic, p, *admin_->ClusterId(30s), target);
    ASSERT_TRUE(record.ok() && *record) << "partition " << p;
    EXPECT_TRUE((*record)->complete) << "partition " << p;
  }
  // The group moved once: by one of the two, the other says who did; the store records it.
  const std::string out1 = ReadFile(logs[1]), out2 = ReadFile(logs[2]);
  EXPECT_EQ(Count(out1 + out2, "finishing here"), 1u) << out1 << out2;
  EXPECT_EQ(Count(out1 + out2, "consumer groups: moved by"), 1u) << out1 << out2;
  auto committed = admin_->ListConsumerGroupOffsets(group, 30s);
  ASSERT_TRUE(committed.ok()) << committed.status().ToString();
  for (int p = 0; p < kPartitions; ++p) {
    EXPECT_EQ(((*committed)[{target, p}]), 1000 + p) << "partition " << p;
  }
  auto done = (*store)->Get(keys.SharedRestoreDone(*admin_->ClusterId(30s), restore_id));
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  auto decoded = restore::DecodeSharedRestoreDone("done", *done);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_TRUE(decoded->status.ok());
  EXPECT_EQ(decoded->restore_id, restore_id);

  // A rerun with the same id restores nothing and does not move the group again.
  ASSERT_TRUE(admin_->AlterConsumerGroupOffsets(group, {{{target, 0}, 7}}, 30s).ok());
  const std::string rerun_log = dir_.path() + "/rerun.log";
  const pid_t rerun = SpawnLogged(args, rerun_log);
  ASSERT_EQ(WaitFor(rerun, 120s), 0) << ReadFile(rerun_log);
  EXPECT_NE(ReadFile(rerun_log).find("consumer groups: moved by"), std::string::npos)
      << ReadFile(rerun_log);
  EXPECT_EQ(TargetRecords(target, kPartitions), int64_t{kPartitions} * kPerPartition);
  auto after = admin_->ListConsumerGroupOffsets(group, 30s);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(((*after)[{target, 0}]), 7);
}

TEST_F(RestoreCliTest, RestoreIdIsRefusedWithReshapingAndDryRunAndWhenMalformed) {
  const auto run = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = {"--config", config_, "restore", "--topic", "t"};
    args.insert(args.end(), extra.begin(), extra.end());
    return cli::testing::Run(KB_BINARY, args, dir_.path() + "/refused.log", 60s);
  };
  cli::testing::Ran r = run({"--restore-id", "a/b"});
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find("--restore-id"), std::string::npos) << r.output;
  r = run({"--restore-id", "r1", "--dry-run"});
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find("--dry-run"), std::string::npos) << r.output;
  r = run({"--restore-id", "r1", "--partitions", "3"});
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find("--partitions"), std::string::npos) << r.output;
  r = run({"--restore-id", "r1", "--fail-if-target-not-empty"});
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find("--fail-if-target-not-empty"), std::string::npos) << r.output;
  r = run({"--session-timeout", "5s"});
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find("--session-timeout"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace kb::cli
