#include "chaos_report.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <vector>

namespace kb::chaos {
namespace {

std::mutex g_mu;
std::vector<ScenarioResult>& Results() {
  static auto* results = new std::vector<ScenarioResult>();
  return *results;
}

std::string Row(const ScenarioResult& r) {
  char line[512];
  std::snprintf(
      line, sizeof(line), "| %s | %llu | %llu | %llu | %llu | %llu | %llu | %.0f |",
      r.scenario.c_str(), static_cast<unsigned long long>(r.iterations),
      static_cast<unsigned long long>(r.faults), static_cast<unsigned long long>(r.records_checked),
      static_cast<unsigned long long>(r.lost), static_cast<unsigned long long>(r.duplicated),
      static_cast<unsigned long long>(r.detected), r.seconds);
  return line;
}

// Prints the table when the test program ends, and appends the rows to KB_CHAOS_REPORT.
class ReportEnvironment : public ::testing::Environment {
 public:
  void TearDown() override {
    std::printf("\n%s\n", FormatResults().c_str());
    if (const char* path = std::getenv("KB_CHAOS_REPORT"); path != nullptr && *path != '\0') {
      std::lock_guard lock(g_mu);
      std::ofstream out(path, std::ios::app);
      for (const ScenarioResult& r : Results()) out << Row(r) << "\n";
    }
  }
};

const auto* const kRegistered = ::testing::AddGlobalTestEnvironment(new ReportEnvironment);

}  // namespace

void AddResult(const ScenarioResult& r) {
  std::lock_guard lock(g_mu);
  Results().push_back(r);
}

std::string FormatResults() {
  std::lock_guard lock(g_mu);
  std::string out =
      "| scenario | iterations | faults injected | records checked | lost | duplicated | "
      "detected | seconds |\n|---|---|---|---|---|---|---|---|\n";
  for (const ScenarioResult& r : Results()) out += Row(r) + "\n";
  return out;
}

uint64_t Seed() {
  const char* s = std::getenv("KB_CHAOS_SEED");
  return s != nullptr && *s != '\0' ? std::strtoull(s, nullptr, 10) : 1;
}

int Iterations(const char* name, int ci_default) {
  const std::string var = std::string("KB_CHAOS_") + name;
  const char* s = std::getenv(var.c_str());
  if (s == nullptr || *s == '\0') return ci_default;
  const int n = std::atoi(s);
  return n > 0 ? n : ci_default;
}

}  // namespace kb::chaos
