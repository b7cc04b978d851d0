#include "cli/doctor_command.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <thread>

#include "common/error_map.h"
#include "config/store_url.h"
#include "config/topic_filter.h"
#include "kafka/acls.h"
#include "kafka/admin.h"
#include "kafka/client.h"
#include "layout/keys.h"
#include "report/report_text.h"
#include "storage/azure/azure_client.h"
#include "storage/factory/open_store.h"
#include "storage/gcs/gcs_client.h"
#include "storage/s3/s3_client.h"

namespace kb::cli {
namespace {

using Outcome = DoctorCheck::Outcome;
using Clock = std::chrono::steady_clock;

constexpr int64_t kMaxClockSkewMs = 60'000;
constexpr size_t kTopicsProbed = 5;  // selected topics whose configs and offsets are read

DoctorCheck Ok(const char* name, std::string detail) {
  return {name, Outcome::kOk, std::move(detail), ""};
}
DoctorCheck Fail(const char* name, std::string detail, std::string fix) {
  return {name, Outcome::kFail, std::move(detail), std::move(fix)};
}
DoctorCheck Warn(const char* name, std::string detail, std::string fix) {
  return {name, Outcome::kWarn, std::move(detail), std::move(fix)};
}
DoctorCheck Skip(const char* name, std::string why) {
  return {name, Outcome::kSkip, std::move(why), ""};
}

int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string HostName() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof(buf) - 1) != 0 || buf[0] == '\0') return "host";
  std::string out(buf);
  for (char& c : out) {
    const bool keep = std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-';
    if (!keep) c = '-';
  }
  return out;
}

// The error of a cluster call, with what librdkafka said about the connection when it knows.
std::string KafkaDetail(const Status& s, Clock::time_point started) {
  if (std::optional<Status> refused = kafka::ConnectionFailure(started)) {
    return refused->ToString();
  }
  std::string out = s.ToString();
  if (const std::string last = kafka::LastLibrdkafkaError(); !last.empty()) {
    out += " (last librdkafka error: " + last + ")";
    if (const std::string hint = KafkaConnectionHint(last); !hint.empty()) out += "; " + hint;
  }
  return out;
}

DoctorCheck CheckKafka(const Config& cfg, kafka::Admin* admin, const std::string& admin_error,
                       std::chrono::milliseconds timeout) {
  auto bootstrap = cfg.kafka.properties.find("bootstrap.servers");
  if (bootstrap == cfg.kafka.properties.end()) {
    return Fail("kafka", "kafka.bootstrap.servers is not set",
                "set kafka.bootstrap.servers to the cluster's brokers (host:port,...)");
  }
  const std::string fix = "check that kafka.bootstrap.servers (" + bootstrap->second +
                          ") is reachable from this host and that security.protocol, sasl.* "
                          "and ssl.* in the kafka: section match the broker's listener";
  if (admin == nullptr) return Fail("kafka", admin_error, fix);
  const Clock::time_point started = Clock::now();
  Result<std::string> id = admin->ClusterId(timeout);
  if (!id.ok()) return Fail("kafka", KafkaDetail(id.status(), started), fix);
  Result<std::vector<kafka::TopicInfo>> topics = admin->ListTopics(timeout);
  if (!topics.ok()) return Fail("kafka", KafkaDetail(topics.status(), started), fix);
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count();
  return Ok("kafka", "cluster " + *id + " at " + bootstrap->second + " answered in " +
                         std::to_string(ms) + " ms; " + report::Count(topics->size(), "topic") +
                         " visible");
}

// `call()` again while it fails with a transient error (a group coordinator still loading on a
// fresh cluster, a leader being elected), for at most `timeout`.
template <typename Call>
auto UntilSettled(std::chrono::milliseconds timeout, Call call) {
  const Clock::time_point deadline = Clock::now() + timeout;
  auto result = call();
  while (!result.ok() && result.status().IsRetryable() && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    result = call();
  }
  return result;
}

DoctorCheck CheckAcls(const Config& cfg, kafka::Admin& admin, std::chrono::milliseconds timeout) {
  Result<TopicFilter> filter = TopicFilter::Make(cfg.backup);
  if (!filter.ok()) return Fail("acls", filter.status().ToString(), "fix backup.topics / exclude");
  Result<std::vector<kafka::TopicInfo>> topics = admin.ListTopics(timeout);
  if (!topics.ok()) return Fail("acls", topics.status().ToString(), "see the kafka check");
  std::vector<std::string> selected;
  std::set<std::string> visible;
  for (const kafka::TopicInfo& t : *topics) {
    visible.insert(t.name);
    if (filter->Matches(t.name)) selected.push_back(t.name);
  }
  std::vector<std::string> problems;
  std::string fixes;
  auto problem = [&](std::string what, const std::string& fix) {
    problems.push_back(std::move(what));
    if (fixes.find(fix) == std::string::npos) fixes += (fixes.empty() ? "" : "; ") + fix;
  };
  for (const std::string& entry : cfg.backup.topics) {
    if (entry.starts_with("^") || visible.contains(entry)) continue;
    problem("topic " + entry + " (backup.topics) is not visible",
            "create the topic, or grant the backup's principal DESCRIBE and READ on it");
  }
  if (cfg.backup.topics.empty()) {
    problem("backup.topics is empty: the backup selects no topic",
            "list the topics (or ^regexes) to back up in backup.topics");
  }
  size_t probed = 0;
  for (const std::string& topic : selected) {
    if (probed++ == kTopicsProbed) break;
    if (auto c = UntilSettled(timeout, [&] { return admin.DescribeTopicConfigs(topic, timeout); });
        !c.ok()) {
      problem("topic " + topic + " configs: " + c.status().ToString(),
              "grant DESCRIBE_CONFIGS on the backed-up topics (the backup keeps their configs)");
    }
    if (auto w = UntilSettled(timeout, [&] { return admin.QueryWatermarks(topic, 0, timeout); });
        !w.ok()) {
      problem("topic " + topic + " offsets: " + w.status().ToString(),
              "grant DESCRIBE and READ on the backed-up topics");
    }
  }
  const std::string& group = cfg.backup.group_id;
  if (auto d = UntilSettled(timeout, [&] { return admin.DescribeConsumerGroup(group, timeout); });
      !d.ok()) {
    problem("group " + group + ": " + d.status().ToString(),
            "grant DESCRIBE and READ on the group " + group + " (backup.group_id)");
  } else if (auto o = UntilSettled(timeout,
                                   [&] { return admin.ListConsumerGroupOffsets(group, timeout); });
             !o.ok()) {
    problem("group " + group + " offsets: " + o.status().ToString(),
            "grant DESCRIBE and READ on the group " + group + " (backup.group_id)");
  }
  // Optional (docs/security.md): without it the backup runs on, without the ACLs and SCRAM users.
  std::string cluster_warning;
  const std::string cluster_fix =
      "grant DESCRIBE on the cluster to keep the ACLs and SCRAM users, or set backup.acls: off";
  if (cfg.backup.acls != BackupConfig::Acls::kOff) {
    if (auto a = kafka::DescribeAllAcls(admin, timeout); !a.ok()) {
      cluster_warning =
          "cluster ACLs cannot be listed, so the backup will not keep the ACLs and "
          "SCRAM users (backup.acls): " +
          a.status().ToString();
    }
  }
  if (!problems.empty()) {
    std::string detail;
    for (const std::string& p : problems) detail += (detail.empty() ? "" : "; ") + p;
    if (!cluster_warning.empty()) {
      detail += "; " + cluster_warning;
      fixes += "; " + cluster_fix;
    }
    return Fail("acls", detail, fixes);
  }
  std::string detail = report::Count(selected.size(), "topic") + " selected by backup.topics (" +
                       std::to_string(std::min(selected.size(), kTopicsProbed)) +
                       " probed: configs and offsets readable); group " + group + " describable";
  if (!cluster_warning.empty()) return Warn("acls", detail + "; " + cluster_warning, cluster_fix);
  return Ok("acls",
            detail +
                (cfg.backup.acls != BackupConfig::Acls::kOff ? "; cluster ACLs listable" : "") +
                " (READ is proven only by consuming: not checked)");
}

std::string StoreFix(const Config& cfg, const Status& s) {
  const StorageConfig& st = cfg.storage;
  switch (st.type) {
    case StorageConfig::Type::kLocal:
      return "check that storage.local.path (" + st.local.path +
             ") exists or can be created, and is writable by this user";
    case StorageConfig::Type::kS3:
      if (s.IsPermissionDenied()) {
        return "check the S3 credentials (storage.s3.access_key_id / secret_access_key, "
               "AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or the AWS profile) and that they may "
               "put, get and delete objects in bucket " +
               st.s3.bucket + " under storage.prefix";
      }
      if (s.IsNotFound()) return "check storage.s3.bucket (" + st.s3.bucket + ") exists";
      return "check storage.s3.endpoint (" +
             (st.s3.endpoint.empty() ? std::string("AWS") : st.s3.endpoint) +
             ") is reachable, storage.s3.region and storage.s3.bucket";
    case StorageConfig::Type::kAzure:
      if (s.IsPermissionDenied()) {
        return "check the Azure credentials (storage.azure.key / AZURE_STORAGE_KEY, the SAS token "
               "or the identity) and that they may write, read, list and delete blobs in "
               "container " +
               st.azure.container;
      }
      return "check storage.azure.account, storage.azure.endpoint (reachable?) and that "
             "container " +
             st.azure.container + " exists";
    case StorageConfig::Type::kGcs:
      if (s.IsPermissionDenied()) {
        return "check the GCS credentials (storage.gcs.credentials_file / "
               "GOOGLE_APPLICATION_CREDENTIALS, or the metadata server's service account) and "
               "that it may create, get, list and delete objects in bucket " +
               st.gcs.bucket + " (roles/storage.objectAdmin)";
      }
      return "check storage.gcs.endpoint (reachable?) and that bucket " + st.gcs.bucket + " exists";
  }
  return "check the storage: section";
}

DoctorCheck CheckStore(const Config& cfg, std::chrono::milliseconds timeout) {
  StorageConfig storage = cfg.storage;
  storage.retry_timeout = timeout;
  storage::RetryPolicy policy;
  policy.deadline = timeout;
  auto store = storage::OpenStore(storage, {}, policy);
  if (!store.ok()) return Fail("store", store.status().ToString(), StoreFix(cfg, store.status()));
  const std::string key = layout::Keys(cfg.storage.prefix).Root() + "_doctor/" + HostName() + "-" +
                          std::to_string(::getpid());
  const std::string probe = "kafka-backup doctor probe " + std::to_string(WallMs());
  Status s = (*store)->Put(key, probe);
  if (!s.ok()) return Fail("store", "put " + key + ": " + s.ToString(), StoreFix(cfg, s));
  Result<std::string> back = (*store)->Get(key);
  Status deleted = (*store)->Delete({key});
  if (!back.ok()) {
    return Fail("store", "get " + key + ": " + back.status().ToString(),
                StoreFix(cfg, back.status()));
  }
  if (*back != probe) {
    return Fail("store", "get " + key + " returned other bytes than were put",
                "the store does not keep what is written: check the server");
  }
  if (!deleted.ok()) {
    return Fail("store", "delete " + key + ": " + deleted.ToString(),
                "grant delete (s3:DeleteObject) under storage.prefix: retention and prune need "
                "it; then delete " +
                    key + " by hand");
  }
  return Ok("store", (*store)->Describe() + ": put, get and delete of " + key + " work");
}

// Compares this host's clock with the one `time()` reads from `server` (a Date header, whole
// seconds).
DoctorCheck ClockAgainst(const std::string& server, const std::function<Result<int64_t>()>& time) {
  const int64_t before = WallMs();
  Result<int64_t> server_ms = time();
  const int64_t after = WallMs();
  if (!server_ms.ok()) return Fail("clock", server_ms.status().ToString(), "see the store check");
  // Date has whole seconds (rounded down): compare with the middle of that second.
  const int64_t skew = *server_ms + 500 - (before + after) / 2;
  const int64_t abs_skew = skew < 0 ? -skew : skew;
  const std::string where = server + ", ±" + std::to_string((after - before) / 1000 + 1) + " s";
  const std::string detail =
      abs_skew < 1000
          ? "this host's clock agrees with the store server's (" + where + ")"
          : "this host's clock is " + std::to_string((abs_skew + 500) / 1000) + " s " +
                (skew > 0 ? "behind" : "ahead of") + " the store server's (" + where + ")";
  if (abs_skew > kMaxClockSkewMs) {
    return Fail("clock", detail,
                "synchronize this host's clock (NTP: chrony, systemd-timesyncd); S3 and Azure "
                "refuse requests signed more than 15 minutes off, and Google refuses tokens "
                "issued in the future");
  }
  return Ok("clock", detail);
}

template <typename Client>
DoctorCheck ClockOf(Result<std::unique_ptr<Client>> client) {
  if (!client.ok()) return Fail("clock", client.status().ToString(), "see the store check");
  return ClockAgainst((*client)->Describe(), [&] { return (*client)->ServerTimeMs(); });
}

DoctorCheck CheckClock(const Config& cfg) {
  switch (cfg.storage.type) {
    case StorageConfig::Type::kLocal:
      break;
    case StorageConfig::Type::kS3:
      return ClockOf(storage::s3::S3Client::Make(cfg.storage.s3));
    case StorageConfig::Type::kAzure:
      return ClockOf(storage::azure::AzureClient::Make(cfg.storage.azure));
    case StorageConfig::Type::kGcs:
      return ClockOf(storage::gcs::GcsClient::Make(cfg.storage.gcs));
  }
  return Skip("clock",
              "a local store has no clock to compare with, and Kafka tells no broker time "
              "without producing a record (doctor produces nothing)");
}

const char* OutcomeName(Outcome o) {
  switch (o) {
    case Outcome::kOk:
      return "ok";
    case Outcome::kFail:
      return "fail";
    case Outcome::kWarn:
      return "warn";
    case Outcome::kSkip:
      return "skip";
  }
  return "?";
}

}  // namespace

std::vector<DoctorCheck> RunDoctorChecks(const Result<Config>& cfg, const DoctorArgs& args) {
  std::vector<DoctorCheck> checks;
  const std::string file = args.config_path.empty() ? "<defaults>" : args.config_path;
  if (!cfg.ok()) {
    checks.push_back(Fail("config", file + ": " + cfg.status().ToString(),
                          "correct the key named (docs/configuration.md)"));
    for (const char* name : {"kafka", "acls", "store", "clock"}) {
      checks.push_back(Skip(name, "needs a valid config"));
    }
    return checks;
  }
  const std::chrono::milliseconds timeout = std::chrono::seconds(args.timeout_seconds);
  checks.push_back(Ok("config", file + ": valid; store " + StoreUrlOf(cfg->storage)));
  std::unique_ptr<kafka::Admin> admin;
  std::string admin_error;
  if (cfg->kafka.properties.count("bootstrap.servers")) {
    Result<std::unique_ptr<kafka::Admin>> made = kafka::Admin::Make(cfg->kafka.properties);
    if (made.ok()) {
      admin = std::move(made).value();
    } else {
      admin_error = made.status().ToString();
    }
  }
  checks.push_back(CheckKafka(*cfg, admin.get(), admin_error, timeout));
  if (checks.back().outcome == Outcome::kOk) {
    checks.push_back(CheckAcls(*cfg, *admin, timeout));
  } else {
    checks.push_back(Skip("acls", "needs the cluster (see the kafka check)"));
  }
  checks.push_back(CheckStore(*cfg, timeout));
  if (checks.back().outcome == Outcome::kOk) {
    checks.push_back(CheckClock(*cfg));
  } else {
    checks.push_back(Skip("clock", "needs the store (see the store check)"));
  }
  return checks;
}

std::string FormatDoctorText(const std::vector<DoctorCheck>& checks) {
  std::string out;
  size_t failed = 0, warned = 0;
  for (const DoctorCheck& c : checks) {
    std::string label = c.outcome == Outcome::kOk     ? "OK  "
                        : c.outcome == Outcome::kFail ? "FAIL"
                        : c.outcome == Outcome::kWarn ? "WARN"
                                                      : "SKIP";
    std::string name = c.name;
    name.resize(7, ' ');
    out += label + "  " + name + c.detail + "\n";
    if (c.outcome == Outcome::kFail) ++failed;
    if (c.outcome == Outcome::kWarn) ++warned;
    if (c.outcome == Outcome::kFail || c.outcome == Outcome::kWarn) {
      out += "              fix: " + c.fix + "\n";
    }
  }
  out += failed == 0
             ? "all checks passed"
             : std::to_string(failed) + " of " + std::to_string(checks.size()) + " checks failed";
  out += warned == 0 ? "\n" : " (" + report::Count(warned, "warning") + ")\n";
  return out;
}

std::string FormatDoctorJson(const std::vector<DoctorCheck>& checks) {
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  bool ok = true;
  for (const DoctorCheck& c : checks) {
    ok = ok && c.outcome != Outcome::kFail;
    list.push_back({{"name", c.name},
                    {"result", OutcomeName(c.outcome)},
                    {"detail", c.detail},
                    {"fix", c.fix}});
  }
  nlohmann::ordered_json doc = {{"ok", ok}, {"checks", std::move(list)}};
  return doc.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

Status RunDoctor(const Result<Config>& cfg, const DoctorArgs& args, std::ostream& out) {
  std::vector<DoctorCheck> checks = RunDoctorChecks(cfg, args);
  out << (args.json ? FormatDoctorJson(checks) : FormatDoctorText(checks));
  out.flush();
  if (!cfg.ok()) return cfg.status();
  size_t failed = 0;
  for (const DoctorCheck& c : checks) failed += c.outcome == Outcome::kFail ? 1 : 0;
  if (failed == 0) return Status::OK();
  return Status::FailedPrecondition("doctor", std::to_string(failed) + " of " +
                                                  std::to_string(checks.size()) +
                                                  " checks failed (see FAIL above)");
}

}  // namespace kb::cli
