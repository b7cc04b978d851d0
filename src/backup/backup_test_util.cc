#include "backup/backup_test_util.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <thread>

#include "format/segment_decoder.h"
#include "testing/test_env.h"

namespace kb::backup::testutil {

RawProducer::RawProducer(const std::string& bootstrap, const kafka::Properties& extra) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char err[512];
  auto set = [&](const std::string& k, const std::string& v) {
    EXPECT_EQ(rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof(err)), RD_KAFKA_CONF_OK)
        << k << ": " << err;
  };
  set("bootstrap.servers", bootstrap);
  set("enable.idempotence", "true");
  set("linger.ms", "5");
  for (const auto& [k, v] : extra) set(k, v);
  // librdkafka's debug contexts for chasing a flaky test, e.g. KB_TEST_PRODUCER_DEBUG=msg,eos.
  if (const char* debug = std::getenv("KB_TEST_PRODUCER_DEBUG"); debug && *debug) {
    set("debug", debug);
  }
  rd_kafka_conf_set_dr_msg_cb(conf, &RawProducer::OnDelivery);
  rd_kafka_conf_set_opaque(conf, this);
  rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
  EXPECT_NE(rk_, nullptr) << err;
}

RawProducer::~RawProducer() {
  if (rk_) {
    rd_kafka_flush(rk_, 30000);
    rd_kafka_destroy(rk_);
  }
}

void RawProducer::Send(const std::string& topic, int32_t partition, const format::Record& r) {
  rd_kafka_headers_t* hdrs = rd_kafka_headers_new(r.headers.size());
  for (const format::Header& h : r.headers) {
    rd_kafka_header_add(hdrs, h.key.data(), static_cast<ssize_t>(h.key.size()),
                        h.value ? h.value->data() : nullptr, h.value ? h.value->size() : 0);
  }
  // An empty (non-null) key or value needs a non-null pointer.
  static const char kEmpty[1] = {0};
  const char* key = r.key ? (r.key->empty() ? kEmpty : r.key->data()) : nullptr;
  const char* value = r.value ? (r.value->empty() ? kEmpty : r.value->data()) : nullptr;
  const size_t key_len = r.key ? r.key->size() : 0;
  const size_t value_len = r.value ? r.value->size() : 0;
  rd_kafka_resp_err_t e;
  do {
    e = rd_kafka_producev(rk_, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(partition),
                          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_KEY(key, key_len),
                          RD_KAFKA_V_VALUE(const_cast<char*>(value), value_len),
                          RD_KAFKA_V_TIMESTAMP(r.timestamp), RD_KAFKA_V_HEADERS(hdrs),
                          RD_KAFKA_V_END);
    if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL) rd_kafka_poll(rk_, 100);
  } while (e == RD_KAFKA_RESP_ERR__QUEUE_FULL);
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR) rd_kafka_headers_destroy(hdrs);  // else librdkafka owns them
  ASSERT_EQ(e, RD_KAFKA_RESP_ERR_NO_ERROR) << rd_kafka_err2str(e);
}

void RawProducer::OnDelivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
  if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) return;
  auto* self = static_cast<RawProducer*>(opaque);
  std::lock_guard<std::mutex> lock(self->mu_);
  self->failures_.push_back(std::string(rd_kafka_topic_name(m->rkt)) + "/" +
                            std::to_string(m->partition) + ": " + rd_kafka_err2str(m->err));
}

void RawProducer::Flush() {
  ASSERT_EQ(rd_kafka_flush(rk_, 60000), RD_KAFKA_RESP_ERR_NO_ERROR);
  std::lock_guard<std::mutex> lock(mu_);
  EXPECT_TRUE(failures_.empty()) << failures_.size() << " record(s) not delivered, first "
                                 << failures_.front();
}

void KafkaTest::SetUp() {
  bootstrap_ = kb::testing::RequireEnv("KB_TEST_KAFKA_BOOTSTRAP");
  ASSERT_FALSE(bootstrap_.empty());
  auto admin = kafka::Admin::Make({{"bootstrap.servers", bootstrap_}});
  ASSERT_TRUE(admin.ok()) << admin.status().ToString();
  admin_ = std::move(admin).value();
}

void KafkaTest::CreateTopic(const std::string& topic, int partitions,
                            const kafka::TopicConfigs& configs) {
  Status s = admin_->CreateTopic({topic, partitions, 1, configs}, std::chrono::seconds(30));
  ASSERT_TRUE(s.ok()) << s.ToString();
}

void KafkaTest::RecreateTopic(const std::string& topic, int partitions) {
  ASSERT_TRUE(admin_->DeleteTopic(topic, std::chrono::seconds(30)).ok());
  Status created = Status::OK();
  for (int i = 0; i < 100; ++i) {  // the broker finishes a deletion asynchronously
    created = admin_->CreateTopic({topic, partitions, 1, {}}, std::chrono::seconds(30));
    if (created.code() != Status::Code::kAlreadyExists) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(created.ok()) << created.ToString();
}

Config MakeConfig(const std::string& bootstrap, const std::vector<std::string>& topics,
                  const std::string& group) {
  Config cfg;
  cfg.kafka.properties["bootstrap.servers"] = bootstrap;
  cfg.storage.prefix = "backups";
  cfg.backup.group_id = group;
  cfg.backup.topics = topics;
  cfg.backup.upload_concurrency = 2;
  cfg.backup.metadata_interval = std::chrono::milliseconds(500);
  // librdkafka's debug contexts for chasing a flaky test, e.g. KB_TEST_KAFKA_DEBUG=cgrp,fetch.
  if (const char* debug = std::getenv("KB_TEST_KAFKA_DEBUG"); debug && *debug) {
    cfg.kafka.properties["debug"] = debug;
  }
  return cfg;
}

Status RunOnce(const Config& cfg, storage::ObjectStore* store, EngineStats* stats) {
  KB_ASSIGN_OR_RETURN(auto engine, BackupEngine::Make(cfg, store, {.once = true}));
  Status s = engine->Run();
  if (stats) *stats = engine->stats();
  return s;
}

PartitionContents ReadPartition(storage::ObjectStore& store, const Config& cfg,
                                const std::string& topic, int32_t partition) {
  PartitionContents out;
  layout::Keys keys(cfg.storage.prefix);
  auto ranges = catalog::ListPartitionRanges(store, keys, topic, partition);
  EXPECT_TRUE(ranges.ok()) << ranges.status().ToString();
  if (!ranges.ok()) return out;
  out.ranges = *ranges;
  for (const catalog::StoredRange& r : out.ranges) {
    if (r.is_gap) continue;
    auto bytes = store.Get(r.key);
    EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
    if (!bytes.ok()) continue;
    auto seg = format::DecodeSegment(r.key, *bytes);
    EXPECT_TRUE(seg.ok()) << seg.status().ToString();
    if (!seg.ok()) continue;
    for (format::Record& rec : seg->ToRecords()) {
      EXPECT_GE(rec.offset, r.start) << r.key;
      EXPECT_LE(rec.offset, r.end) << r.key;
      out.records.push_back(std::move(rec));
    }
  }
  return out;
}

::testing::AssertionResult RangesTile(const std::vector<catalog::StoredRange>& ranges,
                                      int64_t first) {
  int64_t next = first;
  for (const catalog::StoredRange& r : ranges) {
    if (r.start != next) {
      return ::testing::AssertionFailure()
             << r.key << " starts at " << r.start << ", expected " << next;
    }
    next = r.end + 1;
  }
  return ::testing::AssertionSuccess();
}

}  // namespace kb::backup::testutil
