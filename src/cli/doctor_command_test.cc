// `doctor` through RunCli without services: a bad config, a config without a cluster over a local
// store (the store check passes, the kafka check fails naming the key), and the JSON form.
#include "cli/doctor_command.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/app.h"
#include "testing/test_env.h"

namespace kb::cli {
namespace {

struct DoctorRun {
  int code;
  std::string out;
  std::string err;
};

DoctorRun Cli(const std::vector<std::string>& args) {
  std::ostringstream out, err;
  int code = RunCli(args, out, err);
  return {code, out.str(), err.str()};
}

TEST(DoctorTest, BadConfigIsItsFirstCheckAndExitsTwo) {
  kb::testing::TempDir dir;
  const std::string path = dir.path() + "/kb.yaml";
  std::ofstream(path) << "storage:\n  locl: {}\n";
  DoctorRun r = Cli({"doctor", "--config", path});
  EXPECT_EQ(r.code, kExitUsage) << r.out << r.err;
  EXPECT_NE(r.out.find("FAIL  config"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("storage.locl"), std::string::npos) << r.out;
  for (const char* skipped : {"SKIP  kafka", "SKIP  acls", "SKIP  store", "SKIP  clock"}) {
    EXPECT_NE(r.out.find(skipped), std::string::npos) << skipped << "\n" << r.out;
  }
}

TEST(DoctorTest, LocalStoreWithoutClusterFailsTheKafkaCheckOnly) {
  kb::testing::TempDir dir;
  const std::string path = dir.path() + "/kb.yaml";
  std::ofstream(path) << "storage:\n  prefix: p\n  local:\n    path: " << dir.path() << "/store\n";
  DoctorRun r = Cli({"doctor", "--config", path, "--output", "json"});
  EXPECT_EQ(r.code, kExitFailure) << r.out << r.err;
  nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["ok"], false);
  std::map<std::string, nlohmann::json> by_name;
  for (const auto& c : j["checks"]) by_name[c["name"]] = c;
  ASSERT_EQ(by_name.size(), 5u) << r.out;
  EXPECT_EQ(by_name["config"]["result"], "ok");
  EXPECT_EQ(by_name["kafka"]["result"], "fail");
  EXPECT_NE(by_name["kafka"]["detail"].get<std::string>().find("kafka.bootstrap.servers"),
            std::string::npos);
  EXPECT_FALSE(by_name["kafka"]["fix"].get<std::string>().empty());
  EXPECT_EQ(by_name["acls"]["result"], "skip");
  EXPECT_EQ(by_name["store"]["result"], "ok") << by_name["store"];
  EXPECT_EQ(by_name["clock"]["result"], "skip");
  EXPECT_NE(r.err.find("1 of 5 checks failed"), std::string::npos) << r.err;
  // The probe object is gone again.
  std::error_code ec;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir.path() + "/store", ec)) {
    EXPECT_FALSE(e.is_regular_file()) << e.path();
  }
}

TEST(DoctorTest, UnusableLocalStoreIsNamedWithItsFix) {
  kb::testing::TempDir dir;
  const std::string path = dir.path() + "/kb.yaml";
  std::ofstream(dir.path() + "/file") << "a file, not a directory\n";  // refused even to root
  std::ofstream(path) << "storage:\n  retry_timeout: 1s\n  local:\n    path: " << dir.path()
                      << "/file\n";
  DoctorRun r = Cli({"doctor", "--config", path});
  EXPECT_EQ(r.code, kExitFailure);
  EXPECT_NE(r.out.find("FAIL  store"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("storage.local.path (" + dir.path() + "/file)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("SKIP  clock"), std::string::npos) << r.out;
}

TEST(DoctorTest, TextFormatMarksEachCheck) {
  std::vector<DoctorCheck> checks = {
      {"config", DoctorCheck::Outcome::kOk, "valid", ""},
      {"store", DoctorCheck::Outcome::kFail, "put k: PermissionDenied", "check the credentials"},
      {"clock", DoctorCheck::Outcome::kSkip, "needs the store", ""},
      {"acls", DoctorCheck::Outcome::kWarn, "cluster ACLs cannot be listed", "grant DESCRIBE"}};
  const std::string text = FormatDoctorText(checks);
  EXPECT_NE(
      text.find("WARN  acls   cluster ACLs cannot be listed\n              fix: grant DESCRIBE"),
      std::string::npos)
      << text;
  EXPECT_NE(text.find("1 of 4 checks failed (1 warning)"), std::string::npos) << text;
  const std::string json = FormatDoctorJson(checks);
  EXPECT_NE(json.find("\"result\": \"warn\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"ok\": false"), std::string::npos) << json;  // the store failed
  EXPECT_NE(FormatDoctorText({checks[0], checks[3]}).find("all checks passed (1 warning)"),
            std::string::npos);
  EXPECT_NE(FormatDoctorJson({checks[0], checks[3]}).find("\"ok\": true"), std::string::npos);
  EXPECT_NE(text.find("OK    config valid"), std::string::npos) << text;
  EXPECT_NE(text.find("FAIL  store  put k"), std::string::npos) << text;
  EXPECT_NE(text.find("fix: check the credentials"), std::string::npos) << text;
  EXPECT_NE(text.find("SKIP  clock  needs the store"), std::string::npos) << text;
}

}  // namespace
}  // namespace kb::cli
