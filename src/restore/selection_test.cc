#include "restore/selection.h"

#include <gtest/gtest.h>

namespace kb::restore {
namespace {

TEST(RestoreSelectionTest, ParsesOffsetsAndRejectsBadForms) {
  std::map<int32_t, OffsetRange> offsets;
  ASSERT_TRUE(ParseOffsetsArg("0=10-20", &offsets).ok());
  ASSERT_TRUE(ParseOffsetsArg("3=5-5", &offsets).ok());
  EXPECT_EQ(offsets.at(0), (OffsetRange{10, 20}));
  EXPECT_EQ(offsets.at(3), (OffsetRange{5, 5}));
  for (const char* bad : {"0", "x=1-2", "-1=1-2", "1=2-1", "1=a-2", "1=-2", "0=1-2"}) {
    Status s = ParseOffsetsArg(bad, &offsets);
    EXPECT_TRUE(s.IsInvalidArgument()) << bad;
    EXPECT_EQ(s.subject(), "--offsets") << bad;
  }
}

TEST(RestoreSelectionTest, RenameThenPrefix) {
  RestoreSelection sel;
  ASSERT_TRUE(ParseRenameArg("orders=orders-copy", &sel.rename).ok());
  EXPECT_TRUE(ParseRenameArg("orders=x", &sel.rename).IsInvalidArgument());
  EXPECT_TRUE(ParseRenameArg("=x", &sel.rename).IsInvalidArgument());
  EXPECT_TRUE(ParseRenameArg("x=", &sel.rename).IsInvalidArgument());
  sel.target_prefix = "restored.";
  EXPECT_EQ(sel.TargetTopic("orders"), "orders-copy");
  EXPECT_EQ(sel.TargetTopic("payments"), "restored.payments");
  EXPECT_TRUE(sel.Check().ok());
  sel.rename["bad"] = "no/slash";
  EXPECT_TRUE(sel.Check().IsInvalidArgument());
}

TEST(RestoreSelectionTest, RenameOfATopicNotSelectedIsAUsageError) {
  // Regression: `--topic a --rename b=c` restored a and ignored the rename silently.
  RestoreSelection sel;
  sel.topics = {"orders", "^pay.*"};
  ASSERT_TRUE(ParseRenameArg("payments=payments-copy", &sel.rename).ok());
  EXPECT_TRUE(sel.Check().ok());
  ASSERT_TRUE(ParseRenameArg("invoices=invoices-copy", &sel.rename).ok());
  Status s = sel.Check();
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_EQ(s.subject(), "--rename");
  EXPECT_NE(s.message().find("'invoices' is not selected by --topic (orders, ^pay.*)"),
            std::string::npos)
      << s.ToString();
  sel.topics.clear();  // every topic: only the store can tell (PlanRestore)
  EXPECT_TRUE(sel.Check().ok());
}

TEST(RestoreSelectionTest, TopicsByNameAndRegex) {
  RestoreSelection sel;
  sel.topics = {"orders", "^pay.*"};
  ASSERT_TRUE(sel.Check().ok());
  EXPECT_TRUE(sel.MatchesTopic("orders"));
  EXPECT_TRUE(sel.MatchesTopic("payments"));
  EXPECT_FALSE(sel.MatchesTopic("orders2"));
  EXPECT_FALSE(sel.MatchesTopic("xpay"));
  sel.topics = {"^("};
  EXPECT_TRUE(sel.Check().IsInvalidArgument());
  sel.topics = {};
  EXPECT_TRUE(sel.MatchesTopic("anything"));
}

TEST(RestoreSelectionTest, OffsetsNeedOnePlainTopic) {
  RestoreSelection sel;
  sel.offsets[0] = {1, 2};
  EXPECT_TRUE(sel.Check().IsInvalidArgument());
  sel.topics = {"^a.*"};
  EXPECT_TRUE(sel.Check().IsInvalidArgument());
  sel.topics = {"a", "b"};
  EXPECT_TRUE(sel.Check().IsInvalidArgument());
  sel.topics = {"a"};
  EXPECT_TRUE(sel.Check().ok());
  EXPECT_TRUE(sel.PartitionSelected(0));
  EXPECT_FALSE(sel.PartitionSelected(1));
}

TEST(RestoreSelectionTest, WindowFiltersAndDescribes) {
  RestoreSelection sel;
  EXPECT_EQ(sel.Describe(0), "all");
  sel.from_ms = 100;
  sel.to_ms = 200;
  ASSERT_TRUE(sel.Check().ok());
  EXPECT_TRUE(sel.Selects(0, 5, 100));
  EXPECT_TRUE(sel.Selects(0, 5, 200));
  EXPECT_FALSE(sel.Selects(0, 5, 99));
  EXPECT_FALSE(sel.Selects(0, 5, 201));
  EXPECT_EQ(sel.Describe(0), "time:100-200");
  sel.to_ms.reset();
  EXPECT_EQ(sel.Describe(0), "time:100-");
  sel.topics = {"t"};
  sel.offsets[1] = {10, 19};
  EXPECT_EQ(sel.Describe(1), "offsets:10-19,time:100-");
  EXPECT_FALSE(sel.Selects(1, 9, 150));
  EXPECT_TRUE(sel.Selects(1, 10, 150));
  sel.from_ms = 300;
  sel.to_ms = 200;
  EXPECT_TRUE(sel.Check().IsInvalidArgument());
}

TEST(RestoreSelectionTest, ExcludedKeysMatchKeysNotNullAndJoinTheDescription) {
  RestoreSelection sel;
  EXPECT_FALSE(sel.Excludes("a"));
  EXPECT_FALSE(sel.Excludes(std::nullopt));
  auto keys = ParseExcludedKeys("a\nbase64:\n", "list");  // "a" and the empty key
  ASSERT_TRUE(keys.ok()) << keys.status().ToString();
  sel.exclude_keys = std::make_shared<const ExcludedKeys>(std::move(keys).value());
  EXPECT_TRUE(sel.Excludes("a"));
  EXPECT_TRUE(sel.Excludes(""));
  EXPECT_FALSE(sel.Excludes("b"));
  EXPECT_FALSE(sel.Excludes(std::nullopt));  // a null key is not the empty key
  const std::string digest = sel.exclude_keys->Digest();
  EXPECT_EQ(sel.Describe(0), "exclude-keys:2:" + digest);
  sel.from_ms = 100;
  EXPECT_EQ(sel.Describe(0), "time:100-,exclude-keys:2:" + digest);
  // Another list is another selection (a resume with it is refused); the same keys in another
  // order are the same one.
  RestoreSelection other = sel;
  other.exclude_keys =
      std::make_shared<const ExcludedKeys>(ParseExcludedKeys("b\n", "list").value());
  EXPECT_NE(other.Describe(0), sel.Describe(0));
  other.exclude_keys =
      std::make_shared<const ExcludedKeys>(ParseExcludedKeys("base64:\na\na\n", "x").value());
  EXPECT_EQ(other.Describe(0), sel.Describe(0));
}

}  // namespace
}  // namespace kb::restore
