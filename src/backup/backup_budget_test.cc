// BackupEngine under a small backup.buffer_memory, against the real Kafka broker: many partitions,
// large segments allowed, and a store slower than consuming. The budget must seal segments early,
// bound what is buffered, and still upload upload_concurrency segments at a time.
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <map>
#include <random>
#include <thread>

#include "backup/backup_engine.h"
#include "backup/backup_test_util.h"
#include "storage/memory/memory_store.h"
#include "testing/test_env.h"

namespace kb::backup {
namespace {

using namespace std::chrono_literals;
using format::Record;
using testutil::RangesTile;
using testutil::ReadPartition;

// Sends `per_partition` incompressible values (the budget counts compressed blocks) of `bytes`
// bytes to every partition, round-robin in small batches so that a fetch can return a partition in
// pieces. Returns the records the broker did not acknowledge.
std::vector<std::string> ProduceIncompressible(const std::string& bootstrap,
                                               const std::string& topic, int partitions,
                                               int per_partition, size_t bytes) {
  std::vector<std::string> failed;
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  for (const auto& [k, v] : std::map<std::string, std::string>{{"bootstrap.servers", bootstrap},
                                                               {"enable.idempotence", "true"},
                                                               {"linger.ms", "5"},
                                                               {"batch.size", "32768"}}) {
    EXPECT_EQ(rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof(err)), RD_KAFKA_CONF_OK);
  }
  rd_kafka_conf_set_opaque(conf, &failed);
  rd_kafka_conf_set_dr_msg_cb(conf, [](rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) return;
    static_cast<std::vector<std::string>*>(opaque)->push_back(
        "partition " + std::to_string(m->partition) + ": " + rd_kafka_err2str(m->err));
  });
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
  if (rk == nullptr) return {err};
  std::mt19937_64 rng(42);
  std::string value(bytes, '\0');
  for (int i = 0; i < per_partition; ++i) {
    for (int32_t p = 0; p < partitions; ++p) {
      for (size_t j = 0; j + 8 <= value.size(); j += 8) {
        uint64_t x = rng();
        std::memcpy(&value[j], &x, 8);
      }
      rd_kafka_resp_err_t e;
      while ((e = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(p),
                                    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                    RD_KAFKA_V_VALUE(value.data(), value.size()),
                                    RD_KAFKA_V_END)) == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        rd_kafka_poll(rk, 100);
      }
      if (e != RD_KAFKA_RESP_ERR_NO_ERROR) failed.push_back(rd_kafka_err2str(e));
    }
  }
  if (rd_kafka_flush(rk, 60000) != RD_KAFKA_RESP_ERR_NO_ERROR) failed.push_back("flush timed out");
  rd_kafka_destroy(rk);
  return failed;
}

// Delegates to `inner`; every Put takes `delay` longer. Uploads then lag behind consuming, so the
// budget's back-pressure (consuming pauses until the store catches up) comes into play.
class SlowPutStore : public storage::ObjectStore {
 public:
  SlowPutStore(storage::ObjectStore* inner, std::chrono::milliseconds delay)
      : inner_(inner), delay_(delay) {}
  Status Put(const std::string& key, std::string_view data) override {
    ++puts_;
    if (running_.fetch_add(1) > 0) ++overlapped_;
    std::this_thread::sleep_for(delay_);
    Status s = inner_->Put(key, data);
    --running_;
    return s;
  }
  int puts() const { return puts_.load(); }
  // Puts that started while another one was running.
  int overlapped() const { return overlapped_.load(); }
  Result<std::string> Get(const std::string& key) override { return inner_->Get(key); }
  Result<std::string> GetRange(const std::string& key, uint64_t offset, uint64_t length) override {
    return inner_->GetRange(key, offset, length);
  }
  Result<uint64_t> Head(const std::string& key) override { return inner_->Head(key); }
  Result<storage::ListPage> List(const std::string& prefix, const std::string& token,
                                 size_t max_keys) override {
    return inner_->List(prefix, token, max_keys);
  }
  Status Delete(const std::vector<std::string>& keys) override { return inner_->Delete(keys); }
  std::string Describe() const override { return "slow(" + inner_->Describe() + ")"; }

 private:
  storage::ObjectStore* inner_;
  std::chrono::milliseconds delay_;
  std::atomic<int> running_{0}, puts_{0}, overlapped_{0};
};

// Records the largest buffered byte count the engine reports.
class BufferObserver : public EngineObserver {
 public:
  void OnTick(const std::vector<PartitionView>&, uint64_t buffered) override {
    max_buffered = std::max(max_buffered, buffered);
    ++ticks;
  }
  void OnDurable(const UploadResult& r) override {
    if (r.records > 0) ++segments;
    payload_bytes += r.payload_bytes;
  }
  uint64_t max_buffered = 0;
  int ticks = 0;
  uint64_t segments = 0;
  uint64_t payload_bytes = 0;
};

using BackupBudgetTest = testutil::KafkaTest;

TEST_F(BackupBudgetTest, MemoryBudgetSealsEarlyAndKeepsUploadsParallel) {
  constexpr int kPartitions = 64;
  constexpr size_t kValueBytes = 8 << 10;
  constexpr int kRecordsPerPartition = 40;  // 64 x 40 x 8 KiB = 20 MiB
  const std::string topic = testing::UniqueName("dmn-mem");
  CreateTopic(topic, kPartitions);
  std::vector<std::string> failed =
      ProduceIncompressible(bootstrap_, topic, kPartitions, kRecordsPerPartition, kValueBytes);
  ASSERT_TRUE(failed.empty()) << failed.size() << " records not delivered, e.g. " << failed[0];
  std::vector<kafka::TopicPartition> tps;
  for (int32_t p = 0; p < kPartitions; ++p) tps.push_back({topic, p});
  auto marks = admin_->QueryWatermarks(tps, 30s);
  ASSERT_TRUE(marks.ok()) << marks.status().ToString();
  for (const auto& [tp, m] : *marks) ASSERT_EQ(m.high, kRecordsPerPartition) << ToString(tp);
  Config cfg = testutil::MakeConfig(bootstrap_, {topic}, testing::UniqueName("dmn-group"));
  // The budget counts real memory, librdkafka's queue included (~2 MiB of it here): 8 MiB leaves
  // ~6 MiB for 64 partitions' buffers and segments, far less than the 20 MiB to back up.
  cfg.backup.buffer_memory = 8 << 20;
  cfg.backup.segment_max_bytes = 64 << 20;
  cfg.backup.segment_max_age = 60s;
  // Fetches interleave partitions in 64 KiB pieces instead of returning each one whole.
  cfg.kafka.properties["max.partition.fetch.bytes"] = "65536";
  storage::MemoryStore store;
  SlowPutStore slow(&store, 20ms);
  auto engine = BackupEngine::Make(cfg, &slow, {.once = true});
  ASSERT_TRUE(engine.ok()) << engine.status().ToString();
  BufferObserver observer;
  (*engine)->SetObserver(&observer);
  Status s = (*engine)->Run();
  ASSERT_TRUE(s.ok()) << s.ToString();
  EngineStats stats = (*engine)->stats();
  EXPECT_EQ(stats.records, static_cast<uint64_t>(kPartitions) * kRecordsPerPartition);

  EXPECT_GT(stats.segments, static_cast<uint64_t>(kPartitions))
      << "the memory budget never sealed a segment early";
  EXPECT_EQ(observer.segments, stats.segments);
  // What kafka_backup_bytes_total counts: every record's payload, reported per durable segment.
  EXPECT_EQ(stats.payload_bytes, uint64_t{kPartitions} * kRecordsPerPartition * kValueBytes);
  EXPECT_EQ(observer.payload_bytes, stats.payload_bytes);
  EXPECT_GE(observer.ticks, 1);
  EXPECT_LE(observer.max_buffered, cfg.backup.buffer_memory + cfg.backup.block_bytes);
  RecordProperty("max_buffered_bytes", std::to_string(observer.max_buffered));
  RecordProperty("segments", std::to_string(stats.segments));
  RecordProperty("overlapped_puts", std::to_string(slow.overlapped()));
  // Under back-pressure the uploads still run upload_concurrency (2) at a time, not one by one.
  EXPECT_GT(slow.overlapped() * 2, slow.puts()) << slow.overlapped() << " of " << slow.puts();
  for (int32_t p = 0; p < kPartitions; ++p) {
    auto got = ReadPartition(store, cfg, topic, p);
    EXPECT_TRUE(RangesTile(got.ranges, 0)) << "partition " << p;
    ASSERT_EQ(got.records.size(), static_cast<size_t>(kRecordsPerPartition)) << "partition " << p;
    for (const Record& r : got.records) ASSERT_EQ(r.value->size(), kValueBytes);
  }
}

}  // namespace
}  // namespace kb::backup
