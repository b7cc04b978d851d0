#include "metrics/metrics_server.h"

#include <arpa/inet.h>
#include <civetweb.h>
#include <netinet/in.h>
#include <prometheus/collectable.h>
#include <prometheus/text_serializer.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <charconv>
#include <exception>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

namespace kb::metrics {

namespace {

constexpr std::string_view kMetricsPath = "/metrics";
constexpr std::string_view kHealthPath = "/healthz";
constexpr const char* kTextPlain = "text/plain; charset=utf-8";
constexpr const char* kPrometheusText = "text/plain; version=0.0.4; charset=utf-8";

Status BadListen(std::string_view listen, std::string_view why) {
  return Status::InvalidArgument(
      kListenConfigKey,
      "'" + std::string(listen) + "' is not a valid address: " + std::string(why));
}

// civetweb keeps process-wide state that must be set up once, before the first mg_start2; doing
// it here avoids the unsynchronised lazy initialisation inside mg_start2.
void InitCivetwebOnce() {
  static std::once_flag once;
  std::call_once(once, [] { mg_init_library(0); });
}

// What a request is answered with; computed before anything is sent, so that a throwing callback
// can still be answered with a clean 500.
struct Response {
  int status = 200;
  const char* content_type = kTextPlain;
  std::string body;
  bool allow_header = false;  // 405: list the methods that are allowed
};

void Send(mg_connection* conn, const Response& r, bool head) {
  const std::string length = std::to_string(r.body.size());
  mg_response_header_start(conn, r.status);
  mg_response_header_add(conn, "Content-Type", r.content_type, -1);
  mg_response_header_add(conn, "Content-Length", length.c_str(), -1);
  mg_response_header_add(conn, "Cache-Control", "no-store", -1);
  if (r.allow_header) mg_response_header_add(conn, "Allow", "GET, HEAD", -1);
  mg_response_header_send(conn);
  if (!head && !r.body.empty()) mg_write(conn, r.body.data(), r.body.size());
}

// Connects to the listener and hangs up at once; errors do not matter.
void PokeListener(const ListenAddress& address) {
  if (address.port == 0) return;
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(address.port);
  const char* host = address.host == "0.0.0.0" ? "127.0.0.1" : address.host.c_str();
  if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) return;
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  (void)connect(fd, reinterpret_cast<const sockaddr*>(&sa), sizeof(sa));
  close(fd);
}

}  // namespace

namespace detail {

// Owns the civetweb context; the C callbacks below reach it through civetweb's user data (the
// context's, for log messages) and callback data (the request handler's).
class ServerState {
 public:
  explicit ServerState(MetricsServer::Options options) : options_(std::move(options)) {}

  ~ServerState() {
    if (ctx_ == nullptr) return;
    // mg_stop returns once every worker has finished its request and exited. civetweb's accept
    // loop only sees the stop flag when its poll() returns, which takes up to 2 s when no client
    // connects; a connection of our own wakes it at once.
    std::atomic<bool> stopped{false};
    std::optional<std::thread> waker;
    try {
      waker.emplace([this, &stopped] {
        while (!stopped.load()) {
          std::this_thread::sleep_for(std::chrono::milliseconds(10));
          PokeListener(bound_);
        }
      });
    } catch (const std::system_error&) {
      // No thread: stopping merely takes longer.
    }
    mg_stop(ctx_);
    stopped = true;
    if (waker) waker->join();
  }

  ServerState(const ServerState&) = delete;
  ServerState& operator=(const ServerState&) = delete;

  // Binds `address` and starts the worker threads; the bound port in *port.
  Status Start(const ListenAddress& address, uint16_t* port) {
    bound_ = address;
    InitCivetwebOnce();
    const std::string ports = address.ToString();
    const std::string threads = std::to_string(options_.num_threads);
    const std::string timeout = std::to_string(options_.request_timeout.count());
    const char* config[] = {"listening_ports",
                            ports.c_str(),
                            "num_threads",
                            threads.c_str(),
                            "request_timeout_ms",
                            timeout.c_str(),
                            "enable_keep_alive",
                            "no",
                            nullptr};
    mg_callbacks callbacks{};
    callbacks.log_message = &ServerState::OnLogMessage;
    mg_init_data init{};
    init.callbacks = &callbacks;
    init.user_data = this;
    init.configuration_options = config;
    char error_text[256] = "";
    unsigned error_code = 0;
    mg_error_data error{};
    error.code = &error_code;
    error.text = error_text;
    error.text_buffer_size = sizeof(error_text);

    ctx_ = mg_start2(&init, &error);
    std::vector<std::string> log;
    {
      std::lock_guard<std::mutex> lock(log_mu_);
      log.swap(startup_log_);
      starting_ = false;
    }
    if (ctx_ == nullptr) return StartError(ports, error_text, log);
    for (const std::string& line : log) spdlog::warn("metrics server on {}: {}", ports, line);

    mg_set_request_handler(ctx_, "/", &ServerState::OnRequest, this);
    mg_server_port bound[1] = {};
    if (mg_get_server_ports(ctx_, 1, bound) != 1 || bound[0].port <= 0 || bound[0].port > 65535) {
      return Status::FailedPrecondition(kListenConfigKey,
                                        "cannot tell which port " + ports + " was bound to");
    }
    *port = static_cast<uint16_t>(bound[0].port);
    bound_.port = *port;
    return Status::OK();
  }

 private:
  static Status StartError(const std::string& ports, const char* error_text,
                           const std::vector<std::string>& log) {
    // civetweb's own summary ("Failed to setup server ports") says nothing; the lines it logged
    // while starting ("cannot bind to 127.0.0.1:9308: 98 (Address already in use)") do.
    std::string reason;
    for (const std::string& line : log) {
      if (line == error_text) continue;
      if (!reason.empty()) reason += "; ";
      reason += line;
    }
    if (reason.empty()) reason = *error_text != '\0' ? error_text : "civetweb failed to start";
    return Status::FailedPrecondition(kListenConfigKey,
                                      "cannot serve metrics on " + ports + ": " + reason);
  }

  static int OnLogMessage(const mg_connection* conn, const char* message) {
    const mg_context* ctx = conn != nullptr ? mg_get_context(conn) : nullptr;
    auto* self = ctx != nullptr ? static_cast<ServerState*>(mg_get_user_data(ctx)) : nullptr;
    if (self == nullptr) {
      spdlog::warn("metrics server: {}", message);
      return 1;
    }
    std::lock_guard<std::mutex> lock(self->log_mu_);
    if (self->starting_) {
      self->startup_log_.emplace_back(message);  // becomes the reason of a failed Start()
    } else {
      spdlog::warn("metrics server: {}", message);
    }
    return 1;  // handled: civetweb writes nothing itself
  }

  static int OnRequest(mg_connection* conn, void* cbdata) {
    auto* self = static_cast<ServerState*>(cbdata);
    const mg_request_info* info = mg_get_request_info(conn);
    const std::string_view method = info->request_method ? info->request_method : "";
    const std::string_view path = info->local_uri ? info->local_uri : "";
    const bool head = method == "HEAD";
    Response response;
    try {
      response = self->Route(method, path);
    } catch (const std::exception& e) {
      response = Response{.status = 500, .body = "internal error: " + std::string(e.what()) + "\n"};
    } catch (...) {
      response = Response{.status = 500, .body = "internal error\n"};
    }
    Send(conn, response, head);
    return response.status;  // 1..999: handled, and the status civetweb logs
  }

  Response Route(std::string_view method, std::string_view path) const {
    if (path != kMetricsPath && path != kHealthPath) {
      return Response{.status = 404,
                      .body = "not found; this server serves /metrics and /healthz\n"};
    }
    if (method != "GET" && method != "HEAD") {
      return Response{.status = 405, .body = "method not allowed\n", .allow_header = true};
    }
    if (path == kHealthPath) {
      const Status health = options_.health ? options_.health() : Status::OK();
      if (health.ok()) return Response{.status = 200, .body = "ok\n"};
      return Response{.status = 503, .body = health.ToString() + "\n"};
    }
    if (options_.before_scrape) options_.before_scrape();
    return Response{.status = 200,
                    .content_type = kPrometheusText,
                    .body = prometheus::TextSerializer().Serialize(options_.registry->Collect())};
  }

  const MetricsServer::Options options_;
  ListenAddress bound_;
  mg_context* ctx_ = nullptr;

  std::mutex log_mu_;
  bool starting_ = true;                  // guarded by log_mu_
  std::vector<std::string> startup_log_;  // guarded by log_mu_
};

}  // namespace detail

Result<ListenAddress> ParseListenAddress(std::string_view listen) {
  const size_t colon = listen.rfind(':');
  if (colon == std::string_view::npos) return BadListen(listen, "expected host:port");
  std::string_view host = listen.substr(0, colon);
  const std::string_view port_text = listen.substr(colon + 1);

  unsigned port = 0;
  const char* end = port_text.data() + port_text.size();
  auto [ptr, ec] = std::from_chars(port_text.data(), end, port);
  if (port_text.empty() || port_text.size() > 5 || ec != std::errc() || ptr != end ||
      port > 65535) {
    return BadListen(listen, "the port must be a number from 0 to 65535 (0 = any free port)");
  }

  ListenAddress address;
  address.port = static_cast<uint16_t>(port);
  if (host.empty()) {
    address.host = "0.0.0.0";
  } else if (host == "localhost") {
    address.host = "127.0.0.1";
  } else if (host.front() == '[' || host.find(':') != std::string_view::npos) {
    return BadListen(listen, "IPv6 addresses are not supported; use an IPv4 address");
  } else {
    in_addr parsed{};
    address.host = std::string(host);
    // inet_pton reads a C string: a NUL would hide whatever follows it.
    if (host.find('\0') != std::string_view::npos ||
        inet_pton(AF_INET, address.host.c_str(), &parsed) != 1) {
      return BadListen(listen, "the host must be an IPv4 address, 'localhost', or empty for all");
    }
  }
  return address;
}

Result<std::unique_ptr<MetricsServer>> MetricsServer::Start(Options options) {
  KB_ASSIGN_OR_RETURN(ListenAddress address, ParseListenAddress(options.listen));
  if (!options.registry) {
    return Status::InvalidArgument(kListenConfigKey, "MetricsServer needs a registry to expose");
  }
  if (options.num_threads < 1) {
    return Status::InvalidArgument(kListenConfigKey, "MetricsServer needs at least one thread");
  }
  auto state = std::make_unique<detail::ServerState>(std::move(options));
  KB_RETURN_IF_ERROR(state->Start(address, &address.port));
  return std::unique_ptr<MetricsServer>(new MetricsServer(std::move(state), std::move(address)));
}

MetricsServer::MetricsServer(std::unique_ptr<detail::ServerState> state, ListenAddress bound)
    : state_(std::move(state)), bound_(std::move(bound)) {}

MetricsServer::~MetricsServer() = default;

}  // namespace kb::metrics
