// Expansion of ${VAR} references in configuration values.
//
// Syntax, applied to every scalar value of the YAML config (never to keys):
//   ${NAME}           value of environment variable NAME; an error if NAME is unset
//   ${NAME:-default}  value of NAME, or `default` when NAME is unset or empty
//   $$                a literal '$'
//   any other '$'     kept as is (so secrets containing '$' need no escaping)
// An unterminated "${" or an invalid variable name is an error.
//
// Thread-safety: pure functions; the lookup callback must be safe to call from the caller's thread.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace kb {

using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

// Looks variables up in the process environment (getenv).
EnvLookup ProcessEnv();

// Expands `value`, which is the value of config key `config_key` (used in error messages only).
Result<std::string> ExpandEnv(std::string_view value, std::string_view config_key,
                              const EnvLookup& env);

}  // namespace kb
