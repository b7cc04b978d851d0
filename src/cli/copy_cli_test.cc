// `kafka-backup copy` and `--store` through the binary, between every pair of backends CI runs
// (a local directory, the S3 server, the GCS emulator, the Azure emulator): a small backup made
// with `backup --once` is copied into each backend, then from each backend into every other one;
// each copy passes `verify --store URL` and lists the same objects as the original (`ls`); a
// second copy into the same place skips what is already there; a topic restored from a copy in
// the cloud (`restore --store URL`) has every record. Credentials come from the environment, as
// each cloud's CLI takes them.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "backup/backup_test_util.h"
#include "cli/cli_test_util.h"
#include "restore/restore_test_util.h"
#include "testing/test_env.h"

namespace kb::cli {
namespace {

using namespace std::chrono_literals;
using cli::testing::Ran;

// Sets environment variables for the test's child processes, and restores them after.
class ScopedEnv {
 public:
  void Set(const std::string& name, const std::string& value) {
    const char* old = getenv(name.c_str());
    saved_.emplace(name, old == nullptr ? std::nullopt : std::optional<std::string>(old));
    setenv(name.c_str(), value.c_str(), 1);
  }
  ~ScopedEnv() {
    for (const auto& [name, value] : saved_) {
      if (value) {
        setenv(name.c_str(), value->c_str(), 1);
      } else {
        unsetenv(name.c_str());
      }
    }
  }

 private:
  std::map<std::string, std::optional<std::string>> saved_;
};

class CopyCliTest : public backup::testutil::KafkaTest {
 protected:
  Ran Kb(std::vector<std::string> args, const std::string& log) {
    args.insert(args.begin(), {"--config", config_});
    return cli::testing::Run(KB_BINARY, args, dir_.path() + "/" + log + ".log", 180s);
  }
  // `ls --output json` of a store: its topics and partitions as the JSON the command prints,
  // without what depends on where it is.
  nlohmann::json Listing(const std::string& url) {
    Ran r = Kb({"--store", url, "ls", "--output", "json"}, "ls");
    EXPECT_EQ(r.code, 0) << url << "\n" << r.output;
    const size_t start = r.output.find('{');
    if (start == std::string::npos) return nullptr;
    nlohmann::json j = nlohmann::json::parse(r.output.substr(start), nullptr, false);
    return j.is_discarded() ? nlohmann::json(nullptr) : j["topics"];
  }

  kb::testing::TempDir dir_;
  std::string config_;
};

TEST_F(CopyCliTest, CopiesBetweenEveryPairOfBackendsAndEachCopyVerifiesAndRestores) {
  const std::string run = kb::testing::UniqueName("copy");
  ScopedEnv env;
  env.Set("AWS_ACCESS_KEY_ID", kb::testing::RequireEnv("KB_TEST_S3_ACCESS_KEY"));
  env.Set("AWS_SECRET_ACCESS_KEY", kb::testing::RequireEnv("KB_TEST_S3_SECRET_KEY"));
  env.Set("AZURE_STORAGE_KEY", kb::testing::RequireEnv("KB_TEST_AZURE_KEY"));
  // Where each backend keeps the copies of this run: "<url of the bucket/container>/<name>".
  const std::map<std::string, std::function<std::string(const std::string&)>> backends = {
      {"local", [&](const std::string& name) { return "file://" + dir_.path() + "/" + name; }},
      {"s3",
       [&](const std::string& name) {
         return "s3://" + kb::testing::RequireEnv("KB_TEST_S3_BUCKET") + "/" + run + "/" + name +
                "?endpoint=" + kb::testing::RequireEnv("KB_TEST_S3_ENDPOINT") +
                "&region=" + kb::testing::RequireEnv("KB_TEST_S3_REGION");
       }},
      {"gcs",
       [&](const std::string& name) {
         return "gs://" + kb::testing::RequireEnv("KB_TEST_GCS_BUCKET") + "/" + run + "/" + name +
                "?auth=none&endpoint=" + kb::testing::RequireEnv("KB_TEST_GCS_ENDPOINT");
       }},
      {"azure",
       [&](const std::string& name) {
         return "az://" + kb::testing::RequireEnv("KB_TEST_AZURE_ACCOUNT") + "/" +
                kb::testing::RequireEnv("KB_TEST_AZURE_CONTAINER") + "/" + run + "/" + name +
                "?endpoint=" + kb::testing::RequireEnv("KB_TEST_AZURE_ENDPOINT");
       }},
  };
  if (HasFailure()) return;

  // The original: a small backup in a local directory.
  const std::string topic = kb::testing::UniqueName("copy-topic");
  constexpr int kPartitions = 2, kRecords = 2000;
  CreateTopic(topic, kPartitions);
  {
    const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
    backup::testutil::RawProducer producer(bootstrap_);
    for (int i = 0; i < kRecords; ++i) {
      format::Record r;
      r.key = "k" + std::to_string(i);
      r.value = "value " + std::to_string(i) + std::string(100, 'v');
      r.timestamp = now_ms - 60'000 + i;
      producer.Send(topic, i % kPartitions, r);
    }
    producer.Flush();
  }
  config_ = dir_.path() + "/kb.yaml";
  std::ofstream(config_) << "kafka:\n  bootstrap.servers: " << bootstrap_
                         << "\nstorage:\n  prefix: kb\n  local:\n    path: " << dir_.path()
                         << "/origin\nbackup:\n  group_id: " << run << "-g\n  topics: [" << topic
                         << "]\n  segment:\n    max_records: 300\n";
  Ran r = Kb({"backup", "--once"}, "backup");
  ASSERT_EQ(r.code, 0) << r.output;
  const std::string origin = "file://" + dir_.path() + "/origin/kb";
  const nlohmann::json listing = Listing(origin);
  ASSERT_TRUE(listing.is_array() && !listing.empty()) << listing.dump();

  // Into each backend, then from each into every other one.
  for (const auto& [name, url] : backends) {
    r = Kb({"copy", "--to", url("from-origin")}, "copy-" + name);
    ASSERT_EQ(r.code, 0) << name << "\n" << r.output;
    EXPECT_NE(r.output.find(" 0 failures"), std::string::npos) << r.output;
  }
  for (const auto& [from, from_url] : backends) {
    for (const auto& [to, to_url] : backends) {
      if (from == to) continue;
      const std::string target = to_url("from-" + from);
      SCOPED_TRACE(from + " -> " + to + ": " + target);
      r = Kb({"copy", "--from", from_url("from-origin"), "--to", target, "--parallel", "3"},
             "copy-" + from + "-" + to);
      ASSERT_EQ(r.code, 0) << r.output;
      r = Kb({"--store", target, "verify"}, "verify-" + from + "-" + to);
      EXPECT_EQ(r.code, 0) << r.output;
      EXPECT_EQ(Listing(target), listing);
    }
  }

  // A second copy into the same place copies the segments no more.
  r = Kb({"copy", "--to", backends.at("s3")("from-origin"), "--output", "json"}, "copy-again");
  ASSERT_EQ(r.code, 0) << r.output;
  nlohmann::json again = nlohmann::json::parse(r.output.substr(r.output.find('{')), nullptr, false);
  ASSERT_FALSE(again.is_discarded()) << r.output;
  EXPECT_GT(again["skipped"].get<int>(), 0) << r.output;
  EXPECT_EQ(again["failed"].size(), 0u) << r.output;

  // A restore straight from a copy in a cloud store.
  const std::string restored = topic + "-from-azure";
  r = Kb({"restore", "--store", backends.at("azure")("from-gcs"), "--topic", topic, "--rename",
          topic + "=" + restored, "--no-groups"},
         "restore");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(restore::testutil::EndOffsetSum(bootstrap_, restored, kPartitions), kRecords);

  // Bad URLs are usage errors naming the flag; the destination cannot be the source.
  r = Kb({"copy", "--to", "ftp://host/x"}, "bad-to");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("--to"), std::string::npos) << r.output;
  r = Kb({"copy", "--from", origin, "--to", origin}, "same");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("is the source store itself"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace kb::cli
