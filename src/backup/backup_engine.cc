#include "backup/backup_engine.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <optional>
#include <thread>

#include "backup/partition.h"
#include "common/error_map.h"
#include "kafka/client.h"
#include "kafka/message_batch.h"

namespace kb::backup {
namespace {

using SteadyClock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// Properties kafka-backup manages itself; setting them under kafka: would be ignored, so it is an
// error instead.
constexpr const char* kManaged[] = {"group.id",           "group.instance.id",
                                    "enable.auto.commit", "enable.auto.offset.store",
                                    "auto.offset.reset",  "enable.partition.eof"};

}  // namespace

// Bridges librdkafka's rebalance callback (called inside MessageBatch::Poll()) to the engine.
class BackupEngine::Rebalancer : public RdKafka::RebalanceCb {
 public:
  explicit Rebalancer(BackupEngine* e) : engine_(e) {}
  void rebalance_cb(RdKafka::KafkaConsumer* consumer, RdKafka::ErrorCode err,
                    std::vector<RdKafka::TopicPartition*>& parts) override {
    std::vector<PartitionId> ids;
    for (auto* tp : parts) ids.push_back({tp->topic(), tp->partition()});
    bool cooperative = consumer->rebalance_protocol() == "COOPERATIVE";
    if (err == RdKafka::ERR__ASSIGN_PARTITIONS) {
      std::vector<int64_t> starts;
      Status s = engine_->OnAssign(ids, &starts);
      if (!s.ok() && engine_->fatal_.ok()) engine_->fatal_ = s;
      for (size_t i = 0; i < parts.size() && i < starts.size(); ++i)
        parts[i]->set_offset(starts[i]);
      RdKafka::Error* e = cooperative ? consumer->incremental_assign(parts) : nullptr;
      if (!cooperative) consumer->assign(parts);
      delete e;
    } else {
      Status s = engine_->OnRevoke(ids);
      if (!s.ok() && engine_->fatal_.ok()) engine_->fatal_ = s;
      RdKafka::Error* e = cooperative ? consumer->incremental_unassign(parts) : nullptr;
      if (!cooperative) consumer->unassign();
      delete e;
    }
  }

 private:
  BackupEngine* engine_;
};

Result<std::unique_ptr<BackupEngine>> BackupEngine::Make(const Config& cfg,
                                                         storage::ObjectStore* store,
                                                         EngineOptions options) {
  KB_ASSIGN_OR_RETURN(TopicFilter filter, TopicFilter::Make(cfg.backup));
  for (const char* key : kManaged) {
    if (cfg.kafka.properties.count(key)) {
      return Status::InvalidArgument(
          std::string("kafka.") + key,
          std::string("is managed by kafka-backup (") +
              (std::string_view(key) == "group.instance.id"
                   ? "the static member id is set with backup.instance_id"
                   : "the backup group is set with backup.group_id") +
              ")");
    }
  }
  if (!cfg.kafka.properties.count("bootstrap.servers")) {
    return Status::InvalidArgument("kafka.bootstrap.servers", "is required");
  }
  format::WriterOptions wo{cfg.backup.zstd_level, cfg.backup.block_bytes, "backup", nullptr};
  wo.codec = SegmentCodec(cfg.backup.codec);
  KB_RETURN_IF_ERROR(format::ValidateWriterOptions(wo));
  std::unique_ptr<BackupEngine> e(new BackupEngine(cfg, store, options, std::move(filter)));
  KB_RETURN_IF_ERROR(e->Init());
  return e;
}

BackupEngine::BackupEngine(const Config& cfg, storage::ObjectStore* store, EngineOptions options,
                           TopicFilter filter)
    : cfg_(cfg),
      store_(store),
      options_(options),
      filter_(std::move(filter)),
      keys_(cfg.storage.prefix),
      rebalancer_(std::make_unique<Rebalancer>(this)) {}

BackupEngine::~BackupEngine() {
  uploader_.reset();    // joins upload threads before partitions go away
  partitions_.clear();  // open writers give their block buffers back to the pool
  last_ = {};
  pool_.reset();
  consumer_.reset();
}

EngineStats BackupEngine::stats() const {
  EngineStats s = stats_;
  s.peak_buffer_bytes = gauge_.peak();
  return s;
}

Status BackupEngine::SizeKafkaQueue(kafka::Properties* props) {
  auto get = [&](const std::string& key, uint64_t fallback) -> Result<uint64_t> {
    auto it = props->find(key);
    if (it == props->end()) return fallback;
    uint64_t v = 0;
    const std::string& s = it->second;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size()) {
      return Status::InvalidArgument("kafka." + key, "'" + s + "' is not a number");
    }
    return v;
  };
  const uint64_t budget = cfg_.backup.buffer_memory;
  // librdkafka's prefetch queue gets 1/8 of the budget (at least 1 MiB); a fetch response (at
  // most fetch.max.bytes) can come on top of a queue that is just below its limit.
  const uint64_t default_kb = std::max<uint64_t>(budget / 8 / 1024, 1024);
  KB_ASSIGN_OR_RETURN(uint64_t queue_kb, get("queued.max.messages.kbytes", default_kb));
  KB_ASSIGN_OR_RETURN(uint64_t message_max, get("message.max.bytes", 1000000));
  KB_ASSIGN_OR_RETURN(uint64_t fetch_max,
                      get("fetch.max.bytes", std::max<uint64_t>(queue_kb * 1024 / 2, message_max)));
  props->try_emplace("queued.max.messages.kbytes", std::to_string(queue_kb));
  props->try_emplace("fetch.max.bytes", std::to_string(fetch_max));
  // Once the queue is full librdkafka stops fetching for fetch.queue.backoff.ms (default 1 s);
  // the queue is small (a slice of the budget) and drains in milliseconds, so look again soon.
  props->try_emplace("fetch.queue.backoff.ms", "10");
  kafka_memory_ = queue_kb * 1024 + fetch_max;
  segment_memory_ = budget > 2 * kafka_memory_ ? budget - kafka_memory_ : budget / 2;
  return Status::OK();
}

Status BackupEngine::Init() {
  // Fail fast, with one clear message, on a store we cannot use.
  Result<storage::ListPage> probe = store_->List(keys_.Root(), "", 1);
  if (!probe.ok()) return probe.status().WithContext("cannot use the backup store");

  kafka::Properties overrides = {{"group.id", cfg_.backup.group_id},
                                 {"enable.auto.commit", "false"},
                                 {"enable.auto.offset.store", "false"},
                                 {"auto.offset.reset", "error"},
                                 // MessageBatch cannot have EOF events; OnceDone asks positions.
                                 {"enable.partition.eof", "false"}};
  instance_id_ = EffectiveInstanceId(cfg_.backup);
  if (!instance_id_.empty()) overrides["group.instance.id"] = instance_id_;
  kafka::Properties props = cfg_.kafka.properties;
  props.try_emplace("isolation.level", "read_committed");
  props.try_emplace("partition.assignment.strategy", "cooperative-sticky");
  props.try_emplace("client.id", "kafka-backup");
  KB_RETURN_IF_ERROR(SizeKafkaQueue(&props));
  KB_ASSIGN_OR_RETURN(auto conf, kafka::MakeConf(props, overrides));
  std::string err;
  if (conf->set("rebalance_cb", rebalancer_.get(), err) != RdKafka::Conf::CONF_OK) {
    return Status::Permanent("kafka", err);
  }
  consumer_.reset(RdKafka::KafkaConsumer::create(conf.get(), err));
  if (!consumer_) return Status::InvalidArgument("kafka", "cannot create consumer: " + err);
  spdlog::info("consumer group {}: {}", cfg_.backup.group_id,
               instance_id_.empty() ? std::string("dynamic member (backup.instance_id is \"\")")
                                    : "static member " + instance_id_ + " (backup.instance_id)");
  int threads = cfg_.backup.compression_threads;
  if (threads < 0)
    threads = static_cast<int>(std::clamp(std::thread::hardware_concurrency(), 1u, 8u));
  CompressionPool::Options po;
  po.threads = threads;
  po.block_bytes = cfg_.backup.block_bytes;
  po.max_queued = 2 * static_cast<size_t>(std::max(threads, 1)) + 2;
  // Idle buffers may fill what the budget leaves unused: the budget bounds the memory held, and
  // EnforceBudget counts only the memory in use.
  po.idle_limit = segment_memory_;
  pool_ = std::make_unique<CompressionPool>(po, &gauge_);
  uploader_ = std::make_unique<Uploader>(store_, cfg_.backup.upload_concurrency);
  spdlog::debug(
      "memory: {} bytes for librdkafka's queue, {} for segments; {} compression thread(s)",
      kafka_memory_, segment_memory_, threads);
  return RefreshSubscription(/*force=*/true);
}

Status BackupEngine::RefreshSubscription(bool force) {
  if (!force && SteadyClock::now() < next_metadata_refresh_) return Status::OK();
  RdKafka::Metadata* raw = nullptr;
  RdKafka::ErrorCode ec = RdKafka::ERR_NO_ERROR;
  if (force) {
    // At start-up, in slices: a connection failure no retry fixes (refused credentials or
    // certificates, kafka::ConnectionFailure) ends the start at once, not after 30 s.
    const auto wait_start = std::chrono::steady_clock::now();
    const auto deadline = SteadyClock::now() + std::chrono::seconds(30);
    for (;;) {
      if (std::optional<Status> failure = kafka::ConnectionFailure(wait_start)) {
        return failure->WithContext("cannot connect to the Kafka cluster");
      }
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
      ec = consumer_->metadata(true, nullptr, &raw,
                               static_cast<int>(std::clamp<int64_t>(left.count(), 1, 1000)));
      if (ec == RdKafka::ERR_NO_ERROR || SteadyClock::now() >= deadline) break;
      delete raw;
      raw = nullptr;
      if (ec != RdKafka::ERR__TIMED_OUT)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  } else {
    ec = consumer_->metadata(true, nullptr, &raw, 10000);
  }
  std::unique_ptr<RdKafka::Metadata> md(raw);
  // Counted from the answer: the request waits behind the consumer's long-polling fetch on the
  // same broker connection (up to fetch.wait.max.ms), and consuming must get the time in between.
  next_metadata_refresh_ = SteadyClock::now() + cfg_.backup.metadata_interval;
  if (ec != RdKafka::ERR_NO_ERROR) {
    Status s = FromKafkaError(static_cast<rd_kafka_resp_err_t>(ec),
                              cfg_.kafka.properties.at("bootstrap.servers"), "fetching metadata");
    if (force) return s.WithContext("cannot reach the Kafka cluster");
    spdlog::warn("{}", s.ToString());
    return Status::OK();
  }
  std::vector<std::string> names;
  std::map<std::string, size_t> partition_counts;
  for (const RdKafka::TopicMetadata* t : *md->topics()) {
    if (t->err() != RdKafka::ERR_NO_ERROR) continue;
    names.push_back(t->topic());
    partition_counts[t->topic()] = t->partitions()->size();
  }
  if (force) KB_RETURN_IF_ERROR(CheckNamedTopicsVisible(names));
  std::vector<std::string> wanted = filter_.Select(names);
  expected_partitions_ = 0;
  for (const std::string& t : wanted) expected_partitions_ += partition_counts[t];
  if (wanted.empty() && options_.once) {
    return Status::InvalidArgument("backup.topics", "no topic in the cluster matches");
  }
  if (wanted == subscribed_ && !force) return Status::OK();
  if (wanted.empty()) {
    spdlog::warn("no topic in the cluster matches backup.topics; waiting for one to appear");
    consumer_->unsubscribe();
  } else {
    spdlog::info("backing up {} topic(s): {}", wanted.size(), fmt::join(wanted, ", "));
    if (subscribed_.empty()) subscribed_at_ = SteadyClock::now();
    RdKafka::ErrorCode sec = consumer_->subscribe(wanted);
    if (sec != RdKafka::ERR_NO_ERROR) {
      return FromKafkaError(static_cast<rd_kafka_resp_err_t>(sec), "backup.topics", "subscribe");
    }
  }
  subscribed_ = std::move(wanted);
  return Status::OK();
}

Status BackupEngine::CheckNamedTopicsVisible(const std::vector<std::string>& listed) {
  for (const std::string& name : filter_.ExactNames()) {
    if (std::find(listed.begin(), listed.end(), name) != listed.end()) continue;
    std::string err;
    std::unique_ptr<RdKafka::Topic> topic(
        RdKafka::Topic::create(consumer_.get(), name, nullptr, err));
    if (!topic) continue;
    RdKafka::Metadata* raw = nullptr;
    const RdKafka::ErrorCode ec = consumer_->metadata(false, topic.get(), &raw, 5000);
    std::unique_ptr<RdKafka::Metadata> md(raw);
    if (ec != RdKafka::ERR_NO_ERROR || !md) continue;  // no answer: taken as missing, as before
    for (const RdKafka::TopicMetadata* t : *md->topics()) {
      const auto terr = static_cast<rd_kafka_resp_err_t>(t->err());
      if (t->topic() == name && IsKafkaAuthorizationError(terr)) {
        // The request needs DESCRIBE, which READ (needed anyway) implies: name READ, so that
        // one grant fixes it.
        return FromKafkaError(terr, name, "fetching the metadata of a topic in backup.topics",
                              {.operation = "READ", .topic = name});
      }
    }
  }
  return Status::OK();
}

std::vector<PartitionId> BackupEngine::Assigned() const {
  std::lock_guard<std::mutex> lock(assigned_mu_);
  return assigned_;
}

void BackupEngine::LogWaitingForAssignment() {
  if (waiting_logged_ || once_assigned_ || subscribed_.empty()) return;
  if (SteadyClock::now() - subscribed_at_ < std::chrono::seconds(10)) return;
  waiting_logged_ = true;
  spdlog::info(
      "no partitions assigned yet by group {}{}: the coordinator assigns them after a rebalance, "
      "which waits for members that left without saying so (up to session.timeout.ms)",
      cfg_.backup.group_id, instance_id_.empty() ? "" : " (static member " + instance_id_ + ")");
}

Status BackupEngine::Run() {
  // Records are taken from the consumer in batches (kafka/message_batch.h): consume() costs a
  // clock read, a timeout set-up and an allocation per record. Housekeeping (completions and
  // commits, rolling, the budget, metadata, ticks, --once) runs after every event that is not a
  // record, after a poll that found nothing, and between records every 64 records or 256 KiB:
  // per record it would cost more than the record (clock reads, a lock, a scan of the
  // partitions), and the budget is still enforced within 256 KiB plus one record.
  constexpr size_t kBatch = 64;
  constexpr uint32_t kRecordsPerRound = 64;
  constexpr size_t kBytesPerRound = 256 << 10;
  uint32_t records_since = 0;
  size_t bytes_since = 0;
  auto next_position_check = SteadyClock::now();
  bool once_done = false;
  const auto housekeeping = [&](bool idle) -> Status {
    records_since = 0;
    bytes_since = 0;
    KB_RETURN_IF_ERROR(ProcessCompletions(false));
    KB_RETURN_IF_ERROR(RollAged());
    KB_RETURN_IF_ERROR(EnforceBudget());
    KB_RETURN_IF_ERROR(RefreshSubscription(false));
    if (SteadyClock::now() >= next_tick_) {
      Tick();
      LogWaitingForAssignment();
    }
    if (options_.once) {
      // Positions are asked (a lock per partition) only when the consumer has gone quiet.
      const bool ask = idle && SteadyClock::now() >= next_position_check;
      if (ask) next_position_check = SteadyClock::now() + 50ms;
      once_done = OnceDone(ask);
    }
    return Status::OK();
  };
  kafka::MessageBatch batch(consumer_.get(), kBatch);
  Status result;
  while (!stop_.load() && !once_done && result.ok()) {
    Result<size_t> polled = batch.Poll(100ms);
    if (!polled.ok()) {
      result = polled.status();
      break;
    }
    ++batch_seq_;
    for (size_t i = 0; i < *polled && result.ok() && !once_done; ++i) {
      const rd_kafka_message_t& msg = batch[i];
      Status s = HandleMessage(msg);
      if (s.ok()) s = fatal_;
      if (s.ok() && msg.err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        bytes_since += msg.len + msg.key_len;
        if (++records_since < kRecordsPerRound && bytes_since < kBytesPerRound) continue;
      }
      if (s.ok()) s = housekeeping(false);
      result = s;
    }
    // A batch shorter than asked for emptied the queue: the consumer is caught up, or idle.
    if (result.ok() && *polled < batch.capacity()) result = housekeeping(true);
  }
  batch.Clear();
  if (!result.ok()) spdlog::error("backup stopping: {}", result.ToString());
  if (result.ok()) {
    result = Drain(/*sync_commit=*/true);
  } else {
    uploader_->WaitForAll();
  }
  // Leaves the group; the revoke callback finds nothing left to flush after Drain.
  consumer_->close();
  Tick();
  if (result.ok()) {
    spdlog::info("backup stopped: {} records, {} payload bytes in {} segments, {} gap(s)",
                 stats_.records, stats_.payload_bytes, stats_.segments, stats_.gaps);
  } else {
    spdlog::info(
        "backup stopped after an error: {} records read, {} of them durable in {} segments, {} "
        "gap(s); the rest is read again by the next run",
        stats_.records, stats_.durable_records, stats_.segments, stats_.gaps);
  }
  spdlog::debug("peak buffer memory {} bytes (segment budget {})", gauge_.peak(), segment_memory_);
  return result;
}

}  // namespace kb::backup
