// Resume and refusal paths of restore against the real broker: records that reached the target
// after the last checkpoint are verified, not sent again; a target written by someone else, a
// changed target or another selection stop the partition; corrupt data is named or skipped; and a
// restore from the real S3 server.
#include <gtest/gtest.h>

#include <set>

#include "backup/backup_test_util.h"
#include "backup/metadata_sync.h"
#include "format/format_testing.h"
#include "kafka/admin.h"
#include "layout/metadata.h"
#include "restore/excluded_keys.h"
#include "restore/offset_map_store.h"
#include "restore/restore_report.h"
#include "restore/restore_test_util.h"
#include "storage/memory/memory_store.h"
#include "storage/s3/s3_store.h"
#include "testing/s3_server.h"
#include "testing/test_env.h"

namespace kb::restore {
namespace {

using namespace std::chrono_literals;
using backup::testutil::RawProducer;
using format::Record;
using testutil::Find;
using testutil::ReadAll;

class RestoreResumeTest : public backup::testutil::KafkaTest {
 protected:
  void SetUp() override {
    backup::testutil::KafkaTest::SetUp();
    if (HasFatalFailure()) return;
    auto id = admin_->ClusterId(30s);
    ASSERT_TRUE(id.ok()) << id.status().ToString();
    cluster_id_ = *id;
  }
  // A hand-made backup of `topic`: `count` records per partition, 2 segments per partition.
  std::string Fixture(int partitions, int count) {
    const std::string topic = testing::UniqueName("rst-res");
    for (int p = 0; p < partitions; ++p) {
      auto recs = format::testing::JsonLikeRecords(p + 1, count, 200);
      const size_t half = recs.size() / 2;
      for (auto part : {std::vector<Record>(recs.begin(), recs.begin() + half),
                        std::vector<Record>(recs.begin() + half, recs.end())}) {
        auto bytes = format::testing::BuildSegment(part, {.zstd_level = 1, .block_bytes = 4096});
        EXPECT_TRUE(bytes.ok());
        const std::string key = keys_.Segment(topic, p, part.front().offset, part.back().offset);
        EXPECT_TRUE(store_.Put(key, *bytes).ok());
        segment_keys_.push_back(key);
      }
      source_[p] = recs;
    }
    // No time retention on the targets (the records' timestamps may be old).
    layout::TopicMetadata md{.topic = topic,
                             .partitions = partitions,
                             .replication_factor = 1,
                             .configs = {{"retention.ms", "-1"}}};
    EXPECT_TRUE(store_.Put(keys_.TopicMetadata(topic), layout::EncodeTopicMetadata(md)).ok());
    return topic;
  }
  RestoreSelection Sel(const std::string& topic, const std::string& target) {
    RestoreSelection sel;
    sel.topics = {topic};
    sel.rename[topic] = target;
    return sel;
  }
  void ExpectTargetIs(const std::string& target, int32_t p, const std::vector<Record>& want) {
    const std::vector<Record> got = ReadAll(bootstrap_, target, p);
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < want.size(); ++i) {
      EXPECT_EQ(got[i].value, want[i].value) << i;
      EXPECT_EQ(got[i].timestamp, want[i].timestamp) << i;
      EXPECT_EQ(got[i].headers, want[i].headers) << i;
    }
  }

  std::string cluster_id_;
  storage::MemoryStore store_;
  layout::Keys keys_{"backups"};
  std::map<int32_t, std::vector<Record>> source_;
  std::vector<std::string> segment_keys_;
};

TEST_F(RestoreResumeTest, RecordsAfterTheLastCheckpointAreVerifiedNotSentAgain) {
  const std::string topic = Fixture(1, 300);
  const std::string target = topic + "-t";
  auto report = testutil::Restore(store_, keys_, bootstrap_, Sel(topic, target));
  ASSERT_TRUE(report.ok() && report->ok()) << report.status().ToString();
  OffsetMapStore maps(&store_, keys_);
  auto full = maps.Load(topic, 0, cluster_id_, target);
  ASSERT_TRUE(full.ok() && full->has_value());
  // As if killed with the last checkpoint at 120 records: the map lags the target.
  PartitionRestoreRecord lagging = **full;
  lagging.complete = false;
  lagging.map = OffsetMap(0);
  ASSERT_TRUE(lagging.map.AppendRun(0, 0, 120).ok());
  ASSERT_TRUE(maps.Save(lagging).ok());

  report = testutil::Restore(store_, keys_, bootstrap_, Sel(topic, target));
  ASSERT_TRUE(report.ok() && report->ok()) << report.status().ToString();
  const PartitionResult* r = Find(*report, topic, 0);
  EXPECT_EQ(r->records_verified, 180u);
  EXPECT_EQ(r->records_sent, 0u);
  EXPECT_TRUE(r->complete);
  EXPECT_EQ(r->map, (*full)->map);
  ExpectTargetIs(target, 0, source_[0]);

  // The same with records still to send after the verified ones.
  const std::string target2 = topic + "-t2";
  ASSERT_TRUE(admin_->CreateTopic({target2, 1, 1, {{"retention.ms", "-1"}}}, 30s).ok());
  {
    RawProducer producer(bootstrap_);
    for (int i = 0; i < 50; ++i) producer.Send(target2, 0, source_[0][i]);
    producer.Flush();
  }
  PartitionRestoreRecord started{.source_topic = topic,
                                 .partition = 0,
                                 .cluster_id = cluster_id_,
                                 .target_topic = target2,
                                 .selection = "all",
                                 .map = OffsetMap(0)};
  ASSERT_TRUE(maps.Save(started).ok());
  report = testutil::Restore(store_, keys_, bootstrap_, Sel(topic, target2));
  ASSERT_TRUE(report.ok() && report->ok()) << report.status().ToString();
  r = Find(*report, topic, 0);
  EXPECT_EQ(r->records_verified, 50u);
  EXPECT_EQ(r->records_sent, 250u);
  EXPECT_EQ(r->map.runs(), (std::vector<OffsetRun>{{0, 0, 300}}));
  ExpectTargetIs(target2, 0, source_[0]);
}

TEST_F(RestoreResumeTest, TargetWrittenBySomeoneElseOrChangedIsRefused) {
  const std::string topic = Fixture(1, 20);
  const std::string target = topic + "-t";
  ASSERT_TRUE(admin_->CreateTopic({target, 1, 1, {{"retention.ms", "-1"}}}, 30s).ok());
  OffsetMapStore maps(&store_, keys_);
  PartitionRestoreRecord started{.source_topic = topic,
                                 .partition = 0,
                                 .cluster_id = cluster_id_,
                                 .target_topic = target,
                                 .selection = "all",
                                 .map = OffsetMap(0)};
  ASSERT_TRUE(maps.Save(started).ok());
  {
    RawProducer producer(bootstrap_);
    Record foreign;
    foreign.key = "someone";
    foreign.value = "else";
    foreign.timestamp = 1700000000000;
    producer.Send(target, 0, foreign);
    producer.Flush();
  }
  auto report = testutil::Restore(store_, keys_, bootstrap_, Sel(topic, target));
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  const PartitionResult* r = Find(*report, topic, 0);
  EXPECT_FALSE(report->ok());
  EXPECT_EQ(r->outcome, PartitionOutcome::kFailed);
  EXPECT_EQ(r->error.code(), Status::Code::kFailedPrecondition);
  EXPECT_NE(r->error.message().find("written by someone else"), std::string::npos)
      << r->error.ToString();
  EXPECT_EQ(ReadAll(bootstrap_, target, 0).size(), 1u);  // nothing added

  // A map that goes further than the target: the target was recreated.
  const std::string fresh = topic + "-fresh";
  ASSERT_TRUE(admin_->CreateTopic({fresh, 1, 1, {{"retention.ms", "-1"}}}, 30s).ok());
  PartitionRestoreRecord ahead = started;
  ahead.target_topic = fresh;
  ASSERT_TRUE(ahead.map.AppendRun(0, 0, 10).ok());
  ASSERT_TRUE(maps.Save(ahead).ok());
  report = testutil::Restore(store_, keys_, bootstrap_, Sel(topic, fresh));
  ASSERT_TRUE(report.ok());
  r = Find(*report, topic, 0);
  EXPECT_EQ(r->error.code(), Status::Code::kFailedPrecondition);
  EXPECT_NE(r->error.message().find("changed"), std::string::npos) << r->error.ToString();

  // Another selection into the same target.
  RestoreSelection windowed = Sel(topic, target);
  windowed.from_ms = 0;
  report = testutil::Restore(store_, keys_, bootstrap_, windowed);
  ASSERT_TRUE(report.ok());
  r = Find(*report, topic, 0);
  EXPECT_EQ(r->error.code(), Status::Code::kFailedPrecondition);
  EXPECT_NE(r->error.message().find("selected 'all'"), std::string::npos) << r->error.ToString();
}

// A resumed restore applies the same --exclude-keys list: the records that reached the target after
// the last checkpoint are checked against the next records the list keeps, the map stays exact;
// a rerun with another list, or with none, is refused before anything is sent.
TEST_F(RestoreResumeTest, ExcludedKeysApplyAgainOnResumeAndAnotherListIsRefused) {
  const std::string topic = Fixture(1, 300);
  const std::string target = topic + "-t";
  std::string list = "# erasure requests\n";
  std::set<std::string> erased;
  for (size_t i = 2; i < source_[0].size(); i += 5) {
    list += *source_[0][i].key + "\r\n";
    erased.insert(*source_[0][i].key);
  }
  auto keys = ParseExcludedKeys(list, "erase.txt");
  ASSERT_TRUE(keys.ok()) << keys.status().ToString();
  RestoreSelection sel = Sel(topic, target);
  sel.exclude_keys = std::make_shared<const ExcludedKeys>(std::move(keys).value());
  std::vector<Record> kept;
  for (const Record& r : source_[0]) {
    if (!erased.contains(*r.key)) kept.push_back(r);
  }
  ASSERT_GT(kept.size(), 100u);
  ASSERT_LT(kept.size(), source_[0].size());

  auto report = testutil::Restore(store_, keys_, bootstrap_, sel);
  ASSERT_TRUE(report.ok() && report->ok()) << report.status().ToString();
  const PartitionResult* r = Find(*report, topic, 0);
  EXPECT_EQ(r->records_sent, kept.size());
  EXPECT_EQ(r->records_excluded, source_[0].size() - kept.size());
  EXPECT_EQ(report->exclude_keys, erased.size());
  EXPECT_EQ(report->exclude_keys_sha256, sel.exclude_keys->Digest());
  ExpectTargetIs(target, 0, kept);
  OffsetMapStore maps(&store_, keys_);
  auto full = maps.Load(topic, 0, cluster_id_, target);
  ASSERT_TRUE(full.ok() && full->has_value());
  EXPECT_EQ((*full)->selection,
            "exclude-keys:" + std::to_string(erased.size()) + ":" + sel.exclude_keys->Digest());
  for (size_t i = 0; i < kept.size(); ++i) {
    ASSERT_EQ((*full)->map.Lookup(kept[i].offset), static_cast<int64_t>(i));
  }

  // As if killed with the last checkpoint after 40 restored records.
  PartitionRestoreRecord lagging = **full;
  lagging.complete = false;
  lagging.map = OffsetMap(0);
  for (int64_t i = 0; i < 40; ++i) ASSERT_TRUE(lagging.map.Append(kept[i].offset, i).ok());
  ASSERT_TRUE(maps.Save(lagging).ok());
  report = testutil::Restore(store_, keys_, bootstrap_, sel);
  ASSERT_TRUE(report.ok() && report->ok()) << report.status().ToString();
  r = Find(*report, topic, 0);
  EXPECT_EQ(r->records_verified, kept.size() - 40);
  EXPECT_EQ(r->records_sent, 0u);
  uint64_t excluded_after = 0;
  for (const Record& rec : source_[0]) {
    excluded_after += rec.offset > kept[39].offset && erased.contains(*rec.key) ? 1 : 0;
  }
  EXPECT_EQ(r->records_excluded, excluded_after);
  EXPECT_TRUE(r->complete);
  EXPECT_EQ(r->map, (*full)->map);
  ExpectTargetIs(target, 0, kept);

  // Another list (one key fewer), or none: refused, nothing sent.
  std::string shorter;
  for (auto it = std::next(erased.begin()); it != erased.end(); ++it) shorter += *it + "\n";
  RestoreSelection other = Sel(topic, target);
  other.exclude_keys =
      std::make_shared<const ExcludedKeys>(ParseExcludedKeys(shorter, "erase2.txt").value());
  for (const RestoreSelection& s : {other, Sel(topic, target)}) {
    report = testutil::Restore(store_, keys_, bootstrap_, s);
    ASSERT_TRUE(report.ok()) << report.status().ToString();
    r = Find(*report, topic, 0);
    EXPECT_EQ(r->error.code(), Status::Code::kFailedPrecondition) << r->error.ToString();
    EXPECT_NE(r->error.message().find("resumes only with the same --exclude-keys list"),
              std::string::npos)
        << r->error.ToString();
    EXPECT_NE(r->error.message().find("selected 'excluding " + std::to_string(erased.size()) +
                                      " keys (sha256 " + sel.exclude_keys->Digest().substr(0, 12)),
              std::string::npos)
        << r->error.ToString();
    EXPECT_EQ(r->records_sent, 0u);
  }
  ExpectTargetIs(target, 0, kept);
}

TEST_F(RestoreResumeTest, NonEmptyTargetWithoutRecordGetsRecordsAfterItsOwn) {
  const std::string topic = Fixture(1, 10);
  const std::string target = topic + "-t";
  ASSERT_TRUE(admin_->CreateTopic({target, 1, 1, {{"retention.ms", "-1"}}}, 30s).ok());
  {
    RawProducer producer(bootstrap_);
    Record r;
    r.value = "already there";
    r.timestamp = 1700000000000;
    producer.Send(target, 0, r);
    producer.Send(target, 0, r);
    producer.Flush();
  }
  auto report = testutil::Restore(store_, keys_, bootstrap_, Sel(topic, target));
  ASSERT_TRUE(report.ok() && report->ok());
  const PartitionResult* r = Find(*report, topic, 0);
  EXPECT_EQ(r->map.target_start(), 2);
  EXPECT_EQ(r->map.runs(), (std::vector<OffsetRun>{{0, 2, 10}}));
  EXPECT_NE(r->note.find("already held"), std::string::npos);
  EXPECT_EQ(ReadAll(bootstrap_, target, 0).size(), 12u);
}

TEST_F(RestoreResumeTest, CorruptSegmentIsNamedOthersFinishOrSkipped) {
  const std::string topic = Fixture(2, 400);
  // Damage one block in the second segment of partition 0.
  const std::string bad = segment_keys_[1];
  std::string bytes = *store_.Get(bad);
  bytes[300] ^= 0x20;
  ASSERT_TRUE(store_.Put(bad, bytes).ok());
  auto report = testutil::Restore(store_, keys_, bootstrap_, Sel(topic, topic + "-t"));
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_FALSE(report->ok());
  const PartitionResult* p0 = Find(*report, topic, 0);
  EXPECT_TRUE(p0->error.IsCorruption()) << p0->error.ToString();
  EXPECT_EQ(p0->error.subject(), bad);
  EXPECT_NE(p0->error.message().find("block of offsets 200-"), std::string::npos)
      << p0->error.ToString();
  EXPECT_FALSE(p0->complete);
  const PartitionResult* p1 = Find(*report, topic, 1);
  EXPECT_TRUE(p1->complete);
  ExpectTargetIs(topic + "-t", 1, source_[1]);

  RestoreOptions skip;
  skip.skip_corrupt = true;
  report = testutil::Restore(store_, keys_, bootstrap_, Sel(topic, topic + "-skip"), skip);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_TRUE(report->ok()) << FormatSummary(*report);
  p0 = Find(*report, topic, 0);
  ASSERT_EQ(p0->skipped.size(), 1u);
  EXPECT_EQ(p0->skipped[0].first, 200);
  EXPECT_EQ(p0->skipped[0].key, bad);
  const int64_t lost = p0->skipped[0].last - p0->skipped[0].first + 1;
  EXPECT_EQ(p0->map.record_count(), 400 - lost);
  EXPECT_EQ(ReadAll(bootstrap_, topic + "-skip", 0).size(), static_cast<size_t>(400 - lost));
}

// A backup of a LogAppendTime topic: the target the restore creates is CreateTime until every
// partition is complete. A run that failed part way (corrupt data here) leaves it CreateTime with
// a warning and the switch owed in the restore records; the rerun finishes it. A run killed right
// after creating the target (simulated: the target as that run creates it and the records it saves
// first) is finished the same way.
TEST_F(RestoreResumeTest, LogAppendTimeTargetIsSwitchedOnlyOnceEveryPartitionIsComplete) {
  const std::string topic = Fixture(2, 400);
  layout::TopicMetadata md{
      .topic = topic,
      .partitions = 2,
      .replication_factor = 1,
      .configs = {{"retention.ms", "-1"}, {"message.timestamp.type", "LogAppendTime"}}};
  ASSERT_TRUE(store_.Put(keys_.TopicMetadata(topic), layout::EncodeTopicMetadata(md)).ok());
  const std::string bad = segment_keys_[1];  // the second segment of partition 0
  const std::string good_bytes = *store_.Get(bad);
  std::string bytes = good_bytes;
  bytes[300] ^= 0x20;
  ASSERT_TRUE(store_.Put(bad, bytes).ok());
  const std::string target = topic + "-t";
  const auto timestamp_type = [&] {
    auto c = admin_->DescribeTopicConfigs(target, 30s, kafka::Admin::ConfigScope::kEffective);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? c->at("message.timestamp.type") : std::string();
  };

  auto report = testutil::Restore(store_, keys_, bootstrap_, Sel(topic, target));
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_FALSE(report->ok());
  EXPECT_TRUE(Find(*report, topic, 0)->error.IsCorruption());
  EXPECT_TRUE(Find(*report, topic, 1)->complete);
  EXPECT_TRUE(report->switched_topics.empty());
  EXPECT_EQ(timestamp_type(), "CreateTime");
  ASSERT_EQ(report->warnings.size(), 1u) << FormatSummary(*report);
  EXPECT_NE(report->warnings[0].find(target + " keeps message.timestamp.type=CreateTime"),
            std::string::npos)
      << report->warnings[0];
  EXPECT_NE(report->warnings[0].find("1 partition not completely restored (" + target + "/0)"),
            std::string::npos)
      << report->warnings[0];
  OffsetMapStore maps(&store_, keys_);
  for (int32_t p : {0, 1}) {
    auto rec = maps.Load(topic, p, cluster_id_, target);
    ASSERT_TRUE(rec.ok() && rec->has_value());
    EXPECT_EQ((*rec)->configs_after_restore,
              (std::map<std::string, std::string>{{"message.timestamp.type", "LogAppendTime"}}));
  }

  // The data repaired, the rerun resumes partition 0 and then switches the topic.
  ASSERT_TRUE(store_.Put(bad, good_bytes).ok());
  report = testutil::Restore(store_, keys_, bootstrap_, Sel(topic, target));
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_TRUE(report->ok()) << FormatSummary(*report);
  EXPECT_EQ(Find(*report, topic, 1)->outcome, PartitionOutcome::kAlreadyComplete);
  EXPECT_EQ(report->switched_topics,
            std::vector<std::string>{target + ": message.timestamp.type=LogAppendTime"});
  EXPECT_TRUE(report->warnings.empty()) << report->warnings.front();
  EXPECT_EQ(timestamp_type(), "LogAppendTime");
  ExpectTargetIs(target, 0, source_[0]);
  ExpectTargetIs(target, 1, source_[1]);
  for (int32_t p : {0, 1}) {
    EXPECT_TRUE((*maps.Load(topic, p, cluster_id_, target))->configs_after_restore.empty());
  }

  // Killed right after creating the target: it exists as CreateTime, 50 records of partition 0
  // reached it after a checkpoint of 20, and the records owe the switch.
  const std::string killed = topic + "-k";
  ASSERT_TRUE(
      admin_
          ->CreateTopic(
              {killed, 2, 1, {{"retention.ms", "-1"}, {"message.timestamp.type", "CreateTime"}}},
              30s)
          .ok());
  {
    RawProducer producer(bootstrap_);
    for (int i = 0; i < 50; ++i) producer.Send(killed, 0, source_[0][i]);
    producer.Flush();
  }
  for (int32_t p : {0, 1}) {
    PartitionRestoreRecord r{
        .source_topic = topic,
        .partition = p,
        .cluster_id = cluster_id_,
        .target_topic = killed,
        .selection = "all",
        .map = OffsetMap(0),
        .configs_after_restore = {{"message.timestamp.type", "LogAppendTime"}}};
    if (p == 0) {
      ASSERT_TRUE(r.map.AppendRun(0, 0, 20).ok());
    }
    ASSERT_TRUE(maps.Save(r).ok());
  }
  report = testutil::Restore(store_, keys_, bootstrap_, Sel(topic, killed));
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_TRUE(report->ok()) << FormatSummary(*report);
  EXPECT_TRUE(report->created_topics.empty());
  EXPECT_EQ(Find(*report, topic, 0)->records_verified, 30u);
  EXPECT_EQ(report->switched_topics,
            std::vector<std::string>{killed + ": message.timestamp.type=LogAppendTime"});
  auto configs = admin_->DescribeTopicConfigs(killed, 30s);
  ASSERT_TRUE(configs.ok());
  EXPECT_EQ(configs->at("message.timestamp.type"), "LogAppendTime");
  ExpectTargetIs(killed, 0, source_[0]);
  ExpectTargetIs(killed, 1, source_[1]);

  // Without the records' say-so an existing CreateTime target is left as it is (its owner chose
  // CreateTime, as the LogAppendTime warning advises).
  const std::string own = topic + "-own";
  ASSERT_TRUE(
      admin_
          ->CreateTopic(
              {own, 2, 1, {{"retention.ms", "-1"}, {"message.timestamp.type", "CreateTime"}}}, 30s)
          .ok());
  report = testutil::Restore(store_, keys_, bootstrap_, Sel(topic, own));
  ASSERT_TRUE(report.ok() && report->ok());
  EXPECT_TRUE(report->switched_topics.empty());
  EXPECT_EQ(admin_->DescribeTopicConfigs(own, 30s)->at("message.timestamp.type"), "CreateTime");
}

TEST_F(RestoreResumeTest, FromRealS3BackupWrittenByTheEngine) {
  auto s3 = storage::s3::S3Store::Make(testing::TestS3ServerConfig());
  ASSERT_TRUE(s3.ok()) << s3.status().ToString();
  const std::string topic = testing::UniqueName("rst-s3");
  ASSERT_TRUE(admin_->CreateTopic({topic, 2, 1, {{"retention.ms", "-1"}}}, 30s).ok());
  std::vector<Record> sent = format::testing::JsonLikeRecords(9, 500, 300);
  {
    RawProducer producer(bootstrap_);
    for (size_t i = 0; i < sent.size(); ++i) producer.Send(topic, i % 2, sent[i]);
    producer.Flush();
  }
  Config cfg = backup::testutil::MakeConfig(bootstrap_, {topic}, testing::UniqueName("g"));
  const layout::Keys keys(testing::UniqueName("s3restore"));
  cfg.storage.prefix = keys.prefix();
  ASSERT_TRUE(backup::testutil::RunOnce(cfg, s3->get()).ok());
  // topic.json, as backup --once writes it: the target gets retention.ms=-1 too, so the test
  // broker's retention (checked every second) never deletes the records' old timestamps.
  auto sync = backup::MetadataSync::Make(cfg, s3->get());
  ASSERT_TRUE(sync.ok()) << sync.status().ToString();
  Status synced = (*sync)->SyncNow();
  ASSERT_TRUE(synced.ok()) << synced.ToString();
  auto report = testutil::Restore(**s3, keys, bootstrap_, Sel(topic, topic + "-t"));
  ASSERT_TRUE(report.ok() && report->ok()) << report.status().ToString();
  for (int p = 0; p < 2; ++p) {
    std::vector<Record> want;
    for (size_t i = p; i < sent.size(); i += 2) want.push_back(sent[i]);
    ExpectTargetIs(topic + "-t", p, want);
  }
}

}  // namespace
}  // namespace kb::restore
