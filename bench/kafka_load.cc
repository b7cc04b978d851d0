// kafka_load: sets up the load of bench/backup_scale_bench.sh quickly (one process, 16 requests in
// flight, instead of a JVM per topic).
//
//   kafka_load BOOTSTRAP topics PREFIX COUNT PARTITIONS
//       creates topics PREFIX000 .. PREFIX<COUNT-1> (zero-padded to 3 digits) with PARTITIONS
//       partitions each, replication factor 1
//   kafka_load BOOTSTRAP groups TOPIC PARTITIONS COUNT PREFIX
//       commits, for each of COUNT groups PREFIX<n>, offset n % 100 + 1 on every partition of TOPIC
//
// Exit 0 when every request succeeded, 1 naming the first failure, 2 on bad arguments.
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <string>

#include "common/parallel.h"
#include "kafka/admin.h"

namespace {

using namespace std::chrono_literals;

int Usage(const char* argv0) {
  std::fprintf(stderr,
               "usage: %s BOOTSTRAP topics PREFIX COUNT PARTITIONS\n"
               "       %s BOOTSTRAP groups TOPIC PARTITIONS COUNT PREFIX\n",
               argv0, argv0);
  return 2;
}

// Runs fn(0..n-1) 16 at a time; returns the first failure.
kb::Status RunAll(size_t n, const std::function<kb::Status(size_t)>& fn) {
  std::mutex mu;
  kb::Status first;
  kb::ParallelFor(n, 16, [&](size_t i) {
    kb::Status s = fn(i);
    std::lock_guard lock(mu);
    if (!s.ok() && first.ok()) first = s;
  });
  return first;
}

std::string Padded(size_t i) {
  std::string s = std::to_string(i);
  return std::string(s.size() < 3 ? 3 - s.size() : 0, '0') + s;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) return Usage(argv[0]);
  auto admin = kb::kafka::Admin::Make({{"bootstrap.servers", argv[1]}});
  if (!admin.ok()) {
    std::fprintf(stderr, "kafka_load: %s\n", admin.status().ToString().c_str());
    return 1;
  }
  const std::string what = argv[2];
  kb::Status s;
  if (what == "topics" && argc == 6) {
    const std::string prefix = argv[3];
    const int count = std::atoi(argv[4]);
    const int partitions = std::atoi(argv[5]);
    s = RunAll(count, [&](size_t i) {
      return (*admin)->CreateTopic(
          {.name = prefix + Padded(i), .partitions = partitions, .replication_factor = 1}, 60s);
    });
    if (s.ok()) std::printf("%d topics of %d partitions created\n", count, partitions);
  } else if (what == "groups" && argc == 7) {
    const std::string topic = argv[3];
    const int partitions = std::atoi(argv[4]);
    const int count = std::atoi(argv[5]);
    const std::string prefix = argv[6];
    s = RunAll(count, [&](size_t i) {
      kb::kafka::GroupOffsets offsets;
      for (int p = 0; p < partitions; ++p) offsets[{topic, p}] = static_cast<int64_t>(i % 100) + 1;
      return (*admin)->AlterConsumerGroupOffsets(prefix + std::to_string(i), offsets, 30s);
    });
    if (s.ok()) std::printf("%d groups committed on %s\n", count, topic.c_str());
  } else {
    return Usage(argv[0]);
  }
  if (!s.ok()) {
    std::fprintf(stderr, "kafka_load: %s\n", s.ToString().c_str());
    return 1;
  }
  return 0;
}
