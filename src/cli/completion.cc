#include "cli/completion.h"

#include <algorithm>
#include <sstream>
#include <vector>

#include "cli/app.h"

namespace kb::cli {
namespace {

enum class ValueKind { kNone, kFile, kChoice, kWord };

struct OptionSpec {
  std::vector<std::string> names;  // "--config", "-c"
  std::string description;         // one short line
  ValueKind value = ValueKind::kNone;
  std::vector<std::string> choices;  // kChoice
};

struct CommandSpec {
  std::string path;                 // "" for the program, "offsets translate" for a nested command
  std::vector<OptionSpec> options;  // what the parser accepts at this command
  std::vector<std::pair<std::string, std::string>> subcommands;  // name, description
};

bool SafeWord(std::string_view w) {
  return !w.empty() && std::all_of(w.begin(), w.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
  });
}

// The first sentence of a help text on one line, at most ~100 characters, printable ASCII only.
std::string ShortDescription(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '.' && (i + 1 == text.size() || text[i + 1] == ' ' || text[i + 1] == '\n')) break;
    if (c == ';' || c == '\n') break;
    if (out.size() >= 100) {
      out += "...";
      break;
    }
    out += (c >= 0x20 && c < 0x7f) ? c : ' ';
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// "TEXT:{text,json}" -> {"text", "json"}; "TEXT:FILE" -> kFile.
Result<OptionSpec> DescribeOption(const CLI::Option& opt) {
  OptionSpec spec;
  for (const std::string& l : opt.get_lnames()) spec.names.push_back("--" + l);
  for (const std::string& s : opt.get_snames()) spec.names.push_back("-" + s);
  for (const std::string& n : spec.names) {
    if (!SafeWord(n)) {
      return Status::FailedPrecondition(n, "option name cannot be put in a completion script");
    }
  }
  spec.description = ShortDescription(opt.get_description());
  if (opt.get_expected_max() == 0) return spec;  // a flag: takes no value
  spec.value = ValueKind::kWord;
  std::stringstream type(opt.get_type_name());
  for (std::string part; std::getline(type, part, ':');) {
    if (part == "FILE" || part == "DIR" || part.starts_with("PATH")) spec.value = ValueKind::kFile;
    if (part.size() < 2 || part.front() != '{' || part.back() != '}') continue;
    std::vector<std::string> choices;
    std::stringstream set(part.substr(1, part.size() - 2));
    bool safe = true;
    for (std::string choice; std::getline(set, choice, ',');) {
      safe = safe && SafeWord(choice);
      choices.push_back(choice);
    }
    if (safe && !choices.empty()) {
      spec.value = ValueKind::kChoice;
      spec.choices = std::move(choices);
    }
  }
  return spec;
}

bool Visible(const CLI::App* sub) {
  return !sub->get_name().empty() && !sub->get_group().empty() && !sub->get_disabled();
}

// Every visible command, depth first, the program first.
Status Collect(const CLI::App& app, const std::string& path,
               const std::vector<OptionSpec>& inherited, std::vector<CommandSpec>& out) {
  CommandSpec cmd{.path = path};
  for (const CLI::Option* opt : app.get_options()) {
    if (!opt->nonpositional() || opt->get_group().empty()) continue;
    KB_ASSIGN_OR_RETURN(OptionSpec spec, DescribeOption(*opt));
    cmd.options.push_back(std::move(spec));
  }
  if (app.get_fallthrough()) {
    for (const OptionSpec& o : inherited) {
      const bool shadowed = std::any_of(cmd.options.begin(), cmd.options.end(), [&](auto& mine) {
        return std::find(mine.names.begin(), mine.names.end(), o.names.front()) != mine.names.end();
      });
      if (!shadowed) cmd.options.push_back(o);
    }
  }
  const std::vector<const CLI::App*> subs = app.get_subcommands(Visible);
  for (const CLI::App* sub : subs) {
    if (!SafeWord(sub->get_name())) {
      return Status::FailedPrecondition(sub->get_name(),
                                        "command name cannot be put in a completion script");
    }
    cmd.subcommands.emplace_back(sub->get_name(), ShortDescription(sub->get_description()));
  }
  const std::vector<OptionSpec> options = cmd.options;
  out.push_back(std::move(cmd));
  for (const CLI::App* sub : subs) {
    KB_RETURN_IF_ERROR(
        Collect(*sub, path.empty() ? sub->get_name() : path + " " + sub->get_name(), options, out));
  }
  return Status::OK();
}

std::string Join(const std::vector<std::string>& words, std::string_view sep = " ") {
  std::string out;
  for (const std::string& w : words) out += (out.empty() ? "" : std::string(sep)) + w;
  return out;
}

// Single-quoted for POSIX shells and zsh.
std::string ShQuote(std::string_view s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Single-quoted for fish (backslash escapes ' and \).
std::string FishQuote(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

// "file", "word" or "choice a b c": what follows an option, as the scripts' value helper says it.
std::string ValueWord(const OptionSpec& o) {
  switch (o.value) {
    case ValueKind::kFile:
      return "file";
    case ValueKind::kChoice:
      return "choice " + Join(o.choices);
    case ValueKind::kWord:
      return "word";
    case ValueKind::kNone:
      break;
  }
  return "";
}

// The case patterns "<path>|<name>" (unquoted) of every option taking a value, grouped by what it
// takes.
std::vector<std::pair<std::string, std::vector<std::string>>> ValueCases(
    const std::vector<CommandSpec>& commands) {
  std::vector<std::pair<std::string, std::vector<std::string>>> cases;
  for (const CommandSpec& c : commands) {
    for (const OptionSpec& o : c.options) {
      if (o.value == ValueKind::kNone) continue;
      const std::string kind = ValueWord(o);
      auto it = std::find_if(cases.begin(), cases.end(), [&](auto& k) { return k.first == kind; });
      if (it == cases.end()) it = cases.insert(cases.end(), {kind, {}});
      for (const std::string& n : o.names) it->second.push_back(c.path + "|" + n);
    }
  }
  return cases;
}

std::vector<std::string> OptionNames(const CommandSpec& c) {
  std::vector<std::string> names;
  for (const OptionSpec& o : c.options) names.insert(names.end(), o.names.begin(), o.names.end());
  return names;
}

std::vector<std::string> CommandNames(const CommandSpec& c) {
  std::vector<std::string> names;
  for (const auto& [name, description] : c.subcommands) names.push_back(name);
  return names;
}

// The word-scanning loop shared by bash and zsh: which command the words before the cursor chose.
// `word_at` is the shell's i-th word; options taking a value skip it.
std::string ScanLoop(std::string_view first, std::string_view last, std::string_view word_at) {
  std::ostringstream s;
  s << "  for ((i = " << first << "; i < " << last << "; i++)); do\n"
    << "    word=" << word_at << "\n"
    << "    case $word in\n"
    << "      --*=*) ;;\n"
    << "      -*) if _kafka_backup_value \"$cmd\" \"$word\" >/dev/null; then ((i++)); fi ;;\n"
    << "      *) if _kafka_backup_is_command \"$cmd\" \"$word\"; then cmd=${cmd:+$cmd }$word; fi "
       ";;\n"
    << "    esac\n"
    << "  done\n";
  return s.str();
}

// Helpers both bash and zsh scripts define the same way (POSIX case statements).
std::string ShellTables(const std::vector<CommandSpec>& commands) {
  std::ostringstream s;
  s << "# The subcommands of command $1 (\"\" is kafka-backup itself).\n"
    << "_kafka_backup_commands() {\n  case $1 in\n";
  for (const CommandSpec& c : commands) {
    if (!c.subcommands.empty()) {
      s << "    " << ShQuote(c.path) << ") echo " << ShQuote(Join(CommandNames(c))) << " ;;\n";
    }
  }
  s << "  esac\n}\n"
    << "_kafka_backup_is_command() {\n"
    << "  case \" $(_kafka_backup_commands \"$1\") \" in *\" $2 \"*) return 0 ;; esac\n"
    << "  return 1\n}\n"
    << "# The options of command $1.\n"
    << "_kafka_backup_options() {\n  case $1 in\n";
  for (const CommandSpec& c : commands) {
    s << "    " << ShQuote(c.path) << ") echo " << ShQuote(Join(OptionNames(c))) << " ;;\n";
  }
  s << "  esac\n}\n"
    << "# What option $2 of command $1 takes: file, word or \"choice <values>\"; status 1 for a "
       "flag.\n"
    << "_kafka_backup_value() {\n  case \"$1|$2\" in\n";
  for (const auto& [kind, patterns] : ValueCases(commands)) {
    std::vector<std::string> quoted;
    for (const std::string& p : patterns) quoted.push_back(ShQuote(p));
    s << "    " << Join(quoted, "|") << ")\n      echo " << ShQuote(kind) << " ;;\n";
  }
  s << "    *) return 1 ;;\n  esac\n}\n";
  return s.str();
}

std::string BashScript(const std::vector<CommandSpec>& commands) {
  std::ostringstream s;
  s << "# bash completion for kafka-backup (generated by `kafka-backup completion bash`)\n"
    << ShellTables(commands) << "_kafka_backup() {\n"
    << "  local cur=${COMP_WORDS[COMP_CWORD]} cmd= word i value\n"
    << ScanLoop("1", "COMP_CWORD", "${COMP_WORDS[i]}")
    << "  if ((COMP_CWORD > 1)) && value=$(_kafka_backup_value \"$cmd\" "
       "\"${COMP_WORDS[COMP_CWORD - 1]}\"); then\n"
    << "    case $value in\n"
    << "      file) compopt -o filenames 2>/dev/null\n"
    << "        mapfile -t COMPREPLY < <(compgen -f -- \"$cur\") ;;\n"
    << "      choice\\ *) mapfile -t COMPREPLY < <(compgen -W \"${value#choice }\" -- \"$cur\") "
       ";;\n"
    << "      *) COMPREPLY=() ;;\n"
    << "    esac\n"
    << "    return 0\n"
    << "  fi\n"
    << "  local commands\n"
    << "  commands=$(_kafka_backup_commands \"$cmd\")\n"
    << "  if [[ $cur == -* || -z $commands ]]; then\n"
    << "    mapfile -t COMPREPLY < <(compgen -W \"$(_kafka_backup_options \"$cmd\")\" -- "
       "\"$cur\")\n"
    << "  else\n"
    << "    mapfile -t COMPREPLY < <(compgen -W \"$commands\" -- \"$cur\")\n"
    << "  fi\n"
    << "}\n"
    << "complete -F _kafka_backup kafka-backup\n";
  return s.str();
}

std::string ZshScript(const std::vector<CommandSpec>& commands) {
  std::ostringstream s;
  s << "#compdef kafka-backup\n"
    << "# zsh completion for kafka-backup (generated by `kafka-backup completion zsh`)\n"
    << ShellTables(commands)
    << "# \"name:description\" of the subcommands (kind commands) or options of command $2.\n"
    << "_kafka_backup_described() {\n  case \"$1|$2\" in\n";
  for (const CommandSpec& c : commands) {
    std::vector<std::string> subs, opts;
    for (const auto& [name, description] : c.subcommands) {
      subs.push_back(ShQuote(name + ":" + description));
    }
    for (const OptionSpec& o : c.options) {
      for (const std::string& n : o.names) opts.push_back(ShQuote(n + ":" + o.description));
    }
    if (!subs.empty()) s << "    " << ShQuote("commands|" + c.path) << ") reply=(" << Join(subs);
    if (!subs.empty()) s << ") ;;\n";
    s << "    " << ShQuote("options|" + c.path) << ") reply=(" << Join(opts) << ") ;;\n";
  }
  s << "    *) reply=() ;;\n  esac\n}\n"
    << "_kafka_backup() {\n"
    << "  local cmd= word i value\n"
    << "  local -a reply\n"
    << ScanLoop("2", "CURRENT", "${words[i]}")
    << "  if ((CURRENT > 2)) && value=$(_kafka_backup_value \"$cmd\" \"${words[CURRENT - 1]}\"); "
       "then\n"
    << "    case $value in\n"
    << "      file) _files ;;\n"
    << "      choice\\ *) compadd -- ${=value#choice } ;;\n"
    << "      *) _message -e value 'value' ;;\n"
    << "    esac\n"
    << "    return\n"
    << "  fi\n"
    << "  _kafka_backup_described commands \"$cmd\"\n"
    << "  if [[ $PREFIX == -* || ${#reply} -eq 0 ]]; then\n"
    << "    _kafka_backup_described options \"$cmd\"\n"
    << "    _describe -t options option reply\n"
    << "  else\n"
    << "    _describe -t commands command reply\n"
    << "  fi\n"
    << "}\n"
    << "# Autoloaded from $fpath (the file _kafka-backup) or sourced.\n"
    << "if [[ ${funcstack[1]} == _kafka-backup ]]; then\n"
    << "  _kafka_backup \"$@\"\n"
    << "else\n"
    << "  compdef _kafka_backup kafka-backup\n"
    << "fi\n";
  return s.str();
}

std::string FishScript(const std::vector<CommandSpec>& commands) {
  std::ostringstream s;
  s << "# fish completion for kafka-backup (generated by `kafka-backup completion fish`)\n"
    << "function __kafka_backup_commands\n    switch $argv[1]\n";
  for (const CommandSpec& c : commands) {
    if (c.subcommands.empty()) continue;
    s << "        case " << FishQuote(c.path) << "\n            printf '%s\\n' "
      << Join(CommandNames(c)) << "\n";
  }
  s << "    end\nend\n"
    << "function __kafka_backup_takes_value\n    switch \"$argv[1]|$argv[2]\"\n";
  std::vector<std::string> patterns;
  for (const auto& [kind, group] : ValueCases(commands)) {
    for (const std::string& p : group) patterns.push_back(FishQuote(p));
  }
  if (!patterns.empty()) s << "        case " << Join(patterns) << "\n            return 0\n";
  s << "    end\n    return 1\nend\n"
    << "# The command the words before the cursor chose (\"\" is kafka-backup itself).\n"
    << "function __kafka_backup_command\n"
    << "    set -l words (commandline -opc)\n"
    << "    set -e words[1]\n"
    << "    set -l cmd ''\n"
    << "    set -l skip 0\n"
    << "    for word in $words\n"
    << "        if test $skip = 1\n            set skip 0\n            continue\n        end\n"
    << "        switch $word\n"
    << "            case '--*=*'\n"
    << "            case '-*'\n"
    << "                __kafka_backup_takes_value \"$cmd\" $word; and set skip 1\n"
    << "            case '*'\n"
    << "                if contains -- $word (__kafka_backup_commands \"$cmd\")\n"
    << "                    set cmd (string trim -- \"$cmd $word\")\n"
    << "                end\n"
    << "        end\n"
    << "    end\n"
    << "    echo $cmd\n"
    << "end\n"
    << "function __kafka_backup_at\n"
    << "    set -l cmd (__kafka_backup_command)\n"
    << "    test \"$cmd\" = \"$argv[1]\"\n"
    << "end\n"
    << "complete -c kafka-backup -f\n";
  for (const CommandSpec& c : commands) {
    const std::string at = "-n " + FishQuote("__kafka_backup_at " + ShQuote(c.path));
    for (const auto& [name, description] : c.subcommands) {
      s << "complete -c kafka-backup " << at << " -a " << name << " -d " << FishQuote(description)
        << "\n";
    }
    for (const OptionSpec& o : c.options) {
      s << "complete -c kafka-backup " << at;
      for (const std::string& n : o.names) {
        s << (n.starts_with("--") ? " -l " + n.substr(2) : " -s " + n.substr(1));
      }
      if (o.value == ValueKind::kFile) s << " -r -F";
      if (o.value == ValueKind::kWord) s << " -x";
      if (o.value == ValueKind::kChoice) s << " -x -a " << FishQuote(Join(o.choices));
      s << " -d " << FishQuote(o.description) << "\n";
    }
  }
  return s.str();
}

}  // namespace

CLI::App* AddCompletionCommand(CLI::App& app, std::string* shell) {
  CLI::App* sub = app.add_subcommand(std::string(kCompletionCommand),
                                     "Print the shell completion script for bash, zsh or fish");
  sub->group("");  // hidden: not in --help, the man page or the completion itself
  sub->add_option("shell", *shell, "bash, zsh or fish")
      ->required()
      ->check(CLI::IsMember({"bash", "zsh", "fish"}));
  return sub;
}

Result<std::string> CompletionScript(const CLI::App& app, std::string_view shell) {
  std::vector<CommandSpec> commands;
  KB_RETURN_IF_ERROR(Collect(app, "", {}, commands));
  if (shell == "bash") return BashScript(commands);
  if (shell == "zsh") return ZshScript(commands);
  if (shell == "fish") return FishScript(commands);
  return Status::InvalidArgument(shell, "no completion for this shell (bash, zsh or fish)");
}

int RunCompletion(const CLI::App& app, std::string_view shell, std::ostream& out,
                  std::ostream& err) {
  Result<std::string> script = CompletionScript(app, shell);
  if (!script.ok()) {
    err << "kafka-backup: " << script.status().ToString() << "\n";
    return script.status().IsInvalidArgument() ? kExitUsage : kExitFailure;
  }
  out << *script;
  return kExitOk;
}

}  // namespace kb::cli
