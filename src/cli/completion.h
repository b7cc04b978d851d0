// Shell completion for kafka-backup, generated from the CLI11 definition of the command line: the
// hidden `kafka-backup completion bash|zsh|fish` prints a script that completes every visible
// subcommand (nested ones too), every option of each, and the values of options that take one
// (file names for FILE options such as --config, the choices of CLI11::IsMember options, nothing
// for free-form values). The package installs the three scripts (built at build time); a user can
// also `source <(kafka-backup completion bash)`.
//
// What is completed follows the parser: at a command, its own options (and its parent's when it
// falls through to it, CLI11's fallthrough()), its subcommands, and after an option that takes a
// value, that value. Hidden commands and options
// (CLI11 group "") and positionals are left out.
//
// Ownership: CompletionScript only reads `app`. Thread-safety: none needed (pure functions).
// Failure contract: a name the scripts could not quote safely (anything but letters, digits and
// "._-") is a FailedPrecondition naming it; an unknown shell an InvalidArgument.
#pragma once

#include <CLI/CLI.hpp>
#include <ostream>
#include <string>
#include <string_view>

#include "common/status.h"

namespace kb::cli {

inline constexpr std::string_view kCompletionCommand = "completion";

// Adds the hidden `completion` subcommand to `app`; its positional shell name goes to `*shell`.
CLI::App* AddCompletionCommand(CLI::App& app, std::string* shell);

// The completion script of `app` for `shell` ("bash", "zsh" or "fish").
Result<std::string> CompletionScript(const CLI::App& app, std::string_view shell);

// `completion` run: prints the script to `out` and returns the exit code (errors to `err`).
int RunCompletion(const CLI::App& app, std::string_view shell, std::ostream& out,
                  std::ostream& err);

}  // namespace kb::cli
