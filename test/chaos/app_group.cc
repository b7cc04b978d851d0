#include "app_group.h"

#include <gtest/gtest.h>

#include <random>

#include "layout/keys.h"
#include "layout/metadata.h"

namespace kb::chaos {

using namespace std::chrono_literals;

AppGroup::AppGroup(const std::string& bootstrap, std::string group,
                   std::vector<kafka::TopicPartition> partitions, uint64_t seed,
                   std::chrono::milliseconds interval)
    : group_(std::move(group)), partitions_(std::move(partitions)) {
  thread_ = std::thread([this, bootstrap, seed, interval] { Loop(bootstrap, seed, interval); });
}

void AppGroup::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

kafka::GroupOffsets AppGroup::Last() const {
  std::lock_guard lock(mu_);
  return last_;
}

std::string AppGroup::FirstSkipReason() const {
  std::lock_guard lock(mu_);
  return first_skip_reason_;
}

void AppGroup::Loop(const std::string& bootstrap, uint64_t seed,
                    std::chrono::milliseconds interval) {
  std::mt19937_64 rng(seed);
  auto admin = kafka::Admin::Make({{"bootstrap.servers", bootstrap}});
  if (!admin.ok()) {
    ADD_FAILURE() << admin.status().ToString();
    return;
  }
  while (!stop_) {
    // End offsets now (a round is skipped while a leader is away).
    auto marks = (*admin)->QueryWatermarks(partitions_, 10s);
    if (marks.ok()) {
      kafka::GroupOffsets next;
      for (const auto& [tp, wm] : *marks) {
        next[tp] = static_cast<int64_t>(rng() % static_cast<uint64_t>(wm.high + 1));
      }
      // The same offsets until the coordinator accepts them: a commit that timed out may or may
      // not have been applied, committing it again settles it.
      const auto give_up = std::chrono::steady_clock::now() + 2min;
      Status s = (*admin)->AlterConsumerGroupOffsets(group_, next, 10s);
      while (!s.ok() && std::chrono::steady_clock::now() < give_up) {
        std::this_thread::sleep_for(500ms);
        s = (*admin)->AlterConsumerGroupOffsets(group_, next, 10s);
      }
      if (!s.ok()) {
        ADD_FAILURE() << "group " << group_
                      << ": no commit accepted for 2 minutes: " << s.ToString();
        return;
      }
      {
        std::lock_guard lock(mu_);
        last_ = std::move(next);
      }
      ++rounds_;
    }
    if (!marks.ok()) {
      if (skipped_++ == 0) {
        std::lock_guard lock(mu_);
        first_skip_reason_ = marks.status().ToString();
      }
      // A fresh handle: this one may keep asking a broker that no longer leads.
      if (auto fresh = kafka::Admin::Make({{"bootstrap.servers", bootstrap}}); fresh.ok()) {
        admin = std::move(fresh);
      }
    }
    // After a round skipped for a leader away, the next one soon.
    const auto until = std::chrono::steady_clock::now() + (marks.ok() ? interval : 200ms);
    while (!stop_ && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(50ms);
  }
}

std::vector<std::string> CheckGroupSnapshot(storage::ObjectStore& store, const std::string& prefix,
                                            const std::string& group,
                                            const kafka::GroupOffsets& last) {
  std::vector<std::string> problems;
  const layout::Keys keys(prefix);
  for (const auto& [tp, offset] : last) {
    const std::string key = keys.ConsumerOffsets(tp.topic, tp.partition);
    auto json = store.Get(key);
    if (!json.ok()) {
      problems.push_back(key + ": " + json.status().ToString());
      continue;
    }
    auto offsets = layout::DecodeGroupOffsets(key, *json);
    if (!offsets.ok()) {
      problems.push_back(offsets.status().ToString());
      continue;
    }
    const auto it = offsets->find(group);
    if (it == offsets->end()) {
      problems.push_back(key + ": group " + group + " missing");
    } else if (it->second != offset) {
      problems.push_back(key + ": group " + group + " at " + std::to_string(it->second) +
                         ", last committed " + std::to_string(offset));
    }
  }
  return problems;
}

int64_t ExpectedTargetOffset(int64_t committed, const std::vector<format::Record>& stored,
                             const std::vector<format::Record>& restored, int64_t target_end) {
  for (size_t i = 0; i < stored.size() && i < restored.size(); ++i) {
    if (stored[i].offset >= committed) return restored[i].offset;
  }
  return target_end;
}

}  // namespace kb::chaos
