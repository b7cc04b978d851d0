#include "report/report_text.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <optional>

namespace kb::report {
namespace {

// Milliseconds of 9999-12-31T23:59:59.999Z, the last instant a 4-digit year can show.
constexpr int64_t kMaxIsoMs = 253402300799999;

// The decimal number in text[pos, pos + len), or nullopt unless it is exactly `len` digits.
std::optional<int> Digits(std::string_view text, size_t pos, size_t len) {
  if (pos + len > text.size()) return std::nullopt;
  int v = 0;
  for (size_t i = pos; i < pos + len; ++i) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
    v = v * 10 + (text[i] - '0');
  }
  return v;
}

Status BadTime(std::string_view subject, std::string_view text) {
  return Status::InvalidArgument(
      subject, "'" + std::string(text) +
                   "' is not a time: give milliseconds since the epoch or ISO-8601 in UTC, e.g. "
                   "2026-11-21T10:00:00Z");
}

Status BeforeEpoch(std::string_view subject, std::string_view text) {
  return Status::InvalidArgument(
      subject, "'" + std::string(text) + "' is before 1970-01-01T00:00:00Z (record times are not)");
}

// "YYYY-MM-DD" at the start of `text`, as milliseconds since the epoch.
std::optional<int64_t> ParseDate(std::string_view text) {
  const auto y = Digits(text, 0, 4), m = Digits(text, 5, 2), d = Digits(text, 8, 2);
  if (!y || !m || !d || text[4] != '-' || text[7] != '-') return std::nullopt;
  const std::chrono::year_month_day ymd{std::chrono::year(*y),
                                        std::chrono::month(static_cast<unsigned>(*m)),
                                        std::chrono::day(static_cast<unsigned>(*d))};
  if (!ymd.ok()) return std::nullopt;
  const auto days = std::chrono::sys_days(ymd).time_since_epoch();
  return std::chrono::duration_cast<std::chrono::milliseconds>(days).count();
}

// "THH:MM:SS[.fraction]Z" (what follows the date), as milliseconds into the day.
std::optional<int64_t> ParseTimeOfDay(std::string_view text) {
  const auto h = Digits(text, 1, 2), mi = Digits(text, 4, 2), s = Digits(text, 7, 2);
  if (!h || !mi || !s || text[0] != 'T' || text[3] != ':' || text[6] != ':' || *h > 23 ||
      *mi > 59 || *s > 59) {
    return std::nullopt;
  }
  int64_t ms = ((*h * int64_t{60} + *mi) * 60 + *s) * 1000;
  size_t pos = 9;
  if (pos < text.size() && text[pos] == '.') {
    const size_t first = ++pos;
    int64_t scale = 100;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      ms += (text[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (pos == first || pos - first > 9) return std::nullopt;
  }
  if (text.substr(pos) != "Z") return std::nullopt;
  return ms;
}

}  // namespace

std::string Table(const std::vector<std::vector<std::string>>& rows,
                  const std::vector<bool>& right) {
  std::vector<size_t> width(right.size(), 0);
  for (const auto& row : rows) {
    for (size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (size_t c = 0; c < row.size(); ++c) {
      const std::string pad(width[c] - row[c].size(), ' ');
      if (c > 0) line += "  ";
      line += right[c] ? pad + row[c] : row[c] + pad;
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

std::string Plural(int64_t n, std::string_view what) {
  return std::to_string(n) + " " + std::string(what) + (n == 1 ? "" : "s");
}

std::string Count(uint64_t n, std::string_view what) {
  return std::to_string(n) + " " + std::string(what) + (n == 1 ? "" : "s");
}

std::string NumOrDash(int64_t v) { return v < 0 ? "-" : std::to_string(v); }

std::string FormatBytes(uint64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  if (bytes < 1024) return std::to_string(bytes) + " B";
  double v = static_cast<double>(bytes);
  size_t unit = 0;
  while (v >= 1024 && unit + 1 < std::size(kUnits)) {
    v /= 1024;
    ++unit;
  }
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f %s", v, kUnits[unit]);
  return buf;
}

std::string FormatTimeMs(int64_t ms) {
  if (ms < 0 || ms > kMaxIsoMs) return std::to_string(ms);
  const std::chrono::sys_time<std::chrono::milliseconds> t{std::chrono::milliseconds(ms)};
  const auto day = std::chrono::floor<std::chrono::days>(t);
  const std::chrono::year_month_day ymd{day};
  const std::chrono::hh_mm_ss hms{t - day};
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ",
                static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                static_cast<unsigned>(ymd.day()), static_cast<int>(hms.hours().count()),
                static_cast<int>(hms.minutes().count()), static_cast<int>(hms.seconds().count()),
                static_cast<int>(hms.subseconds().count()));
  return buf;
}

Result<int64_t> ParseTimeArg(std::string_view text, std::string_view subject) {
  int64_t ms = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), ms);
  if (!text.empty() && ec == std::errc() && end == text.data() + text.size()) {
    if (ms < 0) return BeforeEpoch(subject, text);
    return ms;
  }
  const std::optional<int64_t> date = ParseDate(text);
  if (!date) return BadTime(subject, text);
  if (*date < 0) return BeforeEpoch(subject, text);
  if (text.size() == 10) return *date;
  const std::optional<int64_t> time = ParseTimeOfDay(text.substr(10));
  if (!time) return BadTime(subject, text);
  return *date + *time;
}

}  // namespace kb::report
