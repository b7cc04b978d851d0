// RestoreCliTest: the fixture of the tests that run `kafka-backup restore` against the real
// broker: a config file for a local store under a temp dir, and BackedUpTopic, which produces a
// topic and backs it up into that store. Test-only.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <map>
#include <string>

#include "backup/backup_test_util.h"
#include "backup/metadata_sync.h"
#include "restore/restore_test_util.h"
#include "storage/factory/open_store.h"
#include "testing/test_env.h"

namespace kb::cli {

class RestoreCliTest : public backup::testutil::KafkaTest {
 protected:
  void SetUp() override {
    backup::testutil::KafkaTest::SetUp();
    if (HasFatalFailure()) return;
    config_ = dir_.path() + "/kb.yaml";
    std::ofstream(config_) << "kafka:\n  bootstrap.servers: " << bootstrap_ << "\n"
                           << "storage:\n  prefix: kb\n  local:\n    path: " << dir_.path()
                           << "/store\n";
    cfg_ = backup::testutil::MakeConfig(bootstrap_, {}, kb::testing::UniqueName("g"));
    cfg_.storage.prefix = "kb";
    cfg_.storage.local.path = dir_.path() + "/store";
  }
  // A topic of `partitions` x `per_partition` records of ~200 bytes, backed up into the store.
  std::string BackedUpTopic(int partitions, int per_partition,
                            std::map<std::string, std::string> configs = {}) {
    const std::string topic = kb::testing::UniqueName("rst-cli");
    EXPECT_TRUE(
        admin_->CreateTopic({topic, partitions, 1, configs}, std::chrono::seconds(30)).ok());
    {
      // Recent timestamps: the broker's time retention would delete records from years ago.
      const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count();
      backup::testutil::RawProducer producer(bootstrap_);
      for (int i = 0; i < partitions * per_partition; ++i) {
        format::Record r;
        r.key = "k" + std::to_string(i);
        r.value = std::to_string(i) + std::string(190, 'v');
        r.timestamp = now_ms - 600'000 + i;
        producer.Send(topic, i % partitions, r);
      }
      producer.Flush();
    }
    cfg_.backup.topics = {topic};
    auto store = storage::OpenStore(cfg_.storage);
    EXPECT_TRUE(store.ok());
    EXPECT_TRUE(backup::testutil::RunOnce(cfg_, store->get()).ok());
    auto sync = backup::MetadataSync::Make(cfg_, store->get());
    EXPECT_TRUE(sync.ok() && (*sync)->SyncNow().ok());
    return topic;
  }
  int64_t TargetRecords(const std::string& topic, int partitions) {
    return restore::testutil::EndOffsetSum(bootstrap_, topic, partitions);
  }

  kb::testing::TempDir dir_;
  std::string config_;
  Config cfg_;
};

}  // namespace kb::cli
