// The GCS settings of the fake-gcs-server scripts/test.sh starts (KB_TEST_GCS_* variables; a
// missing one fails the test, see test_env.h): anonymous access to its http endpoint.
// Header-only; the including test links kb_config. Test-only.
#pragma once

#include "config/config.h"
#include "testing/test_env.h"

namespace kb::testing {

inline GcsStoreConfig TestGcsServerConfig() {
  GcsStoreConfig c;
  c.endpoint = RequireEnv("KB_TEST_GCS_ENDPOINT");
  c.bucket = RequireEnv("KB_TEST_GCS_BUCKET");
  c.auth = GcsStoreConfig::Auth::kNone;
  return c;
}

}  // namespace kb::testing
