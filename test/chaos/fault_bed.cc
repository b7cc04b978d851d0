#include "fault_bed.h"

#include <curl/curl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>

#include "chaos_report.h"
#include "cli/cli_test_util.h"

namespace kb::chaos {
namespace {

struct HttpResult {
  long status = 0;  // 0: no answer
  std::string body;
  std::string error;
};

HttpResult Http(const std::string& method, const std::string& url, const std::string& body) {
  HttpResult out;
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return {0, "", "curl_easy_init failed"};
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 10'000L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
  curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  if (!body.empty()) {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  }
  using WriteFn = size_t (*)(char*, size_t, size_t, void*);
  WriteFn write = [](char* data, size_t size, size_t n, void* user) -> size_t {
    static_cast<std::string*>(user)->append(data, size * n);
    return size * n;
  };
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, write);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &out.body);
  const CURLcode rc = curl_easy_perform(curl);
  if (rc == CURLE_OK) {
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &out.status);
  } else {
    out.error = curl_easy_strerror(rc);
  }
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  return out;
}

Status Expect2xx(const std::string& what, const HttpResult& r) {
  if (r.status >= 200 && r.status < 300) return Status::OK();
  return Status::Permanent(
      what, r.status == 0 ? r.error : "HTTP " + std::to_string(r.status) + ": " + r.body);
}

std::mutex bed_mu;
FaultBed* bed = nullptr;
bool bed_failed = false;

void StopServices(const FaultBed& b) {
  RunScript(b.run_dir, "kafka.sh", "stop --name " + b.name);
  RunScript(b.run_dir, "faults.sh", "stop --name " + b.name);
  RunScript(b.run_dir, "s3.sh", "stop --name " + b.name);
}

class BedEnvironment : public ::testing::Environment {
 public:
  void TearDown() override {
    std::lock_guard lock(bed_mu);
    if (bed == nullptr) return;
    StopServices(*bed);
    delete bed->toxiproxy;
    delete bed->http_faults;
    delete bed;
    bed = nullptr;
  }
};
[[maybe_unused]] ::testing::Environment* const kEnvironment =
    ::testing::AddGlobalTestEnvironment(new BedEnvironment);

FaultBed* StartBed() {
  auto b = std::make_unique<FaultBed>();
  b->name = "chaosbed-" + std::to_string(getpid());
  const char* run_dir = std::getenv("KB_RUN_DIR");
  b->run_dir = run_dir != nullptr && *run_dir != '\0'
                   ? run_dir
                   : std::string(KB_SOURCE_DIR) + "/build/services";
  std::string ignored;
  if (!RunScript(b->run_dir, "s3.sh", "start --name " + b->name, &ignored)) return nullptr;
  auto s3 = ReadEnvFile(b->run_dir + "/s3-" + b->name + "/env");
  b->s3_direct.endpoint = s3["KB_TEST_S3_ENDPOINT"];
  b->s3_direct.bucket = s3["KB_TEST_S3_BUCKET"];
  b->s3_direct.region = s3["KB_TEST_S3_REGION"];
  b->s3_direct.access_key_id = s3["KB_TEST_S3_ACCESS_KEY"];
  b->s3_direct.secret_access_key = s3["KB_TEST_S3_SECRET_KEY"];
  b->s3_direct.path_style = true;
  if (!RunScript(b->run_dir, "faults.sh",
                 "start --name " + b->name + " --seed " + std::to_string(Seed()) +
                     " --http-upstream " + b->s3_direct.endpoint,
                 &ignored)) {
    StopServices(*b);
    return nullptr;
  }
  auto faults = ReadEnvFile(b->run_dir + "/faults-" + b->name + "/env");
  b->toxiproxy = new Toxiproxy(faults["KB_TEST_TOXIPROXY_API"]);
  b->http_faults = new HttpFaults(faults["KB_TEST_HTTP_FAULTS"]);
  const std::string kafka_proxy = "127.0.0.1:" + std::to_string(cli::testing::FreePort());
  if (!RunScript(b->run_dir, "kafka.sh",
                 "start --name " + b->name + " --proxied-listener " + kafka_proxy, &ignored)) {
    StopServices(*b);
    return nullptr;
  }
  auto kafka = ReadEnvFile(b->run_dir + "/kafka-" + b->name + "/env");
  b->kafka_direct = kafka["KB_TEST_KAFKA_BOOTSTRAP"];
  b->kafka_proxied = kafka_proxy;
  const std::string s3_proxy = "127.0.0.1:" + std::to_string(cli::testing::FreePort());
  b->s3_proxied_endpoint = "http://" + s3_proxy;
  std::string hf = faults["KB_TEST_HTTP_FAULTS"];
  hf = hf.substr(hf.find("://") + 3);
  for (const Status& s :
       {b->toxiproxy->CreateProxy("kafka", kafka_proxy, kafka["KB_TEST_KAFKA_PROXIED_UPSTREAM"]),
        b->toxiproxy->CreateProxy("s3", s3_proxy, hf)}) {
    if (!s.ok()) {
      ADD_FAILURE() << s.ToString();
      StopServices(*b);
      return nullptr;
    }
  }
  return b.release();
}

}  // namespace

namespace {
std::string ServicesDir() { return std::string(KB_SOURCE_DIR) + "/test/services/"; }
}  // namespace

bool RunScript(const std::string& run_dir, const std::string& script, const std::string& args,
               std::string* out) {
  const std::string cmd = "KB_RUN_DIR='" + run_dir + "' '" + ServicesDir() + script + "' " + args +
                          " 2>>'" + run_dir + "/bed.log'";
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return false;
  std::string text;
  char buf[512];
  while (size_t n = fread(buf, 1, sizeof(buf), p)) text.append(buf, n);
  const int rc = pclose(p);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  if (out != nullptr) *out = text;
  if (rc != 0) {
    ADD_FAILURE() << script << " " << args << " failed (exit " << rc << "); see " << run_dir
                  << "/bed.log:\n"
                  << cli::testing::ReadFile(run_dir + "/bed.log");
  }
  return rc == 0;
}

std::map<std::string, std::string> ReadEnvFile(const std::string& path) {
  std::map<std::string, std::string> env;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    const size_t eq = line.find('=');
    if (eq != std::string::npos) env[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return env;
}

Status Toxiproxy::Call(const std::string& method, const std::string& path,
                       const std::string& body) {
  return Expect2xx("toxiproxy " + method + " " + path, Http(method, api_ + path, body));
}

Status Toxiproxy::CreateProxy(const std::string& name, const std::string& listen,
                              const std::string& upstream) {
  return Call("POST", "/proxies",
              nlohmann::json{{"name", name}, {"listen", listen}, {"upstream", upstream}}.dump());
}

Status Toxiproxy::AddToxic(const std::string& proxy, const std::string& name,
                           const std::string& type, const std::string& stream, double toxicity,
                           const std::string& attributes) {
  nlohmann::json body{{"name", name},
                      {"type", type},
                      {"stream", stream},
                      {"toxicity", toxicity},
                      {"attributes", nlohmann::json::parse(attributes)}};
  return Call("POST", "/proxies/" + proxy + "/toxics", body.dump());
}

Status Toxiproxy::Reset() { return Call("POST", "/reset", ""); }

Status Toxiproxy::SetEnabled(const std::string& proxy, bool enabled) {
  return Call("POST", "/proxies/" + proxy, nlohmann::json{{"enabled", enabled}}.dump());
}

Status HttpFaults::SetRate(double rate, double after_share) {
  return Expect2xx("httpfaults config",
                   Http("PUT", base_ + "/__faults/config",
                        nlohmann::json{{"rate", rate}, {"after_share", after_share}}.dump()));
}

uint64_t HttpFaults::Injected() {
  const HttpResult r = Http("GET", base_ + "/__faults/stats", "");
  const auto j = nlohmann::json::parse(r.body, nullptr, /*allow_exceptions=*/false);
  if (r.status != 200 || !j.is_object()) {
    ADD_FAILURE() << "httpfaults stats: " << r.status << " " << r.error << r.body;
    return 0;
  }
  return j.value("before", uint64_t{0}) + j.value("after", uint64_t{0});
}

bool FaultBed::StopBroker() const { return RunScript(run_dir, "kafka.sh", "stop --name " + name); }
bool FaultBed::KillBroker() const { return RunScript(run_dir, "kafka.sh", "kill --name " + name); }
bool FaultBed::RestartBroker() const {
  std::string ignored;
  return RunScript(run_dir, "kafka.sh", "restart --name " + name, &ignored);
}

const FaultBed* Bed() {
  std::lock_guard lock(bed_mu);
  if (bed == nullptr && !bed_failed) {
    bed = StartBed();
    bed_failed = bed == nullptr;
  }
  if (bed == nullptr) ADD_FAILURE() << "the fault bed could not be started";
  return bed;
}

std::string ProxiedS3Yaml(const FaultBed& b, const std::string& prefix) {
  return "storage:\n  prefix: " + prefix + "\n  s3:\n    endpoint: " + b.s3_proxied_endpoint +
         "\n    bucket: " + b.s3_direct.bucket + "\n    region: " + b.s3_direct.region +
         "\n    path_style: true\n    access_key_id: " + b.s3_direct.access_key_id +
         "\n    secret_access_key: " + b.s3_direct.secret_access_key + "\n";
}

}  // namespace kb::chaos
