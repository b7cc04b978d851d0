// RestoreGroupOffsets against the real broker (KB_TEST_KAFKA_BOOTSTRAP): group offsets from a
// backup (in-memory store) translated through hand-made offset maps with holes, committed to a
// target topic whose offsets exist, and read back with Admin::ListConsumerGroupOffsets; a group
// with a real polling member is skipped (or fails the call with fail_on_active).
#include <atomic>
#include <thread>

#include "kafka/admin_integration_fixture.h"
#include "layout/metadata.h"
#include "restore/group_restore.h"
#include "storage/memory/memory_store.h"

namespace kb::restore {
namespace {

using namespace std::chrono_literals;
using kafka::GroupOffsets;

class GroupRestoreIntegrationTest : public kafka::AdminIntegrationTest {
 protected:
  void PutOffsets(const std::string& topic, int32_t partition, const layout::GroupOffsets& g) {
    ASSERT_TRUE(
        store_.Put(keys_.ConsumerOffsets(topic, partition), layout::EncodeGroupOffsets(g)).ok());
  }
  GroupOffsets Committed(const std::string& group) {
    auto offsets = admin_->ListConsumerGroupOffsets(group, 30s);
    EXPECT_TRUE(offsets.ok()) << offsets.status().ToString();
    return offsets.ok() ? *offsets : GroupOffsets{};
  }
  static const GroupResult* Find(const GroupRestoreReport& r, const std::string& id) {
    for (const GroupResult& g : r.groups) {
      if (g.group_id == id) return &g;
    }
    return nullptr;
  }

  storage::MemoryStore store_;
  layout::Keys keys_{"bk"};
};

TEST_F(GroupRestoreIntegrationTest, CommitsOffsetsTranslatedThroughHolesAndReadsThemBack) {
  const std::string target = NewTopic(2);
  Produce(target, 0, 6);
  Produce(target, 1, 10);
  // Partition 0 of the backup holds offsets 0..2 and 7..9 (3..6 compacted away or transaction
  // markers); partition 1 starts at 100 (retention had deleted the rest before the backup).
  OffsetMap p0(0), p1(0);
  for (int64_t s : {0, 1, 2, 7, 8, 9}) ASSERT_TRUE(p0.Append(s, p0.record_count()).ok());
  for (int64_t s = 100; s < 110; ++s) ASSERT_TRUE(p1.Append(s, s - 100).ok());
  const std::string in_hole = testing::UniqueName("in-hole");
  const std::string at_end = testing::UniqueName("at-end");
  PutOffsets("orders", 0, {{in_hole, 5}, {at_end, 10}});
  PutOffsets("orders", 1, {{in_hole, 105}, {at_end, 50}});
  const std::vector<RestoredPartition> parts{{"orders", 0, target, p0, true},
                                             {"orders", 1, target, p1, true}};

  // A dry run computes the same offsets and writes nothing.
  auto dry = RestoreGroupOffsets(store_, keys_, *admin_, parts, {.dry_run = true});
  ASSERT_TRUE(dry.ok()) << dry.status().ToString();
  EXPECT_EQ(dry->Count(GroupOutcome::kCommitted), 2) << FormatGroupReport(*dry);
  EXPECT_TRUE(Committed(in_hole).empty());
  EXPECT_TRUE(Committed(at_end).empty());

  auto report = RestoreGroupOffsets(store_, keys_, *admin_, parts, {});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(report->ok()) << FormatGroupReport(*report);
  EXPECT_EQ(report->Count(GroupOutcome::kCommitted), 2) << FormatGroupReport(*report);
  EXPECT_EQ(Committed(in_hole), (GroupOffsets{{{target, 0}, 3}, {{target, 1}, 5}}));
  EXPECT_EQ(Committed(at_end), (GroupOffsets{{{target, 0}, 6}, {{target, 1}, 0}}));
  const GroupResult* g = Find(*report, in_hole);
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(g->offsets[0].new_offset, 3);
  EXPECT_FALSE(g->offsets[0].record_restored);

  // Running it again (a resumed restore) sets the same offsets.
  auto again = RestoreGroupOffsets(store_, keys_, *admin_, parts, {});
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(Committed(in_hole), (GroupOffsets{{{target, 0}, 3}, {{target, 1}, 5}}));
}

TEST_F(GroupRestoreIntegrationTest, GroupWithAnActiveMemberIsSkippedOrFailsTheCall) {
  const std::string target = NewTopic(1);
  Produce(target, 0, 8);
  OffsetMap map(0);
  for (int64_t s = 0; s < 8; ++s) ASSERT_TRUE(map.Append(s, s).ok());
  const std::string active = testing::UniqueName("active");
  const std::string idle = testing::UniqueName("idle");
  PutOffsets("orders", 0, {{active, 4}, {idle, 6}});
  const std::vector<RestoredPartition> parts{{"orders", 0, target, map, true}};

  // A real member of `active`, subscribed to the target topic and polling all along.
  kafka::ConsumerPtr member = GroupConsumer(active);
  ASSERT_TRUE(member);
  ASSERT_EQ(member->subscribe({target}), RdKafka::ERR_NO_ERROR);
  std::vector<RdKafka::TopicPartition*> assigned;
  auto deadline = std::chrono::steady_clock::now() + 60s;
  while (assigned.empty() && std::chrono::steady_clock::now() < deadline) {
    std::unique_ptr<RdKafka::Message> m(member->consume(200));
    ASSERT_EQ(member->assignment(assigned), RdKafka::ERR_NO_ERROR);
  }
  ASSERT_FALSE(assigned.empty());
  RdKafka::TopicPartition::destroy(assigned);
  std::atomic<bool> stop{false};
  std::thread poller([&] {
    while (!stop) std::unique_ptr<RdKafka::Message>(member->consume(100));
  });

  auto report = RestoreGroupOffsets(store_, keys_, *admin_, parts, {});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  const GroupResult* a = Find(*report, active);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->outcome, GroupOutcome::kSkippedActive) << FormatGroupReport(*report);
  EXPECT_NE(a->message.find(active), std::string::npos) << a->message;
  EXPECT_NE(FormatGroupReport(*report).find("group " + active + ": skipped-active"),
            std::string::npos);
  const GroupResult* i = Find(*report, idle);
  ASSERT_NE(i, nullptr);
  EXPECT_EQ(i->outcome, GroupOutcome::kCommitted);
  EXPECT_EQ(Committed(idle), (GroupOffsets{{{target, 0}, 6}}));
  EXPECT_TRUE(Committed(active).empty());  // the member never commits (no auto commit)

  // With fail_on_active the call fails naming the group, before writing any group's offsets.
  ASSERT_TRUE(admin_->AlterConsumerGroupOffsets(idle, {{{target, 0}, 1}}, 30s).ok());
  auto failed = RestoreGroupOffsets(store_, keys_, *admin_, parts, {.fail_on_active = true});
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), Status::Code::kFailedPrecondition)
      << failed.status().ToString();
  EXPECT_NE(failed.status().subject().find(active), std::string::npos)
      << failed.status().ToString();
  EXPECT_EQ(Committed(idle), (GroupOffsets{{{target, 0}, 1}}));

  // A dry run with fail_on_active reports instead of failing.
  auto dry =
      RestoreGroupOffsets(store_, keys_, *admin_, parts, {.fail_on_active = true, .dry_run = true});
  ASSERT_TRUE(dry.ok()) << dry.status().ToString();
  EXPECT_EQ(Find(*dry, active)->outcome, GroupOutcome::kSkippedActive);

  stop = true;
  poller.join();
  member.reset();  // leaves the group: now its offsets move
  auto after = RestoreGroupOffsets(store_, keys_, *admin_, parts, {.fail_on_active = true});
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_EQ(Committed(active), (GroupOffsets{{{target, 0}, 4}}));
}

}  // namespace
}  // namespace kb::restore
