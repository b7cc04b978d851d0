// MetricsServer: the daemon's HTTP endpoint for Prometheus (`GET /metrics`) and for liveness
// probes (`GET /healthz`), listening on the address of the config key `metrics.listen`.
//
//   GET /metrics   200, Prometheus text exposition format 0.0.4 of the registry (TextSerializer)
//   GET /healthz   200 "ok", or 503 with the failing Status's ToString() as the body
//   HEAD           same status and headers, no body; other methods 405; other paths 404
//
// Why civetweb's C API and not prometheus-cpp's pull Exposer: the Exposer only serves
// Collectables, so /healthz (a 503 with a reason) cannot be added to it; its CivetCallbacks hook
// has no per-instance user data (CivetServer keeps the context's user data for itself), so a
// health callback could only be reached through global state; and a failed bind surfaces as a
// CivetException without the address or errno. mg_start2() with a log_message callback gives the
// exact bind error ("cannot bind to 127.0.0.1:9308: 98 (Address already in use)"), user data per
// server, and mg_get_server_ports() reports the port chosen for port 0. Serialization is still
// prometheus-cpp's TextSerializer, so the text is the same as the Exposer's (uncompressed).
//
// Ownership: the server shares ownership of the Collectable (normally the daemon's
// prometheus::Registry) and owns the health and scrape callbacks. The callbacks must stay valid
// until the server is destroyed.
//
// Thread-safety: requests are served on civetweb's worker threads (Options::num_threads), so the
// health and scrape callbacks may run concurrently with each other and with the owner's threads;
// they must be thread-safe. prometheus::Registry::Collect is thread-safe. port() / address() may
// be called from any thread. The destructor stops accepting, waits for callbacks already running
// to return (their responses are dropped: civetweb writes nothing once stopping) and joins every
// worker thread; it takes milliseconds when no callback is slow.
//
// Failure contract: Start() returns InvalidArgument naming `metrics.listen` for an address it
// cannot parse, and FailedPrecondition naming `metrics.listen` and the address, with the OS reason,
// when the socket cannot be bound (port in use, address not on this host, privileged port).
// Callbacks that throw give a 500 for that request only; the server keeps serving.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"

namespace prometheus {
class Collectable;
}  // namespace prometheus

namespace kb::metrics {

namespace detail {
class ServerState;  // the civetweb context and the request handlers (metrics_server.cc)
}  // namespace detail

// The config key every listen-address error names.
inline constexpr std::string_view kListenConfigKey = "metrics.listen";

// A parsed `metrics.listen` value: "host:port" where host is an IPv4 address, "localhost"
// (127.0.0.1) or empty (":9308", all interfaces, 0.0.0.0); port is 0..65535, 0 = any free port.
struct ListenAddress {
  std::string host;  // dotted IPv4, never empty
  uint16_t port = 0;
  std::string ToString() const { return host + ":" + std::to_string(port); }
  friend bool operator==(const ListenAddress&, const ListenAddress&) = default;
};

// InvalidArgument naming `metrics.listen` when `listen` is not a valid address.
Result<ListenAddress> ParseListenAddress(std::string_view listen);

class MetricsServer {
 public:
  // OK, or the reason the daemon is unhealthy (the body of the 503).
  using HealthCheck = std::function<Status()>;

  struct Options {
    std::string listen;  // `metrics.listen`, e.g. "127.0.0.1:9308"; port 0 picks a free port
    std::shared_ptr<prometheus::Collectable> registry;  // required: what /metrics exposes
    HealthCheck health;                                 // empty: /healthz always answers 200 "ok"
    // Called before every /metrics collection, e.g. to refresh gauges computed from the clock
    // (BackupMetrics::RefreshLagSeconds). May be empty.
    std::function<void()> before_scrape;
    int num_threads = 2;  // concurrent requests served; scrapes are rare
    std::chrono::milliseconds request_timeout{10'000};
  };

  // Binds and starts serving; see the failure contract above.
  static Result<std::unique_ptr<MetricsServer>> Start(Options options);

  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // The bound port: the configured one, or the one the OS picked for port 0.
  uint16_t port() const { return bound_.port; }
  // "127.0.0.1:39077": the bound address, for logs and for tests to connect to.
  std::string address() const { return bound_.ToString(); }

 private:
  MetricsServer(std::unique_ptr<detail::ServerState> state, ListenAddress bound);

  std::unique_ptr<detail::ServerState> state_;
  ListenAddress bound_;
};

}  // namespace kb::metrics
