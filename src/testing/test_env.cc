#include "testing/test_env.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <random>

namespace kb::testing {

std::string RequireEnv(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') {
    ADD_FAILURE() << "environment variable " << name
                  << " is not set: integration tests need the test services; run scripts/test.sh "
                     "(or source build/services/*/env after test/services/{kafka,s3}.sh start)";
    return "";
  }
  return v;
}

std::string UniqueName(const std::string& prefix) {
  static std::atomic<int> counter{0};
  static const unsigned salt = std::random_device{}();
  return prefix + "-" + std::to_string(getpid()) + "-" + std::to_string(counter++) + "-" +
         std::to_string(salt % 100000);
}

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "kb-test-XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) std::abort();
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

}  // namespace kb::testing
