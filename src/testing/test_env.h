// Helpers shared by tests: service addresses from the environment and unique names.
//
// Integration tests never skip silently: when the variable a test needs is missing, RequireEnv
// fails the test with a message telling how to run it (scripts/test.sh starts the services and sets
// them).
#pragma once

#include <string>

namespace kb::testing {

// Value of environment variable `name`; fails the current test (and returns "") if unset.
std::string RequireEnv(const char* name);

// "<prefix>-<pid>-<counter>-<random>": unique across tests and runs sharing one broker or bucket.
std::string UniqueName(const std::string& prefix);

// A fresh empty directory under the system temp dir, removed by the destructor.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace kb::testing
