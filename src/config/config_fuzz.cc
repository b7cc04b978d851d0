// libFuzzer target for the configuration file parser (config/config.h): ParseConfig on arbitrary
// text, with a fake environment for ${VAR} expansion (config/env_expand.h), so that the YAML
// reader, every section's typed reads, sizes and durations (config/units.h) and the regular
// expression checks are reached. Whatever the text, ParseConfig must return (no crash, no
// sanitizer report, no exception escaping) with a Config or InvalidArgument naming a subject.
//
// Seed mode: with KB_FUZZ_WRITE_SEEDS=<dir> the binary writes valid config files and exits.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "config/config.h"
#include "testing/fuzz_util.h"

namespace {

using kb::Status;
namespace fuzz = kb::fuzz;

// Set: A, EMPTY (""), PORT, SIZE, DURATION; everything else is unset.
std::optional<std::string> FakeEnv(const std::string& name) {
  if (name == "A") return "value";
  if (name == "EMPTY") return "";
  if (name == "PORT") return "9308";
  if (name == "SIZE") return "64MiB";
  if (name == "DURATION") return "30s";
  return std::nullopt;
}

constexpr const char* kSeeds[] = {
    "",
    "kafka:\n  bootstrap.servers: ${KAFKA_BOOTSTRAP:-localhost:9092}\n"
    "  security.protocol: SASL_SSL\n  sasl.password: ${A}\n"
    "storage:\n  prefix: prod-cluster\n  retry_timeout: ${DURATION}\n"
    "  s3:\n    bucket: my-kafka-backups\n    region: eu-west-1\n"
    "    endpoint: http://127.0.0.1:7070\n    path_style: true\n"
    "    access_key_id: ${A}\n    secret_access_key: $$ecret\n",
    "storage:\n  s3:\n    bucket: b-1\n    access_key_id: a\n    secret_access_key: s\n"
    "    endpoint: https://s3.example:9000\n    payload_signing: never\n    sse: aws:kms\n"
    "    sse_kms_key_id: alias/kb\n    storage_class: STANDARD_IA\n",
    "storage: {local: {path: /var/backups/kafka}}\n"
    "backup:\n  group_id: kafka-backup\n  instance_id: host-1\n"
    "  topics: [orders, '^payments-.*']\n  exclude: ['^.*-tmp$']\n  include_internal: false\n"
    "  segment:\n    max_bytes: ${SIZE}\n    max_records: 1000000\n    max_age: 60s\n"
    "    zstd_level: 3\n    block_bytes: 256KiB\n"
    "  buffer_memory: 128MiB\n  upload_concurrency: 4\n  compression_threads: 2\n"
    "  offsets_interval: 60s\n  metadata_interval: 30s\n  store_unhealthy_after: 2m\n"
    "  shutdown_timeout: 60s\n",
    "restore:\n  parallelism: 4\n  max_bytes_per_second: 10MB\n  checkpoint_interval: 5s\n"
    "  fail_if_target_not_empty: true\n"
    "metrics:\n  listen: :${PORT}\n"
    "retention:\n  enabled: true\n  interval: 10m\n  grace: 7d\n  deleted_topic_max_age: never\n"
    "verify:\n  interval: 6h\n  sample: 3\n",
    "backup:\n  topics: orders\n  segment:\n    max_bytes: ${UNSET:-1GiB}\n",
};

void WriteSeeds(fuzz::SeedWriter& w) {
  for (const char* seed : kSeeds) {
    kb::Result<kb::Config> cfg = kb::ParseConfig(seed, "seed.yaml", FakeEnv);
    if (!cfg.ok()) fuzz::Fail("a seed does not parse", cfg.status().ToString());
    w.Put(-1, seed);
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  fuzz::WriteSeedsIfAsked(WriteSeeds);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const kb::EnvLookup env = FakeEnv;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  kb::Result<kb::Config> cfg = kb::ParseConfig(text, "fuzz.yaml", env);
  fuzz::CheckError("ParseConfig", cfg.status(), {Status::Code::kInvalidArgument});
  return 0;
}
