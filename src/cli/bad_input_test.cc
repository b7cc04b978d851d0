// Bad input, table-driven (issue 10): every flag of every command and every config key with
// malformed, out-of-range, empty and hostile values. Each row must end in exactly one clear
// message on stderr naming the flag or the config key (full dotted path) and exit code 2
// (kExitUsage) -- never a crash, never exit 1, never a silently accepted value -- and it must fail
// before any network access (the bootstrap 127.0.0.1:1 has no broker).
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "cli/app.h"
#include "testing/test_env.h"

namespace kb::cli {
namespace {

struct Row {
  std::vector<std::string> args;  // after "--config <file>"
  std::string yaml;               // added to the base config; a section given replaces the base's
  std::string names;              // must appear in stderr: the flag or the config key
  std::string secret = "";        // must NOT appear in stderr (nor stdout)
};

using S = std::vector<std::string>;
const std::string kLong250(250, 'a');

// Base sections, left out when the row gives its own.
constexpr const char* kBaseKafka = "kafka:\n  bootstrap.servers: 127.0.0.1:1\n";

std::string ConfigText(const Row& row, const std::string& dir) {
  if (row.yaml.starts_with("-")) return row.yaml;  // a top level that is no mapping
  std::string text;
  const auto has_section = [&](const std::string& s) {
    return row.yaml.starts_with(s + ":") || row.yaml.find("\n" + s + ":") != std::string::npos;
  };
  if (!has_section("kafka")) text += kBaseKafka;
  if (!has_section("storage")) text += "storage:\n  local:\n    path: " + dir + "/store\n";
  std::string yaml = row.yaml;
  for (size_t at; (at = yaml.find("@DIR@")) != std::string::npos;) yaml.replace(at, 5, dir);
  return text + yaml;
}

std::string Describe(const Row& row) {
  std::string out;
  for (const std::string& a : row.args) out += (out.empty() ? "" : " ") + a;
  if (!row.yaml.empty()) out += "  [config:\n" + row.yaml + "]";
  return out;
}

std::vector<Row> Rows() {
  std::vector<Row> rows;
  const auto flag = [&](std::vector<std::string> args, std::string names) {
    rows.push_back({std::move(args), "", std::move(names)});
  };
  const auto key = [&](std::string yaml, std::string names) {
    rows.push_back({{"ls"}, std::move(yaml), std::move(names)});
  };

  // ---- global flags ----
  flag({"--log-level", "loud", "ls"}, "--log-level");
  flag({"--log-level", "", "ls"}, "--log-level");

  // ---- topic names, wherever a topic name is taken ----
  const std::vector<std::string> bad_topics = {"a/b",    "..", ".",      "with space",
                                               kLong250, "",   "../etc", "t\tab"};
  for (const std::string& t : bad_topics) {
    flag({"ls", "--topic", t}, "--topic");
    flag({"status", "--topic", t}, "--topic");
    flag({"verify", "--topic", t}, "--topic");
    flag({"prune", "--topic", t}, "--topic");
    flag({"restore", "--topic", t}, "--topic");
    flag({"offsets", "translate", "--topic", t, "--partition", "0", "--offset", "0"}, "--topic");
    flag({"offsets", "export", "--topic", t}, "--topic");
  }
  for (const std::string& t : S{std::string("a/b"), std::string(".."), kLong250}) {
    flag({"restore", "--topic", "t", "--rename", "t=" + t}, "--rename");
    flag({"restore", "--topic", t, "--rename", t + "=x"}, "--topic");
    flag({"offsets", "translate", "--topic", "t", "--partition", "0", "--offset", "0",
          "--target-topic", t},
         "--target-topic");
    flag({"offsets", "export", "--topic", "t", "--target-topic", t}, "--target-topic");
  }

  // ---- backup ----
  flag({"backup", "--once=maybe"}, "--once");
  flag({"backup", "--bogus"}, "--bogus");

  // ---- status / ls / prune --output ----
  flag({"status", "--output", "yaml"}, "--output");
  flag({"ls", "--output", "xml"}, "--output");
  flag({"ls", "--output", ""}, "--output");
  flag({"prune", "--output", "csv"}, "--output");

  // ---- --generation (ls, verify, restore, prune, offsets) ----
  for (const std::string& g : S{"-1", "abc", "9223372036854775808", "1e30", ""}) {
    flag({"ls", "--generation", g}, "--generation");
    flag({"verify", "--generation", g}, "--generation");
    flag({"restore", "--generation", g, "--dry-run"}, "--generation");
    flag({"prune", "--topic", "t", "--generation", g}, "--generation");
    flag({"offsets", "export", "--topic", "t", "--generation", g}, "--generation");
  }

  // ---- prune ----
  flag({"prune", "--generation", "1"}, "--generation");
  flag({"prune", "--force"}, "--force");
  flag({"prune", "--topic", "t", "--generation", "1", "--force"}, "--force");

  // ---- verify ----
  for (const std::string& n : S{"0", "-1", "abc", "1e30", "18446744073709551616", ""}) {
    flag({"verify", "--sample", n}, "--sample");
  }
  for (const std::string& n : S{"0", "65", "-1", "abc", "1e30", "9223372036854775808"}) {
    flag({"verify", "--parallel", n}, "--parallel");
  }
  for (const std::string& flag_name : S{"--from", "--to"}) {
    for (const std::string& t :
         S{"yesterday", "2026-13-01", "2026-02-30T00:00:00Z", "2026-11-21T25:00:00Z",
           "2026-11-21T10:00:00", "1e30", "99999999999999999999", "-1", ""}) {
      flag({"verify", flag_name, t}, flag_name);
      flag({"restore", flag_name, t}, flag_name);
    }
  }
  flag({"verify", "--from", "2026-11-21T10:00:00Z", "--to", "2026-11-20T10:00:00Z"}, "--from");
  flag({"verify", "--from", "2000", "--to", "1000"}, "--from");
  flag({"restore", "--from", "2000", "--to", "1000"}, "--from");

  // ---- restore ----
  for (const std::string& o : S{"0", "0=", "=1-2", "x=1-2", "-1=1-2", "0=5-1", "0=-1-5", "0=1-x",
                                "2147483648=1-2", "0=1-9223372036854775808", "0=1-2,1=3-4", ""}) {
    flag({"restore", "--topic", "t", "--offsets", o}, "--offsets");
  }
  flag({"restore", "--topic", "t", "--offsets", "0=1-2", "--offsets", "0=3-4"}, "--offsets");
  flag({"restore", "--offsets", "0=1-2"}, "--offsets");
  flag({"restore", "--topic", "^t.*", "--offsets", "0=1-2"}, "--offsets");
  flag({"restore", "--topic", "a", "--topic", "b", "--offsets", "0=1-2"}, "--offsets");
  for (const std::string& r : S{"t", "t=", "=x", "=", ""}) {
    flag({"restore", "--topic", "t", "--rename", r}, "--rename");
  }
  flag({"restore", "--topic", "t", "--rename", "t=a", "--rename", "t=b"}, "--rename");
  flag({"restore", "--topic", "t", "--rename", "other=x"}, "--rename");
  for (const std::string& p : S{"a/b", "with space", kLong250, "../"}) {
    flag({"restore", "--topic", "t", "--target-prefix", p}, "--target-prefix");
  }
  for (const std::string& t : S{"^(", "^[a-", "^a{2,1}"}) {
    flag({"restore", "--topic", t}, "--topic");
  }
  for (const std::string& n : S{"0", "-1", "32768", "abc", "1e30", ""}) {
    flag({"restore", "--replication-factor", n}, "--replication-factor");
  }
  for (const std::string& n : S{"0", "257", "-1", "abc", "1e30", ""}) {
    flag({"restore", "--parallel", n}, "--parallel");
  }
  for (const std::string& n :
       S{"-1", "1e30", "18446744073709551616", "50 parsecs", "fast", "2TiB", "50MiB/s", ""}) {
    flag({"restore", "--max-bytes-per-second", n}, "--max-bytes-per-second");
  }
  for (const std::string& d : S{"-5s", "5", "5 parsecs", "10ms", "2d", "1e30s", "0s", ""}) {
    flag({"restore", "--checkpoint-interval", d}, "--checkpoint-interval");
  }
  for (const std::string& g : S{"^(", "", "^[z-a]"}) {
    flag({"restore", "--groups", g}, "--groups");
    flag({"restore", "--exclude-groups", g}, "--exclude-groups");
  }
  // Missing, unreadable (a directory) and empty (no key) lists.
  for (const std::string& f : S{"", "/nonexistent/erase.txt", "/", "/dev/null"}) {
    flag({"restore", "--exclude-keys", f}, "--exclude-keys");
  }
  flag({"restore", "--output", "yaml"}, "--output");
  flag({"restore", "--dry-run", "--output", "json"}, "--output");
  flag({"restore", "--dry-run=maybe"}, "--dry-run");

  // ---- offsets ----
  flag({"offsets"}, "translate");
  flag({"offsets", "translate", "--partition", "0", "--offset", "0"}, "--topic");
  flag({"offsets", "translate", "--topic", "t", "--offset", "0"}, "--partition");
  flag({"offsets", "translate", "--topic", "t", "--partition", "0"}, "--offset");
  for (const std::string& n : S{"-1", "abc", "2147483648", "1e30", ""}) {
    flag({"offsets", "translate", "--topic", "t", "--partition", n, "--offset", "0"},
         "--partition");
    flag({"offsets", "export", "--topic", "t", "--partition", n}, "--partition");
  }
  for (const std::string& n : S{"-1", "abc", "9223372036854775808", "1e30", ""}) {
    flag({"offsets", "translate", "--topic", "t", "--partition", "0", "--offset", n}, "--offset");
  }
  for (const std::string& c : S{"a/b", "", std::string(65, 'c'), "with space", ".."}) {
    flag({"offsets", "translate", "--topic", "t", "--partition", "0", "--offset", "0",
          "--cluster-id", c},
         "--cluster-id");
    flag({"offsets", "export", "--topic", "t", "--cluster-id", c}, "--cluster-id");
  }
  flag({"offsets", "translate", "--topic", "t", "--partition", "0", "--offset", "0", "--output",
        "csv"},
       "--output");
  flag({"offsets", "export", "--topic", "t", "--format", "xml"}, "--format");

  // ---- config: the file as a whole ----
  key("- a\n- b\n", "<top level>");
  key("backup: [1, 2]\n", "backup");
  key("backup: yes\n", "backup");
  key("bogus: 1\n", "bogus");
  key("backup:\n  group_id: a\n  group_id: b\n", "backup.group_id");
  key("backup:\n  topics: [t]\nbackup:\n  topics: [u]\n", "backup");

  // ---- kafka: ----
  key("kafka:\n  bootstrap.servers: [a, b]\n", "kafka.bootstrap.servers");
  key("kafka:\n  bootstrap.servers: 127.0.0.1:1\n  no.such.property: 1\n",
      "kafka.no.such.property");
  key("kafka:\n  bootstrap.servers: 127.0.0.1:1\n  session.timeout.ms: soon\n",
      "kafka.session.timeout.ms");
  key("kafka:\n  bootstrap.servers: 127.0.0.1:1\n  session.timeout.ms: -1\n",
      "kafka.session.timeout.ms");
  key("kafka:\n  bootstrap.servers: 127.0.0.1:1\n  session.timeout.ms: 99999999999999999999\n",
      "kafka.session.timeout.ms");
  key("kafka:\n  bootstrap.servers: 127.0.0.1:1\n  security.protocol: carrier-pigeon\n",
      "kafka.security.protocol");
  key("kafka:\n  bootstrap.servers: 127.0.0.1:1\n  client.id:\n", "kafka.client.id");
  key("kafka:\n  bootstrap.servers: ${KB_BAD_INPUT_TEST_UNSET}\n", "kafka.bootstrap.servers");
  key("kafka: [bootstrap.servers]\n", "kafka");
  key("kafka: 127.0.0.1:1\n", "kafka");

  // ---- storage: ----
  key("storage: [local]\n", "storage");
  key("storage:\n  local: /var/backups\n", "storage.local");
  key("storage:\n  local:\n    path: \"\"\n", "storage.local.path");
  key("storage:\n  local:\n    path: [a, b]\n", "storage.local.path");
  key("storage:\n  local:\n    path: \"a\\0b\"\n", "storage.local.path");
  key("storage:\n  local:\n    pth: /x\n", "storage.local.pth");
  key("storage:\n  prefix: [a]\n  local:\n    path: @DIR@/store\n", "storage.prefix");
  key("storage:\n  prefix: \"a\\0b\"\n  local:\n    path: @DIR@/store\n", "storage.prefix");
  for (const std::string& d : S{"-1s", "0s", "500ms", "8d", "5", "5 parsecs", "1e30s",
                                "99999999999999999999d", "[1s]", "\"\""}) {
    key("storage:\n  retry_timeout: " + d + "\n  local:\n    path: @DIR@/store\n",
        "storage.retry_timeout");
  }
  // retry_timeout 1s: a row that wrongly reaches the network fails fast.
  const std::string s3 =
      "storage:\n  retry_timeout: 1s\n  s3:\n    access_key_id: AKIA\n    secret_access_key: s\n";
  key("storage:\n  local: {}\n  s3: {bucket: bkt, access_key_id: a, secret_access_key: s}\n",
      "storage.s3");
  key(s3, "storage.s3.bucket");
  for (const std::string& b :
       S{"\"\"", "[a, b]", "a/b", "\"with space\"", "..", std::string(256, 'b'), "b?x=1"}) {
    key(s3 + "    bucket: " + b + "\n", "storage.s3.bucket");
  }
  for (const std::string& r : S{"[a]", "\"eu west 1\"", "eu/west", "\"\""}) {
    key(s3 + "    bucket: bkt\n    region: " + r + "\n", "storage.s3.region");
  }
  for (const std::string& e :
       S{"ftp://s3.example.com", "not-a-url", "http://", "https://h/path", "[a]", "\"\""}) {
    key(s3 + "    bucket: bkt\n    endpoint: " + e + "\n", "storage.s3.endpoint");
  }
  key(s3 + "    bucket: bkt\n    path_style: maybe\n", "storage.s3.path_style");
  key(s3 + "    bucket: bkt\n    path_style: [true]\n", "storage.s3.path_style");
  key(s3 + "    bucket: bkt\n    session_token: [x]\n", "storage.s3.session_token");
  key(s3 + "    bucket: bkt\n    ca_bundle: \"\"\n", "storage.s3.ca_bundle");
  key(s3 + "    bucket: bkt\n    ca_bundle: [x]\n", "storage.s3.ca_bundle");
  key(s3 + "    bucket: bkt\n    ca_bundle: \"a\\tb\"\n", "storage.s3.ca_bundle");
  key("storage:\n  s3:\n    bucket: bkt\n    access_key_id: AKIA\n",
      "storage.s3.secret_access_key");
  key("storage:\n  s3:\n    bucket: bkt\n    access_key_id: [a]\n    secret_access_key: s\n",
      "storage.s3.access_key_id");
  key(s3 + "    bucket: bkt\n    buckett: c\n", "storage.s3.buckett");
  key(s3 + "    bucket: bkt\n    object_lock: {mode: WORM, retention: 30d}\n",
      "storage.s3.object_lock.mode");
  key(s3 + "    bucket: bkt\n    object_lock: {retention: 30d}\n", "storage.s3.object_lock.mode");
  key(s3 + "    bucket: bkt\n    object_lock: {mode: GOVERNANCE}\n",
      "storage.s3.object_lock.retention");
  key(s3 + "    bucket: bkt\n    object_lock: {mode: GOVERNANCE, retention: 0s}\n",
      "storage.s3.object_lock.retention");
  key(s3 + "    bucket: bkt\n    object_lock: {mode: GOVERNANCE, retention: soon}\n",
      "storage.s3.object_lock.retention");
  key(s3 + "    bucket: bkt\n    object_lock: {mode: COMPLIANCE, retention: 1d, until: x}\n",
      "storage.s3.object_lock.until");

  // ---- backup: ----
  key("backup:\n  group_id: \"\"\n", "backup.group_id");
  key("backup:\n  group_id: [a]\n", "backup.group_id");
  key("backup:\n  instance_id: \"a/b\"\n", "backup.instance_id");
  key("backup:\n  instance_id: " + kLong250 + "\n", "backup.instance_id");
  key("backup:\n  instance_id: [a]\n", "backup.instance_id");
  for (const std::string& list : S{"topics", "exclude"}) {
    for (const std::string& t : S{"\"a/b\"", "\"..\"", "\".\"", "\"with space\"", kLong250, "\"\"",
                                  "\"^(\"", "[a, b]", "{a: b}"}) {
      key("backup:\n  " + list + ":\n    - " + t + "\n", "backup." + list + "[0]");
    }
    key("backup:\n  " + list + ": {a: b}\n", "backup." + list);
    key("backup:\n  " + list + ": \"a/b\"\n", "backup." + list);
  }
  key("backup:\n  include_internal: maybe\n", "backup.include_internal");
  key("backup:\n  include_internal: [true]\n", "backup.include_internal");
  key("backup:\n  segment: 64MiB\n", "backup.segment");
  for (const std::string& v : S{"-1", "0", "1e30", "18446744073709551616", "64 parsecs", "5GiB",
                                "1.5MiB", "[64MiB]", "\"\"", "64mib"}) {
    key("backup:\n  segment:\n    max_bytes: " + v + "\n", "backup.segment.max_bytes");
  }
  for (const std::string& v : S{"0", "-1", "1e30", "9223372036854775808", "10k", "[1]"}) {
    key("backup:\n  segment:\n    max_records: " + v + "\n", "backup.segment.max_records");
  }
  for (const std::string& v : S{"-1s", "0s", "50ms", "2d", "60", "60 sec", "[60s]"}) {
    key("backup:\n  segment:\n    max_age: " + v + "\n", "backup.segment.max_age");
  }
  for (const std::string& v : S{"-8", "20", "fast", "3.5"}) {
    key("backup:\n  segment:\n    zstd_level: " + v + "\n", "backup.segment.zstd_level");
  }
  key("backup:\n  segment:\n    codec: lz4\n    zstd_level: 3\n", "backup.segment.zstd_level");
  for (const std::string& v : S{"LZ4", "snappy", "\"\"", "[zstd]"}) {
    key("backup:\n  segment:\n    codec: " + v + "\n", "backup.segment.codec");
  }
  for (const std::string& v : S{"512", "65MiB", "-1", "0"}) {
    key("backup:\n  segment:\n    block_bytes: " + v + "\n", "backup.segment.block_bytes");
  }
  for (const std::string& v : S{"1KiB", "2TiB", "-1", "lots"}) {
    key("backup:\n  buffer_memory: " + v + "\n", "backup.buffer_memory");
  }
  for (const std::string& v : S{"0", "257", "-1", "many"}) {
    key("backup:\n  upload_concurrency: " + v + "\n", "backup.upload_concurrency");
  }
  for (const std::string& v : S{"-1", "65", "all"}) {
    key("backup:\n  compression_threads: " + v + "\n", "backup.compression_threads");
  }
  for (const std::string& k :
       S{"offsets_interval", "metadata_interval", "shutdown_timeout", "store_unhealthy_after"}) {
    for (const std::string& v : S{"-1s", "0ms", "30", "2d", "1e30s"}) {
      key("backup:\n  " + k + ": " + v + "\n", "backup." + k);
    }
  }

  // ---- restore: ----
  for (const std::string& v : S{"0", "257", "-1", "four"}) {
    key("restore:\n  parallelism: " + v + "\n", "restore.parallelism");
  }
  for (const std::string& v : S{"-1", "2TiB", "fast", "50MiB/s"}) {
    key("restore:\n  max_bytes_per_second: " + v + "\n", "restore.max_bytes_per_second");
  }
  for (const std::string& v : S{"10ms", "2d", "-5s", "5"}) {
    key("restore:\n  checkpoint_interval: " + v + "\n", "restore.checkpoint_interval");
  }
  key("restore:\n  fail_if_target_not_empty: perhaps\n", "restore.fail_if_target_not_empty");
  key("restore:\n  parallel: 4\n", "restore.parallel");

  // ---- metrics: ----
  for (const std::string& v : S{"nocolon", "localhost:99999", "localhost:abc", "localhost:-1",
                                "localhost:", "[::1]:9308", "not a host:9308", "[a]"}) {
    key("metrics:\n  listen: \"" + v + "\"\n", "metrics.listen");
  }

  // ---- retention: ----
  key("retention:\n  enabled: sometimes\n", "retention.enabled");
  for (const std::string& v : S{"0ms", "-1s", "2y", "10"}) {
    key("retention:\n  interval: " + v + "\n", "retention.interval");
  }
  for (const std::string& v : S{"-1s", "3651d", "7 days", "7"}) {
    key("retention:\n  grace: " + v + "\n", "retention.grace");
  }
  for (const std::string& v : S{"forever", "-1d", "36501d", "0", "[never]", "\"\""}) {
    key("retention:\n  deleted_topic_max_age: " + v + "\n", "retention.deleted_topic_max_age");
  }

  // ---- verify: ----
  for (const std::string& v : S{"50ms", "-1s", "366d", "6"}) {
    key("verify:\n  interval: " + v + "\n", "verify.interval");
  }
  for (const std::string& v : S{"0", "-1", "1000001", "all"}) {
    key("verify:\n  sample: " + v + "\n", "verify.sample");
  }

  // ---- secrets are never echoed ----
  const std::string secret = "Sup3rS3cr3tV4lue";
  rows.push_back({{"ls"},
                  "storage:\n  s3:\n    bucket: bkt\n    secret_access_key: \"" + secret + "${" +
                      secret + " x}\"\n    access_key_id: AKIA\n",
                  "storage.s3.secret_access_key",
                  secret});
  rows.push_back({{"ls"},
                  "storage:\n  s3:\n    bucket: bkt\n    secret_access_key: \"" + secret +
                      "${unterminated\"\n    access_key_id: AKIA\n",
                  "storage.s3.secret_access_key",
                  secret});
  rows.push_back({{"ls"},
                  "storage:\n  s3:\n    bucket: bkt\n    secret_access_key: \"" + secret + "\"\n",
                  "storage.s3.access_key_id",
                  secret});
  rows.push_back({{"ls"},
                  "storage:\n  s3:\n    bucket: bkt\n    secret_access_key: [\"" + secret +
                      "\"]\n    access_key_id: AKIA\n",
                  "storage.s3.secret_access_key",
                  secret});
  rows.push_back({{"ls"},
                  "kafka:\n  bootstrap.servers: 127.0.0.1:1\n  sasl.password: \"" + secret + "${" +
                      secret + " x}\"\n",
                  "kafka.sasl.password",
                  secret});
  rows.push_back(
      {{"ls"},
       "kafka:\n  bootstrap.servers: 127.0.0.1:1\n  sasl.password: [\"" + secret + "\"]\n",
       "kafka.sasl.password",
       secret});
  rows.push_back({{"ls"},
                  "kafka:\n  bootstrap.servers: 127.0.0.1:1\n  sasl.password: \"" + secret +
                      "${unterminated\"\n",
                  "kafka.sasl.password",
                  secret});
  rows.push_back({{"ls"},
                  "kafka:\n  bootstrap.servers: 127.0.0.1:1\n  ssl.key.password: \"" + secret +
                      "${x " + secret + "}\"\n",
                  "kafka.ssl.key.password",
                  secret});
  rows.push_back(
      {{"ls"},
       "storage:\n  s3:\n    bucket: bkt\n    access_key_id: AKIA\n    secret_access_key: "
       "s\n    session_token: \"" +
           secret + "${x " + secret + "}\"\n",
       "storage.s3.session_token",
       secret});
  return rows;
}

TEST(BadInputTest, EveryBadFlagAndConfigValueIsOneUsageErrorNamingIt) {
  ::kb::testing::TempDir dir;
  const std::string config = dir.path() + "/kb.yaml";
  const std::vector<Row> rows = Rows();
  ASSERT_GT(rows.size(), 100u);
  size_t index = 0;
  for (const Row& row : rows) {
    ++index;
    std::ofstream(config, std::ios::trunc) << ConfigText(row, dir.path());
    std::vector<std::string> args = {"--config", config};
    args.insert(args.end(), row.args.begin(), row.args.end());
    std::ostringstream out, err;
    const auto start = std::chrono::steady_clock::now();
    const int code = RunCli(args, out, err);
    const auto took = std::chrono::steady_clock::now() - start;
    const std::string e = err.str();
    // One message: a single line, apart from CLI11's pointer to --help.
    size_t lines = 0;
    std::istringstream in(e);
    for (std::string line; std::getline(in, line);) {
      if (!line.empty() && !line.starts_with("Run with --help")) ++lines;
    }
    std::string wrong;
    if (code != kExitUsage) wrong += " exit code " + std::to_string(code) + ";";
    if (e.find(row.names) == std::string::npos) wrong += " does not name " + row.names + ";";
    if (!out.str().empty()) wrong += " prints on stdout;";
    if (lines != 1) wrong += " " + std::to_string(lines) + " lines, not one message;";
    if (!row.secret.empty() && (e + out.str()).find(row.secret) != std::string::npos) {
      wrong += " echoes the secret;";
    }
    if (took > std::chrono::seconds(3)) wrong += " slow (network?);";
    if (!wrong.empty()) {
      ADD_FAILURE() << "row " << index << ":" << wrong << "\n  " << Describe(row)
                    << "\n  stderr: " << e.substr(0, 300);
    }
  }
}

}  // namespace
}  // namespace kb::cli
