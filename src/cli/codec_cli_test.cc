// backup.segment.codec: lz4 through the kafka-backup binary, against the real broker: `backup
// --once` writes LZ4 segments (format version 3, blocks with compression 2) to a local store,
// `verify` checks them, `ls` lists them, and `restore` into a new topic gives back every record
// (key, value, headers, timestamp) in order.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <string>
#include <vector>

#include "backup/backup_test_util.h"
#include "catalog/store_position.h"
#include "cli/cli_test_util.h"
#include "format/segment_decoder.h"
#include "layout/keys.h"
#include "restore/restore_test_util.h"
#include "storage/factory/open_store.h"
#include "testing/test_env.h"

namespace kb::cli {
namespace {

using namespace std::chrono_literals;
using cli::testing::Ran;

class CodecCliTest : public backup::testutil::KafkaTest {
 protected:
  kb::testing::TempDir dir_;
};

TEST_F(CodecCliTest, Lz4BackupOnceVerifiesAndRestoresEveryRecord) {
  constexpr int kPartitions = 2;
  constexpr int kRecords = 3000;
  const std::string topic = kb::testing::UniqueName("codec-lz4");
  CreateTopic(topic, kPartitions);
  if (HasFatalFailure()) return;
  {
    const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
    backup::testutil::RawProducer producer(bootstrap_);
    for (int i = 0; i < kRecords; ++i) {
      format::Record r;
      r.key = "user-" + std::to_string(i % 97);
      // Compressible JSON, every 50th a tombstone.
      if (i % 50 != 49) {
        r.value = "{\"id\": " + std::to_string(i) +
                  ", \"status\": \"shipped\", \"items\": [\"apple\", \"banana\"], \"note\": \"" +
                  std::string(100 + i % 40, 'x') + "\"}";
      }
      r.headers = {{"trace", "t-" + std::to_string(i)}, {"empty", std::nullopt}};
      r.timestamp = now_ms - 600'000 + i;
      producer.Send(topic, i % kPartitions, r);
    }
    producer.Flush();
  }

  const std::string config = dir_.path() + "/kb.yaml";
  std::ofstream(config) << "kafka:\n  bootstrap.servers: " << bootstrap_
                        << "\nstorage:\n  prefix: p\n  local:\n    path: " << dir_.path()
                        << "/store\nbackup:\n  group_id: " << topic << "-kb\n  topics: [" << topic
                        << "]\n  segment:\n    codec: lz4\n    block_bytes: 16KiB\n";
  Ran backup = cli::testing::Run(KB_BINARY, {"--config", config, "backup", "--once"},
                                 dir_.path() + "/backup.log", 180s);
  ASSERT_EQ(backup.code, 0) << backup.output;

  // Every segment is version 3 and its blocks are LZ4.
  StorageConfig storage;
  storage.prefix = "p";
  storage.local.path = dir_.path() + "/store";
  auto store = storage::OpenStore(storage);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  const layout::Keys keys("p");
  size_t segments = 0;
  size_t lz4_blocks = 0;
  for (int p = 0; p < kPartitions; ++p) {
    auto ranges = catalog::ListPartitionRanges(**store, keys, topic, p);
    ASSERT_TRUE(ranges.ok()) << ranges.status().ToString();
    for (const catalog::StoredRange& range : *ranges) {
      if (range.is_gap) continue;
      auto bytes = (*store)->Get(range.key);
      ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
      auto segment = format::DecodeSegment(range.key, *bytes);
      ASSERT_TRUE(segment.ok()) << segment.status().ToString();
      EXPECT_EQ(segment->version, format::kPlainLz4FormatVersion) << range.key;
      for (const format::BlockIndexEntry& e : segment->footer.blocks) {
        if (static_cast<uint8_t>((*bytes)[e.position + 20]) ==
            static_cast<uint8_t>(format::Compression::kLz4)) {
          ++lz4_blocks;
        }
      }
      ++segments;
    }
  }
  EXPECT_GT(segments, 0u);
  EXPECT_GT(lz4_blocks, 0u);

  Ran verify = cli::testing::Run(KB_BINARY, {"--config", config, "verify", "--topic", topic},
                                 dir_.path() + "/verify.log", 60s);
  EXPECT_EQ(verify.code, 0) << verify.output;
  Ran ls = cli::testing::Run(KB_BINARY, {"--config", config, "ls", "--topic", topic},
                             dir_.path() + "/ls.log", 60s);
  EXPECT_EQ(ls.code, 0) << ls.output;
  EXPECT_NE(ls.output.find(topic), std::string::npos) << ls.output;

  const std::string target = topic + "-restored";
  Ran restore = cli::testing::Run(KB_BINARY,
                                  {"--config", config, "restore", "--topic", topic, "--rename",
                                   topic + "=" + target, "--no-groups"},
                                  dir_.path() + "/restore.log", 180s);
  ASSERT_EQ(restore.code, 0) << restore.output;

  for (int p = 0; p < kPartitions; ++p) {
    const std::vector<format::Record> source = restore::testutil::ReadAll(bootstrap_, topic, p);
    const std::vector<format::Record> got = restore::testutil::ReadAll(bootstrap_, target, p);
    ASSERT_EQ(source.size(), static_cast<size_t>(kRecords / kPartitions));
    ASSERT_EQ(got.size(), source.size()) << "partition " << p;
    for (size_t i = 0; i < source.size(); ++i) {
      ASSERT_EQ(got[i].key, source[i].key) << "partition " << p << " index " << i;
      ASSERT_EQ(got[i].value, source[i].value) << "partition " << p << " index " << i;
      ASSERT_EQ(got[i].headers, source[i].headers) << "partition " << p << " index " << i;
      ASSERT_EQ(got[i].timestamp, source[i].timestamp) << "partition " << p << " index " << i;
    }
  }
}

}  // namespace
}  // namespace kb::cli
