#include "common/error_map.h"

#include <cctype>
#include <cerrno>
#include <cstring>
#include <string>

namespace kb {

namespace {

// "DESCRIBE_CONFIGS" -> "DescribeConfigs", as kafka-acls.sh --operation spells it.
std::string AclCommandOperation(std::string_view op) {
  std::string out;
  bool upper = true;
  for (char c : op) {
    if (c == '_') {
      upper = true;
      continue;
    }
    out += upper ? c : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    upper = false;
  }
  return out;
}

// The sentence that says which ACL an authorization error `err` of a request needing `access`
// lacks ("not authorized to ..."), or, when `access` does not say, that some ACL is missing.
std::string AclHint(rd_kafka_resp_err_t err, const KafkaAccess& access) {
  constexpr std::string_view kDoc = "; see docs/security.md, ACLs)";
  const std::string op(access.operation);
  switch (err) {
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
      if (op.empty() || access.topic.empty()) break;
      return "not authorized to " + op + " topic " + std::string(access.topic) +
             ": the principal needs the " + op + " ACL on topic " + std::string(access.topic) +
             " (kafka-acls.sh --add --allow-principal User:<name> --operation " +
             AclCommandOperation(op) + " --topic " + std::string(access.topic) + std::string(kDoc);
    case RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED:
      if (op.empty() || access.group.empty()) break;
      return "not authorized to " + op + " group " + std::string(access.group) +
             ": the principal needs the " + op + " ACL on consumer group " +
             std::string(access.group) +
             " (kafka-acls.sh --add --allow-principal User:<name> --operation " +
             AclCommandOperation(op) + " --group " + std::string(access.group) + std::string(kDoc);
    case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
      if (op == "WRITE" && !access.topic.empty()) {
        // An idempotent producer's InitProducerId: Kafka grants it to a principal that may WRITE
        // some topic (or holds the older IDEMPOTENT_WRITE on the cluster).
        return "not authorized to WRITE topic " + std::string(access.topic) +
               ": the idempotent producer needs the WRITE ACL on topic " +
               std::string(access.topic) +
               " (kafka-acls.sh --add --allow-principal User:<name> --operation Write --topic " +
               std::string(access.topic) + std::string(kDoc);
      }
      if (op.empty()) break;
      return "not authorized to " + op + " on the cluster: the principal needs the " + op +
             " ACL on the cluster (kafka-acls.sh --add --allow-principal User:<name> "
             "--operation " +
             AclCommandOperation(op) + " --cluster" + std::string(kDoc);
    default:
      break;
  }
  return "the principal lacks an ACL this request needs (see docs/security.md, ACLs)";
}

}  // namespace

bool IsKafkaAuthorizationError(rd_kafka_resp_err_t err) {
  return err == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED ||
         err == RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED ||
         err == RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED ||
         err == RD_KAFKA_RESP_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED;
}

Status FromKafkaError(rd_kafka_resp_err_t err, std::string_view subject, std::string_view what,
                      const KafkaAccess& access) {
  std::string msg =
      std::string(what) + " failed: " + rd_kafka_err2str(err) + " (" + rd_kafka_err2name(err) + ")";
  if (IsKafkaAuthorizationError(err)) {
    const std::string hint = AclHint(err, access);
    return Status::PermissionDenied(
        subject, hint.starts_with("not authorized") ? hint + ": " + msg : msg + ": " + hint);
  }
  switch (err) {
    case RD_KAFKA_RESP_ERR_NO_ERROR:
      return Status::OK();
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
    case RD_KAFKA_RESP_ERR__QUEUE_FULL:
    case RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION:
    case RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_OFFSET_NOT_AVAILABLE:  // a new leader not yet caught up (ListOffsets)
    case RD_KAFKA_RESP_ERR_UNKNOWN_LEADER_EPOCH:
    case RD_KAFKA_RESP_ERR_FENCED_LEADER_EPOCH:
    case RD_KAFKA_RESP_ERR_NOT_COORDINATOR:
    case RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS:
    case RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION:
    case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS:
    case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS:
    case RD_KAFKA_RESP_ERR_THROTTLING_QUOTA_EXCEEDED:
      return Status::Retryable(subject, msg);
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
    case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
    case RD_KAFKA_RESP_ERR__NOENT:  // e.g. admin DeleteRecords: "No leaders found" for a partition
    case RD_KAFKA_RESP_ERR_GROUP_ID_NOT_FOUND:
      return Status::NotFound(subject, msg);
    case RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS:
      return Status::AlreadyExists(subject, msg);
    case RD_KAFKA_RESP_ERR__AUTHENTICATION:
    case RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED:
      return Status::PermissionDenied(subject, msg);
    case RD_KAFKA_RESP_ERR__INVALID_ARG:
    case RD_KAFKA_RESP_ERR_INVALID_CONFIG:
    case RD_KAFKA_RESP_ERR_INVALID_PARTITIONS:
    case RD_KAFKA_RESP_ERR_INVALID_REPLICATION_FACTOR:
    case RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION:
    case RD_KAFKA_RESP_ERR_POLICY_VIOLATION:
      return Status::InvalidArgument(subject, msg);
    case RD_KAFKA_RESP_ERR_NON_EMPTY_GROUP:
    case RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID:
      return Status::FailedPrecondition(subject, msg);
    default:
      return Status::Permanent(subject, msg);
  }
}

std::optional<Status> ClassifyKafkaConnectionError(int err, std::string_view reason) {
  const auto has = [&](std::string_view needle) {
    return reason.find(needle) != std::string_view::npos;
  };
  const std::string why = " (librdkafka: " + std::string(reason) + ")";
  if (err == RD_KAFKA_RESP_ERR__AUTHENTICATION) {
    if (has("SSL routines") || has("certificate")) {
      // librdkafka reports some TLS handshake failures as authentication errors too.
    } else {
      return Status::PermissionDenied(
          "kafka.sasl.password",
          "SASL authentication failed: a wrong kafka.sasl.password, an unknown "
          "kafka.sasl.username, or a kafka.sasl.mechanism the user has no credentials for (the "
          "broker does not say which)" +
              why);
    }
  }
  if (err != RD_KAFKA_RESP_ERR__SSL && err != RD_KAFKA_RESP_ERR__AUTHENTICATION &&
      err != RD_KAFKA_RESP_ERR__TRANSPORT) {
    return std::nullopt;
  }
  if (has("certificate verify failed")) {
    return Status::PermissionDenied(
        "kafka.ssl.ca.location",
        "the broker's TLS certificate is not signed by a CA in kafka.ssl.ca.location (or, "
        "without it, the system trust store)" +
            why);
  }
  if (has("certificate expired")) {
    return Status::PermissionDenied("kafka.ssl.certificate.location",
                                    "the broker rejected the client certificate as expired" + why);
  }
  if (has("alert certificate unknown") || has("alert bad certificate") || has("alert unknown ca") ||
      has("alert certificate required") || has("alert certificate revoked")) {
    return Status::PermissionDenied(
        "kafka.ssl.certificate.location",
        "the broker rejected the client certificate (missing, expired, not yet valid, or signed "
        "by a CA the broker does not trust)" +
            why);
  }
  // Only what a cut connection cannot produce: a TLS client that received non-TLS bytes. A
  // connection closed at the first request ("Disconnected while requesting ApiVersion ...
  // incorrect security.protocol", "connecting to a PLAINTEXT broker listener?") is what a protocol
  // mismatch looks like, but also what a network fault looks like (seen in the network-fault
  // scenario): it stays retried, and KafkaConnectionHint names the likely cause at the end.
  if (has("wrong version number") || has("packet length too long") || has("unknown protocol")) {
    return Status::FailedPrecondition(
        "kafka.security.protocol",
        "the broker's listener speaks another protocol than kafka.security.protocol (TLS "
        "against a plaintext listener, or plaintext against a TLS one)" +
            why);
  }
  return std::nullopt;
}

std::string KafkaConnectionHint(std::string_view last_error) {
  const auto has = [&](std::string_view needle) {
    return last_error.find(needle) != std::string_view::npos;
  };
  if (has("incorrect security.protocol") || has("connecting to a PLAINTEXT broker listener") ||
      (has("Disconnected") && has("state SSL_HANDSHAKE"))) {
    return "the broker closed the connections at their first request: check that "
           "kafka.security.protocol matches the listener (TLS against a plaintext listener, or "
           "plaintext against a TLS one)";
  }
  return "";
}

std::optional<Status> ClassifyKafkaConnectionLog(std::string_view line) {
  int err = RD_KAFKA_RESP_ERR__TRANSPORT;
  if (line.find("SASL authentication error") != std::string_view::npos) {
    err = RD_KAFKA_RESP_ERR__AUTHENTICATION;
  } else if (line.find("SSL") != std::string_view::npos) {
    err = RD_KAFKA_RESP_ERR__SSL;
  }
  return ClassifyKafkaConnectionError(err, line);
}

Status FromCurlError(CURLcode code, std::string_view subject, std::string_view detail) {
  std::string msg = std::string(curl_easy_strerror(code));
  if (!detail.empty()) msg += ": " + std::string(detail);
  switch (code) {
    case CURLE_OK:
      return Status::OK();
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_SSL_CONNECT_ERROR:
      return Status::Retryable(subject, msg);
    default:
      return Status::Permanent(subject, msg);
  }
}

Status FromHttpStatus(long http_status, std::string_view service_code, std::string_view subject,
                      std::string_view message) {
  std::string msg = "HTTP " + std::to_string(http_status);
  if (!service_code.empty()) msg += " " + std::string(service_code);
  if (!message.empty()) msg += ": " + std::string(message);
  if (http_status >= 200 && http_status < 300) return Status::OK();
  if (service_code == "SlowDown" || service_code == "RequestTimeout" ||
      service_code == "InternalError" || service_code == "ServiceUnavailable" ||
      // STS: throttled, or the identity provider could not be reached to check the token.
      service_code == "Throttling" || service_code == "IDPCommunicationError" ||
      http_status == 429 || http_status >= 500) {
    return Status::Retryable(subject, msg);
  }
  if (http_status == 404) return Status::NotFound(subject, msg);
  // A session token the server does not take (expired, malformed, or given with long-term keys to
  // a server that has no temporary credentials): S3 answers 400; the operator must act.
  if (service_code == "InvalidToken" || service_code == "ExpiredToken" ||
      service_code == "TokenRefreshRequired") {
    return Status::PermissionDenied(subject,
                                    msg +
                                        " (check the S3 session token: storage.s3.session_token, "
                                        "AWS_SESSION_TOKEN or the profile's aws_session_token)");
  }
  if (http_status == 401 || http_status == 403) {
    if (service_code == "SignatureDoesNotMatch" || service_code == "InvalidAccessKeyId") {
      msg += " (check the S3 access key and secret)";
    }
    return Status::PermissionDenied(subject, msg);
  }
  if (http_status == 416) return Status::InvalidArgument(subject, msg);  // InvalidRange
  if (http_status == 412 || http_status == 409) return Status::FailedPrecondition(subject, msg);
  return Status::Permanent(subject, msg);
}

namespace {

bool ContainsNoCase(std::string_view text, std::string_view word) {
  auto lower = [](char c) {
    return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  };
  for (size_t i = 0; i + word.size() <= text.size(); ++i) {
    size_t j = 0;
    while (j < word.size() && lower(text[i + j]) == lower(word[j])) ++j;
    if (j == word.size()) return true;
  }
  return false;
}

}  // namespace

std::optional<Status> ClassifyS3UploadOptionRefusal(long http_status, std::string_view service_code,
                                                    std::string_view message,
                                                    std::string_view object_key,
                                                    std::string_view sse,
                                                    std::string_view storage_class) {
  if (sse.empty() && storage_class.empty()) return std::nullopt;
  const bool about_class = ContainsNoCase(message, "storage class") ||
                           ContainsNoCase(message, "storageclass") ||
                           service_code == "InvalidStorageClass";
  const bool about_sse = ContainsNoCase(message, "encrypt") || ContainsNoCase(message, "kms") ||
                         service_code.starts_with("KMS.") ||
                         service_code == "InvalidEncryptionAlgorithmError";
  bool blame_class = false;
  bool blame_sse = false;
  if (service_code == "NotImplemented") {
    // Which header the server does not implement: the one its message names, else the SSE one.
    blame_class = !storage_class.empty() && (about_class || sse.empty());
    blame_sse = !blame_class;
  } else if (service_code == "InvalidStorageClass") {
    blame_class = !storage_class.empty();
  } else if (service_code.starts_with("KMS.") ||
             service_code == "InvalidEncryptionAlgorithmError") {
    blame_sse = !sse.empty();
  } else if (http_status == 400 &&
             (service_code == "InvalidArgument" || service_code == "InvalidRequest")) {
    blame_sse = !sse.empty() && about_sse;
    blame_class = !blame_sse && !storage_class.empty() && about_class;
  } else if (http_status == 403 && service_code == "AccessDenied") {
    blame_sse = !sse.empty() && ContainsNoCase(message, "kms:");
  }
  std::string what = "HTTP " + std::to_string(http_status);
  if (!service_code.empty()) what += " " + std::string(service_code);
  if (!message.empty()) what += ": " + std::string(message);
  if (blame_sse) {
    std::string msg = "the server refused to store " + std::string(object_key) +
                      " with server-side encryption '" + std::string(sse) + "' (" + what +
                      "); check storage.s3.sse and storage.s3.sse_kms_key_id against what the "
                      "bucket and server support";
    if (http_status == 403) {
      return Status::PermissionDenied("storage.s3.sse",
                                      msg +
                                          " (the principal needs kms:GenerateDataKey and "
                                          "kms:Decrypt on the key)");
    }
    return Status::Permanent("storage.s3.sse", msg);
  }
  if (blame_class) {
    return Status::Permanent("storage.s3.storage_class",
                             "the server refused to store " + std::string(object_key) +
                                 " in storage class '" + std::string(storage_class) + "' (" + what +
                                 "); use a class this server supports, or leave the key out");
  }
  return std::nullopt;
}

Status FromErrno(int err, std::string_view subject, std::string_view what) {
  std::string msg = std::string(what) + ": " + std::strerror(err);
  switch (err) {
    case 0:
      return Status::OK();
    case ENOENT:
    case ENOTDIR:
      return Status::NotFound(subject, msg);
    case EACCES:
    case EPERM:
      return Status::PermissionDenied(subject, msg);
    case EEXIST:
    case ENOTEMPTY:
      return Status::AlreadyExists(subject, msg);
    case EINTR:
    case EAGAIN:
    case ETIMEDOUT:
      return Status::Retryable(subject, msg);
    // A full or read-only file system (disk full, quota reached, a mount remounted read-only):
    // the operator frees space or remounts, and the same write then succeeds. Retryable, so the
    // backup daemon rides it out like an S3 outage (nothing committed that is not stored) and a
    // one-shot command gives up after storage.retry_timeout, naming the path.
    case ENOSPC:
    case EDQUOT:
    case EROFS:
      return Status::Retryable(subject, msg);
    case EINVAL:
    case ENAMETOOLONG:
      return Status::InvalidArgument(subject, msg);
    default:
      return Status::Permanent(subject, msg);
  }
}

}  // namespace kb
