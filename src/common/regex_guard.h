// RegexGuard: what every topic pattern (backup.topics / backup.exclude entries, restore --topic)
// must pass before std::regex compiles it. libstdc++'s regex compiler overflows a signed integer
// (undefined behaviour) on a repetition count or back-reference with many digits, e.g.
// `^a{99999999999}` or `^\3000000333330000000` (found by cli_args_fuzz). Topic names have at most
// 249 characters, so no count or back-reference beyond 4 digits can mean anything: such a pattern
// is refused before it reaches the compiler.
//
// Thread-safety: a pure function.
#pragma once

#include <string_view>

#include "common/status.h"

namespace kb {

// InvalidArgument naming `subject` when a repetition count (`{n}`, `{n,m}`) or a back-reference
// (`\n`) of `pattern` has more than 4 digits; literal digits are fine.
Status CheckRegexNumbers(std::string_view pattern, std::string_view subject);

}  // namespace kb
