// WorkGroup against the real Kafka broker: members divide a topic's partitions, never own one
// partition twice, and take over the partitions of a member that leaves or dies.
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <thread>

#include "kafka/admin_integration_fixture.h"
#include "kafka/work_group.h"

namespace kb::kafka {
namespace {

class WorkGroupTest : public AdminIntegrationTest {
 protected:
  std::unique_ptr<WorkGroup> Member(const std::string& group, const std::string& topic,
                                    std::vector<std::pair<TopicPartition, bool>>* revoked) {
    auto g = WorkGroup::Join({.group_id = group,
                              .topics = {topic},
                              .props = props_,
                              .session_timeout = std::chrono::milliseconds(6000)},
                             [revoked](const std::vector<TopicPartition>& parts, bool lost) {
                               for (const auto& p : parts) revoked->push_back({p, lost});
                             });
    EXPECT_TRUE(g.ok()) << g.status().ToString();
    return g.ok() ? std::move(*g) : nullptr;
  }
};

// Polls every member in turn until `done` holds (true) or 60 s passed (false).
bool PollUntil(const std::vector<WorkGroup*>& members, const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (std::chrono::steady_clock::now() < deadline) {
    for (WorkGroup* m : members) {
      auto polled = m->Poll(50ms);
      EXPECT_TRUE(polled.ok()) << polled.status().ToString();
    }
    if (done()) return true;
  }
  return false;
}

// Whether the members own every partition of `topic` (0..n-1) exactly once, each member some.
bool DividedOnce(const std::vector<WorkGroup*>& members, const std::string& topic, int n) {
  std::map<int32_t, int> owners;
  for (WorkGroup* m : members) {
    if (m->owned().empty()) return false;
    for (const TopicPartition& tp : m->owned()) {
      if (tp.topic != topic) return false;
      owners[tp.partition]++;
    }
  }
  if (static_cast<int>(owners.size()) != n) return false;
  for (const auto& [p, count] : owners) {
    if (count != 1) return false;
  }
  return true;
}

TEST_F(WorkGroupTest, MembersDivideThePartitionsAndTakeOverWhenOneLeaves) {
  const std::string topic = NewTopic(6);
  const std::string group = testing::UniqueName("work");
  std::vector<std::pair<TopicPartition, bool>> revoked_a, revoked_b, revoked_c;
  auto a = Member(group, topic, &revoked_a);
  auto b = Member(group, topic, &revoked_b);
  auto c = Member(group, topic, &revoked_c);
  ASSERT_TRUE(a && b && c);
  ASSERT_TRUE(PollUntil({a.get(), b.get(), c.get()},
                        [&] {
                          return DividedOnce({a.get(), b.get(), c.get()}, topic, 6);
                        }))
      << a->owned().size() << " + " << b->owned().size() << " + " << c->owned().size();

  // c leaves: its partitions are revoked through its callback (not lost), then the others own
  // every partition once.
  const std::set<TopicPartition> c_had = c->owned();
  const size_t c_revoked_before = revoked_c.size();
  ASSERT_TRUE(c->Close().ok());
  EXPECT_TRUE(c->owned().empty());
  ASSERT_EQ(revoked_c.size() - c_revoked_before, c_had.size());
  for (size_t i = c_revoked_before; i < revoked_c.size(); ++i) {
    EXPECT_TRUE(c_had.count(revoked_c[i].first));
    EXPECT_FALSE(revoked_c[i].second) << "a member that leaves does not lose its partitions";
  }
  EXPECT_TRUE(PollUntil({a.get(), b.get()},
                        [&] {
                          return DividedOnce({a.get(), b.get()}, topic, 6);
                        }))
      << a->owned().size() << " + " << b->owned().size();
  for (const auto& [tp, lost] : revoked_a) EXPECT_FALSE(lost) << ToString(tp);
}

// A member that dies without leaving (kill -9: no LeaveGroup) keeps its partitions for the
// session timeout; then the survivor owns them all.
TEST_F(WorkGroupTest, ASurvivorTakesOverTheDeadMembersPartitions) {
  const std::string topic = NewTopic(4);
  const std::string group = testing::UniqueName("work");
  std::vector<std::pair<TopicPartition, bool>> revoked;
  auto survivor = Member(group, topic, &revoked);
  ASSERT_TRUE(survivor);
  // The other member: a plain consumer of the same group and assignor, destroyed without
  // close() below (librdkafka then sends no LeaveGroup, as after kill -9).
  auto doomed = MakeConsumer(props_, {{"group.id", group},
                                      {"partition.assignment.strategy", "cooperative-sticky"},
                                      {"session.timeout.ms", "6000"},
                                      {"heartbeat.interval.ms", "1500"},
                                      {"enable.auto.commit", "false"}});
  ASSERT_TRUE(doomed.ok()) << doomed.status().ToString();
  ASSERT_EQ((*doomed)->subscribe({topic}), RdKafka::ERR_NO_ERROR);
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (std::chrono::steady_clock::now() < deadline) {
    ASSERT_TRUE(survivor->Poll(50ms).ok());
    delete (*doomed)->consume(50);
    std::vector<RdKafka::TopicPartition*> parts;
    (*doomed)->assignment(parts);
    const size_t n = parts.size();
    RdKafka::TopicPartition::destroy(parts);
    if (n > 0 && !survivor->owned().empty() && n + survivor->owned().size() == 4) break;
  }
  ASSERT_GT(survivor->owned().size(), 0u);
  ASSERT_LT(survivor->owned().size(), 4u);
  delete doomed->release();  // dies: no close, no LeaveGroup

  const auto died = std::chrono::steady_clock::now();
  EXPECT_TRUE(PollUntil({survivor.get()}, [&] { return survivor->owned().size() == 4; }))
      << survivor->owned().size();
  // Not before the group noticed: the broker waits for the session timeout.
  EXPECT_GE(std::chrono::steady_clock::now() - died, 3s);
  for (const auto& [tp, lost] : revoked) EXPECT_FALSE(lost) << ToString(tp);
}

TEST(WorkGroupArgsTest, EmptyGroupOrTopicsAreRefused) {
  auto no_group = WorkGroup::Join({.group_id = "", .topics = {"t"}, .props = {}}, nullptr);
  ASSERT_FALSE(no_group.ok());
  EXPECT_TRUE(no_group.status().IsInvalidArgument());
  auto no_topics = WorkGroup::Join({.group_id = "g", .topics = {}, .props = {}}, nullptr);
  ASSERT_FALSE(no_topics.ok());
  EXPECT_EQ(no_topics.status().subject(), "group g");
}

}  // namespace
}  // namespace kb::kafka
