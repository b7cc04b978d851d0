#include "restore/restore_producer.h"

#include <spdlog/spdlog.h>

#include <charconv>

#include "common/error_map.h"

namespace kb::restore {

namespace {

// A produce or delivery error `err` on `subject` (topic/partition of `topic`). A fatal error of
// the idempotent producer is reported by its cause, which is how a missing ACL shows up (the
// producer id request needs WRITE on a topic): then the error names that ACL.
Status ProduceError(rd_kafka_t* rk, rd_kafka_resp_err_t err, const std::string& subject,
                    const std::string& topic, const std::string& what) {
  if (err == RD_KAFKA_RESP_ERR__FATAL) {
    char fatal[256] = "";
    const rd_kafka_resp_err_t cause = rd_kafka_fatal_error(rk, fatal, sizeof(fatal));
    if (cause != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return FromKafkaError(cause, subject,
                            what + " (producer fatal error: " + std::string(fatal) + ")",
                            {.operation = "WRITE", .topic = topic});
    }
  }
  return FromKafkaError(err, subject, what, {.operation = "WRITE", .topic = topic});
}

using namespace std::chrono_literals;

// A pinned record's address is its delivery opaque; the low bit tags a copied record's offset.
static_assert(alignof(format::RecordView) >= 2);

// Properties restore needs whatever the user says; the value a user may not contradict.
const kafka::Properties& Required() {
  static const kafka::Properties kRequired = {
      {"enable.idempotence", "true"},
      {"enable.gapless.guarantee", "true"},
  };
  return kRequired;
}

Status CheckUserProps(const kafka::Properties& user) {
  for (const auto& [k, v] : Required()) {
    auto it = user.find(k);
    if (it != user.end() && it->second != v) {
      return Status::InvalidArgument(
          "kafka." + k,
          "restore needs " + k + "=" + v + " (idempotent, ordered produce); remove the setting");
    }
  }
  for (const char* k : {"max.in.flight.requests.per.connection", "max.in.flight"}) {
    auto it = user.find(k);
    if (it == user.end()) continue;
    int n = 0;
    auto [p, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), n);
    if (ec != std::errc() || n > 5) {
      return Status::InvalidArgument(std::string("kafka.") + k,
                                     "restore keeps records in order with the idempotent "
                                     "producer, which allows at most 5 requests in flight");
    }
  }
  for (const char* k : {"transactional.id", "acks", "request.required.acks"}) {
    auto it = user.find(k);
    if (it == user.end()) continue;
    if (std::string_view(k) == "transactional.id" || (it->second != "all" && it->second != "-1")) {
      return Status::InvalidArgument(std::string("kafka.") + k,
                                     "not allowed for restore (needs an idempotent, "
                                     "non-transactional producer with acks=all)");
    }
  }
  return Status::OK();
}

}  // namespace

OffsetMap PartitionSink::map() const {
  std::lock_guard lock(mu_);
  return map_;
}
Status PartitionSink::error() const {
  std::lock_guard lock(mu_);
  return error_;
}
uint64_t PartitionSink::delivered_records() const {
  std::lock_guard lock(mu_);
  return delivered_records_;
}
uint64_t PartitionSink::delivered_bytes() const {
  std::lock_guard lock(mu_);
  return delivered_bytes_;
}
void PartitionSink::UnpinLocked(const format::RecordView* record) {
  // Reports come in send order per partition, so this is almost always the first pin.
  for (auto it = pins_.begin(); it != pins_.end(); ++it) {
    const auto records = it->block->records();
    if (record < records.data() || record >= records.data() + records.size()) continue;
    if (--it->outstanding == 0) pins_.erase(it);
    return;
  }
}
bool PartitionSink::TakeDirty() {
  std::lock_guard lock(mu_);
  return std::exchange(dirty_, false);
}

void RateLimiter::Acquire(uint64_t bytes) {
  if (rate_ == 0) return;
  std::chrono::duration<double> wait{0};
  {
    std::lock_guard lock(mu_);
    const auto now = std::chrono::steady_clock::now();
    const double elapsed = std::chrono::duration<double>(now - last_).count();
    last_ = now;
    tokens_ = std::min<double>(static_cast<double>(rate_), tokens_ + elapsed * rate_);
    tokens_ -= static_cast<double>(bytes);
    if (tokens_ < 0) wait = std::chrono::duration<double>(-tokens_ / rate_);
  }
  if (wait.count() > 0) std::this_thread::sleep_for(wait);
}

kafka::Properties RestoreProducer::Defaults() {
  return {
      {"linger.ms", "20"},
      {"batch.size", "1000000"},
      {"batch.num.messages", "100000"},
      // Per topic: ChooseCompression / SetCompression.
      {"compression.type", "none"},
      // 64 MiB: enough to keep 5 requests of 1 MB batches in flight to every broker; a bigger
      // queue only pins more decoded blocks (zero copy) and costs page faults and RSS.
      {"queue.buffering.max.kbytes", "65536"},
      {"queue.buffering.max.messages", "1000000"},
      {"message.max.bytes", "100000000"},
      {"max.in.flight.requests.per.connection", "5"},
  };
}

Result<std::unique_ptr<RestoreProducer>> RestoreProducer::Make(const kafka::Properties& user_props,
                                                               const Options& options) {
  KB_RETURN_IF_ERROR(CheckUserProps(user_props));
  kafka::Properties props = Defaults();
  for (const auto& [k, v] : kafka::ClientDefaults()) props.try_emplace(k, v);
  for (const auto& [k, v] : user_props) props[k] = v;
  for (const auto& [k, v] : Required()) props[k] = v;
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  kafka::RouteLogsToSpdlog(conf);
  char err[512];
  for (const auto& [k, v] : props) {
    if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof(err)) != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      return Status::InvalidArgument("kafka." + k, err);
    }
  }
  rd_kafka_conf_set_dr_msg_cb(conf, &RestoreProducer::OnDelivery);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
  if (rk == nullptr) {
    rd_kafka_conf_destroy(conf);
    return Status::InvalidArgument("kafka", std::string("cannot create the producer: ") + err);
  }
  return std::unique_ptr<RestoreProducer>(new RestoreProducer(rk, options));
}

RestoreProducer::RestoreProducer(rd_kafka_t* rk, const Options& options)
    : rk_(rk), limiter_(options.max_bytes_per_second) {
  poller_ = std::thread([this] {
    while (!stop_.load()) rd_kafka_poll(rk_, 100);
  });
}

RestoreProducer::~RestoreProducer() {
  // Whatever is still queued is purged: its sinks are told by failed delivery reports, which the
  // poller serves until the queue is empty.
  rd_kafka_purge(rk_, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
  rd_kafka_flush(rk_, 10000);
  stop_ = true;
  poller_.join();
  for (auto& [name, t] : topics_) rd_kafka_topic_destroy(t->rkt);
  rd_kafka_destroy(rk_);
}

std::optional<Compression> ChooseCompression(const kafka::Properties& user,
                                             const kafka::TopicConfigs* target,
                                             const kafka::TopicConfigs* backed_up) {
  if (user.contains("compression.type") || user.contains("compression.codec")) return std::nullopt;
  for (const kafka::TopicConfigs* configs : {target, backed_up}) {
    if (configs == nullptr) continue;
    auto type = configs->find("compression.type");
    if (type == configs->end()) continue;
    const std::string& v = type->second;
    if (v == "uncompressed") return Compression{"none", ""};
    if (v == "gzip" || v == "snappy" || v == "lz4" || v == "zstd") {
      auto level = configs->find("compression." + v + ".level");  // Kafka 3.8+ (KIP-390)
      // -1: the codec's default level (Kafka's default for gzip and lz4).
      const bool set = level != configs->end() && level->second != "-1";
      return Compression{v, set ? level->second : ""};
    }
    // "producer" (or unknown): the target keeps what it gets; the backup's topic.json may say
    // more.
  }
  return kFallbackCompression;
}

Status RestoreProducer::SetCompression(const std::string& topic, const Compression& compression) {
  std::lock_guard lock(topics_mu_);
  if (topics_.contains(topic)) {
    return Status::FailedPrecondition(topic, "compression set after the topic was bound");
  }
  compression_[topic] = compression;
  return Status::OK();
}

Result<RestoreProducer::Target> RestoreProducer::Bind(const std::string& topic, int32_t partition,
                                                      PartitionSink* sink) {
  std::lock_guard lock(topics_mu_);
  auto& entry = topics_[topic];
  if (!entry) {
    auto e = std::make_unique<TopicEntry>();
    rd_kafka_topic_conf_t* tconf = rd_kafka_topic_conf_new();
    rd_kafka_topic_conf_set_opaque(tconf, e.get());
    if (auto c = compression_.find(topic); c != compression_.end()) {
      char err[512];
      std::vector<std::pair<std::string, std::string>> set = {
          {"compression.type", c->second.codec}};
      if (!c->second.level.empty()) set.push_back({"compression.level", c->second.level});
      for (const auto& [k, v] : set) {
        if (rd_kafka_topic_conf_set(tconf, k.c_str(), v.c_str(), err, sizeof(err)) !=
            RD_KAFKA_CONF_OK) {
          rd_kafka_topic_conf_destroy(tconf);
          topics_.erase(topic);
          return Status::InvalidArgument(topic, "producer " + k + "=" + v + ": " + err);
        }
      }
    }
    e->rkt = rd_kafka_topic_new(rk_, topic.c_str(), tconf);
    if (e->rkt == nullptr) {
      topics_.erase(topic);
      return FromKafkaError(rd_kafka_last_error(), topic, "topic handle");
    }
    entry = std::move(e);
  }
  std::lock_guard tlock(entry->mu);
  if (!entry->sinks.emplace(partition, sink).second) {
    return Status::InvalidArgument(topic + "/" + std::to_string(partition),
                                   "partition restored twice in one run");
  }
  return Target{entry->rkt, partition, sink, topic + "/" + std::to_string(partition)};
}

void RestoreProducer::Unbind(const std::string& topic, int32_t partition) {
  std::lock_guard lock(topics_mu_);
  auto it = topics_.find(topic);
  if (it == topics_.end()) return;
  std::lock_guard tlock(it->second->mu);
  it->second->sinks.erase(partition);
}

Status RestoreProducer::Send(const Target& t, const format::RecordView& r,
                             std::shared_ptr<const format::DecodedBlock> block) {
  const uint64_t bytes = format::PayloadBytes(r);
  limiter_.Acquire(bytes);
  const bool pinned = block != nullptr;
  {
    std::lock_guard lock(t.sink->mu_);
    if (!t.sink->error_.ok()) return t.sink->error_;
    ++t.sink->in_flight_;
    if (pinned) {
      auto& pins = t.sink->pins_;
      if (pins.empty() || pins.back().block != block) {
        pins.push_back({std::move(block), 1});
      } else {
        ++pins.back().outstanding;
      }
    }
  }
  if (r.timestamp == 0) ++zero_timestamps_;
  // An empty (non-null) key or value needs a non-null pointer to stay non-null.
  static const char kEmpty[1] = {0};
  const char* key = r.key ? (r.key->empty() ? kEmpty : r.key->data()) : nullptr;
  const char* value = r.value ? (r.value->empty() ? kEmpty : r.value->data()) : nullptr;
  const size_t key_len = r.key ? r.key->size() : 0;
  const size_t value_len = r.value ? r.value->size() : 0;
  // Opaque: the record's address when its block is pinned (RecordView is 8-aligned: low bit 0),
  // else the source offset tagged with the low bit.
  void* opaque = nullptr;
  int flags = 0;
  if (pinned) {
    opaque = const_cast<format::RecordView*>(&r);
  } else {
    opaque = reinterpret_cast<void*>((static_cast<uintptr_t>(r.offset) << 1) | 1);
    flags = RD_KAFKA_MSG_F_COPY;
  }
  rd_kafka_resp_err_t e;
  for (;;) {
    rd_kafka_headers_t* hdrs = nullptr;
    if (!r.headers.empty()) {
      hdrs = rd_kafka_headers_new(r.headers.size());
      for (const format::HeaderView& h : r.headers) {
        rd_kafka_header_add(hdrs, h.key.data(), static_cast<ssize_t>(h.key.size()),
                            h.value ? h.value->data() : nullptr, h.value ? h.value->size() : 0);
      }
    }
    e = rd_kafka_producev(rk_, RD_KAFKA_V_RKT(t.rkt), RD_KAFKA_V_PARTITION(t.partition),
                          RD_KAFKA_V_MSGFLAGS(flags), RD_KAFKA_V_KEY(key, key_len),
                          RD_KAFKA_V_VALUE(const_cast<char*>(value), value_len),
                          RD_KAFKA_V_TIMESTAMP(r.timestamp), RD_KAFKA_V_HEADERS(hdrs),
                          RD_KAFKA_V_OPAQUE(opaque), RD_KAFKA_V_END);
    if (e == RD_KAFKA_RESP_ERR_NO_ERROR) return Status::OK();
    if (hdrs != nullptr) rd_kafka_headers_destroy(hdrs);  // still ours when producev failed
    if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) break;
    std::this_thread::sleep_for(1ms);
  }
  Status s = ProduceError(rk_, e, t.name, rd_kafka_topic_name(t.rkt),
                          "produce of source offset " + std::to_string(r.offset));
  std::lock_guard lock(t.sink->mu_);
  --t.sink->in_flight_;
  if (pinned) t.sink->UnpinLocked(&r);
  if (t.sink->error_.ok()) t.sink->error_ = s;
  t.sink->cv_.notify_all();
  return s;
}

Status RestoreProducer::Drain(PartitionSink* sink) {
  std::unique_lock lock(sink->mu_);
  sink->cv_.wait(lock, [&] { return sink->in_flight_ == 0; });
  return sink->error_;
}

void RestoreProducer::OnDelivery(rd_kafka_t* rk, const rd_kafka_message_t* m, void*) {
  auto* topic = static_cast<TopicEntry*>(rd_kafka_topic_opaque(m->rkt));
  PartitionSink* sink = nullptr;
  {
    std::lock_guard lock(topic->mu);
    auto it = topic->sinks.find(m->partition);
    if (it != topic->sinks.end()) sink = it->second;
  }
  if (sink == nullptr) return;  // cannot happen: every send goes through a bound target
  const auto op = reinterpret_cast<uintptr_t>(m->_private);
  const auto* record = (op & 1) ? nullptr : reinterpret_cast<const format::RecordView*>(op);
  const int64_t source = record ? record->offset : static_cast<int64_t>(op >> 1);
  const auto name = [m] {
    return std::string(rd_kafka_topic_name(m->rkt)) + "/" + std::to_string(m->partition);
  };
  std::lock_guard lock(sink->mu_);
  --sink->in_flight_;
  if (record != nullptr) sink->UnpinLocked(record);  // librdkafka is done with its bytes
  if (sink->error_.ok()) {
    if (m->err) {
      sink->error_ = ProduceError(rk, m->err, name(), rd_kafka_topic_name(m->rkt),
                                  "delivery of source offset " + std::to_string(source));
    } else if (m->offset < 0) {
      sink->error_ = Status::Permanent(name(),
                                       "the broker did not report the offset of source "
                                       "offset " +
                                           std::to_string(source));
    } else {
      Status s = sink->map_.Append(source, m->offset);
      if (!s.ok()) {
        sink->error_ = Status::Permanent(name(), "delivery out of order: " + s.ToString());
      } else {
        ++sink->delivered_records_;
        sink->delivered_bytes_ += m->len + m->key_len;
        sink->dirty_ = true;
      }
    }
  }
  if (sink->in_flight_ == 0 || !sink->error_.ok()) sink->cv_.notify_all();
}

}  // namespace kb::restore
