#include "config/topic_filter.h"

#include <gtest/gtest.h>

namespace kb {
namespace {

TopicFilter Make(std::vector<std::string> topics, std::vector<std::string> exclude = {},
                 bool internal = false) {
  BackupConfig cfg;
  cfg.topics = std::move(topics);
  cfg.exclude = std::move(exclude);
  cfg.include_internal = internal;
  auto f = TopicFilter::Make(cfg);
  EXPECT_TRUE(f.ok()) << f.status().ToString();
  return std::move(f).value();
}

TEST(TopicFilterTest, NamesAndRegexes) {
  TopicFilter f = Make({"orders", "^payments\\..*"});
  EXPECT_TRUE(f.Matches("orders"));
  EXPECT_FALSE(f.Matches("orders2"));  // exact names are exact
  EXPECT_TRUE(f.Matches("payments.eu"));
  EXPECT_FALSE(f.Matches("xpayments.eu"));  // regexes match the whole name
  EXPECT_FALSE(f.Matches("payments"));
}

TEST(TopicFilterTest, ExcludesWin) {
  TopicFilter f = Make({"^.*"}, {"^.*-tmp", "scratch"});
  EXPECT_TRUE(f.Matches("orders"));
  EXPECT_FALSE(f.Matches("orders-tmp"));
  EXPECT_FALSE(f.Matches("scratch"));
}

TEST(TopicFilterTest, InternalTopicsOnlyOnRequest) {
  EXPECT_FALSE(Make({"^.*"}).Matches("__consumer_offsets"));
  EXPECT_TRUE(Make({"^.*"}, {}, true).Matches("__consumer_offsets"));
  EXPECT_TRUE(Make({"__schemas"}).Matches("__schemas"));  // named explicitly
}

TEST(TopicFilterTest, ExactNamesAreTheNamedTopicsNotExcluded) {
  // What the backup asks for by name at start (a hidden topic vs a missing one).
  TopicFilter f = Make({"orders", "^payments\\..*", "scratch", "__schemas"}, {"scratch"});
  EXPECT_EQ(f.ExactNames(), (std::vector<std::string>{"orders", "__schemas"}));
  EXPECT_TRUE(Make({"^.*"}).ExactNames().empty());
}

TEST(TopicFilterTest, SelectSortsAndFilters) {
  TopicFilter f = Make({"^a.*", "zeta"});
  EXPECT_EQ(f.Select({"zeta", "beta", "alpha", "apple", "__a"}),
            (std::vector<std::string>{"alpha", "apple", "zeta"}));
}

TEST(TopicFilterTest, NoTopicsIsAnErrorNamingTheKey) {
  BackupConfig cfg;
  auto f = TopicFilter::Make(cfg);
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.status().subject(), "backup.topics");
}

}  // namespace
}  // namespace kb
