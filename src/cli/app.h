// The kafka-backup command line: parses arguments, loads the config file, dispatches to a command.
//
// Exit codes (documented in docs/operations.md):
//   0  success
//   1  the operation failed (store, cluster or data error); the message names the thing at fault
//   2  invalid usage or configuration (unknown flag, unknown config key, bad value)
//   3  `restore` only: partial — every partition was restored, but consumer groups were left
//      behind (an unreadable group snapshot, named by its key; a group with active members)
//
// Thread-safety: RunCli is called once per process from main().
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace kb::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitPartial = 3;

// `args` excludes the program name. Normal output goes to `out`, errors and logs to `err`.
int RunCli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace kb::cli
