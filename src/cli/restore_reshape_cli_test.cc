// `restore --partitions N` through the binary against the real broker: records placed by the
// default partitioner, offsets and groups named by target partition, and a reshaping restore
// killed with -9 twice that ends with every record exactly once.
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
