// `restore --exclude-keys` through the binary against the real broker: erased records left out,
// reports and offset maps that say so without printing a key, groups moved past them, and a
// restore killed with -9 that resumes with the same list.
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

}  // namespace
}  // namespace kb::cli
