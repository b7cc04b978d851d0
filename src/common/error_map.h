// The one place that turns errors of the libraries we call (librdkafka, libcurl, HTTP status codes,
// errno) into kb::Status codes. Every module maps foreign errors through here so that "what does
// the caller do next" (retry, give up, tell the operator about credentials) is decided
// consistently.
//
// Thread-safety: pure functions.
#pragma once

#include <curl/curl.h>
#include <librdkafka/rdkafka.h>

#include <optional>
#include <string_view>

#include "common/status.h"

namespace kb {

// What a Kafka request needs from the broker's authorizer: the ACL operation ("READ", "WRITE",
// "DESCRIBE", "DESCRIBE_CONFIGS", "CREATE", ...) and the topic and/or consumer group it is about
// ("" when none). Passed to FromKafkaError so that an authorization error names the missing ACL.
struct KafkaAccess {
  std::string_view operation;
  std::string_view topic;
  std::string_view group;
};

// librdkafka error code `err` from operation `what` (e.g. "produce") about `subject` ("topic/3").
// An authorization error (TOPIC_, GROUP_, CLUSTER_, TRANSACTIONAL_ID_AUTHORIZATION_FAILED) is
// PermissionDenied, never retried; with `access` its message begins with "not authorized to <OP>
// <resource type> <name>" and says which ACL the principal needs (kafka-acls.sh arguments and
// docs/security.md), without it the message only says that an ACL is missing.
Status FromKafkaError(rd_kafka_resp_err_t err, std::string_view subject, std::string_view what,
                      const KafkaAccess& access = {});
// True for the four authorization errors above.
bool IsKafkaAuthorizationError(rd_kafka_resp_err_t err);

// A librdkafka connection error (from its error callback: `err` and its text `reason`) that no
// retry fixes: the broker refused the SASL credentials or the client certificate, the client does
// not trust the broker's certificate, or the listener speaks another protocol than
// kafka.security.protocol. The Status names the config key at fault and says which case it is;
// nullopt for every other error (a broker that is down, a timeout: retried as usual).
std::optional<Status> ClassifyKafkaConnectionError(int err, std::string_view reason);
// For the last error librdkafka reported before a command gave up on an unreachable cluster: a
// hint at the likely cause when the text suggests one ("" otherwise), e.g. every connection closed
// at its first request, which a listener of another protocol does.
std::string KafkaConnectionHint(std::string_view last_error);

// The same for a line librdkafka logged at error level (its log callback runs on its own threads,
// while error events wait for the application to poll): the kind of error is read from the text.
std::optional<Status> ClassifyKafkaConnectionLog(std::string_view line);

// A transfer-level libcurl failure (no HTTP response). `detail` is the CURLOPT_ERRORBUFFER text.
Status FromCurlError(CURLcode code, std::string_view subject, std::string_view detail);

// An HTTP error response. `service_code` is e.g. S3's <Code> ("SlowDown", "NoSuchKey").
Status FromHttpStatus(long http_status, std::string_view service_code, std::string_view subject,
                      std::string_view message);

// An S3 refusal of the encryption or storage class headers an upload carried (PutObject or
// CreateMultipartUpload sent with x-amz-server-side-encryption `sse` and/or x-amz-storage-class
// `storage_class`; "" when not sent): a 501 NotImplemented, InvalidStorageClass,
// InvalidEncryptionAlgorithmError, a KMS.* code, an InvalidArgument/InvalidRequest whose message
// is about encryption, KMS or the storage class, an AccessDenied about kms:. No retry fixes these
// (a 501 would otherwise be retried): the Status is Permanent (PermissionDenied for a KMS access
// refusal), its subject the config key at fault (storage.s3.sse or storage.s3.storage_class) and
// its message names the object key. nullopt for every other error (mapped by FromHttpStatus).
std::optional<Status> ClassifyS3UploadOptionRefusal(long http_status, std::string_view service_code,
                                                    std::string_view message,
                                                    std::string_view object_key,
                                                    std::string_view sse,
                                                    std::string_view storage_class);

// A failed system call; `err` is errno.
Status FromErrno(int err, std::string_view subject, std::string_view what);

}  // namespace kb
