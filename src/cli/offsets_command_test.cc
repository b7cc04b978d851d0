// `offsets translate` and `offsets export` through RunCli against a local store in a temp dir,
// holding restore records written with OffsetMapStore: output, ambiguity, errors and exit codes.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/app.h"
#include "cli/local_store_cli_fixture.h"
#include "layout/keys.h"
#include "restore/offset_map_store.h"
#include "storage/factory/open_store.h"
#include "testing/test_env.h"

namespace kb::cli {
namespace {

constexpr char kCluster[] = "MkU3OEVBNTcwNTJENDM2Qg";
constexpr char kOtherCluster[] = "Zm9vYmFyYmF6";

class OffsetsCommandTest : public testing::LocalStoreCliTest {
 protected:
  // orders/<partition> restored into `target` of `cluster`: source 0..2 -> 100..102, source 7..9
  // -> 103..105 (3..6 a hole), the target holding 100 records before.
  void SaveRestore(int32_t partition, const std::string& cluster, const std::string& target,
                   bool complete = true) {
    restore::PartitionRestoreRecord r{.source_topic = "orders",
                                      .partition = partition,
                                      .cluster_id = cluster,
                                      .target_topic = target,
                                      .selection = "all",
                                      .complete = complete,
                                      .updated_at_ms = 1'700'000'000'000,
                                      .map = restore::OffsetMap(100)};
    for (int64_t s : {0, 1, 2, 7, 8, 9})
      ASSERT_TRUE(r.map.Append(s, 100 + r.map.record_count()).ok());
    restore::OffsetMapStore maps(store_.get(), keys_);
    Status s = maps.Save(r);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
};

TEST_F(OffsetsCommandTest, TranslateARestoredRecordAndAnOffsetInAHole) {
  SaveRestore(0, kCluster, "orders-copy");
  Run r = Cli({"offsets", "translate", "--topic", "orders", "--partition", "0", "--offset", "8"});
  EXPECT_EQ(r.code, kExitOk) << r.err;
  EXPECT_NE(r.out.find("orders/0 offset 8 -> orders-copy/0 offset 104"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("the record at offset 8 was restored at offset 104"), std::string::npos)
      << r.out;

  r = Cli({"offsets", "translate", "--topic", "orders", "--partition", "0", "--offset", "4",
           "--output", "json"});
  EXPECT_EQ(r.code, kExitOk) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["new_offset"], 103);
  EXPECT_EQ(j["record_restored"], false);
  EXPECT_EQ(j["target_topic"], "orders-copy");
  EXPECT_EQ(j["cluster_id"], kCluster);
  EXPECT_EQ(j["complete"], true);

  r = Cli({"offsets", "translate", "--topic", "orders", "--partition", "0", "--offset", "50"});
  EXPECT_EQ(r.code, kExitOk) << r.err;
  EXPECT_NE(r.out.find("offset 106"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("the end of the restored data"), std::string::npos) << r.out;
}

TEST_F(OffsetsCommandTest, TranslateAmongSeveralRestoresNeedsToBeToldWhich) {
  SaveRestore(0, kCluster, "orders-copy");
  SaveRestore(0, kOtherCluster, "orders", /*complete=*/false);
  Run r = Cli({"offsets", "translate", "--topic", "orders", "--partition", "0", "--offset", "1"});
  EXPECT_EQ(r.code, kExitUsage) << r.out;
  EXPECT_NE(r.err.find("orders/0"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--cluster-id " + std::string(kCluster) + " --target-topic orders-copy"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("--cluster-id " + std::string(kOtherCluster) + " --target-topic orders"),
            std::string::npos)
      << r.err;

  r = Cli({"offsets", "translate", "--topic", "orders", "--partition", "0", "--offset", "1",
           "--target-topic", "orders"});
  EXPECT_EQ(r.code, kExitOk) << r.err;
  EXPECT_NE(r.out.find("-> orders/0 offset 101"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("not complete"), std::string::npos) << r.out;

  r = Cli({"offsets", "translate", "--topic", "orders", "--partition", "0", "--offset", "1",
           "--cluster-id", kCluster});
  EXPECT_EQ(r.code, kExitOk) << r.err;
  EXPECT_NE(r.out.find("-> orders-copy/0 offset 101"), std::string::npos) << r.out;
}

TEST_F(OffsetsCommandTest, TranslateErrorsNameWhatIsWrong) {
  SaveRestore(0, kCluster, "orders-copy");
  Run r = Cli({"offsets", "translate", "--topic", "orders", "--partition", "3", "--offset", "1"});
  EXPECT_EQ(r.code, kExitFailure);
  EXPECT_NE(r.err.find("orders/3"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("no restore"), std::string::npos) << r.err;

  // A filter that matches none of the recorded restores lists those there are.
  r = Cli({"offsets", "translate", "--topic", "orders", "--partition", "0", "--offset", "1",
           "--cluster-id", kOtherCluster});
  EXPECT_EQ(r.code, kExitFailure);
  EXPECT_NE(r.err.find("recorded:\n  --cluster-id " + std::string(kCluster)), std::string::npos)
      << r.err;

  r = Cli({"offsets", "translate", "--topic", "orders", "--partition", "0", "--offset", "-1"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_NE(r.err.find("--offset"), std::string::npos) << r.err;

  r = Cli({"offsets", "translate", "--topic", "bad topic", "--partition", "0", "--offset", "1"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_NE(r.err.find("bad topic"), std::string::npos) << r.err;

  EXPECT_EQ(Cli({"offsets", "translate", "--topic", "orders", "--partition", "0"}).code,
            kExitUsage);                         // --offset missing
  EXPECT_EQ(Cli({"offsets"}).code, kExitUsage);  // no action

  // A corrupt record names its key.
  const std::string key = keys_.RestoreOffsetMap("orders", 0, kCluster, "orders-copy");
  ASSERT_TRUE(store_->Put(key, "{\"format_version\": 1}").ok());
  r = Cli({"offsets", "translate", "--topic", "orders", "--partition", "0", "--offset", "1"});
  EXPECT_EQ(r.code, kExitFailure);
  EXPECT_NE(r.err.find(key), std::string::npos) << r.err;
}

TEST_F(OffsetsCommandTest, ExportCsvAndJson) {
  SaveRestore(0, kCluster, "orders-copy");
  SaveRestore(2, kCluster, "orders-copy", /*complete=*/false);
  SaveRestore(2, kOtherCluster, "orders");
  Run r = Cli({"offsets", "export", "--topic", "orders"});
  EXPECT_EQ(r.code, kExitOk) << r.err;
  const std::string c = kCluster, o = kOtherCluster;
  EXPECT_EQ(r.out,
            "source_topic,partition,cluster_id,target_topic,complete,source_start,source_end,"
            "target_start,target_end,target_partition\n"
            "orders,0," +
                c +
                ",orders-copy,true,0,2,100,102,0\n"
                "orders,0," +
                c +
                ",orders-copy,true,7,9,103,105,0\n"
                "orders,2," +
                c +
                ",orders-copy,false,0,2,100,102,2\n"
                "orders,2," +
                c +
                ",orders-copy,false,7,9,103,105,2\n"
                "orders,2," +
                o +
                ",orders,true,0,2,100,102,2\n"
                "orders,2," +
                o + ",orders,true,7,9,103,105,2\n");

  r = Cli({"offsets", "export", "--topic", "orders", "--partition", "2", "--cluster-id",
           kOtherCluster, "--format", "json"});
  EXPECT_EQ(r.code, kExitOk) << r.err;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["restores"].size(), 1u);
  const auto& rec = j["restores"][0];
  EXPECT_EQ(rec["partition"], 2);
  EXPECT_EQ(rec["target_topic"], "orders");
  EXPECT_EQ(rec["records"], 6);
  EXPECT_EQ(rec["target_start"], 100);
  EXPECT_EQ(rec["target_end"], 106);
  ASSERT_EQ(rec["runs"].size(), 2u);
  EXPECT_EQ(rec["runs"][1]["source_start"], 7);
  EXPECT_EQ(rec["runs"][1]["target_end"], 105);

  r = Cli({"offsets", "export", "--topic", "orders", "--partition", "0", "--partition", "1"});
  EXPECT_EQ(r.code, kExitFailure);
  EXPECT_NE(r.err.find("orders/1"), std::string::npos) << r.err;

  r = Cli({"offsets", "export", "--topic", "nothing"});
  EXPECT_EQ(r.code, kExitFailure);
  EXPECT_NE(r.err.find("nothing"), std::string::npos) << r.err;

  EXPECT_EQ(Cli({"offsets", "export", "--topic", "orders", "--format", "xml"}).code, kExitUsage);
}

}  // namespace
}  // namespace kb::cli
