// The Azure settings of the real Azure Blob Storage emulator scripts/test.sh starts (Azurite,
// test/services/azurite.sh; KB_TEST_AZURE_* variables; a missing one fails the test, see
// test_env.h). Header-only; the including test links kb_config. Test-only.
#pragma once

#include "config/config.h"
#include "testing/test_env.h"

namespace kb::testing {

inline AzureStoreConfig TestAzureServerConfig() {
  AzureStoreConfig c;
  c.endpoint = RequireEnv("KB_TEST_AZURE_ENDPOINT");
  c.account = RequireEnv("KB_TEST_AZURE_ACCOUNT");
  c.container = RequireEnv("KB_TEST_AZURE_CONTAINER");
  c.key = RequireEnv("KB_TEST_AZURE_KEY");
  return c;
}

}  // namespace kb::testing
