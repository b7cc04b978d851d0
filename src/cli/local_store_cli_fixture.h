// Base fixture of the CLI tests that run commands in-process (RunCli) against a local store in a
// temp dir: config_ is a config file naming that store (prefix "backups"), store_ the store itself
// for the test to fill, Cli() runs a command with that config and captures its exit code and
// output. Test-only.
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "cli/app.h"
#include "layout/keys.h"
#include "storage/factory/open_store.h"
#include "testing/test_env.h"

namespace kb::cli::testing {

class LocalStoreCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_ = dir_.path() + "/kb.yaml";
    std::ofstream(config_) << "storage:\n  prefix: backups\n  local:\n    path: " << dir_.path()
                           << "/store\n";
    StorageConfig cfg;
    cfg.prefix = "backups";
    cfg.local.path = dir_.path() + "/store";
    auto store = storage::OpenStore(cfg);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
  }

  void Put(const std::string& key, const std::string& bytes) {
    Status s = store_->Put(key, bytes);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  struct Run {
    int code;
    std::string out;
    std::string err;
  };
  Run Cli(std::vector<std::string> args) {
    args.insert(args.begin(), {"--config", config_});
    std::ostringstream out, err;
    const int code = RunCli(args, out, err);
    return {code, out.str(), err.str()};
  }

  kb::testing::TempDir dir_;
  std::string config_;
  layout::Keys keys_{"backups"};
  std::unique_ptr<storage::ObjectStore> store_;
};

}  // namespace kb::cli::testing
