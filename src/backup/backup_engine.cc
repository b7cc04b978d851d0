#include "backup/backup_engine.h"

#include <spdlog/spdlog.h>

#include "backup/partition.h"
#include "common/error_map.h"

namespace kb::backup {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// Properties kafka-backup manages itself; setting them under kafka: would be ignored, so it is an
// error instead.
constexpr const char* kManaged[] = {"group.id", "enable.auto.commit", "enable.auto.offset.store",
                                    "auto.offset.reset", "enable.partition.eof"};

}  // namespace

// Bridges librdkafka's rebalance callback (called inside consume()) to the engine.
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
          "is managed by kafka-backup (the backup group is set with backup.group_id)");
    }
  }
  if (!cfg.kafka.properties.count("bootstrap.servers")) {
    return Status::InvalidArgument("kafka.bootstrap.servers", "is required");
  }
  format::WriterOptions wo{cfg.backup.zstd_level, cfg.backup.block_bytes, "backup"};
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
  uploader_.reset();  // joins upload threads before partitions go away
  consumer_.reset();
}

Status BackupEngine::Init() {
  // Fail fast, with one clear message, on a store we cannot use.
  Result<storage::ListPage> probe = store_->List(keys_.Root(), "", 1);
  if (!probe.ok()) return probe.status().WithContext("cannot use the backup store");

  kafka::Properties overrides = {{"group.id", cfg_.backup.group_id},
                                 {"enable.auto.commit", "false"},
                                 {"enable.auto.offset.store", "false"},
                                 {"auto.offset.reset", "error"},
                                 {"enable.partition.eof", "true"}};
  kafka::Properties props = cfg_.kafka.properties;
  props.try_emplace("isolation.level", "read_committed");
  props.try_emplace("partition.assignment.strategy", "cooperative-sticky");
  props.try_emplace("client.id", "kafka-backup");
  KB_ASSIGN_OR_RETURN(auto conf, kafka::MakeConf(props, overrides));
  std::string err;
  if (conf->set("rebalance_cb", rebalancer_.get(), err) != RdKafka::Conf::CONF_OK) {
    return Status::Permanent("kafka", err);
  }
  consumer_.reset(RdKafka::KafkaConsumer::create(conf.get(), err));
  if (!consumer_) return Status::InvalidArgument("kafka", "cannot create consumer: " + err);
  uploader_ = std::make_unique<Uploader>(store_, cfg_.backup.upload_concurrency);
  return RefreshSubscription(/*force=*/true);
}

Status BackupEngine::RefreshSubscription(bool force) {
  if (!force && Clock::now() < next_metadata_refresh_) return Status::OK();
  RdKafka::Metadata* raw = nullptr;
  RdKafka::ErrorCode ec = consumer_->metadata(true, nullptr, &raw, force ? 30000 : 10000);
  std::unique_ptr<RdKafka::Metadata> md(raw);
  // Counted from the answer: the request waits behind the consumer's long-polling fetch on the
  // same broker connection (up to fetch.wait.max.ms), and consuming must get the time in between.
  next_metadata_refresh_ = Clock::now() + cfg_.backup.metadata_interval;
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
    RdKafka::ErrorCode sec = consumer_->subscribe(wanted);
    if (sec != RdKafka::ERR_NO_ERROR) {
      return FromKafkaError(static_cast<rd_kafka_resp_err_t>(sec), "backup.topics", "subscribe");
    }
  }
  subscribed_ = std::move(wanted);
  return Status::OK();
}

std::vector<PartitionId> BackupEngine::Assigned() const {
  std::lock_guard<std::mutex> lock(assigned_mu_);
  return assigned_;
}

Status BackupEngine::Run() {
  Status result;
  while (!stop_.load()) {
    std::unique_ptr<RdKafka::Message> msg(consumer_->consume(100));
    Status s = HandleMessage(*msg);
    if (s.ok()) s = fatal_;
    if (s.ok()) s = ProcessCompletions(false);
    if (s.ok()) s = RollAged();
    if (s.ok()) s = EnforceBudget();
    if (s.ok()) s = RefreshSubscription(false);
    if (!s.ok()) {
      result = s;
      break;
    }
    if (Clock::now() >= next_tick_) Tick();
    if (options_.once && OnceDone()) break;
  }
  if (result.ok()) {
    result = Drain(/*sync_commit=*/true);
  } else {
    uploader_->WaitForAll();
  }
  // Leaves the group; the revoke callback finds nothing left to flush after Drain.
  consumer_->close();
  Tick();
  spdlog::info("backup stopped: {} records, {} payload bytes in {} segments, {} gap(s)",
               stats_.records, stats_.payload_bytes, stats_.segments, stats_.gaps);
  return result;
}

}  // namespace kb::backup
