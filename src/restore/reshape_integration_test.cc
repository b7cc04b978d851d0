// restore --partitions N (reshaping) against the real broker: a hand-made backup of 3 partitions
// restored into 7, read back record by record: every record exactly once, on the partition
// Kafka's default partitioner (librdkafka's murmur2, an independent implementation) or the
// round-robin rule gives, in source order per source partition (so per key); the offset maps
// say where each record is; the consumer groups' new positions are the earliest unconsumed
// record of each target partition; a resumed restore verifies what landed after its last
// checkpoint and writes exactly the same target.
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include <map>
#include <set>

#include "backup/backup_test_util.h"
#include "format/format_testing.h"
#include "kafka/admin.h"
#include "layout/metadata.h"
#include "restore/group_restore.h"
#include "restore/offset_map_store.h"
#include "restore/partitioner.h"
#include "restore/restore_report.h"
#include "restore/restore_test_util.h"
#include "storage/memory/memory_store.h"
#include "testing/test_env.h"

namespace kb::restore {
namespace {

using namespace std::chrono_literals;
using backup::testutil::RawProducer;
using format::Record;
using testutil::Find;
using testutil::ReadAll;

constexpr int32_t kSource = 3;
constexpr int32_t kTarget = 7;

// "p<partition>-o<offset>": each record's value names where it came from.
std::pair<int32_t, int64_t> Origin(const Record& r) {
  EXPECT_TRUE(r.value.has_value());
  int32_t p = -1;
  long long o = -1;
  EXPECT_EQ(std::sscanf(r.value->c_str(), "p%d-o%lld", &p, &o), 2) << *r.value;
  return {p, static_cast<int64_t>(o)};
}

class ReshapeTest : public backup::testutil::KafkaTest {
 protected:
  void SetUp() override {
    backup::testutil::KafkaTest::SetUp();
    if (HasFatalFailure()) return;
    auto id = admin_->ClusterId(30s);
    ASSERT_TRUE(id.ok()) << id.status().ToString();
    cluster_id_ = *id;
  }

  // A backup of 3 partitions: 25 keys (a few records with a null key, one with an empty key),
  // partition 1 with a hole (offsets 40..49 compacted away), 2 segments per partition.
  std::string Fixture(std::map<std::string, std::string> configs = {}) {
    const std::string topic = testing::UniqueName("rst-reshape");
    for (int32_t p = 0; p < kSource; ++p) {
      std::vector<Record> recs;
      for (int64_t o = 0; o < 60 + 10 * p; ++o) {
        if (p == 1 && o >= 40 && o < 50) continue;
        Record r;
        r.offset = o;
        r.timestamp = 1700000000000 + o;
        if (o % 11 == 3) {
          r.key = std::nullopt;
        } else if (o == 7) {
          r.key = "";
        } else {
          r.key = "key-" + std::to_string((o * 7 + p) % 25);
        }
        r.value = "p" + std::to_string(p) + "-o" + std::to_string(o);
        r.headers = {{"h", std::to_string(o)}};
        recs.push_back(std::move(r));
      }
      const size_t half = recs.size() / 2;
      for (auto part : {std::vector<Record>(recs.begin(), recs.begin() + half),
                        std::vector<Record>(recs.begin() + half, recs.end())}) {
        auto bytes = format::testing::BuildSegment(part, {.zstd_level = 1, .block_bytes = 512});
        EXPECT_TRUE(bytes.ok());
        EXPECT_TRUE(
            store_.Put(keys_.Segment(topic, p, part.front().offset, part.back().offset), *bytes)
                .ok());
      }
      source_[p] = recs;
    }
    layout::TopicMetadata md{.topic = topic,
                             .partitions = kSource,
                             .replication_factor = 1,
                             .configs = std::move(configs)};
    md.configs["retention.ms"] = "-1";
    EXPECT_TRUE(store_.Put(keys_.TopicMetadata(topic), layout::EncodeTopicMetadata(md)).ok());
    return topic;
  }
  RestoreSelection Sel(const std::string& topic, const std::string& target) {
    RestoreSelection sel;
    sel.topics = {topic};
    sel.rename[topic] = target;
    return sel;
  }
  // Where Kafka's clients put a record: librdkafka's own murmur2 partitioner for a key (the
  // Java client's default partitioner), (p + o) mod N for a null key.
  static int32_t ExpectedPartition(const Record& r, int32_t p) {
    if (!r.key) return static_cast<int32_t>((p + r.offset) % kTarget);
    return rd_kafka_msg_partitioner_murmur2(nullptr, r.key->data(), r.key->size(), kTarget, nullptr,
                                            nullptr);
  }
  // Every target partition's records.
  std::map<int32_t, std::vector<Record>> ReadTarget(const std::string& target) {
    std::map<int32_t, std::vector<Record>> out;
    for (int32_t t = 0; t < kTarget; ++t) out[t] = ReadAll(bootstrap_, target, t);
    return out;
  }

  std::string cluster_id_;
  storage::MemoryStore store_;
  layout::Keys keys_{"backups"};
  std::map<int32_t, std::vector<Record>> source_;
};

TEST_F(ReshapeTest, ThreeToSevenKeepsPerKeyOrderAndMovesGroupsToTheEarliestUnconsumedRecord) {
  const std::string topic = Fixture();
  const std::string target = topic + "-7";
  // Group offsets in the backup: per source partition (none = the group never committed there).
  const std::string g_mid = testing::UniqueName("g-mid");
  const std::string g_one = testing::UniqueName("g-one");
  const std::string g_done = testing::UniqueName("g-done");
  const std::string g_hole = testing::UniqueName("g-hole");
  const std::map<std::string, std::map<int32_t, int64_t>> commits = {
      {g_mid, {{0, 10}, {1, 25}, {2, 0}}},
      {g_one, {{0, 41}}},
      {g_done, {{0, 60}, {1, 1000}, {2, 80}}},
      {g_hole, {{0, 60}, {1, 45}, {2, 79}}}};
  for (int32_t p = 0; p < kSource; ++p) {
    layout::GroupOffsets g;
    for (const auto& [group, per] : commits) {
      if (per.count(p)) g[group] = per.at(p);
    }
    ASSERT_TRUE(store_.Put(keys_.ConsumerOffsets(topic, p), layout::EncodeGroupOffsets(g)).ok());
  }

  auto report = testutil::Restore(store_, keys_, bootstrap_, Sel(topic, target),
                                  {.partitions = kTarget, .parallelism = 4});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_TRUE(report->ok()) << FormatSummary(*report);
  EXPECT_EQ(report->created_topics, std::vector<std::string>{target});
  auto info = admin_->DescribeTopic(target, 30s);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->partitions, kTarget);

  // Record by record: each source record exactly once, on its partition, with its content; per
  // target partition the records of a source partition in source order (so every key's too).
  const auto landed = ReadTarget(target);
  std::map<std::pair<int32_t, int64_t>, std::pair<int32_t, int64_t>> where;  // origin -> (t, off)
  for (const auto& [t, recs] : landed) {
    std::map<int32_t, int64_t> last;  // source partition -> last source offset seen on t
    for (const Record& r : recs) {
      const auto [p, o] = Origin(r);
      ASSERT_TRUE(where.emplace(std::make_pair(p, o), std::make_pair(t, r.offset)).second)
          << "duplicate " << *r.value;
      auto prev = last.find(p);
      EXPECT_TRUE(prev == last.end() || prev->second < o)
          << "order: " << *r.value << " after p" << p << "-o" << prev->second << " on " << t;
      last[p] = o;
    }
  }
  size_t total = 0;
  std::set<int32_t> used;
  for (const auto& [p, recs] : source_) {
    total += recs.size();
    const PartitionResult* res = Find(*report, topic, p);
    ASSERT_NE(res, nullptr);
    EXPECT_TRUE(res->complete);
    EXPECT_EQ(res->target_partitions, kTarget);
    EXPECT_EQ(res->records_sent, recs.size());
    for (const Record& r : recs) {
      auto it = where.find({p, r.offset});
      ASSERT_NE(it, where.end()) << "lost " << *r.value;
      const auto [t, off] = it->second;
      used.insert(t);
      EXPECT_EQ(t, ExpectedPartition(r, p)) << *r.value;
      EXPECT_EQ(t, TargetPartition(r.key, p, r.offset, kTarget)) << *r.value;
      const Record& got = landed.at(t)[static_cast<size_t>(off)];  // the target starts at 0
      EXPECT_EQ(got.key, r.key) << *r.value;
      EXPECT_EQ(got.headers, r.headers) << *r.value;
      EXPECT_EQ(got.timestamp, r.timestamp) << *r.value;
      // The offset map says where it is.
      EXPECT_EQ(res->target_maps.at(t).Lookup(r.offset), off) << *r.value;
    }
  }
  EXPECT_EQ(where.size(), total);
  EXPECT_EQ(used.size(), static_cast<size_t>(kTarget));

  // The stored restore records (format version 2) hold the same maps.
  OffsetMapStore maps(&store_, keys_);
  for (int32_t p = 0; p < kSource; ++p) {
    auto rec = maps.Load(topic, p, cluster_id_, target);
    ASSERT_TRUE(rec.ok() && rec->has_value());
    EXPECT_TRUE((*rec)->complete);
    EXPECT_EQ((*rec)->target_partitions, kTarget);
    EXPECT_EQ((*rec)->target_maps, Find(*report, topic, p)->target_maps);
  }

  // Consumer groups, as the restore command moves them.
  std::vector<RestoredPartition> restored;
  for (const PartitionResult& p : report->partitions) {
    restored.push_back({.source_topic = p.source_topic,
                        .partition = p.partition,
                        .target_topic = p.target_topic,
                        .map = p.map,
                        .complete = p.complete,
                        .target_partitions = p.target_partitions,
                        .target_maps = p.target_maps});
  }
  auto groups = RestoreGroupOffsets(store_, keys_, *admin_, restored, {});
  ASSERT_TRUE(groups.ok()) << groups.status().ToString();
  EXPECT_TRUE(groups->ok()) << FormatGroupReport(*groups);
  for (const auto& [group, per] : commits) {
    // Expected, from what was read back: the earliest record on t whose source offset is at or
    // after the group's committed offset of its source partition (no commit: unconsumed), else
    // t's end.
    kafka::GroupOffsets want;
    for (const auto& [t, recs] : landed) {
      int64_t at = static_cast<int64_t>(recs.size());
      for (const Record& r : recs) {
        const auto [p, o] = Origin(r);
        auto c = per.find(p);
        if (c != per.end() && o < c->second) continue;
        at = r.offset;
        break;
      }
      want[{target, t}] = at;
    }
    auto got = admin_->ListConsumerGroupOffsets(group, 30s);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_EQ(*got, want) << group << "\n" << FormatGroupReport(*groups);
  }

  // A second run finds every partition complete and sends nothing.
  auto again =
      testutil::Restore(store_, keys_, bootstrap_, Sel(topic, target), {.partitions = kTarget});
  ASSERT_TRUE(again.ok() && again->ok()) << again.status().ToString();
  for (const PartitionResult& p : again->partitions) {
    EXPECT_EQ(p.outcome, PartitionOutcome::kAlreadyComplete);
    EXPECT_EQ(p.records_sent, 0u);
  }
  // Another partition count for the existing target fails naming the topic and both counts.
  auto other = testutil::Restore(store_, keys_, bootstrap_, Sel(topic, target), {.partitions = 5});
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.status().subject(), target);
  EXPECT_NE(other.status().message().find("7 partitions"), std::string::npos)
      << other.status().ToString();
  EXPECT_NE(other.status().message().find("--partitions asks for 5"), std::string::npos)
      << other.status().ToString();
  // Without --partitions, the records of the reshaped restore are not resumed as if kept.
  auto kept = testutil::Restore(store_, keys_, bootstrap_, Sel(topic, target));
  ASSERT_TRUE(kept.ok()) << kept.status().ToString();
  EXPECT_FALSE(kept->ok());
  const PartitionResult* k0 = Find(*kept, topic, 0);
  ASSERT_NE(k0, nullptr);
  EXPECT_TRUE(k0->error.code() == Status::Code::kFailedPrecondition) << k0->error.ToString();
  EXPECT_NE(k0->error.message().find("reshaped it into 7"), std::string::npos)
      << k0->error.ToString();
}

// As if killed while restoring source partition 1: partition 0 complete, partition 1's records
// landed up to a different point on each target partition (deliveries to different partitions
// progress independently) and its last checkpoint behind that, partition 2 not started. The
// resumed restore verifies what landed after the checkpoint, sends the rest, and the target ends
// up record for record as an uninterrupted restore writes it.
TEST_F(ReshapeTest, ResumedRestoreVerifiesWhatLandedAndWritesTheSameTarget) {
  const std::string topic = Fixture();
  const std::string whole = topic + "-whole";
  auto report =
      testutil::Restore(store_, keys_, bootstrap_, Sel(topic, whole), {.partitions = kTarget});
  ASSERT_TRUE(report.ok() && report->ok()) << report.status().ToString();
  const auto want = ReadTarget(whole);

  const std::string target = topic + "-resumed";
  ASSERT_TRUE(admin_->CreateTopic({target, kTarget, 1, {{"retention.ms", "-1"}}}, 30s).ok());
  // Landed: all of partition 0, and of partition 1 the first `landed_n[t]` of its records on t.
  std::map<int32_t, size_t> landed_n, checkpoint_n;
  for (int32_t t = 0; t < kTarget; ++t) {
    landed_n[t] = static_cast<size_t>(t);  // 0 .. 6 records of partition 1 per target partition
    checkpoint_n[t] = static_cast<size_t>(t) / 2;
  }
  PartitionRestoreRecord r1{.source_topic = topic,
                            .partition = 1,
                            .cluster_id = cluster_id_,
                            .target_topic = target,
                            .selection = "all",
                            .map = OffsetMap(0),
                            .target_partitions = kTarget};
  size_t expect_verified = 0;
  size_t landed_total = 0;  // records of partition 1 in the target before the resume
  {
    RawProducer producer(bootstrap_);
    for (int32_t t = 0; t < kTarget; ++t) {
      // Partition 1's map on t starts where partition 0's records end there.
      int64_t start = 0;
      for (const Record& r : want.at(t)) {
        if (Origin(r).first == 0) start = r.offset + 1;
      }
      r1.target_maps[t] = OffsetMap(start);
      size_t of_p1 = 0;
      for (const Record& r : want.at(t)) {
        const auto [p, o] = Origin(r);
        if (p == 2 || (p == 1 && of_p1 == landed_n[t])) continue;
        producer.Send(target, t, r);
        if (p != 1) continue;
        if (of_p1 < checkpoint_n[t]) {
          ASSERT_TRUE(r1.target_maps[t].Append(o, r.offset).ok());
        } else {
          ++expect_verified;
        }
        ++of_p1;
      }
      landed_total += of_p1;
    }
    producer.Flush();
  }
  ASSERT_GT(expect_verified, 0u);
  OffsetMapStore maps(&store_, keys_);
  PartitionRestoreRecord r0 = *maps.Load(topic, 0, cluster_id_, whole).value();
  r0.target_topic = target;
  ASSERT_TRUE(maps.Save(r0).ok());
  ASSERT_TRUE(maps.Save(r1).ok());

  auto resumed =
      testutil::Restore(store_, keys_, bootstrap_, Sel(topic, target), {.partitions = kTarget});
  ASSERT_TRUE(resumed.ok()) << resumed.status().ToString();
  ASSERT_TRUE(resumed->ok()) << FormatSummary(*resumed);
  EXPECT_EQ(Find(*resumed, topic, 0)->outcome, PartitionOutcome::kAlreadyComplete);
  const PartitionResult* p1 = Find(*resumed, topic, 1);
  EXPECT_EQ(p1->records_verified, expect_verified);
  EXPECT_EQ(p1->records_sent, source_[1].size() - landed_total);
  EXPECT_EQ(Find(*resumed, topic, 2)->records_sent, source_[2].size());
  const auto got = ReadTarget(target);
  for (int32_t t = 0; t < kTarget; ++t) {
    ASSERT_EQ(got.at(t).size(), want.at(t).size()) << t;
    for (size_t i = 0; i < want.at(t).size(); ++i) {
      EXPECT_EQ(got.at(t)[i].value, want.at(t)[i].value) << t << " " << i;
      EXPECT_EQ(got.at(t)[i].key, want.at(t)[i].key) << t << " " << i;
    }
  }
  // The maps are those of the uninterrupted restore.
  for (int32_t p = 0; p < kSource; ++p) {
    EXPECT_EQ(Find(*resumed, topic, p)->target_maps, Find(*report, topic, p)->target_maps) << p;
  }

  // Something else written on a target partition after the checkpoint is refused, naming it.
  const std::string foreign = topic + "-foreign";
  ASSERT_TRUE(admin_->CreateTopic({foreign, kTarget, 1, {{"retention.ms", "-1"}}}, 30s).ok());
  PartitionRestoreRecord f0{.source_topic = topic,
                            .partition = 0,
                            .cluster_id = cluster_id_,
                            .target_topic = foreign,
                            .selection = "all",
                            .map = OffsetMap(0),
                            .target_partitions = kTarget};
  for (int32_t t = 0; t < kTarget; ++t) f0.target_maps[t] = OffsetMap(0);
  ASSERT_TRUE(maps.Save(f0).ok());
  {
    RawProducer producer(bootstrap_);
    Record stranger;
    stranger.key = "stranger";
    stranger.value = "p9-o9";
    producer.Send(foreign, 3, stranger);
    producer.Flush();
  }
  auto refused =
      testutil::Restore(store_, keys_, bootstrap_, Sel(topic, foreign), {.partitions = kTarget});
  ASSERT_TRUE(refused.ok()) << refused.status().ToString();
  EXPECT_FALSE(refused->ok());
  const PartitionResult* rp0 = Find(*refused, topic, 0);
  EXPECT_TRUE(rp0->error.code() == Status::Code::kFailedPrecondition) << rp0->error.ToString();
  EXPECT_EQ(rp0->error.subject(), foreign + "/3") << rp0->error.ToString();
  // The later partitions of the topic are not started.
  const PartitionResult* rp1 = Find(*refused, topic, 1);
  EXPECT_NE(rp1->error.message().find("not restored"), std::string::npos) << rp1->error.ToString();
  EXPECT_EQ(rp1->records_sent, 0u);

  // --fail-if-target-not-empty checks every partition of a reshaped target: a record on
  // partition 5 that no restore wrote fails the restore before anything is produced; the
  // resumed target above (every record its own) passes.
  const std::string other = topic + "-other";
  ASSERT_TRUE(admin_->CreateTopic({other, kTarget, 1, {{"retention.ms", "-1"}}}, 30s).ok());
  {
    RawProducer producer(bootstrap_);
    Record stranger;
    stranger.key = "stranger";
    stranger.value = "p9-o9";
    producer.Send(other, 5, stranger);
    producer.Flush();
  }
  auto not_empty = testutil::Restore(store_, keys_, bootstrap_, Sel(topic, other),
                                     {.fail_if_target_not_empty = true, .partitions = kTarget});
  ASSERT_FALSE(not_empty.ok());
  EXPECT_EQ(not_empty.status().code(), Status::Code::kFailedPrecondition);
  EXPECT_NE(not_empty.status().message().find(other + "/5 holds offsets 0..0"), std::string::npos)
      << not_empty.status().ToString();
  EXPECT_EQ(testutil::EndOffsetSum(bootstrap_, other, kTarget), 1);
  auto own = testutil::Restore(store_, keys_, bootstrap_, Sel(topic, target),
                               {.fail_if_target_not_empty = true, .partitions = kTarget});
  ASSERT_TRUE(own.ok()) << own.status().ToString();
  EXPECT_TRUE(own->ok()) << FormatSummary(*own);
}

// A backup of a LogAppendTime topic reshaped: the target is created with N partitions as
// CreateTime (the records keep their backed-up timestamps) and switched to LogAppendTime once
// every source partition is complete.
TEST_F(ReshapeTest, LogAppendTimeBackupIsReshapedThenSwitched) {
  const std::string topic = Fixture({{"message.timestamp.type", "LogAppendTime"}});
  const std::string target = topic + "-7";
  auto report =
      testutil::Restore(store_, keys_, bootstrap_, Sel(topic, target), {.partitions = kTarget});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_TRUE(report->ok()) << FormatSummary(*report);
  auto configs = admin_->DescribeTopicConfigs(target, 30s);
  ASSERT_TRUE(configs.ok()) << configs.status().ToString();
  EXPECT_EQ(configs->at("message.timestamp.type"), "LogAppendTime");
  size_t total = 0;
  for (const auto& [t, recs] : ReadTarget(target)) {
    for (const Record& r : recs) {
      const auto [p, o] = Origin(r);
      EXPECT_EQ(r.timestamp, 1700000000000 + o) << *r.value;
      EXPECT_EQ(t, TargetPartition(r.key, p, o, kTarget)) << *r.value;
      ++total;
    }
  }
  EXPECT_EQ(total, source_[0].size() + source_[1].size() + source_[2].size());
  OffsetMapStore maps(&store_, keys_);
  for (int32_t p = 0; p < kSource; ++p) {
    auto rec = maps.Load(topic, p, cluster_id_, target);
    ASSERT_TRUE(rec.ok() && rec->has_value());
    EXPECT_TRUE((*rec)->complete);
    EXPECT_EQ((*rec)->target_partitions, kTarget);
    EXPECT_TRUE((*rec)->configs_after_restore.empty());
  }
}

}  // namespace
}  // namespace kb::restore
