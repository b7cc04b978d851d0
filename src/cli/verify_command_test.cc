// `ls` and `verify` through RunCli against a local store in a temp dir: exit codes and output.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "catalog/catalog_test_util.h"
#include "cli/app.h"
#include "cli/local_store_cli_fixture.h"
#include "layout/keys.h"
#include "layout/metadata.h"
#include "metrics/textfile.h"
#include "storage/factory/open_store.h"
#include "testing/test_env.h"

namespace kb::cli {
namespace {

class StoreCommandTest : public testing::LocalStoreCliTest {
 protected:
  void SetUp() override {
    LocalStoreCliTest::SetUp();
    if (HasFatalFailure()) return;
    Put(keys_.TopicMetadata("orders"),
        layout::EncodeTopicMetadata({.topic = "orders", .partitions = 1, .replication_factor = 1}));
    Put(keys_.Segment("orders", 0, 0, 49),
        catalog::testing::SegmentBytes(0, 49, 1'700'000'000'000));
    Put(keys_.Segment("orders", 0, 50, 99),
        catalog::testing::SegmentBytes(50, 99, 1'700'000'000'000));
  }
};

TEST_F(StoreCommandTest, VerifyOfAGoodStoreExitsZero) {
  Run r = Cli({"verify", "--parallel", "2"});
  EXPECT_EQ(r.code, kExitOk) << r.out << r.err;
  EXPECT_NE(r.out.find("verified 2 of 2 segments"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("no problems"), std::string::npos) << r.out;
}

TEST_F(StoreCommandTest, VerifyOfACorruptedStoreExitsOneAndNamesTheKey) {
  const std::string key = keys_.Segment("orders", 0, 50, 99);
  std::string bytes = catalog::testing::SegmentBytes(50, 99, 1'700'000'000'000);
  bytes[100] ^= 1;
  Put(key, bytes);
  Run r = Cli({"verify"});
  EXPECT_EQ(r.code, kExitFailure) << r.out << r.err;
  EXPECT_NE(r.out.find(key + " offsets 50..99: "), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("1 problem"), std::string::npos) << r.err;
}

TEST_F(StoreCommandTest, VerifyOutputJsonReportsCountsAndProblems) {
  Run good = Cli({"verify", "--output", "json"});
  EXPECT_EQ(good.code, kExitOk) << good.out << good.err;
  nlohmann::json j = nlohmann::json::parse(good.out);
  EXPECT_EQ(j["ok"], true);
  EXPECT_EQ(j["segments_verified"], 2);
  EXPECT_EQ(j["records_verified"], 100);
  EXPECT_EQ(j["topics"], 1);
  EXPECT_TRUE(j["problems"].empty());

  const std::string key = keys_.Segment("orders", 0, 50, 99);
  std::string bytes = catalog::testing::SegmentBytes(50, 99, 1'700'000'000'000);
  bytes[100] ^= 1;
  Put(key, bytes);
  Run bad = Cli({"verify", "--output", "json"});
  EXPECT_EQ(bad.code, kExitFailure) << bad.out << bad.err;
  j = nlohmann::json::parse(bad.out);
  EXPECT_EQ(j["ok"], false);
  ASSERT_EQ(j["problems"].size(), 1u) << bad.out;
  EXPECT_EQ(j["problems"][0]["key"], key);
  EXPECT_EQ(j["problems"][0]["start"], 50);
  EXPECT_EQ(j["problems"][0]["end"], 99);
  EXPECT_FALSE(j["problems"][0]["message"].get<std::string>().empty());
}

TEST_F(StoreCommandTest, VerifyMetricsFileKeepsTheLastSuccessAcrossAFailedRun) {
  const std::string prom = dir_.path() + "/verify.prom";
  Run good = Cli({"verify", "--metrics-file", prom});
  ASSERT_EQ(good.code, kExitOk) << good.out << good.err;
  std::ifstream in(prom);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("# TYPE kafka_backup_verify_last_success_timestamp_seconds gauge"),
            std::string::npos)
      << text;
  auto value = [&](const std::string& name) { return metrics::ReadTextfileGauge(prom, name); };
  const std::optional<double> success = value("kafka_backup_verify_last_success_timestamp_seconds");
  ASSERT_TRUE(success.has_value());
  EXPECT_GT(*success, 1.7e9);
  EXPECT_EQ(value("kafka_backup_verify_problems"), 0);
  EXPECT_EQ(value("kafka_backup_verify_segments_verified"), 2);

  std::string bytes = catalog::testing::SegmentBytes(50, 99, 1'700'000'000'000);
  bytes[100] ^= 1;
  Put(keys_.Segment("orders", 0, 50, 99), bytes);
  Run bad = Cli({"verify", "--metrics-file", prom});
  EXPECT_EQ(bad.code, kExitFailure);
  EXPECT_EQ(value("kafka_backup_verify_problems"), 1);
  EXPECT_EQ(value("kafka_backup_verify_last_success_timestamp_seconds"), success);
  EXPECT_GE(*value("kafka_backup_verify_last_run_timestamp_seconds"), *success);

  // A path that cannot be written fails before the store is read.
  Run unwritable = Cli({"verify", "--metrics-file", dir_.path() + "/no/such/dir/v.prom"});
  EXPECT_EQ(unwritable.code, kExitFailure);
  EXPECT_NE(unwritable.err.find("--metrics-file"), std::string::npos) << unwritable.err;
}

TEST_F(StoreCommandTest, VerifyRejectsABadTimeAsUsageError) {
  Run r = Cli({"verify", "--from", "yesterday"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_NE(r.err.find("--from"), std::string::npos) << r.err;
  EXPECT_EQ(Cli({"verify", "--parallel", "0"}).code, kExitUsage);
  EXPECT_EQ(Cli({"verify", "--from", "2023-11-14T22:13:20Z", "--to", "2023-11-14T22:13:21Z",
                 "--sample", "1"})
                .code,
            kExitOk);
}

TEST_F(StoreCommandTest, LsShowsTheStoreAsTextOrJson) {
  Run r = Cli({"ls"});
  EXPECT_EQ(r.code, kExitOk) << r.err;
  EXPECT_NE(r.out.find("0..99"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("100 records in 2 segments"), std::string::npos) << r.out;

  r = Cli({"ls", "--topic", "orders", "--output", "json"});
  EXPECT_EQ(r.code, kExitOk) << r.err;
  auto json = nlohmann::json::parse(r.out);
  EXPECT_EQ(json["partitions"][0]["records"], 100);

  r = Cli({"ls", "--topic", "missing"});
  EXPECT_EQ(r.code, kExitFailure);
  EXPECT_NE(r.err.find("missing"), std::string::npos) << r.err;
}

TEST_F(StoreCommandTest, LsOfAStoreWithAHoleListsItAndExitsOne) {
  // A segment deleted from the middle: 100-149 missing between 50-99 and 150-199.
  Put(keys_.Segment("orders", 0, 150, 199),
      catalog::testing::SegmentBytes(150, 199, 1'700'000'000'000));
  const std::string after = keys_.Segment("orders", 0, 150, 199);
  Put(keys_.Segment("orders", 0, 100, 149),
      catalog::testing::SegmentBytes(100, 149, 1'700'000'000'000));
  ASSERT_TRUE(store_->Delete({keys_.Segment("orders", 0, 100, 149)}).ok());

  Run r = Cli({"ls"});
  EXPECT_EQ(r.code, kExitFailure) << r.out << r.err;
  EXPECT_NE(r.out.find(after + " offsets 100..149: hole"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("1 problem"), std::string::npos) << r.err;

  r = Cli({"ls", "--output", "json"});
  EXPECT_EQ(r.code, kExitFailure);
  auto json = nlohmann::json::parse(r.out);
  ASSERT_EQ(json["problems"].size(), 1u);
  EXPECT_EQ(json["problems"][0]["key"], after);
  EXPECT_EQ(json["problems"][0]["start"], 100);
  EXPECT_EQ(json["problems"][0]["end"], 149);
}

}  // namespace
}  // namespace kb::cli
