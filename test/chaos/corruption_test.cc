// Fault campaign, scenario "corruption": every kind of object the store holds (segments, gap
// records, consumers_offset, offset history, topic.json) damaged in every way that applies (bit
// flip, truncation, empty file, a segment missing from the middle, garbage JSON, a future format
// version), one at a time, on a copy of one real backup. `verify` must name the damaged object
// (or, for a missing segment, the offsets) every time; `restore` must end by itself without a
// crash, and when it fails it names the object or offsets.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "backup/backup_test_util.h"
#include "chaos_report.h"
#include "cli/cli_test_util.h"
#include "kafka/admin.h"
#include "layout/keys.h"
#include "storage/local/local_store.h"
#include "testing/test_env.h"

namespace kb::chaos {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

enum class Damage { kBitFlip, kTruncate, kEmpty, kMissing, kGarbageJson, kFutureVersion };
const char* DamageName(Damage d) {
  switch (d) {
    case Damage::kBitFlip:
      return "bit flip";
    case Damage::kTruncate:
      return "truncated";
    case Damage::kEmpty:
      return "empty";
    case Damage::kMissing:
      return "missing";
    case Damage::kGarbageJson:
      return "garbage JSON";
    case Damage::kFutureVersion:
      return "future format version";
  }
  return "?";
}

struct Case {
  std::string kind;
  std::string key;  // relative to the store root
  Damage damage;
  std::string named;  // what the reports must name: the key, or the offsets of a missing segment
  std::string named_too = {};  // restore's spelling of those offsets, when it differs
};

std::string ReadAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}
void WriteAll(const fs::path& p, const std::string& data) {
  std::ofstream(p, std::ios::binary | std::ios::trunc) << data;
}

void Apply(const fs::path& file, Damage d, std::mt19937_64& rng) {
  std::string data = ReadAll(file);
  switch (d) {
    case Damage::kBitFlip: {
      // Anywhere past the first byte: every byte of a segment is covered by a checksum.
      const size_t at = 1 + rng() % (data.size() - 1);
      data[at] = static_cast<char>(data[at] ^ (1 << (rng() % 8)));
      WriteAll(file, data);
      break;
    }
    case Damage::kTruncate:
      WriteAll(file, data.substr(0, data.size() / 2));
      break;
    case Damage::kEmpty:
      WriteAll(file, "");
      break;
    case Damage::kMissing:
      fs::remove(file);
      break;
    case Damage::kGarbageJson:
      WriteAll(file, "{\"format_version\": 1, \"oops\": [1, 2,");
      break;
    case Damage::kFutureVersion: {
      const size_t at = data.find("\"format_version\": 1");
      ASSERT_NE(at, std::string::npos) << file << ": " << data;
      data.replace(at, 19, "\"format_version\": 99");
      WriteAll(file, data);
      break;
    }
  }
}

TEST(CorruptionTest, VerifyNamesEveryDamagedObjectAndRestoreNeverCrashesOrHangs) {
  const std::string bootstrap = testing::RequireEnv("KB_TEST_KAFKA_BOOTSTRAP");
  ASSERT_FALSE(bootstrap.empty());
  const int rounds = Iterations("CORRUPTION_ROUNDS", 1);
  std::mt19937_64 rng(Seed() * 7919);
  const auto started = std::chrono::steady_clock::now();
  testing::TempDir dir;
  const std::string topic = testing::UniqueName("chaos-corrupt");
  auto admin = kafka::Admin::Make({{"bootstrap.servers", bootstrap}});
  ASSERT_TRUE(admin.ok());
  ASSERT_TRUE((*admin)->CreateTopic({topic, 2, 1, {}}, 30s).ok());
  auto produce = [&](int32_t partition, int from, int n) {
    backup::testutil::RawProducer producer(bootstrap);
    for (int i = from; i < from + n; ++i) {
      format::Record r;
      r.key = "k" + std::to_string(i);
      r.value = "value-" + std::to_string(i);
      producer.Send(topic, partition, r);
    }
    producer.Flush();
  };
  produce(0, 0, 300);
  produce(1, 0, 300);
  const std::string group = testing::UniqueName("chaos-app");
  ASSERT_TRUE(
      (*admin)->AlterConsumerGroupOffsets(group, {{{topic, 0}, 120}, {{topic, 1}, 80}}, 30s).ok());
  const std::string pristine = dir.path() + "/pristine";
  auto config_for = [&](const std::string& store_dir) {
    const std::string path = store_dir + ".yaml";
    std::ofstream(path) << "kafka:\n  bootstrap.servers: " << bootstrap << "\n"
                        << "storage:\n  prefix: c\n  local:\n    path: " << store_dir << "\n"
                        << "backup:\n  group_id: " << topic << "-backup\n  topics: [" << topic
                        << "]\n  segment:\n    max_records: 100\n";
    return path;
  };
  const std::string log = dir.path() + "/run.log";
  auto run = [&](const std::string& config, std::vector<std::string> args) {
    args.insert(args.begin(), {"--config", config});
    return cli::testing::Run(KB_BINARY, args, log, 5min);
  };
  ASSERT_EQ(run(config_for(pristine), {"backup", "--once"}).code, 0) << ReadAll(log);
  // A gap record: offsets 300..349 of partition 1 deleted before they were backed up.
  produce(1, 300, 100);
  ASSERT_TRUE((*admin)->DeleteRecords(topic, 1, 350, 30s).ok());
  ASSERT_TRUE((*admin)->AlterConsumerGroupOffsets(group, {{{topic, 0}, 150}}, 30s).ok());
  std::this_thread::sleep_for(5ms);  // a second history object, at another time
  ASSERT_EQ(run(config_for(pristine), {"backup", "--once"}).code, 0) << ReadAll(log);

  // The cases: every object kind the backup holds, each way of damaging it that applies.
  auto local = storage::LocalStore::Open(pristine);
  ASSERT_TRUE(local.ok());
  const layout::Keys keys("c");
  auto ranges0 = catalog::ListPartitionRanges(**local, keys, topic, 0);
  auto ranges1 = catalog::ListPartitionRanges(**local, keys, topic, 1);
  ASSERT_TRUE(ranges0.ok() && ranges1.ok());
  ASSERT_GE(ranges0->size(), 3u);
  const catalog::StoredRange* gap = nullptr;
  for (const auto& r : *ranges1) {
    if (r.is_gap) gap = &r;
  }
  ASSERT_NE(gap, nullptr);
  auto history = storage::ListAll(**local, keys.ConsumerOffsetsHistoryPrefix(topic, 0));
  ASSERT_TRUE(history.ok());
  ASSERT_FALSE(history->empty());
  const catalog::StoredRange& middle = (*ranges0)[1];
  std::vector<Case> cases;
  for (Damage d : {Damage::kBitFlip, Damage::kTruncate, Damage::kEmpty}) {
    cases.push_back({"segment", middle.key, d, middle.key});
  }
  cases.push_back(
      {"segment", middle.key, Damage::kMissing,
       std::to_string(middle.start) + ".." + std::to_string(middle.end),
       "[" + std::to_string(middle.start) + ", " + std::to_string(middle.end + 1) + ")"});
  for (const auto& [kind, key] : std::vector<std::pair<std::string, std::string>>{
           {"gap record", gap->key},
           {"consumers_offset", keys.ConsumerOffsets(topic, 0)},
           {"offset history", history->front().key},
           {"topic.json", keys.TopicMetadata(topic)}}) {
    for (Damage d : {Damage::kGarbageJson, Damage::kEmpty, Damage::kFutureVersion}) {
      // A future format version applies to the objects that carry one.
      if (d == Damage::kFutureVersion &&
          ReadAll(fs::path(pristine) / key).find("\"format_version\"") == std::string::npos) {
        continue;
      }
      cases.push_back({kind, key, d, key});
    }
  }

  ScenarioResult result{.scenario = "corruption of every object kind"};
  for (int round = 0; round < rounds; ++round) {
    for (const Case& c : cases) {
      SCOPED_TRACE(c.kind + ", " + DamageName(c.damage) + ": " + c.key);
      const std::string copy = dir.path() + "/case";
      fs::remove_all(copy);
      fs::copy(pristine, copy, fs::copy_options::recursive);
      Apply(fs::path(copy) / c.key, c.damage, rng);
      if (HasFatalFailure()) return;
      ++result.faults;
      const std::string config = config_for(copy);
      const cli::testing::Ran verify = run(config, {"verify"});
      EXPECT_EQ(verify.code, 1) << verify.output;
      const bool named = verify.output.find(c.named) != std::string::npos;
      EXPECT_TRUE(named) << verify.output;
      if (verify.code == 1 && named) ++result.detected;

      const std::string target = topic + "-r" + std::to_string(result.faults);
      const cli::testing::Ran restore =
          run(config, {"restore", "--topic", topic, "--rename", topic + "=" + target});
      EXPECT_GE(restore.code, 0) << "restore hung";
      EXPECT_LT(restore.code, 4) << "restore crashed: " << restore.output;
      if (restore.code != 0) {
        const std::string& spelled = c.named_too.empty() ? c.named : c.named_too;
        EXPECT_NE(restore.output.find(spelled), std::string::npos) << restore.output;
      }
      const cli::testing::Ran skipping = run(
          config,
          {"restore", "--topic", topic, "--rename", topic + "=" + target + "s", "--skip-corrupt"});
      EXPECT_GE(skipping.code, 0) << "restore --skip-corrupt hung";
      EXPECT_LT(skipping.code, 4) << "restore --skip-corrupt crashed: " << skipping.output;
      ++result.iterations;
    }
  }
  result.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  AddResult(result);
}

}  // namespace
}  // namespace kb::chaos
