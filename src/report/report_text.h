// Text helpers shared by the reports of the operator commands (status, ls, verify): aligned tables,
// counts with plural nouns, byte sizes, record timestamps as ISO-8601 UTC, and the parsing of the
// time arguments the commands accept (--from / --to).
//
// Failure contract: formatting never fails (values it cannot show as a date are shown as numbers);
// ParseTimeArg returns InvalidArgument naming `subject` (the flag) for text it does not accept.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace kb::report {

// Pads cells into columns two spaces apart; columns flagged in `right` are right-aligned. The
// first row is usually the header. Trailing spaces are trimmed.
std::string Table(const std::vector<std::vector<std::string>>& rows,
                  const std::vector<bool>& right);

// "1 record", "3 records".
std::string Plural(int64_t n, std::string_view what);
// The same for an unsigned count.
std::string Count(uint64_t n, std::string_view what);

// The number, or "-" for a negative value (the reports' "unknown / none").
std::string NumOrDash(int64_t v);

// "512 B", "1.5 KiB", "1.2 GiB" (powers of 1024, one decimal from KiB up).
std::string FormatBytes(uint64_t bytes);

// "2026-11-21T10:00:00.000Z" for milliseconds since the epoch in years 1970 to 9999; any other
// value (Kafka reports -1, 0 or anything) as the plain number.
std::string FormatTimeMs(int64_t ms);

// A point in time given on the command line: milliseconds since the epoch ("1763719200000"), or
// ISO-8601 in UTC: "2026-11-21T10:00:00Z", with optional fractional seconds
// ("2026-11-21T10:00:00.250Z"), or a date alone ("2026-11-21", midnight UTC).
Result<int64_t> ParseTimeArg(std::string_view text, std::string_view subject);

}  // namespace kb::report
