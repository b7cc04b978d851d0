// ASCII helpers for protocol text (HTTP header names, SigV4 canonical forms, INI keys): the same
// result in every locale, and bytes outside A-Z are left as they are (UTF-8 passes through).
// Pure functions; thread-safe; never fail.
#pragma once

#include <string>
#include <string_view>

namespace kb {

// `s` with A-Z mapped to a-z.
std::string AsciiLower(std::string_view s);

}  // namespace kb
