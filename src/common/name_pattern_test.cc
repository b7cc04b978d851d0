#include "common/name_pattern.h"

#include <gtest/gtest.h>

#include <string>

namespace kb {
namespace {

TEST(NamePatternTest, ExactNamesMatchOnlyThemselves) {
  Result<NamePattern> p = NamePattern::Make("orders.v1", "--topic");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_FALSE(p->is_regex());
  EXPECT_TRUE(p->Matches("orders.v1"));
  EXPECT_FALSE(p->Matches("ordersXv1"));  // '.' is not a wildcard in an exact name
  EXPECT_FALSE(p->Matches("orders.v10"));
  EXPECT_EQ(p->text(), "orders.v1");
}

TEST(NamePatternTest, RegularExpressionsMatchTheWholeName) {
  Result<NamePattern> p = NamePattern::Make("^payments-[0-9]+", "backup.topics[1]");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_TRUE(p->is_regex());
  EXPECT_TRUE(p->Matches("payments-42"));
  EXPECT_FALSE(p->Matches("payments-42-tmp"));  // anchored at the end too
  EXPECT_FALSE(p->Matches("x-payments-42"));
  Result<NamePattern> any = NamePattern::Make("^.*", "backup.topics[0]");
  ASSERT_TRUE(any.ok());
  EXPECT_TRUE(any->Matches(""));
  EXPECT_TRUE(any->Matches("__consumer_offsets"));
}

TEST(NamePatternTest, BadEntriesAreRefusedNamingTheSubject) {
  for (const char* bad : {"^(unclosed", "^a{1001}", "^[z-a]", "^x(?=y)", "^(a)\\1"}) {
    Result<NamePattern> p = NamePattern::Make(bad, "backup.exclude[3]");
    ASSERT_FALSE(p.ok()) << bad;
    EXPECT_EQ(p.status().code(), Status::Code::kInvalidArgument) << bad;
    EXPECT_EQ(p.status().subject(), "backup.exclude[3]") << bad;
    EXPECT_NE(p.status().message().find(std::string("'") + bad + "'"), std::string::npos)
        << p.status().ToString();
  }
  Result<NamePattern> empty = NamePattern::Make("", "--groups");
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.status().subject(), "--groups");
}

// The --topic patterns that made libstdc++'s std::regex compiler overflow an int (cli_args_fuzz,
// test/fuzz/cli_args_regex_overflow.bin) are ordinary patterns to RE2: \300 is an octal escape
// (U+00C0, UTF-8 encoded) and a count that is not a number RE2 can hold makes the brace literal,
// as in Perl.
TEST(NamePatternTest, TheRegexOverflowInputsAreOrdinaryPatterns) {
  Result<NamePattern> octal = NamePattern::Make("^\\3000000333330000000", "--topic");
  ASSERT_TRUE(octal.ok()) << octal.status().ToString();
  EXPECT_TRUE(
      octal->Matches("\xC3\x80"
                     "0000333330000000"));
  EXPECT_FALSE(octal->Matches("3000000333330000000"));
  Result<NamePattern> count = NamePattern::Make("^a{99999999999}", "--topic");
  ASSERT_TRUE(count.ok()) << count.status().ToString();
  EXPECT_TRUE(count->Matches("a{99999999999}"));
  EXPECT_FALSE(count->Matches("aaa"));
}

// std::regex took seconds on this (exponential backtracking); RE2 is linear in the name.
TEST(NamePatternTest, NestedRepetitionStaysFast) {
  Result<NamePattern> p = NamePattern::Make("^(a*)*b", "--topic");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_FALSE(p->Matches(std::string(200, 'a')));
  EXPECT_TRUE(p->Matches(std::string(200, 'a') + "b"));
}

TEST(NamePatternTest, CopiesShareTheCompiledExpression) {
  Result<NamePattern> p = NamePattern::Make("^t[12]", "--topic");
  ASSERT_TRUE(p.ok());
  NamePattern copy = *p;
  EXPECT_TRUE(copy.Matches("t2"));
  EXPECT_FALSE(copy.Matches("t3"));
}

}  // namespace
}  // namespace kb
