#include "common/error_map.h"

#include <gtest/gtest.h>

#include <cerrno>

namespace kb {
namespace {

TEST(ErrorMapTest, KafkaErrors) {
  EXPECT_TRUE(FromKafkaError(RD_KAFKA_RESP_ERR_NO_ERROR, "t", "x").ok());
  EXPECT_TRUE(FromKafkaError(RD_KAFKA_RESP_ERR__TIMED_OUT, "t/0", "produce").IsRetryable());
  EXPECT_TRUE(FromKafkaError(RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART, "t", "x").IsNotFound());
  // What a partition answers while its leader is moving or not yet ready: retried.
  for (rd_kafka_resp_err_t e :
       {RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION, RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE,
        RD_KAFKA_RESP_ERR_OFFSET_NOT_AVAILABLE, RD_KAFKA_RESP_ERR_UNKNOWN_LEADER_EPOCH,
        RD_KAFKA_RESP_ERR_FENCED_LEADER_EPOCH}) {
    EXPECT_TRUE(FromKafkaError(e, "t/0", "list offsets").IsRetryable()) << rd_kafka_err2name(e);
  }
  EXPECT_TRUE(
      FromKafkaError(RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED, "t", "x").IsPermissionDenied());
  Status s = FromKafkaError(RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS, "orders", "create topic");
  EXPECT_EQ(s.code(), Status::Code::kAlreadyExists);
  EXPECT_EQ(s.subject(), "orders");
  EXPECT_NE(s.message().find("create topic failed"), std::string::npos);
  EXPECT_NE(s.message().find("TOPIC_ALREADY_EXISTS"), std::string::npos);
}

TEST(ErrorMapTest, CurlErrors) {
  EXPECT_TRUE(FromCurlError(CURLE_OK, "k", "").ok());
  EXPECT_TRUE(FromCurlError(CURLE_OPERATION_TIMEDOUT, "k", "").IsRetryable());
  EXPECT_TRUE(FromCurlError(CURLE_COULDNT_CONNECT, "k", "refused").IsRetryable());
  Status s = FromCurlError(CURLE_URL_MALFORMAT, "k", "bad url");
  EXPECT_EQ(s.code(), Status::Code::kPermanent);
  EXPECT_NE(s.message().find("bad url"), std::string::npos);
}

TEST(ErrorMapTest, HttpStatuses) {
  EXPECT_TRUE(FromHttpStatus(200, "", "k", "").ok());
  EXPECT_TRUE(FromHttpStatus(404, "NoSuchKey", "k", "").IsNotFound());
  EXPECT_TRUE(FromHttpStatus(503, "SlowDown", "k", "").IsRetryable());
  EXPECT_TRUE(FromHttpStatus(500, "", "k", "").IsRetryable());
  EXPECT_TRUE(FromHttpStatus(400, "RequestTimeout", "k", "").IsRetryable());
  EXPECT_TRUE(FromHttpStatus(429, "", "k", "").IsRetryable());
  Status auth = FromHttpStatus(403, "SignatureDoesNotMatch", "bucket/k", "sig");
  EXPECT_TRUE(auth.IsPermissionDenied());
  EXPECT_NE(auth.message().find("access key and secret"), std::string::npos);
  EXPECT_EQ(FromHttpStatus(400, "InvalidArgument", "k", "").code(), Status::Code::kPermanent);
}

TEST(ErrorMapTest, Errnos) {
  EXPECT_TRUE(FromErrno(ENOENT, "/x", "open").IsNotFound());
  EXPECT_TRUE(FromErrno(EACCES, "/x", "open").IsPermissionDenied());
  EXPECT_TRUE(FromErrno(EINTR, "/x", "write").IsRetryable());
  Status s = FromErrno(ENOSPC, "/data/seg", "write");
  EXPECT_EQ(s.code(), Status::Code::kPermanent);
  EXPECT_EQ(s.subject(), "/data/seg");
  EXPECT_NE(s.message().find("No space left"), std::string::npos);
}

}  // namespace
}  // namespace kb
