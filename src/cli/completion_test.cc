// The completion scripts of `kafka-backup completion bash|zsh|fish`, checked against the --help of
// every command (what the parser really accepts, found independently of the generator) and run in
// the real shells: bash's completion function, zsh's (with its completion-system builtins replaced
// by functions that print what they were given) and fish's `complete -C`.
#include "cli/completion.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "cli/app.h"
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

// The lines of the section `title` ("Options:", "Subcommands:") of a --help text.
std::vector<std::string> Section(const std::string& help, const std::string& title) {
  std::vector<std::string> lines;
  std::istringstream in(help);
  bool inside = false;
  for (std::string line; std::getline(in, line);) {
    if (line == title) {
      inside = true;
    } else if (inside && line.empty()) {
      inside = false;
    } else if (inside) {
      lines.push_back(line);
    }
  }
  return lines;
}

struct HelpCommand {
  std::vector<std::string> path;  // words after kafka-backup
  std::vector<std::string> options;
  std::vector<std::string> subcommands;
};

// Every command reachable from `kafka-backup --help`, with what its own --help lists.
std::vector<HelpCommand> CommandsFromHelp() {
  std::vector<HelpCommand> out;
  std::vector<std::vector<std::string>> pending = {{}};
  while (!pending.empty()) {
    HelpCommand cmd{.path = pending.front()};
    pending.erase(pending.begin());
    std::vector<std::string> args = cmd.path;
    args.push_back("--help");
    CliRun help = Cli(args);
    EXPECT_EQ(help.code, kExitOk) << help.err;
    for (const std::string& line : Section(help.out, "Options:")) {
      std::istringstream words(line);
      std::string names;
      words >> names;
      if (!names.starts_with("-")) continue;  // a continued description
      std::istringstream split(names);
      for (std::string n; std::getline(split, n, ',');) cmd.options.push_back(n);
    }
    for (const std::string& line : Section(help.out, "Subcommands:")) {
      std::istringstream words(line);
      std::string name;
      words >> name;
      cmd.subcommands.push_back(name);
      std::vector<std::string> sub = cmd.path;
      sub.push_back(name);
      pending.push_back(sub);
    }
    out.push_back(cmd);
  }
  return out;
}

struct ShellRun {
  int status;
  std::string out;
};

ShellRun Shell(const std::string& command) {
  FILE* p = popen((command + " 2>&1").c_str(), "r");
  if (p == nullptr) return {-1, "popen failed"};
  std::string out;
  char buf[4096];
  for (size_t n; (n = fread(buf, 1, sizeof(buf), p)) > 0;) out.append(buf, n);
  return {pclose(p), out};
}

bool HasShell(const std::string& name) {
  return Shell("command -v " + name + " >/dev/null").status == 0;
}

std::string Script(const std::string& shell) {
  CliRun r = Cli({"completion", shell});
  EXPECT_EQ(r.code, kExitOk) << r.err;
  return r.out;
}

void WriteFile(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

std::string Quoted(const std::string& w) { return "'" + w + "'"; }

// The answers to `queries` (the words of a command line, the last one being completed), each a
// set of candidates, from a shell script that prints each answer's lines followed by "--END--".
std::vector<std::set<std::string>> Answers(const ShellRun& run, size_t queries) {
  std::vector<std::set<std::string>> answers(1);
  std::istringstream in(run.out);
  for (std::string line; std::getline(in, line);) {
    if (line == "--END--") {
      answers.emplace_back();
    } else {
      answers.back().insert(line.substr(0, line.find('\t')));  // fish: "candidate\tdescription"
    }
  }
  answers.pop_back();
  EXPECT_EQ(answers.size(), queries) << run.out;
  answers.resize(queries);
  return answers;
}

using Query = std::vector<std::string>;

// Runs each query through bash's completion function _kafka_backup.
std::vector<std::set<std::string>> BashComplete(const testing::TempDir& dir,
                                                const std::vector<Query>& queries) {
  WriteFile(dir.path() + "/kafka-backup.bash", Script("bash"));
  std::string driver = "source " + dir.path() +
                       "/kafka-backup.bash\n"
                       "q() { COMP_WORDS=(\"$@\"); COMP_CWORD=$(($# - 1)); COMPREPLY=();\n"
                       "  _kafka_backup 2>/dev/null; ((${#COMPREPLY[@]} == 0)) || printf '%s\\n' "
                       "\"${COMPREPLY[@]}\"; "
                       "echo --END--; }\n";
  for (const Query& q : queries) {
    driver += "q";
    for (const std::string& w : q) driver += " " + Quoted(w);
    driver += "\n";
  }
  WriteFile(dir.path() + "/driver.bash", driver);
  return Answers(Shell("bash --norc --noprofile " + dir.path() + "/driver.bash"), queries.size());
}

// Runs each query through fish's own completion (`complete -C`) with the fish script loaded.
std::vector<std::set<std::string>> FishComplete(const testing::TempDir& dir,
                                                const std::vector<Query>& queries) {
  WriteFile(dir.path() + "/kafka-backup.fish", Script("fish"));
  std::string driver = "source " + dir.path() + "/kafka-backup.fish\n";
  for (const Query& q : queries) {
    std::string line;
    for (const std::string& w : q) line += (line.empty() ? "" : " ") + w;
    driver += "complete -C " + Quoted(line) + "\necho -- --END--\n";
  }
  WriteFile(dir.path() + "/driver.fish", driver);
  return Answers(Shell("fish --no-config " + dir.path() + "/driver.fish"), queries.size());
}

// For every command of --help: each long option typed in full, each short one after "-" (fish
// completes a typed "-h" to further short options, "-hc"), and the empty word (its subcommands).
std::vector<Query> EveryCommandAndOption(const std::vector<HelpCommand>& commands) {
  std::vector<Query> queries;
  for (const HelpCommand& c : commands) {
    Query base = {"kafka-backup"};
    base.insert(base.end(), c.path.begin(), c.path.end());
    for (const std::string& o : c.options) {
      queries.push_back(base);
      queries.back().push_back(o.starts_with("--") ? o : "-");
    }
    if (!c.subcommands.empty()) {
      queries.push_back(base);
      queries.back().push_back("");
    }
  }
  return queries;
}

void ExpectEveryCommandAndOption(const std::vector<HelpCommand>& commands,
                                 const std::vector<std::set<std::string>>& answers,
                                 const std::string& shell) {
  size_t i = 0;
  for (const HelpCommand& c : commands) {
    std::string at = "kafka-backup";
    for (const std::string& w : c.path) at += " " + w;
    for (const std::string& o : c.options) {
      EXPECT_TRUE(answers[i++].contains(o)) << shell << ": " << at << " " << o;
    }
    if (c.subcommands.empty()) continue;
    for (const std::string& s : c.subcommands) {
      EXPECT_TRUE(answers[i].contains(s)) << shell << ": " << at << " <TAB> misses " << s;
    }
    EXPECT_FALSE(answers[i].contains("completion")) << shell << ": the hidden command offered";
    ++i;
  }
}

TEST(CompletionTest, HelpListsTheCommandsTheTestWalks) {
  std::vector<HelpCommand> commands = CommandsFromHelp();
  std::set<std::string> top(commands[0].subcommands.begin(), commands[0].subcommands.end());
  for (const char* c : {"backup", "restore", "ls", "verify", "status", "offsets", "prune"}) {
    EXPECT_TRUE(top.contains(c)) << c;
  }
  EXPECT_FALSE(top.contains("completion")) << "completion is hidden";
  size_t options = 0;
  for (const HelpCommand& c : commands) options += c.options.size();
  EXPECT_GT(commands.size(), 9u);  // the 7 commands, offsets translate and export
  EXPECT_GT(options, 60u);
}

TEST(CompletionTest, BashCompletesEveryCommandAndOption) {
  testing::TempDir dir;
  std::vector<HelpCommand> commands = CommandsFromHelp();
  std::vector<Query> queries = EveryCommandAndOption(commands);
  ExpectEveryCommandAndOption(commands, BashComplete(dir, queries), "bash");
}

TEST(CompletionTest, FishCompletesEveryCommandAndOption) {
  if (!HasShell("fish")) GTEST_SKIP() << "fish is not installed (scripts/install-deps.sh)";
  testing::TempDir dir;
  std::vector<HelpCommand> commands = CommandsFromHelp();
  std::vector<Query> queries = EveryCommandAndOption(commands);
  ExpectEveryCommandAndOption(commands, FishComplete(dir, queries), "fish");
}

// What follows an option: its file, its choices, nothing for a free value; option values are not
// taken for commands.
TEST(CompletionTest, BashAndFishCompleteOptionValues) {
  testing::TempDir dir;
  WriteFile(dir.path() + "/conf-prod.yaml", "{}");
  const std::vector<Query> queries = {
      {"kafka-backup", "restore", "--output", ""},
      {"kafka-backup", "--log-level", "w"},
      {"kafka-backup", "--config", dir.path() + "/conf-"},
      {"kafka-backup", "--config", "offsets", ""},  // "offsets" is the file name here
      {"kafka-backup", "--log-level", "info", "offsets", ""},
      {"kafka-backup", "offsets", "export", "--format", ""},
      {"kafka-backup", "restore", "--topic", ""},
      {"kafka-backup", "restore", "--dry-run", "--ou"},
  };
  std::vector<std::vector<std::set<std::string>>> runs = {BashComplete(dir, queries)};
  if (HasShell("fish")) runs.push_back(FishComplete(dir, queries));
  for (const auto& a : runs) {
    EXPECT_EQ(a[0], (std::set<std::string>{"json", "text"}));
    EXPECT_EQ(a[1], (std::set<std::string>{"warn"}));
    EXPECT_EQ(a[2], (std::set<std::string>{dir.path() + "/conf-prod.yaml"}));
    EXPECT_TRUE(a[3].contains("backup") && !a[3].contains("translate"));
    EXPECT_EQ(a[4], (std::set<std::string>{"export", "translate"}));
    EXPECT_EQ(a[5], (std::set<std::string>{"csv", "json"}));
    EXPECT_TRUE(a[6].empty()) << *a[6].begin();
    EXPECT_EQ(a[7], (std::set<std::string>{"--output"}));
  }
}

// zsh: the script's function with _describe, compadd, _files and _message replaced by functions
// printing what they got (the completion system itself needs a terminal).
TEST(CompletionTest, ZshCompletes) {
  if (!HasShell("zsh")) GTEST_SKIP() << "zsh is not installed (scripts/install-deps.sh)";
  testing::TempDir dir;
  WriteFile(dir.path() + "/_kafka-backup", Script("zsh"));
  WriteFile(dir.path() + "/driver.zsh",
            "compdef() { COMPDEF=\"$*\" }\n"
            "_describe() { print -rl -- \"${(@P)4}\" }\n"
            "compadd() { shift; print -rl -- \"$@\" }\n"
            "_files() { print -r -- FILES }\n"
            "_message() { print -r -- MESSAGE }\n"
            "source " +
                dir.path() +
                "/_kafka-backup\n"
                "q() { words=(\"$@\"); CURRENT=$#; PREFIX=${@[-1]}; _kafka_backup; "
                "print -r -- --END-- }\n"
                "q kafka-backup offsets ''\n"
                "q kafka-backup restore --output ''\n"
                "q kafka-backup --config ''\n"
                "q kafka-backup backup --\n"
                "q kafka-backup restore --topic ''\n"
                "print -r -- \"compdef $COMPDEF\"; print -- --END--\n");
  ShellRun run = Shell("zsh -f " + dir.path() + "/driver.zsh");
  EXPECT_EQ(run.status, 0) << run.out;
  std::vector<std::set<std::string>> a = Answers(run, 6);
  // The first word of "name:description".
  std::set<std::string> offsets;
  for (const std::string& e : a[0]) offsets.insert(e.substr(0, e.find(':')));
  EXPECT_EQ(offsets, (std::set<std::string>{"translate", "export"})) << run.out;
  EXPECT_EQ(a[1], (std::set<std::string>{"json", "text"})) << run.out;
  EXPECT_EQ(a[2], (std::set<std::string>{"FILES"})) << run.out;
  EXPECT_TRUE(std::any_of(a[3].begin(), a[3].end(), [](const std::string& e) {
    return e.starts_with("--once:Snapshot");
  })) << run.out;
  EXPECT_EQ(a[4], (std::set<std::string>{"MESSAGE"})) << run.out;
  // Sourced (not autoloaded from $fpath), the script registers itself.
  EXPECT_EQ(a[5], (std::set<std::string>{"compdef _kafka_backup kafka-backup"})) << run.out;
}

TEST(CompletionTest, ScriptsAreValidSyntax) {
  testing::TempDir dir;
  const std::map<std::string, std::string> checks = {
      {"bash", "bash -n"}, {"zsh", "zsh -n"}, {"fish", "fish --no-execute"}};
  std::string missing;
  for (const auto& [shell, check] : checks) {
    if (shell != "bash" && !HasShell(shell)) {
      missing += " " + shell;
      continue;
    }
    const std::string file = dir.path() + "/script." + shell;
    WriteFile(file, Script(shell));
    ShellRun run = Shell(check + " " + file);
    EXPECT_EQ(run.status, 0) << shell << ":\n" << run.out;
  }
  if (!missing.empty()) {
    GTEST_SKIP() << "not installed, not checked:" << missing << " (scripts/install-deps.sh)";
  }
}

TEST(CompletionTest, UnknownShellIsUsageError) {
  CliRun r = Cli({"completion", "tcsh"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_NE(r.err.find("tcsh"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("unknown command"), std::string::npos) << r.err;
  EXPECT_EQ(Cli({"completion"}).code, kExitUsage);
}

TEST(CompletionTest, HiddenFromHelp) {
  CliRun r = Cli({"--help"});
  EXPECT_EQ(r.out.find("completion"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace kb::cli
