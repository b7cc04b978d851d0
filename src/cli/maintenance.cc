#include "cli/maintenance.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "common/clock.h"
#include "ops/verify.h"
#include "report/report_text.h"

namespace kb::cli {
namespace {

using Clock = std::chrono::steady_clock;

std::vector<metrics::TopicRetentionSample> Samples(const ops::RetentionReport& r) {
  std::map<std::string, metrics::TopicRetentionSample> by_topic;
  for (const ops::TopicRetention& t : r.topics) {
    by_topic[t.topic] = {.topic = t.topic,
                         .oldest_timestamp_ms = t.oldest_timestamp_ms,
                         .missing_since_ms = t.missing_since_ms,
                         .backup_deleted = t.state == ops::TopicRetention::State::kDeleted};
  }
  for (const ops::PruneAction& a : r.deleted) {
    if (!a.is_segment) continue;
    ++by_topic[a.topic].pruned_segments;
    by_topic[a.topic].pruned_bytes += a.size;
  }
  for (const ops::PendingRange& p : r.pending) {
    if (p.is_segment) ++by_topic[p.topic].expired_segments;
  }
  std::vector<metrics::TopicRetentionSample> out;
  for (auto& [topic, s] : by_topic) {
    s.topic = topic;
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace

Result<std::unique_ptr<Maintenance>> Maintenance::Make(const Config& cfg,
                                                       storage::ObjectStore* store,
                                                       metrics::RetentionMetrics* metrics) {
  KB_ASSIGN_OR_RETURN(auto admin, kafka::Admin::Make(cfg.kafka.properties));
  return std::unique_ptr<Maintenance>(new Maintenance(cfg, store, metrics, std::move(admin)));
}

Maintenance::Maintenance(const Config& cfg, storage::ObjectStore* store,
                         metrics::RetentionMetrics* metrics, std::unique_ptr<kafka::Admin> admin)
    : cfg_(cfg),
      store_(store),
      metrics_(metrics),
      admin_(std::move(admin)),
      keys_(cfg.storage.prefix),
      generations_(store, keys_, admin_.get()) {}

Maintenance::~Maintenance() { Stop(); }

void Maintenance::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void Maintenance::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Result<ops::RetentionReport> Maintenance::RunRetentionNow() {
  Result<ops::RetentionReport> report =
      ops::RunRetention(*store_, keys_, *admin_,
                        {.grace = cfg_.retention.grace,
                         .deleted_topic_max_age = cfg_.retention.deleted_topic_max_age,
                         .execute = true,
                         .clock = &wall_guard_});
  if (!report.ok()) {
    spdlog::error("retention round failed: {}", report.status().ToString());
    metrics_->RetentionFailed();
    return report;
  }
  metrics_->RetentionRound(Samples(*report), report->now_ms);
  spdlog::info("retention round: deleted {} ({}, {}); {} expired within the grace period",
               report::Count(report->deleted.size(), "object"),
               report::Count(report->segments_deleted, "segment"),
               report::FormatBytes(report->bytes_deleted),
               report::Count(report->pending.size(), "range"));
  return report;
}

Status Maintenance::RunVerifyNow() {
  Result<ops::VerifyReport> report =
      ops::VerifyStore(*store_, keys_, {.parallelism = 4, .sample = cfg_.verify.sample});
  if (!report.ok()) {
    spdlog::error("scheduled verify failed: {}", report.status().ToString());
    metrics_->VerifyFailed(NowMs());
    return report.status();
  }
  metrics_->VerifyRound({.segments = report->segments_verified,
                         .bytes = report->bytes_verified,
                         .problems = report->problems.size()},
                        NowMs());
  for (const catalog::StoreProblem& p : report->problems) {
    spdlog::error("verify: {}", catalog::FormatProblem(p));
  }
  spdlog::info("scheduled verify: {} of {} checked ({}), {}", report->segments_verified,
               report::Count(report->segments_listed, "segment"),
               report::FormatBytes(report->bytes_verified),
               report->problems.empty() ? std::string("no problems")
                                        : report::Count(report->problems.size(), "problem"));
  return Status::OK();
}

Status Maintenance::WatchTopicsNow() {
  if (!assigned_topics_) return Status::OK();
  for (std::string& t : assigned_topics_()) watched_.insert(std::move(t));
  if (watched_.empty()) return Status::OK();
  KB_ASSIGN_OR_RETURN(std::vector<kafka::TopicInfo> cluster,
                      admin_->ListTopics(std::chrono::seconds(30)));
  std::set<std::string> present;
  for (const kafka::TopicInfo& t : cluster) present.insert(t.name);
  for (auto it = watched_.begin(); it != watched_.end();) {
    if (present.contains(*it)) {
      ++it;
      continue;
    }
    KB_RETURN_IF_ERROR(generations_.MarkMissing(*it, wall_guard_.Read().stamp_ms));
    it = watched_.erase(it);
  }
  return Status::OK();
}

void Maintenance::Loop() {
  const auto now = Clock::now();
  const auto never = now + std::chrono::hours(24 * 365 * 100);  // not max(): wait_until overflows
  Clock::time_point next_retention = cfg_.retention.enabled ? now + cfg_.retention.interval : never;
  Clock::time_point next_verify =
      cfg_.verify.interval.count() > 0 ? now + cfg_.verify.interval : never;
  Clock::time_point next_watch = now + cfg_.backup.metadata_interval;
  std::unique_lock lock(mu_);
  while (!stop_) {
    const Clock::time_point wake = std::min({next_retention, next_verify, next_watch});
    if (cv_.wait_until(lock, wake, [this] { return stop_; })) break;
    const auto t = Clock::now();
    lock.unlock();
    if (t >= next_watch) {
      Status s = WatchTopicsNow();
      if (!s.ok()) spdlog::warn("topic watch failed (retried): {}", s.ToString());
      next_watch = Clock::now() + cfg_.backup.metadata_interval;
    }
    if (t >= next_retention) {
      (void)RunRetentionNow();
      next_retention = Clock::now() + cfg_.retention.interval;
    }
    if (t >= next_verify) {
      (void)RunVerifyNow();
      next_verify = Clock::now() + cfg_.verify.interval;
    }
    lock.lock();
  }
}

}  // namespace kb::cli
