#include "storage/s3/credentials.h"

#include <spdlog/spdlog.h>

#include <ctime>

namespace kb::storage::s3 {
namespace {

using TimePoint = std::chrono::system_clock::time_point;

std::string FormatUtc(TimePoint t) {
  std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace

std::string AbbreviateKeyId(std::string_view key_id) {
  if (key_id.size() < 16) return "****";  // AWS key ids have 20; show at most 8 of 16
  return std::string(key_id.substr(0, 4)) + "****" + std::string(key_id.substr(key_id.size() - 4));
}

std::optional<TimePoint> ParseAwsTimestamp(std::string_view text) {
  // YYYY-MM-DDTHH:MM:SS, then [.digits], then Z or +00:00.
  auto digits = [&text](size_t pos, size_t n, int* out) {
    if (pos + n > text.size()) return false;
    int v = 0;
    for (size_t i = pos; i < pos + n; ++i) {
      if (text[i] < '0' || text[i] > '9') return false;
      v = v * 10 + (text[i] - '0');
    }
    *out = v;
    return true;
  };
  std::tm tm{};
  int year = 0, month = 0;
  if (text.size() < 20 || !digits(0, 4, &year) || text[4] != '-' || !digits(5, 2, &month) ||
      text[7] != '-' || !digits(8, 2, &tm.tm_mday) || (text[10] != 'T' && text[10] != 't') ||
      !digits(11, 2, &tm.tm_hour) || text[13] != ':' || !digits(14, 2, &tm.tm_min) ||
      text[16] != ':' || !digits(17, 2, &tm.tm_sec)) {
    return std::nullopt;
  }
  std::string_view rest = text.substr(19);
  if (!rest.empty() && rest.front() == '.') {
    size_t n = 1;
    while (n < rest.size() && rest[n] >= '0' && rest[n] <= '9') ++n;
    if (n == 1) return std::nullopt;
    rest.remove_prefix(n);
  }
  if (rest != "Z" && rest != "z" && rest != "+00:00") return std::nullopt;
  if (month < 1 || month > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 ||
      tm.tm_min > 59 || tm.tm_sec > 60) {
    return std::nullopt;
  }
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

std::string Redact(std::string text, std::string_view secret) {
  if (secret.empty()) return text;
  for (size_t pos = text.find(secret); pos != std::string::npos; pos = text.find(secret, pos + 4)) {
    text.replace(pos, secret.size(), "****");
  }
  return text;
}

RefreshingCredentialsProvider::RefreshingCredentialsProvider(std::string source, Fetch fetch,
                                                             WallClock clock,
                                                             std::chrono::seconds retry_interval)
    : source_(std::move(source)),
      fetch_(std::move(fetch)),
      clock_(std::move(clock)),
      retry_interval_(retry_interval) {}

TimePoint RefreshingCredentialsProvider::RefreshTime(TimePoint now, TimePoint expiration) {
  // The margin before expiry: 5 minutes, or half the remaining life if that is shorter.
  const auto margin = std::min<std::chrono::system_clock::duration>(std::chrono::minutes(5),
                                                                    (expiration - now) / 2);
  return expiration - margin;
}

Result<Credentials> RefreshingCredentialsProvider::Get() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    const TimePoint now = clock_();
    const bool valid = held_ && (!held_->expiration || now < *held_->expiration);
    if (valid && now < next_) return *held_;
    if (fetching_) {
      if (valid) return *held_;  // another thread is refreshing; these still work
      fetched_.wait(lock);
      continue;
    }
    fetching_ = true;
    lock.unlock();
    Result<Credentials> got = fetch_();
    lock.lock();
    fetching_ = false;
    fetched_.notify_all();
    const TimePoint after = clock_();
    if (got.ok()) {
      const bool first = !held_;
      held_ = std::move(*got);
      next_ = held_->expiration ? RefreshTime(after, *held_->expiration) : TimePoint::max();
      const std::string expiry =
          held_->expiration ? " valid until " + FormatUtc(*held_->expiration) : "";
      if (first) {
        spdlog::info("S3 credentials from {} (key id {}){}", source_,
                     AbbreviateKeyId(held_->access_key_id), expiry);
      } else {
        spdlog::debug("S3 credentials from {} refreshed (key id {}){}", source_,
                      AbbreviateKeyId(held_->access_key_id), expiry);
      }
      return *held_;
    }
    const Status& st = got.status();
    if (held_ && (!held_->expiration || after < *held_->expiration)) {
      next_ = after + retry_interval_;
      spdlog::warn(
          "refreshing the S3 credentials from {} failed ({}); keeping the current ones, valid "
          "until {}, and trying again in {} s",
          source_, st.ToString(), held_->expiration ? FormatUtc(*held_->expiration) : "never",
          retry_interval_.count());
      return *held_;
    }
    std::string msg = "cannot get S3 credentials from " + source_;
    if (held_ && held_->expiration) {
      msg += " (the last ones expired at " + FormatUtc(*held_->expiration) + ")";
    }
    return st.WithContext(msg);
  }
}

CredentialsEnvironment ProcessCredentialsEnvironment() {
  return CredentialsEnvironment{.env = ProcessEnv(),
                                .clock = [] { return std::chrono::system_clock::now(); }};
}

}  // namespace kb::storage::s3
