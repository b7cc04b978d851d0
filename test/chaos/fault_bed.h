// The fault bed of the network-fault and broker-loss scenarios (test/chaos): a Kafka broker, an
// S3 server and the fault proxies of test/services/faults.sh, all of this process's own (the
// scenarios stop and kill the broker, so they cannot share the test run's broker), started on
// first use and stopped when the test program ends.
//
//   client --> toxiproxy "kafka" --> broker (PROXIED listener, which advertises the proxy)
//   client --> toxiproxy "s3" --> httpfaults (5xx answers) --> versitygw
//
// The harness itself (producers, readers, admin, store checks) uses the direct addresses.
// Thread-safety: Bed() may be called from any thread; the clients are not thread-safe.
// Failures to start are fatal test failures (ADD_FAILURE + nullptr from Bed()).
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "common/status.h"
#include "config/config.h"

namespace kb::chaos {

// The toxiproxy HTTP API (https://github.com/Shopify/toxiproxy#http-api).
class Toxiproxy {
 public:
  explicit Toxiproxy(std::string api) : api_(std::move(api)) {}
  Status CreateProxy(const std::string& name, const std::string& listen,
                     const std::string& upstream);
  // type: latency, bandwidth, slow_close, timeout, reset_peer, slicer, limit_data; stream:
  // "upstream" (client to server) or "downstream"; attributes: a JSON object.
  Status AddToxic(const std::string& proxy, const std::string& name, const std::string& type,
                  const std::string& stream, double toxicity, const std::string& attributes);
  // Every proxy enabled again, every toxic removed.
  Status Reset();
  // A disabled proxy refuses connections and drops those it had.
  Status SetEnabled(const std::string& proxy, bool enabled);

 private:
  Status Call(const std::string& method, const std::string& path, const std::string& body);
  std::string api_;
};

// The httpfaults control endpoint (test/services/httpfaults/main.go).
class HttpFaults {
 public:
  explicit HttpFaults(std::string base) : base_(std::move(base)) {}
  // `rate` of the requests answered 503 SlowDown / 500 InternalError; `after_share` of those
  // after forwarding them (the request took effect).
  Status SetRate(double rate, double after_share);
  // Errors injected so far (before + after).
  uint64_t Injected();

 private:
  std::string base_;
};

struct FaultBed {
  std::string kafka_direct;         // host:port of the broker's own listener
  std::string kafka_proxied;        // host:port of toxiproxy "kafka"
  S3StoreConfig s3_direct;          // the S3 server itself
  std::string s3_proxied_endpoint;  // http://host:port of toxiproxy "s3" (then httpfaults)
  std::string name;                 // instance name of the services
  std::string run_dir;              // KB_RUN_DIR of the services
  Toxiproxy* toxiproxy = nullptr;
  HttpFaults* http_faults = nullptr;

  // Stops the broker gracefully (kafka.sh stop), kills it (kafka.sh kill), brings it back on its
  // data and ports (kafka.sh restart). Each returns false (and logs why) on failure.
  bool StopBroker() const;
  bool KillBroker() const;
  bool RestartBroker() const;
};

// Runs test/services/`script` `args` with KB_RUN_DIR=`run_dir`; its stdout (trimmed) into `out`,
// its stderr appended to `run_dir`/bed.log. On a non-zero exit: a test failure showing that log,
// and false. (Also used by the three-node bed of the failover scenario, cluster_bed.h.)
bool RunScript(const std::string& run_dir, const std::string& script, const std::string& args,
               std::string* out = nullptr);
// KEY=value lines of a service's env file.
std::map<std::string, std::string> ReadEnvFile(const std::string& path);

// The bed, started on the first call (nullptr, with a test failure, when that failed).
const FaultBed* Bed();

// The lines of a storage: section that reach the S3 server through the fault proxies.
std::string ProxiedS3Yaml(const FaultBed& bed, const std::string& prefix);

}  // namespace kb::chaos
