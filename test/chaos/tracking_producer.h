// The producing side of the backup fault scenarios (test/chaos): a producer writing unique values
// continuously to the partitions of one topic and tracking the offset each committed record got,
// and the check of a store against it. Test-only; failures are described, not asserted (except
// the producer's own setup), so a scenario can count them.
//
// Thread-safety: TrackingProducer's methods may be called from any thread; CheckStore reads only.
#pragma once

#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "config/config.h"
#include "storage/object_store.h"
#include "testing/test_env.h"

namespace kb::chaos {

using namespace std::chrono_literals;

enum class Mix { kPlain, kKeyed, kTransactional, kLarge };
const char* MixName(Mix m);

constexpr int kPartitions = 3;

// How a TrackingProducer produces.
struct TrackingOptions {
  int partitions = kPartitions;              // values go round-robin to partitions 0..partitions-1
  std::chrono::milliseconds batch_pause{5};  // pause after each batch (of 20 records)
  // The cluster loses brokers meanwhile (the failover scenario): a transaction that fails with an
  // abortable error is aborted (its records count as not committed), a commit or abort that times
  // out is retried until it has a definite outcome. Without it every such error is a test
  // failure. (Failed deliveries are counted either way.)
  bool faults_expected = false;
};

// Produces unique values continuously and records, per partition, the offset each value got
// (only once its transaction committed, in the transactional mix).
class TrackingProducer {
 public:
  TrackingProducer(const std::string& bootstrap, const std::string& topic, Mix mix, uint64_t seed,
                   TrackingOptions options = {})
      : topic_(topic), mix_(mix), options_(options), rng_(seed) {
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    char err[256];
    auto set = [&](const char* k, const std::string& v) {
      EXPECT_EQ(rd_kafka_conf_set(conf, k, v.c_str(), err, sizeof(err)), RD_KAFKA_CONF_OK) << err;
    };
    set("bootstrap.servers", bootstrap);
    set("enable.idempotence", "true");
    set("linger.ms", "5");
    set("message.max.bytes", "2000000");
    if (mix == Mix::kTransactional) set("transactional.id", testing::UniqueName("chaos-tx"));
    rd_kafka_conf_set_dr_msg_cb(conf, &TrackingProducer::OnDelivery);
    rd_kafka_conf_set_opaque(conf, this);
    rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
    EXPECT_NE(rk_, nullptr) << err;
    if (mix == Mix::kTransactional && rk_ != nullptr) {
      rd_kafka_error_t* e = rd_kafka_init_transactions(rk_, 30000);
      EXPECT_EQ(e, nullptr) << rd_kafka_error_string(e);
    }
    thread_ = std::thread([this] { Loop(); });
  }
  ~TrackingProducer() {
    Stop();
    if (rk_ != nullptr) rd_kafka_destroy(rk_);
  }

  // Stops producing, with every record sent delivered (and its transaction ended).
  void Pause() {
    std::unique_lock lock(mu_);
    paused_ = true;
    const uint64_t wanted = ++pause_requests_;
    cv_.wait(lock, [&] { return pauses_seen_ >= wanted; });
  }
  void Resume() {
    std::lock_guard lock(mu_);
    paused_ = false;
    cv_.notify_all();
  }
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  // partition -> offset -> value, of every committed record.
  std::map<int32_t, std::map<int64_t, std::string>> Committed() {
    std::lock_guard lock(mu_);
    return committed_;
  }
  // Transactions aborted by the test's choice / because they failed (faults_expected), and
  // records whose delivery failed.
  uint64_t TransactionsAborted() const { return aborted_; }
  uint64_t TransactionsFailed() const { return failed_transactions_; }
  uint64_t DeliveriesFailed() const { return failed_deliveries_; }
  // After Stop(): why the transactional producer stopped before it was asked to, "" if it did not
  // (faults_expected: an abort that could not be completed).
  const std::string& StoppedEarly() const { return unusable_; }

 private:
  static void OnDelivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
    auto* self = static_cast<TrackingProducer*>(opaque);
    if (m->err) {  // not written: not expected in the store
      ++self->failed_deliveries_;
      return;
    }
    std::lock_guard lock(self->mu_);
    self->pending_.push_back(
        {m->partition, m->offset, std::string(static_cast<const char*>(m->payload), m->len)});
  }

  void Loop() {
    uint64_t seq = 0;
    while (!stop_) {
      {
        std::unique_lock lock(mu_);
        if (paused_) {
          pauses_seen_ = pause_requests_;
          cv_.notify_all();
          cv_.wait_for(lock, 50ms, [this] { return !paused_ || stop_; });
          continue;
        }
      }
      const bool tx = mix_ == Mix::kTransactional;
      if (tx && !Ok(rd_kafka_begin_transaction(rk_), "beginning a transaction")) return;
      for (int i = 0; i < 20; ++i, ++seq) {
        std::string value = "v" + std::to_string(seq);
        if (mix_ == Mix::kLarge && seq % 5 == 0) value += std::string(300'000, 'x');
        const int32_t partition = static_cast<int32_t>(seq % options_.partitions);
        std::string key = mix_ == Mix::kKeyed ? "key-" + std::to_string(seq % 7) : "";
        rd_kafka_producev(rk_, RD_KAFKA_V_TOPIC(topic_.c_str()), RD_KAFKA_V_PARTITION(partition),
                          RD_KAFKA_V_VALUE(value.data(), value.size()),
                          RD_KAFKA_V_KEY(key.empty() ? nullptr : key.data(), key.size()),
                          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
      }
      // Every delivery reported (success or failure) before an offset is taken as final: in a
      // transaction, the commit or abort has waited for every record, a flush after it serves the
      // reports still queued, so that none of them is taken for a record of the next one.
      if (!tx) {
        while (rd_kafka_flush(rk_, 30000) != RD_KAFKA_RESP_ERR_NO_ERROR && !stop_) {
        }
      } else {
        rd_kafka_flush(rk_, 30000);
      }
      bool keep = true;
      if (tx) {
        keep = rng_() % 4 != 0;  // a quarter of the transactions are aborted
        if (!keep) ++aborted_;
        const bool ended = EndTransaction(keep);
        rd_kafka_flush(rk_, 30000);
        if (!ended) {
          keep = false;
          if (!options_.faults_expected || failed_ended_) return;
        }
      }
      {
        std::lock_guard lock(mu_);
        if (keep) {
          for (auto& [p, offset, value] : pending_) committed_[p][offset] = std::move(value);
        }
        pending_.clear();
      }
      std::this_thread::sleep_for(options_.batch_pause);
    }
  }

  // False (a test failure) when `e` is an error; destroys it.
  bool Ok(rd_kafka_error_t* e, const char* what) {
    if (e == nullptr) return true;
    ADD_FAILURE() << what << ": " << rd_kafka_error_string(e);
    rd_kafka_error_destroy(e);
    return false;
  }

  // Commits (keep) or aborts the open transaction. True when it ended as asked; false when it was
  // aborted instead (faults_expected and an abortable error: failed_transactions_ counts it) or
  // could not be ended (a test failure; failed_ended_ set: the producer stops).
  bool EndTransaction(bool keep) {
    const auto deadline = std::chrono::steady_clock::now() + 3min;
    bool aborting = !keep;
    for (;;) {
      rd_kafka_error_t* e = aborting ? rd_kafka_abort_transaction(rk_, 30000)
                                     : rd_kafka_commit_transaction(rk_, 30000);
      if (e == nullptr) {
        if (aborting == keep) ++failed_transactions_;  // aborted instead of committed
        return aborting == !keep;
      }
      const bool retriable = rd_kafka_error_is_retriable(e);
      const bool requires_abort = rd_kafka_error_txn_requires_abort(e);
      const std::string text = rd_kafka_error_string(e);
      rd_kafka_error_destroy(e);
      if (options_.faults_expected && std::chrono::steady_clock::now() < deadline) {
        if (retriable) continue;  // outcome unknown: the same call again settles it
        if (requires_abort && !aborting) {
          aborting = true;
          continue;
        }
        if (aborting) {
          // An abort that cannot be completed (e.g. INVALID_TXN_STATE after the coordinator
          // moved): its records are not committed either way, but this producer cannot go on.
          ++failed_transactions_;
          failed_ended_ = true;
          unusable_ = text;
          return false;
        }
      }
      ADD_FAILURE() << (aborting ? "aborting" : "committing") << " a transaction: " << text;
      failed_ended_ = true;
      return false;
    }
  }

  const std::string topic_;
  const Mix mix_;
  const TrackingOptions options_;
  std::mt19937_64 rng_;
  rd_kafka_t* rk_ = nullptr;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> aborted_{0};
  std::atomic<uint64_t> failed_transactions_{0};
  std::atomic<uint64_t> failed_deliveries_{0};
  bool failed_ended_ = false;  // loop thread only
  std::string unusable_;       // loop thread until Stop(): why the producer stopped early
  std::mutex mu_;
  std::condition_variable cv_;
  bool paused_ = false;          // guarded by mu_
  uint64_t pause_requests_ = 0;  // guarded by mu_
  uint64_t pauses_seen_ = 0;     // guarded by mu_: the loop was idle after this many requests
  struct Delivered {
    int32_t partition;
    int64_t offset;
    std::string value;
  };
  std::vector<Delivered> pending_;
  std::map<int32_t, std::map<int64_t, std::string>> committed_;
};

struct Check {
  uint64_t records = 0;
  uint64_t duplicated = 0;
  uint64_t lost = 0;  // only when `complete`: committed records missing from the store
  std::vector<std::string> problems;
};

// Compares what the store holds for partitions 0..partitions-1 of `topic` with what was produced.
Check CheckStore(storage::ObjectStore& store, const Config& cfg, const std::string& topic,
                 const std::map<int32_t, std::map<int64_t, std::string>>& committed, bool complete,
                 int partitions = kPartitions);

}  // namespace kb::chaos
