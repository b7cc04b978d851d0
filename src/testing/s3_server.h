// The S3 settings of the real S3 server scripts/test.sh starts (KB_TEST_S3_* variables; a missing
// one fails the test, see test_env.h). Header-only; the including test links kb_config. Test-only.
#pragma once

#include "config/config.h"
#include "testing/test_env.h"

namespace kb::testing {

inline S3StoreConfig TestS3ServerConfig() {
  S3StoreConfig c;
  c.endpoint = RequireEnv("KB_TEST_S3_ENDPOINT");
  c.bucket = RequireEnv("KB_TEST_S3_BUCKET");
  c.region = RequireEnv("KB_TEST_S3_REGION");
  c.access_key_id = RequireEnv("KB_TEST_S3_ACCESS_KEY");
  c.secret_access_key = RequireEnv("KB_TEST_S3_SECRET_KEY");
  c.path_style = true;
  return c;
}

// The same server's twin over HTTPS (KB_TEST_S3_TLS_ENDPOINT, its CA in KB_TEST_S3_TLS_CA), with
// ca_bundle set to that CA.
inline S3StoreConfig TestS3TlsServerConfig() {
  S3StoreConfig c = TestS3ServerConfig();
  c.endpoint = RequireEnv("KB_TEST_S3_TLS_ENDPOINT");
  c.ca_bundle = RequireEnv("KB_TEST_S3_TLS_CA");
  return c;
}

}  // namespace kb::testing
