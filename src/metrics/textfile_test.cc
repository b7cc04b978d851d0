#include "metrics/textfile.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "testing/test_env.h"

namespace kb::metrics {
namespace {

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(TextfileTest, WritesGaugesInTheTextFormatAndReadsThemBack) {
  kb::testing::TempDir dir;
  const std::string path = dir.path() + "/kb.prom";
  ASSERT_TRUE(WriteTextfile(path, {{"kafka_backup_x_seconds", "An x.", 1.5},
                                   {"kafka_backup_y", "A y.", 1764900000}})
                  .ok());
  const std::string text = Read(path);
  EXPECT_NE(text.find("# HELP kafka_backup_x_seconds An x.\n"), std::string::npos) << text;
  EXPECT_NE(text.find("# TYPE kafka_backup_x_seconds gauge\n"), std::string::npos) << text;
  EXPECT_EQ(ReadTextfileGauge(path, "kafka_backup_x_seconds"), 1.5);
  EXPECT_EQ(ReadTextfileGauge(path, "kafka_backup_y"), 1764900000);
  EXPECT_EQ(ReadTextfileGauge(path, "kafka_backup_x"), std::nullopt);  // a prefix is no match
  EXPECT_EQ(ReadTextfileGauge(dir.path() + "/absent.prom", "kafka_backup_y"), std::nullopt);
  // Replaced as a whole, and no temp file is left behind.
  ASSERT_TRUE(WriteTextfile(path, {{"kafka_backup_z", "A z.", 2}}).ok());
  EXPECT_EQ(ReadTextfileGauge(path, "kafka_backup_y"), std::nullopt);
  EXPECT_EQ(ReadTextfileGauge(path, "kafka_backup_z"), 2);
  size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) files += e.exists();
  EXPECT_EQ(files, 1u);
}

TEST(TextfileTest, UnwritablePathIsNamedWithTheFlag) {
  EXPECT_FALSE(CheckTextfileWritable("/nonexistent-dir/kb.prom").ok());
  kb::testing::TempDir dir;
  EXPECT_TRUE(CheckTextfileWritable(dir.path() + "/kb.prom").ok());
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/kb.prom"));
  Status s = WriteTextfile("/nonexistent-dir/kb.prom", {{"kafka_backup_z", "A z.", 2}});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.ToString().find("--metrics-file /nonexistent-dir/kb.prom"), std::string::npos)
      << s.ToString();
  EXPECT_NE(s.ToString().find("No such file or directory"), std::string::npos) << s.ToString();
}

}  // namespace
}  // namespace kb::metrics
