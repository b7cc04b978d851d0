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

TEST(ErrorMapTest, AuthorizationErrorsNameTheMissingAcl) {
  Status s = FromKafkaError(RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED, "orders/0", "consume",
                            {.operation = "READ", .topic = "orders"});
  EXPECT_TRUE(s.IsPermissionDenied());
  EXPECT_EQ(s.subject(), "orders/0");
  EXPECT_TRUE(s.message().starts_with("not authorized to READ topic orders: ")) << s.message();
  EXPECT_NE(s.message().find("--operation Read --topic orders"), std::string::npos);
  EXPECT_NE(s.message().find("TOPIC_AUTHORIZATION_FAILED"), std::string::npos);

  s = FromKafkaError(RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED, "group g", "describe",
                     {.operation = "DESCRIBE", .topic = "t", .group = "g"});
  EXPECT_TRUE(s.message().starts_with("not authorized to DESCRIBE group g: ")) << s.message();
  EXPECT_NE(s.message().find("--operation Describe --group g"), std::string::npos);

  s = FromKafkaError(RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED, "t", "describe topic configs",
                     {.operation = "DESCRIBE_CONFIGS", .topic = "t"});
  EXPECT_NE(s.message().find("--operation DescribeConfigs --topic t"), std::string::npos);

  s = FromKafkaError(RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED, "c", "x",
                     {.operation = "IDEMPOTENT_WRITE"});
  EXPECT_TRUE(s.message().starts_with("not authorized to IDEMPOTENT_WRITE on the cluster"));

  // Without the access the request needs: still permanent, and says an ACL is missing.
  for (rd_kafka_resp_err_t e :
       {RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED, RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED,
        RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED,
        RD_KAFKA_RESP_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED}) {
    s = FromKafkaError(e, "t", "x");
    EXPECT_TRUE(IsKafkaAuthorizationError(e));
    EXPECT_TRUE(s.IsPermissionDenied()) << rd_kafka_err2name(e);
    EXPECT_NE(s.message().find("lacks an ACL"), std::string::npos) << s.message();
  }
  EXPECT_FALSE(IsKafkaAuthorizationError(RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED));
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
  Status token = FromHttpStatus(400, "InvalidToken", "k", "malformed");
  EXPECT_TRUE(token.IsPermissionDenied());
  EXPECT_NE(token.message().find("check the S3 session token"), std::string::npos);
  EXPECT_TRUE(FromHttpStatus(400, "ExpiredToken", "k", "").IsPermissionDenied());
  // STS's throttling and identity-provider outages are retried.
  EXPECT_TRUE(FromHttpStatus(400, "Throttling", "role", "").IsRetryable());
  EXPECT_TRUE(FromHttpStatus(400, "IDPCommunicationError", "role", "").IsRetryable());
  EXPECT_EQ(FromHttpStatus(400, "InvalidIdentityToken", "role", "").code(),
            Status::Code::kPermanent);
}

TEST(ErrorMapTest, Errnos) {
  EXPECT_TRUE(FromErrno(ENOENT, "/x", "open").IsNotFound());
  EXPECT_TRUE(FromErrno(EACCES, "/x", "open").IsPermissionDenied());
  EXPECT_TRUE(FromErrno(EINTR, "/x", "write").IsRetryable());
  Status io = FromErrno(EIO, "/data/seg", "write");
  EXPECT_EQ(io.code(), Status::Code::kPermanent);
  EXPECT_EQ(io.subject(), "/data/seg");
  EXPECT_NE(io.message().find("Input/output error"), std::string::npos);
}

// A full or read-only file system is ridden out (freeing space or remounting fixes it), and the
// message says which it is and where.
TEST(ErrorMapTest, FullOrReadOnlyFileSystemIsRetryable) {
  Status full = FromErrno(ENOSPC, "t/0/seg", "write /data/t/0/.~kbtmp-1");
  EXPECT_TRUE(full.IsRetryable()) << full.ToString();
  EXPECT_EQ(full.subject(), "t/0/seg");
  EXPECT_NE(full.message().find("/data/t/0/.~kbtmp-1"), std::string::npos) << full.ToString();
  EXPECT_NE(full.message().find("No space left on device"), std::string::npos) << full.ToString();
  Status quota = FromErrno(EDQUOT, "t/0/seg", "write /data/x");
  EXPECT_TRUE(quota.IsRetryable()) << quota.ToString();
  EXPECT_NE(quota.message().find("quota"), std::string::npos) << quota.ToString();
  Status ro = FromErrno(EROFS, "t/0/seg", "create temp file /data/x");
  EXPECT_TRUE(ro.IsRetryable()) << ro.ToString();
  EXPECT_NE(ro.message().find("Read-only file system"), std::string::npos) << ro.ToString();
  // Permissions are not: the operator must act, retrying cannot help.
  EXPECT_TRUE(FromErrno(EPERM, "/x", "open").IsPermissionDenied());
}

TEST(ErrorMapTest, S3UploadOptionRefusalsNameTheConfigKey) {
  // MinIO without a KMS: 501 would otherwise be retried until the deadline.
  ASSERT_TRUE(FromHttpStatus(501, "NotImplemented", "k", "").IsRetryable());
  auto kms = ClassifyS3UploadOptionRefusal(
      501, "NotImplemented", "Server side encryption specified but KMS is not configured",
      "t/0/seg", "aws:kms", "");
  ASSERT_TRUE(kms.has_value());
  EXPECT_FALSE(kms->IsRetryable());
  EXPECT_EQ(kms->subject(), "storage.s3.sse");
  EXPECT_NE(kms->message().find("t/0/seg"), std::string::npos) << kms->ToString();
  EXPECT_NE(kms->message().find("'aws:kms'"), std::string::npos) << kms->ToString();
  EXPECT_NE(kms->message().find("KMS is not configured"), std::string::npos) << kms->ToString();

  auto key = ClassifyS3UploadOptionRefusal(400, "KMS.NotFoundException", "Invalid keyId abc", "k",
                                           "aws:kms", "STANDARD_IA");
  ASSERT_TRUE(key.has_value());
  EXPECT_EQ(key->subject(), "storage.s3.sse");
  EXPECT_NE(key->message().find("sse_kms_key_id"), std::string::npos) << key->ToString();

  auto denied = ClassifyS3UploadOptionRefusal(
      403, "AccessDenied", "User: arn:x is not authorized to perform: kms:GenerateDataKey", "k",
      "aws:kms", "");
  ASSERT_TRUE(denied.has_value());
  EXPECT_TRUE(denied->IsPermissionDenied());
  EXPECT_EQ(denied->subject(), "storage.s3.sse");

  auto cls = ClassifyS3UploadOptionRefusal(400, "InvalidStorageClass",
                                           "The storage class you specified is not valid", "k",
                                           "AES256", "OUTPOSTS");
  ASSERT_TRUE(cls.has_value());
  EXPECT_EQ(cls->subject(), "storage.s3.storage_class");
  EXPECT_NE(cls->message().find("'OUTPOSTS'"), std::string::npos) << cls->ToString();

  auto not_impl_class = ClassifyS3UploadOptionRefusal(
      501, "NotImplemented", "storage class GLACIER_IR not supported", "k", "AES256", "GLACIER_IR");
  ASSERT_TRUE(not_impl_class.has_value());
  EXPECT_EQ(not_impl_class->subject(), "storage.s3.storage_class");
  auto not_impl_only_class =
      ClassifyS3UploadOptionRefusal(501, "NotImplemented", "", "k", "", "STANDARD_IA");
  ASSERT_TRUE(not_impl_only_class.has_value());
  EXPECT_EQ(not_impl_only_class->subject(), "storage.s3.storage_class");

  auto arg = ClassifyS3UploadOptionRefusal(400, "InvalidArgument",
                                           "The encryption method specified is not supported", "k",
                                           "AES256", "");
  ASSERT_TRUE(arg.has_value());
  EXPECT_EQ(arg->subject(), "storage.s3.sse");

  // Not about the headers: left to FromHttpStatus.
  EXPECT_FALSE(ClassifyS3UploadOptionRefusal(503, "SlowDown", "Please reduce your request rate",
                                             "k", "aws:kms", "STANDARD_IA")
                   .has_value());
  EXPECT_FALSE(ClassifyS3UploadOptionRefusal(403, "SignatureDoesNotMatch", "", "k", "aws:kms", "")
                   .has_value());
  EXPECT_FALSE(ClassifyS3UploadOptionRefusal(400, "InvalidArgument", "Part number must be ...", "k",
                                             "AES256", "STANDARD_IA")
                   .has_value());
  EXPECT_FALSE(ClassifyS3UploadOptionRefusal(501, "NotImplemented", "", "k", "", "").has_value());
  EXPECT_FALSE(
      ClassifyS3UploadOptionRefusal(403, "AccessDenied", "Access Denied", "k", "aws:kms", "")
          .has_value());
}

}  // namespace
}  // namespace kb

namespace kb {
namespace {

// Reason texts as librdkafka 2.8 writes them (error callback).
TEST(ErrorMapTest, KafkaConnectionErrorsThatNoRetryFixesNameTheKeyAndTheCase) {
  struct Case {
    int err;
    const char* reason;
    const char* subject;
    const char* says;
  };
  const Case cases[] = {
      {RD_KAFKA_RESP_ERR__AUTHENTICATION,
       "sasl_ssl://127.0.0.1:46533/bootstrap: SASL authentication error: Authentication failed "
       "during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512 (after "
       "5ms in state AUTH_REQ)",
       "kafka.sasl.password", "SASL authentication failed"},
      {RD_KAFKA_RESP_ERR__SSL,
       "SSL handshake failed: error:0A000086:SSL routines::certificate verify failed: broker "
       "certificate could not be verified, verify that ssl.ca.location is correctly configured",
       "kafka.ssl.ca.location", "not signed by a CA in kafka.ssl.ca.location"},
      {RD_KAFKA_RESP_ERR__SSL,
       "SSL handshake failed: error:0A000416:SSL routines::sslv3 alert certificate unknown: SSL "
       "alert number 46",
       "kafka.ssl.certificate.location", "rejected the client certificate"},
      {RD_KAFKA_RESP_ERR__SSL,
       "SSL handshake failed: error:0A000412:SSL routines::sslv3 alert bad certificate",
       "kafka.ssl.certificate.location", "rejected the client certificate"},
      {RD_KAFKA_RESP_ERR__SSL,
       "SSL handshake failed: error:0A00010B:SSL routines::wrong version number",
       "kafka.security.protocol", "another protocol"},
  };
  for (const Case& c : cases) {
    const std::optional<Status> s = ClassifyKafkaConnectionError(c.err, c.reason);
    ASSERT_TRUE(s.has_value()) << c.reason;
    EXPECT_FALSE(s->IsRetryable()) << s->ToString();
    EXPECT_EQ(s->subject(), c.subject) << s->ToString();
    EXPECT_NE(s->message().find(c.says), std::string::npos) << s->ToString();
    EXPECT_NE(s->message().find(c.reason), std::string::npos) << "keeps librdkafka's text";
  }
  // From librdkafka's log lines (the kind read from the text).
  const std::optional<Status> auth = ClassifyKafkaConnectionLog(
      "sasl_ssl://127.0.0.1:46533/bootstrap: SASL authentication error: Authentication failed "
      "during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512");
  ASSERT_TRUE(auth.has_value());
  EXPECT_EQ(auth->subject(), "kafka.sasl.password");
  const std::optional<Status> alert = ClassifyKafkaConnectionLog(
      "ssl://127.0.0.1:38119/bootstrap: Receive failed: error:0A000412:SSL routines::sslv3 alert "
      "bad certificate: SSL alert number 42 (after 0ms in state APIVERSION_QUERY)");
  ASSERT_TRUE(alert.has_value());
  EXPECT_EQ(alert->subject(), "kafka.ssl.certificate.location");
  // A connection closed at its first request: a listener of another protocol, or a network fault
  // (the network-fault scenario cuts connections so): retried, with a hint at the end.
  for (const char* closed :
       {"ssl://127.0.0.1:53623/bootstrap: SSL handshake failed: Disconnected: connecting to a "
        "PLAINTEXT broker listener? (after 1ms in state SSL_HANDSHAKE)",
        "127.0.0.1:38119/bootstrap: Disconnected while requesting ApiVersion: might be caused by "
        "incorrect security.protocol configuration (connecting to a SSL listener?) or broker "
        "version is < 0.10 (see api.version.request)",
        "ssl://127.0.0.1:37597/bootstrap: Disconnected (after 1ms in state SSL_HANDSHAKE)"}) {
    EXPECT_FALSE(ClassifyKafkaConnectionLog(closed).has_value()) << closed;
    EXPECT_NE(KafkaConnectionHint(closed).find("kafka.security.protocol"), std::string::npos);
  }
  EXPECT_EQ(KafkaConnectionHint("Connect to ipv4#127.0.0.1:9092 failed: Connection refused"), "");
  EXPECT_FALSE(ClassifyKafkaConnectionLog("127.0.0.1:9092/bootstrap: Connect to ipv4#127.0.0.1:"
                                          "9092 failed: Connection refused")
                   .has_value());
  // A broker that is down is retried as usual.
  EXPECT_FALSE(ClassifyKafkaConnectionError(
                   RD_KAFKA_RESP_ERR__TRANSPORT,
                   "Connect to ipv4#127.0.0.1:9092 failed: Connection refused (after 0ms in state "
                   "CONNECT)")
                   .has_value());
  EXPECT_FALSE(
      ClassifyKafkaConnectionError(RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN, "1/1 brokers are down")
          .has_value());
}

}  // namespace
}  // namespace kb
