#include "cli/app.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "testing/test_env.h"

namespace kb::cli {
namespace {

struct CliRun {
  int code;
  std::string out;
  std::string err;
};

CliRun Cli(std::vector<std::string> args) {
  std::ostringstream out, err;
  int code = RunCli(args, out, err);
  return {code, out.str(), err.str()};
}

TEST(CliTest, VersionPrintsVersion) {
  CliRun r = Cli({"--version"});
  EXPECT_EQ(r.code, kExitOk);
  EXPECT_NE(r.out.find("kafka-backup 0."), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("(librdkafka 2."), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(", glibc malloc)"), std::string::npos) << "test binaries: " << r.out;
}

TEST(CliTest, HelpListsEveryCommand) {
  CliRun r = Cli({"--help"});
  EXPECT_EQ(r.code, kExitOk);
  for (const char* cmd : {"backup", "restore", "ls", "verify", "status", "offsets", "doctor"}) {
    EXPECT_NE(r.out.find(cmd), std::string::npos) << cmd << " missing from:\n" << r.out;
  }
}

TEST(CliTest, NoCommandIsUsageError) { EXPECT_EQ(Cli({}).code, kExitUsage); }

TEST(CliTest, UnknownCommandIsNamed) {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"bogus"}, {"--log-level", "warn", "bogus", "--x"}}) {
    CliRun r = Cli(args);
    EXPECT_EQ(r.code, kExitUsage);
    EXPECT_NE(r.err.find("unknown command 'bogus'"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("backup, restore"), std::string::npos) << r.err;
  }
  // A known command with a bad flag keeps CLI11's message naming the flag.
  CliRun known = Cli({"ls", "--bogus"});
  EXPECT_EQ(known.err.find("unknown command"), std::string::npos) << known.err;
}

TEST(CliTest, UnknownFlagIsUsageError) {
  CliRun r = Cli({"ls", "--no-such-flag"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_NE(r.err.find("no-such-flag"), std::string::npos) << r.err;
}

TEST(CliTest, MissingConfigFileIsUsageError) {
  CliRun r = Cli({"--config", "/nonexistent/kb.yaml", "ls"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_NE(r.err.find("/nonexistent/kb.yaml"), std::string::npos) << r.err;
}

TEST(CliTest, UnknownConfigKeyIsNamedAndRejected) {
  testing::TempDir dir;
  std::string path = dir.path() + "/kb.yaml";
  std::ofstream(path) << "kafka:\n  bootstrap.servers: 127.0.0.1:1\nstorage:\n  locl: {}\n";
  CliRun r = Cli({"--config", path, "ls"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_NE(r.err.find("storage.locl"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("unknown configuration key"), std::string::npos) << r.err;
}

TEST(CliTest, UnknownKafkaPropertyIsNamedAndRejected) {
  testing::TempDir dir;
  std::string path = dir.path() + "/kb.yaml";
  std::ofstream(path) << "kafka:\n  bootstrap.servers: 127.0.0.1:1\n  no.such.property: 1\n";
  CliRun r = Cli({"--config", path, "ls"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_NE(r.err.find("kafka.no.such.property"), std::string::npos) << r.err;
}

// Each command with the arguments it needs to get past parsing (no store or cluster is reached:
// the config is refused first).
std::vector<std::vector<std::string>> EveryCommand() {
  return {{"backup"},
          {"backup", "--once"},
          {"restore"},
          {"ls"},
          {"verify"},
          {"status"},
          {"prune"},
          {"offsets", "translate", "--topic", "t", "--partition", "0", "--offset", "1"},
          {"offsets", "export", "--topic", "t"}};
}

TEST(CliTest, GlobalOptionsAreAcceptedBeforeOrAfterEveryCommand) {
  testing::TempDir dir;
  // A config with an unknown key: getting its error proves --config was parsed and read.
  std::string path = dir.path() + "/kb.yaml";
  std::ofstream(path) << "storage:\n  locl: {}\n";
  for (const std::vector<std::string>& cmd : EveryCommand()) {
    std::vector<std::string> before = {"--log-level", "warn", "--config", path};
    before.insert(before.end(), cmd.begin(), cmd.end());
    std::vector<std::string> after = cmd;
    after.insert(after.end(), {"--config", path, "--log-level", "warn"});
    std::vector<std::string> mixed = {"-c", path};
    mixed.insert(mixed.end(), cmd.begin(), cmd.end());
    mixed.insert(mixed.end(), {"--log-level", "warn"});
    for (const auto& args : {before, after, mixed}) {
      CliRun r = Cli(args);
      std::string line;
      for (const std::string& a : args) line += a + " ";
      EXPECT_EQ(r.code, kExitUsage) << line;
      EXPECT_NE(r.err.find("storage.locl"), std::string::npos) << line << "\n" << r.err;
      EXPECT_EQ(r.err.find("not expected"), std::string::npos) << line << "\n" << r.err;
    }
    // A bad --log-level after the command is checked as the global option it is.
    std::vector<std::string> bad = cmd;
    bad.insert(bad.end(), {"--log-level", "loud"});
    CliRun r = Cli(bad);
    EXPECT_EQ(r.code, kExitUsage) << cmd[0];
    EXPECT_NE(r.err.find("--log-level"), std::string::npos) << cmd[0] << "\n" << r.err;
  }
}

TEST(CliTest, GlobalOptionGivenTwiceIsUsageErrorNamingIt) {
  testing::TempDir dir;
  std::string path = dir.path() + "/kb.yaml";
  std::ofstream(path) << "{}\n";
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"--config", path, "ls", "--config", path},
        {"--config", path, "--config", path, "status"},
        {"verify", "--config", path, "-c", path},
        {"--log-level", "warn", "offsets", "export", "--topic", "t", "--log-level", "info"}}) {
    CliRun r = Cli(args);
    EXPECT_EQ(r.code, kExitUsage) << args[0] << " " << args[2];
    EXPECT_TRUE(r.err.find("--config") != std::string::npos ||
                r.err.find("--log-level") != std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find("At Most 1"), std::string::npos) << r.err;
  }
}

TEST(CliTest, StatusIntervalNeedsWatchAndARange) {
  CliRun alone = Cli({"status", "--interval", "3"});
  EXPECT_EQ(alone.code, kExitUsage);
  EXPECT_NE(alone.err.find("--interval requires --watch"), std::string::npos) << alone.err;
  for (const char* bad : {"0", "-1", "1.5", "86401"}) {
    CliRun r = Cli({"status", "--watch", "--interval", bad});
    EXPECT_EQ(r.code, kExitUsage) << bad;
    EXPECT_NE(r.err.find("--interval"), std::string::npos) << bad << ": " << r.err;
  }
}

TEST(CliTest, RestoreMetricsFileIsRefusedWithDryRun) {
  CliRun r = Cli({"restore", "--dry-run", "--metrics-file", "/tmp/x.prom"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_NE(r.err.find("--dry-run excludes --metrics-file"), std::string::npos) << r.err;
}

TEST(CliTest, RestoreBadSelectionIsUsageErrorNamingTheFlag) {
  // Every planned command is wired now; restore checks its flags before touching store or cluster.
  CliRun r = Cli({"restore", "--topic", "t", "--offsets", "0=5-1"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_NE(r.err.find("--offsets"), std::string::npos) << r.err;
  r = Cli({"restore", "--from", "2026-11-21T10:00:00Z", "--to", "2026-11-20T10:00:00Z"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_NE(r.err.find("--from"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace kb::cli
