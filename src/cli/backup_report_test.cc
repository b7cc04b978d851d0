#include "cli/backup_report.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

namespace kb::cli {
namespace {

BackupReport TwoTopics() {
  BackupReport r;
  r.AddSegment("orders", 0, 100, 102400, 30000);
  r.AddSegment("orders", 1, 50, 51200, 15000);
  r.AddSegment("orders", 0, 10, 10240, 4000);
  r.AddGap("orders", 2, 7);
  r.AddSegment("audit", 3, 1, 10, 200);
  r.AddRecordsRead(161);
  r.SetStoreRequests({{"put", 9}, {"get", 2}});
  return r;
}

TEST(BackupReportTest, TextNamesTotalsAndEveryTopic) {
  std::ostringstream out;
  TwoTopics().Print(/*once=*/true, 1.25, Status::OK(), /*json=*/false, out);
  const std::string text = out.str();
  EXPECT_NE(text.find("backup --once finished in 1.2 s: 161 records (160.0 KiB) of 4 partitions in "
                      "4 segments, 48.0 KiB stored, 7 gap records\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("TOPIC"), std::string::npos) << text;
  EXPECT_NE(text.find("audit "), std::string::npos) << text;
  EXPECT_NE(text.find("orders "), std::string::npos) << text;
  EXPECT_NE(text.find("store requests: put 9, get 2\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("error"), std::string::npos) << text;
}

TEST(BackupReportTest, JsonCarriesTheSameNumbers) {
  std::ostringstream out;
  TwoTopics().Print(/*once=*/true, 2.5, Status::OK(), /*json=*/true, out);
  const nlohmann::json j = nlohmann::json::parse(out.str());
  EXPECT_EQ(j["command"], "backup");
  EXPECT_EQ(j["mode"], "once");
  EXPECT_EQ(j["result"], "ok");
  EXPECT_FALSE(j.contains("error"));
  EXPECT_DOUBLE_EQ(j["seconds"].get<double>(), 2.5);
  EXPECT_EQ(j["records"], 161);
  EXPECT_EQ(j["records_read"], 161);
  EXPECT_EQ(j["payload_bytes"], 102400 + 51200 + 10240 + 10);
  EXPECT_EQ(j["stored_bytes"], 30000 + 15000 + 4000 + 200);
  EXPECT_EQ(j["segments"], 4);
  EXPECT_EQ(j["gap_records"], 7);
  EXPECT_EQ(j["partitions"], 4);
  ASSERT_EQ(j["topics"].size(), 2u);
  EXPECT_EQ(j["topics"][0]["topic"], "audit");
  EXPECT_EQ(j["topics"][1]["topic"], "orders");
  EXPECT_EQ(j["topics"][1]["partitions"], 3);
  EXPECT_EQ(j["topics"][1]["records"], 160);
  EXPECT_EQ(j["topics"][1]["segments"], 3);
  EXPECT_EQ(j["topics"][1]["gap_records"], 7);
  EXPECT_EQ(j["store_requests"]["put"], 9);
  EXPECT_EQ(j["store_requests"]["get"], 2);
}

TEST(BackupReportTest, AFailedRunSaysSoWithItsError) {
  BackupReport r;
  r.AddSegment("orders", 0, 5, 50, 40);
  r.AddRecordsRead(20);
  const Status failed = Status::PermissionDenied("orders/0", "not authorized to READ topic orders");
  std::ostringstream text;
  r.Print(/*once=*/false, 3.0, failed, /*json=*/false, text);
  EXPECT_NE(text.str().find("backup FAILED in 3.0 s: 5 records"), std::string::npos) << text.str();
  EXPECT_NE(text.str().find("error: " + failed.ToString()), std::string::npos) << text.str();
  EXPECT_NE(text.str().find("20 records read"), std::string::npos) << text.str();
  std::ostringstream json;
  r.Print(/*once=*/false, 3.0, failed, /*json=*/true, json);
  const nlohmann::json j = nlohmann::json::parse(json.str());
  EXPECT_EQ(j["mode"], "daemon");
  EXPECT_EQ(j["result"], "failed");
  EXPECT_EQ(j["error"], failed.ToString());
  EXPECT_EQ(j["records"], 5);
  EXPECT_EQ(j["records_read"], 20);
}

TEST(BackupReportTest, NothingBackedUpIsStillAReport) {
  std::ostringstream out;
  BackupReport().Print(/*once=*/true, 0.3, Status::OK(), /*json=*/false, out);
  EXPECT_EQ(out.str(),
            "backup --once finished in 0.3 s: 0 records (0 B) of 0 partitions in 0 segments, 0 B "
            "stored\n");
}

}  // namespace
}  // namespace kb::cli
