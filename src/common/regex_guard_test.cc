#include "common/regex_guard.h"

#include <gtest/gtest.h>

namespace kb {
namespace {

TEST(RegexGuardTest, LongNumbersAreRefusedNamingTheSubject) {
  EXPECT_TRUE(CheckRegexNumbers("^orders-[0-9]{1,4}$", "--topic").ok());
  EXPECT_TRUE(CheckRegexNumbers("^events-20261204$", "--topic").ok());  // literal digits
  EXPECT_TRUE(CheckRegexNumbers("^a{1,9999}\\.x\\1$", "--topic").ok());
  EXPECT_TRUE(CheckRegexNumbers("^\\.20261204$", "--topic").ok());  // escaped '.', then literal
  for (const char* bad : {"^\\3000000333330000000", "^a{99999999999}", "^a{1,123456}"}) {
    Status s = CheckRegexNumbers(bad, "backup.topics[0]");
    EXPECT_EQ(s.code(), Status::Code::kInvalidArgument) << bad;
    EXPECT_EQ(s.subject(), "backup.topics[0]");
  }
}

}  // namespace
}  // namespace kb
