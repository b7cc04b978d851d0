#include "format/format_testing.h"

#include <algorithm>
#include <cstdio>
#include <limits>
#include <random>

namespace kb::format::testing {
namespace {

class Rng {
 public:
  explicit Rng(uint64_t seed) : engine_(seed) {}
  uint64_t Next() { return engine_(); }
  // Uniform-enough integer in [0, n); n > 0.
  uint64_t Below(uint64_t n) { return engine_() % n; }
  bool OneIn(uint64_t n) { return Below(n) == 0; }
  std::string Bytes(size_t n) {
    std::string s(n, '\0');
    for (char& c : s) c = static_cast<char>(engine_());
    return s;
  }

 private:
  std::mt19937_64 engine_;
};

std::optional<std::string> RandomNullable(Rng& rng, size_t max_bytes) {
  switch (rng.Below(6)) {
    case 0:
      return std::nullopt;
    case 1:
      return std::string();
    case 2:
      return std::string("\0\0", 2);
    default:
      return rng.Bytes(static_cast<size_t>(rng.Below(max_bytes + 1)));
  }
}

int64_t RandomTimestamp(Rng& rng, int64_t previous) {
  switch (rng.Below(12)) {
    case 0:
      return 0;
    case 1:
      return -1;
    case 2:
      return std::numeric_limits<int64_t>::min();
    case 3:
      return std::numeric_limits<int64_t>::max();
    case 4:
      return static_cast<int64_t>(rng.Next());
    default:  // mostly near the previous one, sometimes going backwards
      return previous + static_cast<int64_t>(rng.Below(2000)) - 200;
  }
}

}  // namespace

std::vector<Record> RandomRecords(uint64_t seed, size_t count, size_t max_value_bytes,
                                  int64_t first_offset) {
  Rng rng(seed);
  std::vector<Record> out;
  out.reserve(count);
  int64_t offset = first_offset;
  int64_t timestamp = 1'700'000'000'000;
  for (size_t i = 0; i < count; ++i) {
    Record r;
    if (i > 0) {
      const uint64_t gap = rng.OneIn(4) ? 1 + rng.Below(rng.OneIn(8) ? 5'000'000 : 100) : 1;
      offset = offset > std::numeric_limits<int64_t>::max() - static_cast<int64_t>(gap)
                   ? offset + 1
                   : offset + static_cast<int64_t>(gap);
    }
    r.offset = offset;
    const int64_t ts = RandomTimestamp(rng, timestamp);
    if (ts > 0 && ts < (int64_t{1} << 50)) timestamp = ts;
    r.timestamp = ts;
    r.timestamp_type = static_cast<TimestampType>(rng.Below(3));
    r.key = RandomNullable(rng, 40);
    r.value = RandomNullable(rng, max_value_bytes);
    const size_t headers = rng.OneIn(2) ? 0 : static_cast<size_t>(rng.Below(6));
    for (size_t h = 0; h < headers; ++h) {
      Header header;
      header.key = rng.OneIn(5) ? std::string() : "h" + std::to_string(rng.Below(3));
      header.value = RandomNullable(rng, 30);
      r.headers.push_back(std::move(header));
    }
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<Record> JsonLikeRecords(uint64_t seed, size_t count, size_t value_bytes) {
  static const char* const kEvents[] = {"page_view", "add_to_cart", "checkout", "search",
                                        "login",     "logout",      "refund",   "rating"};
  static const char* const kWords[] = {
      "the",       "quick",  "order",    "shipped", "customer", "payment",  "failed",  "retry",
      "warehouse", "stock",  "delivery", "address", "invoice",  "discount", "premium", "account",
      "session",   "mobile", "desktop",  "region",  "europe",   "promo",    "cart",    "item"};
  Rng rng(seed);
  std::vector<Record> out;
  out.reserve(count);
  int64_t timestamp = 1'700'000'000'000;
  char buf[64];
  for (size_t i = 0; i < count; ++i) {
    Record r;
    r.offset = static_cast<int64_t>(i);
    timestamp += static_cast<int64_t>(rng.Below(5));
    r.timestamp = timestamp;
    r.timestamp_type = TimestampType::kCreateTime;
    std::snprintf(buf, sizeof(buf), "user-%011llu",
                  static_cast<unsigned long long>(rng.Below(100'000'000)));
    r.key = std::string(buf);
    std::string v;
    v.reserve(value_bytes + 64);
    std::snprintf(buf, sizeof(buf), "{\"id\":%llu,\"event\":\"",
                  static_cast<unsigned long long>(rng.Next() >> 16));
    v += buf;
    v += kEvents[rng.Below(8)];
    std::snprintf(buf, sizeof(buf), "\",\"ts\":%lld,\"amount\":%llu.%02llu,",
                  static_cast<long long>(timestamp),
                  static_cast<unsigned long long>(rng.Below(100000)),
                  static_cast<unsigned long long>(rng.Below(100)));
    v += buf;
    std::snprintf(buf, sizeof(buf), "\"url\":\"/products/%llu?ref=campaign_%llu\",\"session\":\"",
                  static_cast<unsigned long long>(rng.Below(50000)),
                  static_cast<unsigned long long>(rng.Below(40)));
    v += buf;
    std::snprintf(buf, sizeof(buf), "%016llx\",\"text\":\"",
                  static_cast<unsigned long long>(rng.Next()));
    v += buf;
    while (v.size() + 2 < value_bytes) {
      if (rng.OneIn(10)) {
        std::snprintf(buf, sizeof(buf), "%llu ",
                      static_cast<unsigned long long>(rng.Below(1000000)));
        v += buf;
      } else {
        v += kWords[rng.Below(24)];
        v += ' ';
      }
    }
    v += "\"}";
    v.resize(std::max<size_t>(value_bytes, 2));
    if (value_bytes >= 2) {
      v[value_bytes - 2] = '"';
      v[value_bytes - 1] = '}';
    }
    r.value = std::move(v);
    r.headers.push_back(Header{"content-type", std::string("application/json")});
    std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(rng.Next()));
    r.headers.push_back(Header{"trace-id", std::string(buf)});
    out.push_back(std::move(r));
  }
  return out;
}

Result<std::string> BuildSegment(const std::vector<Record>& records, WriterOptions options) {
  KB_ASSIGN_OR_RETURN(SegmentWriter writer, SegmentWriter::Create(std::move(options)));
  for (const Record& r : records) KB_RETURN_IF_ERROR(writer.Add(r));
  return writer.Finish();
}

namespace {

void AppendEscaped(std::string* out, const std::optional<std::string>& bytes) {
  if (!bytes) {
    *out += "null";
    return;
  }
  *out += '"';
  const size_t shown = std::min<size_t>(bytes->size(), 32);
  for (size_t i = 0; i < shown; ++i) {
    const auto c = static_cast<unsigned char>((*bytes)[i]);
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
      *out += static_cast<char>(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", c);
      *out += buf;
    }
  }
  if (shown < bytes->size()) *out += "...(" + std::to_string(bytes->size()) + " bytes)";
  *out += '"';
}

}  // namespace

std::string DebugString(const Record& r) {
  std::string out = "{offset=" + std::to_string(r.offset) + " ts=" + std::to_string(r.timestamp) +
                    " " + std::string(TimestampTypeName(r.timestamp_type)) + " key=";
  AppendEscaped(&out, r.key);
  out += " value=";
  AppendEscaped(&out, r.value);
  out += " headers=[";
  for (const Header& h : r.headers) {
    AppendEscaped(&out, h.key);
    out += ':';
    AppendEscaped(&out, h.value);
    out += ' ';
  }
  out += "]}";
  return out;
}

}  // namespace kb::format::testing
