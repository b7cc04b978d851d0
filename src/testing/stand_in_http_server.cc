#include "testing/stand_in_http_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>

#include "common/ascii.h"

namespace kb::testing {
namespace {

bool SendAll(int c, const std::string& out) {
  for (size_t off = 0; off < out.size();) {
    ssize_t n = ::send(c, out.data() + off, out.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

StandInHttpServer::StandInHttpServer(Handler handler) : handler_(std::move(handler)) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::listen(fd_, 16) != 0 || ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ADD_FAILURE() << "stand-in HTTP server: cannot listen on 127.0.0.1";
    return;
  }
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { Serve(); });
}

StandInHttpServer::~StandInHttpServer() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  if (fd_ >= 0) ::close(fd_);
}

std::vector<StandInRequest> StandInHttpServer::Requests() {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_;
}

void StandInHttpServer::Serve() {
  while (!stop_) {
    pollfd p{.fd = fd_, .events = POLLIN, .revents = 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    int c = ::accept(fd_, nullptr, nullptr);
    if (c < 0) continue;
    Handle(c);
    ::close(c);
  }
}

void StandInHttpServer::Handle(int c) {
  std::string data;
  char buf[65536];
  size_t head_end = std::string::npos;
  while (head_end == std::string::npos) {
    ssize_t n = ::recv(c, buf, sizeof(buf), 0);
    if (n <= 0) return;
    data.append(buf, static_cast<size_t>(n));
    head_end = data.find("\r\n\r\n");
  }
  StandInRequest req;
  const std::string head = data.substr(0, head_end);
  req.head = AsciiLower(head);
  size_t line_end = head.find("\r\n");
  const std::string first = head.substr(0, line_end);
  req.method = first.substr(0, first.find(' '));
  req.target = first.substr(first.find(' ') + 1, first.rfind(' ') - first.find(' ') - 1);
  for (size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
       pos < head.size();) {
    size_t e = head.find("\r\n", pos);
    if (e == std::string::npos) e = head.size();
    const std::string line = head.substr(pos, e - pos);
    if (size_t colon = line.find(':'); colon != std::string::npos) {
      size_t value = line.find_first_not_of(' ', colon + 1);
      req.headers[AsciiLower(line.substr(0, colon))] =
          value == std::string::npos ? "" : line.substr(value);
    }
    pos = e + 2;
  }
  size_t length = 0;
  if (auto it = req.headers.find("content-length"); it != req.headers.end()) {
    length = std::stoul(it->second);
  }
  if (auto it = req.headers.find("expect");
      it != req.headers.end() && AsciiLower(it->second) == "100-continue") {
    if (!SendAll(c, "HTTP/1.1 100 Continue\r\n\r\n")) return;
  }
  req.body = data.substr(head_end + 4);
  while (req.body.size() < length) {
    ssize_t n = ::recv(c, buf, sizeof(buf), 0);
    if (n <= 0) return;
    req.body.append(buf, static_cast<size_t>(n));
  }
  StandInAnswer answer = handler_(req);
  {
    std::lock_guard<std::mutex> lock(mu_);
    requests_.push_back(req);
  }
  SendAll(c, "HTTP/1.1 " + std::to_string(answer.status) + " X\r\n" + answer.headers +
                 "Content-Length: " + std::to_string(answer.body.size()) +
                 "\r\nConnection: close\r\n\r\n" + answer.body);
}

}  // namespace kb::testing
