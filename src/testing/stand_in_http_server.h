// StandInHttpServer: a loopback HTTP/1.1 server for tests of clients whose real server does not
// run here (AWS STS and the instance metadata service; an S3 server that records or refuses
// upload headers). Each connection carries one request, answered by the handler with
// Connection: close; `Expect: 100-continue` is honoured. Requests are recorded in order.
// Test-only (kb_testing).
//
// Thread-safety: the handler runs on the server's own thread; Requests() and Url() may be called
// from any thread. Failure contract: a socket that cannot listen is a test failure (ADD_FAILURE).
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace kb::testing {

struct StandInRequest {
  std::string method;
  std::string target;                          // path and query, as sent
  std::map<std::string, std::string> headers;  // lower-case names
  std::string head;                            // request line and headers, lower-cased
  std::string body;
};

struct StandInAnswer {
  int status = 200;
  std::string body;
  std::string headers;  // extra "Name: value\r\n" lines
};

class StandInHttpServer {
 public:
  using Handler = std::function<StandInAnswer(const StandInRequest&)>;

  explicit StandInHttpServer(Handler handler);
  ~StandInHttpServer();
  StandInHttpServer(const StandInHttpServer&) = delete;
  StandInHttpServer& operator=(const StandInHttpServer&) = delete;

  std::string Url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::vector<StandInRequest> Requests();

 private:
  void Serve();
  void Handle(int connection);

  Handler handler_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex mu_;
  std::vector<StandInRequest> requests_;
};

}  // namespace kb::testing
