#include "report/report_text.h"

#include <gtest/gtest.h>

namespace kb::report {
namespace {

TEST(ReportTextTest, FormatsTimesAsIsoUtcAndOddValuesAsNumbers) {
  EXPECT_EQ(FormatTimeMs(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatTimeMs(1'700'000'000'123), "2023-11-14T22:13:20.123Z");
  EXPECT_EQ(FormatTimeMs(253402300799999), "9999-12-31T23:59:59.999Z");
  EXPECT_EQ(FormatTimeMs(-1), "-1");
  EXPECT_EQ(FormatTimeMs(INT64_MIN), std::to_string(INT64_MIN));
  EXPECT_EQ(FormatTimeMs(INT64_MAX), std::to_string(INT64_MAX));
}

TEST(ReportTextTest, ParsesEpochMillisAndIsoUtc) {
  EXPECT_EQ(*ParseTimeArg("1700000000123", "--from"), 1'700'000'000'123);
  EXPECT_EQ(*ParseTimeArg("2023-11-14T22:13:20Z", "--from"), 1'700'000'000'000);
  EXPECT_EQ(*ParseTimeArg("2023-11-14T22:13:20.5Z", "--from"), 1'700'000'000'500);
  EXPECT_EQ(*ParseTimeArg("2023-11-14T22:13:20.123456Z", "--from"), 1'700'000'000'123);
  EXPECT_EQ(*ParseTimeArg("2026-11-21", "--to"), 1'795'219'200'000);
  EXPECT_EQ(*ParseTimeArg("2026-11-21T10:00:00Z", "--to"), 1'795'219'200'000 + 36'000'000);
  // Round trip with the formatter.
  EXPECT_EQ(*ParseTimeArg(FormatTimeMs(1'763'719'200'042), "--to"), 1'763'719'200'042);
}

TEST(ReportTextTest, RejectsTimesBeforeTheEpochNamingTheFlag) {
  for (const char* bad : {"-5", "1969-12-31", "1969-12-31T23:59:59.999Z"}) {
    Result<int64_t> r = ParseTimeArg(bad, "--from");
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_TRUE(r.status().IsInvalidArgument()) << bad;
    EXPECT_EQ(r.status().subject(), "--from");
    EXPECT_NE(r.status().message().find("before 1970"), std::string::npos) << r.status().ToString();
  }
  EXPECT_EQ(*ParseTimeArg("0", "--from"), 0);
  EXPECT_EQ(*ParseTimeArg("1970-01-01", "--from"), 0);
}

TEST(ReportTextTest, RejectsWhatIsNotATimeNamingTheFlag) {
  for (const char* bad :
       {"", "yesterday", "2026-13-01", "2026-02-30", "2026-11-21T10:00:00", "2026-11-21T24:00:00Z",
        "2026-11-21T10:00:00+01:00", "2026-11-21T10:00:00.Z", "2026-11-21 10:00:00Z", "12abc"}) {
    Result<int64_t> r = ParseTimeArg(bad, "--from");
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_TRUE(r.status().IsInvalidArgument()) << bad;
    EXPECT_EQ(r.status().subject(), "--from");
    EXPECT_NE(r.status().message().find("ISO-8601"), std::string::npos);
  }
}

TEST(ReportTextTest, FormatsBytesAndCounts) {
  EXPECT_EQ(FormatBytes(0), "0 B");
  EXPECT_EQ(FormatBytes(1023), "1023 B");
  EXPECT_EQ(FormatBytes(1536), "1.5 KiB");
  EXPECT_EQ(FormatBytes(uint64_t{5} << 30), "5.0 GiB");
  EXPECT_EQ(Count(1, "segment"), "1 segment");
  EXPECT_EQ(Count(0, "segment"), "0 segments");
  EXPECT_EQ(NumOrDash(-1), "-");
  EXPECT_EQ(Table({{"A", "BB"}, {"ccc", "d"}}, {false, true}), "A    BB\nccc   d\n");
}

}  // namespace
}  // namespace kb::report
