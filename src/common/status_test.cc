#include "common/status.h"

#include <gtest/gtest.h>

namespace kb {
namespace {

TEST(StatusTest, DefaultIsOk) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.ToString(), "OK");
}

TEST(StatusTest, ToStringNamesCodeSubjectAndMessage) {
  Status s = Status::Corruption("backups/t/0/00000000000000000000-00000000000000000009",
                                "bad block checksum at byte 4096");
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(s.IsCorruption());
  EXPECT_EQ(s.ToString(),
            "Corruption: backups/t/0/00000000000000000000-00000000000000000009: bad block "
            "checksum at byte 4096");
}

TEST(StatusTest, EmptySubjectIsOmitted) {
  EXPECT_EQ(Status::Permanent("", "boom").ToString(), "Error: boom");
}

TEST(StatusTest, WithContextKeepsCodeAndSubject) {
  Status s = Status::NotFound("k", "no such object").WithContext("restoring t/3");
  EXPECT_TRUE(s.IsNotFound());
  EXPECT_EQ(s.subject(), "k");
  EXPECT_EQ(s.message(), "restoring t/3: no such object");
  EXPECT_TRUE(Status::OK().WithContext("x").ok());
}

Result<int> Half(int v) {
  if (v % 2) return Status::InvalidArgument("v", "odd");
  return v / 2;
}

Result<int> Quarter(int v) {
  KB_ASSIGN_OR_RETURN(int h, Half(v));
  KB_ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

TEST(ResultTest, ValueAndErrorPropagation) {
  Result<int> ok = Quarter(8);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, 2);
  Result<int> bad = Quarter(6);
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(bad.status().IsInvalidArgument());
  EXPECT_EQ(bad.status().message(), "odd");
}

Status FailIfNegative(int v) {
  if (v < 0) return Status::InvalidArgument("v", "negative");
  return Status::OK();
}

Status Both(int a, int b) {
  KB_RETURN_IF_ERROR(FailIfNegative(a));
  KB_RETURN_IF_ERROR(FailIfNegative(b));
  return Status::OK();
}

TEST(ResultTest, ReturnIfError) {
  EXPECT_TRUE(Both(1, 2).ok());
  EXPECT_EQ(Both(1, -2).message(), "negative");
}

}  // namespace
}  // namespace kb
