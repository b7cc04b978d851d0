// storage.s3.payload_signing, sse, sse_kms_key_id, storage_class and object_lock: parsed values
// and the errors that name the key at fault.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "config/config.h"

namespace kb {
namespace {

EnvLookup NoEnv() {
  return [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
}

// A storage.s3 section with credentials, `endpoint` and `extra` lines (each "key: value").
Result<Config> ParseS3(const std::string& extra,
                       const std::string& endpoint = "https://s3.example.com") {
  std::string yaml =
      "storage:\n  s3:\n    bucket: bkt\n    access_key_id: a\n"
      "    secret_access_key: s\n    endpoint: " +
      endpoint + "\n";
  size_t start = 0;
  while (start < extra.size()) {
    size_t end = extra.find('\n', start);
    if (end == std::string::npos) end = extra.size();
    yaml += "    " + extra.substr(start, end - start) + "\n";
    start = end + 1;
  }
  return ParseConfig(yaml, "t.yaml", NoEnv());
}

TEST(S3UploadConfigTest, Defaults) {
  auto cfg = ParseS3("");
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  const S3StoreConfig& s3 = cfg->storage.s3;
  EXPECT_EQ(s3.payload_signing, S3StoreConfig::PayloadSigning::kAuto);
  EXPECT_EQ(s3.sse, "");
  EXPECT_EQ(s3.sse_kms_key_id, "");
  EXPECT_EQ(s3.storage_class, "");
}

TEST(S3UploadConfigTest, AllKeysParsed) {
  auto cfg = ParseS3(
      "payload_signing: always\nsse: aws:kms\n"
      "sse_kms_key_id: "
      "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab\n"
      "storage_class: STANDARD_IA");
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  const S3StoreConfig& s3 = cfg->storage.s3;
  EXPECT_EQ(s3.payload_signing, S3StoreConfig::PayloadSigning::kAlways);
  EXPECT_EQ(s3.sse, "aws:kms");
  EXPECT_EQ(s3.sse_kms_key_id,
            "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab");
  EXPECT_EQ(s3.storage_class, "STANDARD_IA");
  EXPECT_EQ(PayloadSigningName(s3.payload_signing), "always");

  auto none = ParseS3("sse: none\npayload_signing: never");
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_EQ(none->storage.s3.sse, "");
  EXPECT_EQ(none->storage.s3.payload_signing, S3StoreConfig::PayloadSigning::kNever);
  auto aes = ParseS3("sse: AES256\nstorage_class: GLACIER_IR");
  ASSERT_TRUE(aes.ok()) << aes.status().ToString();
  EXPECT_EQ(aes->storage.s3.sse, "AES256");
  EXPECT_EQ(aes->storage.s3.storage_class, "GLACIER_IR");
}

// Each bad value: the key it is reported under and a word the message must hold.
struct BadCase {
  std::string lines;
  std::string endpoint;
  std::string key;
  std::string says;
};

TEST(S3UploadConfigTest, BadValuesNameTheKey) {
  const std::vector<BadCase> cases = {
      {"payload_signing: sometimes", "https://h", "storage.s3.payload_signing", "auto, always"},
      {"payload_signing: never", "http://127.0.0.1:9000", "storage.s3.payload_signing", "https"},
      {"sse: aes256", "https://h", "storage.s3.sse", "AES256"},
      {"sse: ''", "https://h", "storage.s3.sse", "empty"},
      {"sse_kms_key_id: abc", "https://h", "storage.s3.sse_kms_key_id", "aws:kms"},
      {"sse: AES256\nsse_kms_key_id: abc", "https://h", "storage.s3.sse_kms_key_id", "AES256"},
      {"sse: aws:kms\nsse_kms_key_id: ''", "https://h", "storage.s3.sse_kms_key_id", "empty"},
      {"sse: aws:kms\nsse_kms_key_id: 'a b'", "https://h", "storage.s3.sse_kms_key_id",
       "without spaces"},
      {"sse: aws:kms\nsse_kms_key_id: \"a\\r\\nx-amz-acl: public-read\"", "https://h",
       "storage.s3.sse_kms_key_id", "printable"},
      {"storage_class: GLACIER", "https://h", "storage.s3.storage_class", "restore request"},
      {"storage_class: DEEP_ARCHIVE", "https://h", "storage.s3.storage_class", "restore request"},
      {"storage_class: standard_ia", "https://h", "storage.s3.storage_class", "STANDARD_IA"},
      {"storage_class: ''", "https://h", "storage.s3.storage_class", "empty"},
  };
  for (const BadCase& c : cases) {
    auto cfg = ParseS3(c.lines, c.endpoint);
    ASSERT_FALSE(cfg.ok()) << c.lines;
    EXPECT_TRUE(cfg.status().IsInvalidArgument()) << cfg.status().ToString();
    EXPECT_EQ(cfg.status().subject(), c.key) << c.lines << ": " << cfg.status().ToString();
    EXPECT_NE(cfg.status().message().find(c.says), std::string::npos)
        << c.lines << ": " << cfg.status().ToString();
  }
}

TEST(S3UploadConfigTest, NeverOverHttpFromTheEnvironmentEndpoint) {
  auto env = [](const std::string& name) -> std::optional<std::string> {
    if (name == "AWS_ENDPOINT_URL") return "http://minio.local:9000";
    return std::nullopt;
  };
  auto cfg = ParseConfig(
      "storage:\n  s3:\n    bucket: bkt\n    access_key_id: a\n    secret_access_key: s\n"
      "    payload_signing: never\n",
      "t.yaml", env);
  ASSERT_FALSE(cfg.ok());
  EXPECT_EQ(cfg.status().subject(), "storage.s3.payload_signing");
  // The AWS default endpoint is https.
  auto aws = ParseConfig(
      "storage:\n  s3:\n    bucket: bkt\n    access_key_id: a\n    secret_access_key: s\n"
      "    payload_signing: never\n",
      "t.yaml", NoEnv());
  EXPECT_TRUE(aws.ok()) << aws.status().ToString();
}

TEST(S3UploadConfigTest, ObjectLockOffByDefaultAndParsed) {
  auto off = ParseS3("");
  ASSERT_TRUE(off.ok()) << off.status().ToString();
  EXPECT_EQ(off->storage.s3.object_lock.mode, "");
  EXPECT_EQ(off->storage.s3.object_lock.retention.count(), 0);

  auto gov = ParseS3("object_lock:\n  mode: GOVERNANCE\n  retention: 30d");
  ASSERT_TRUE(gov.ok()) << gov.status().ToString();
  EXPECT_EQ(gov->storage.s3.object_lock.mode, "GOVERNANCE");
  EXPECT_EQ(gov->storage.s3.object_lock.retention, std::chrono::hours(24 * 30));
  // The mode is case-insensitive and sent upper-case (as S3 spells it).
  auto comp = ParseS3("object_lock: {mode: compliance, retention: 12h}");
  ASSERT_TRUE(comp.ok()) << comp.status().ToString();
  EXPECT_EQ(comp->storage.s3.object_lock.mode, "COMPLIANCE");
  EXPECT_EQ(comp->storage.s3.object_lock.retention, std::chrono::hours(12));
}

TEST(S3UploadConfigTest, ObjectLockErrorsNameTheKey) {
  struct Case {
    std::string yaml;
    std::string key;
    std::string says;
  };
  for (const Case& c : std::vector<Case>{
           {"object_lock: {mode: WORM, retention: 1d}", "storage.s3.object_lock.mode",
            "GOVERNANCE, COMPLIANCE"},
           {"object_lock: {retention: 1d}", "storage.s3.object_lock.mode", "required"},
           {"object_lock: {mode: GOVERNANCE}", "storage.s3.object_lock.retention", "required"},
           {"object_lock: {mode: GOVERNANCE, retention: 0s}", "storage.s3.object_lock.retention",
            "out of range"},
           {"object_lock: {mode: GOVERNANCE, retention: -1d}", "storage.s3.object_lock.retention",
            ""},
           {"object_lock: {mode: GOVERNANCE, retention: 1d, legal_hold: true}",
            "storage.s3.object_lock.legal_hold", ""},
           {"object_lock: GOVERNANCE", "storage.s3.object_lock", ""},
       }) {
    auto cfg = ParseS3(c.yaml);
    ASSERT_FALSE(cfg.ok()) << c.yaml;
    EXPECT_TRUE(cfg.status().IsInvalidArgument()) << c.yaml << ": " << cfg.status().ToString();
    EXPECT_EQ(cfg.status().subject(), c.key) << c.yaml << ": " << cfg.status().ToString();
    EXPECT_NE(cfg.status().message().find(c.says), std::string::npos)
        << c.yaml << ": " << cfg.status().ToString();
  }
  // A config built in code is checked the same way (S3Client::Make calls this).
  S3StoreConfig s3;
  s3.object_lock = {.mode = "GOVERNANCE", .retention = std::chrono::milliseconds(0)};
  EXPECT_EQ(ValidateS3UploadOptions(s3).subject(), "storage.s3.object_lock.retention");
  s3.object_lock = {.mode = "governance", .retention = std::chrono::hours(1)};
  EXPECT_EQ(ValidateS3UploadOptions(s3).subject(), "storage.s3.object_lock.mode");
  s3.object_lock.mode = "COMPLIANCE";
  EXPECT_TRUE(ValidateS3UploadOptions(s3).ok());
}

}  // namespace
}  // namespace kb
