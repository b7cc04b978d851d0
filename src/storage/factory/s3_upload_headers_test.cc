// What S3Client puts on the wire for storage.s3.sse / storage_class, and what a server's refusal
// of them becomes, against a stand-in HTTP server written here: no real server that records or
// refuses these headers runs here (versitygw, the test server, accepts and ignores them; see
// s3_upload_options_integration_test.cc), so this checks the request side and the error path,
// not S3's behaviour.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "layout/keys.h"
#include "storage/factory/open_store.h"

namespace kb::storage {
namespace {

struct SeenRequest {
  std::string method;
  std::string target;  // path and query
  std::string head;    // the request line and headers, lower-cased
  size_t body_bytes = 0;
};

struct Answer {
  int status = 200;
  std::string headers;  // extra "Name: value\r\n" lines
  std::string body;
};

// Answers every request on 127.0.0.1:<port> with `handler`, one connection at a time, closing
// each after its answer. Records the requests it saw.
class StandInServer {
 public:
  explicit StandInServer(std::function<Answer(const SeenRequest&)> handler)
      : handler_(std::move(handler)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        ::listen(fd_, 16) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      ADD_FAILURE() << "stand-in server: cannot listen on 127.0.0.1";
      return;
    }
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~StandInServer() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    if (fd_ >= 0) ::close(fd_);
  }
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::vector<SeenRequest> seen() {
    std::lock_guard<std::mutex> lock(mu_);
    return seen_;
  }

 private:
  void Serve() {
    while (!stop_) {
      pollfd p{.fd = fd_, .events = POLLIN, .revents = 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      Handle(c);
      ::close(c);
    }
  }

  void Handle(int c) {
    std::string data;
    char buf[65536];
    size_t head_end = std::string::npos;
    while (head_end == std::string::npos) {
      ssize_t n = ::read(c, buf, sizeof(buf));
      if (n <= 0) return;
      data.append(buf, static_cast<size_t>(n));
      head_end = data.find("\r\n\r\n");
    }
    SeenRequest req;
    req.head = data.substr(0, head_end);
    for (char& ch : req.head) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    const std::string line = data.substr(0, data.find("\r\n"));
    req.method = line.substr(0, line.find(' '));
    req.target = line.substr(line.find(' ') + 1, line.rfind(' ') - line.find(' ') - 1);
    size_t want = 0;
    if (size_t cl = req.head.find("\r\ncontent-length:"); cl != std::string::npos) {
      want = std::stoul(req.head.substr(cl + 17));
    }
    if (req.head.find("\r\nexpect: 100-continue") != std::string::npos) {
      const std::string go_on = "HTTP/1.1 100 Continue\r\n\r\n";
      if (::write(c, go_on.data(), go_on.size()) != static_cast<ssize_t>(go_on.size())) return;
    }
    size_t have = data.size() - head_end - 4;
    while (have < want) {
      ssize_t n = ::read(c, buf, sizeof(buf));
      if (n <= 0) return;
      have += static_cast<size_t>(n);
    }
    req.body_bytes = have;
    Answer a = handler_(req);
    {
      std::lock_guard<std::mutex> lock(mu_);
      seen_.push_back(req);
    }
    std::string out = "HTTP/1.1 " + std::to_string(a.status) + " X\r\n" + a.headers +
                      "Content-Length: " + std::to_string(a.body.size()) +
                      "\r\nConnection: close\r\n\r\n" + a.body;
    for (size_t off = 0; off < out.size();) {
      ssize_t n = ::write(c, out.data() + off, out.size() - off);
      if (n <= 0) return;
      off += static_cast<size_t>(n);
    }
  }

  std::function<Answer(const SeenRequest&)> handler_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex mu_;
  std::vector<SeenRequest> seen_;
};

bool Has(const SeenRequest& r, const std::string& header_line) {
  return r.head.find("\r\n" + header_line + "\r\n") != std::string::npos ||
         r.head.ends_with("\r\n" + header_line);
}
bool HasName(const SeenRequest& r, const std::string& name) {
  return r.head.find("\r\n" + name + ":") != std::string::npos;
}

// An S3 server that stores objects (single-part and multipart) without keeping them.
Answer AcceptingS3(const SeenRequest& r) {
  if (r.method == "POST" && r.target.find("uploads=") != std::string::npos) {
    return {.body =
                "<InitiateMultipartUploadResult><UploadId>u-1</UploadId>"
                "</InitiateMultipartUploadResult>"};
  }
  if (r.method == "POST") return {.body = "<CompleteMultipartUploadResult/>"};
  return {.headers = "ETag: \"e\"\r\n"};
}

StorageConfig S3Config(const std::string& endpoint) {
  StorageConfig cfg;
  cfg.type = StorageConfig::Type::kS3;
  cfg.prefix = "prod";
  cfg.retry_timeout = std::chrono::milliseconds(60'000);
  cfg.s3.bucket = "bkt";
  cfg.s3.region = "us-east-1";
  cfg.s3.endpoint = endpoint;
  cfg.s3.path_style = true;
  cfg.s3.access_key_id = "a";
  cfg.s3.secret_access_key = "s";
  return cfg;
}

TEST(S3UploadHeadersTest, EncryptionOnEveryObjectStorageClassOnSegmentsOnly) {
  StandInServer server(AcceptingS3);
  StorageConfig cfg = S3Config(server.endpoint());
  cfg.s3.sse = "aws:kms";
  cfg.s3.storage_class = "STANDARD_IA";
  auto store = OpenStore(cfg);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  const layout::Keys keys(cfg.prefix);
  const std::string segment = keys.Segment("orders", 0, 0, 99);
  const std::string metadata = keys.TopicMetadata("orders");
  ASSERT_TRUE((*store)->Put(segment, "segment bytes").ok());
  ASSERT_TRUE((*store)->Put(metadata, "{}").ok());
  // 20 MiB: above the 16 MiB multipart threshold (3 parts of 8 MiB).
  const std::string big_segment = keys.Segment("orders", 0, 100, 199);
  ASSERT_TRUE((*store)->Put(big_segment, std::string(20 << 20, 'x')).ok());

  std::vector<SeenRequest> seen = server.seen();
  ASSERT_EQ(seen.size(), 2u + 1 + 3 + 1) << "put, put, create + 3 parts + complete";
  // The small segment: PutObject with both headers, the body's SHA-256 over http.
  EXPECT_EQ(seen[0].method, "PUT");
  EXPECT_TRUE(Has(seen[0], "x-amz-server-side-encryption: aws:kms")) << seen[0].head;
  EXPECT_TRUE(Has(seen[0], "x-amz-storage-class: standard_ia")) << seen[0].head;
  EXPECT_FALSE(HasName(seen[0], "x-amz-server-side-encryption-aws-kms-key-id"));
  EXPECT_FALSE(Has(seen[0], "x-amz-content-sha256: unsigned-payload"));
  // topic.json: encrypted, in the bucket's default class.
  EXPECT_TRUE(Has(seen[1], "x-amz-server-side-encryption: aws:kms")) << seen[1].head;
  EXPECT_FALSE(HasName(seen[1], "x-amz-storage-class")) << seen[1].head;
  // Multipart: CreateMultipartUpload carries both; UploadPart and Complete neither.
  EXPECT_EQ(seen[2].method, "POST");
  EXPECT_TRUE(Has(seen[2], "x-amz-server-side-encryption: aws:kms")) << seen[2].head;
  EXPECT_TRUE(Has(seen[2], "x-amz-storage-class: standard_ia")) << seen[2].head;
  for (size_t i = 3; i < seen.size(); ++i) {
    EXPECT_FALSE(HasName(seen[i], "x-amz-server-side-encryption")) << i << seen[i].head;
    EXPECT_FALSE(HasName(seen[i], "x-amz-storage-class")) << i << seen[i].head;
  }
  EXPECT_EQ(seen[3].body_bytes, size_t{8} << 20);
}

TEST(S3UploadHeadersTest, NoneSendsNoHeaders) {
  StandInServer server(AcceptingS3);
  StorageConfig cfg = S3Config(server.endpoint());
  auto store = OpenStore(cfg);
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->Put(layout::Keys(cfg.prefix).Segment("t", 0, 0, 1), "x").ok());
  std::vector<SeenRequest> seen = server.seen();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_FALSE(HasName(seen[0], "x-amz-server-side-encryption"));
  EXPECT_FALSE(HasName(seen[0], "x-amz-storage-class"));
}

// MinIO without a KMS answers SSE-KMS uploads so (501, which is otherwise a retried server error):
// the command ends at once with a permanent error naming storage.s3.sse, after one request.
TEST(S3UploadHeadersTest, AServerWithoutKmsIsAPermanentErrorNamingTheKey) {
  StandInServer server([](const SeenRequest&) {
    return Answer{.status = 501,
                  .headers = "Content-Type: application/xml\r\n",
                  .body =
                      "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>NotImplemented"
                      "</Code><Message>Server side encryption specified but KMS is not "
                      "configured</Message></Error>"};
  });
  StorageConfig cfg = S3Config(server.endpoint());
  cfg.s3.sse = "aws:kms";
  auto store = OpenStore(cfg);  // under the retry layer, retry_timeout 60 s
  ASSERT_TRUE(store.ok());
  const std::string key = layout::Keys(cfg.prefix).TopicMetadata("orders");
  const auto start = std::chrono::steady_clock::now();
  Status put = (*store)->Put(key, "{}");
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(put.ok());
  EXPECT_FALSE(put.IsRetryable()) << put.ToString();
  EXPECT_EQ(put.subject(), "storage.s3.sse") << put.ToString();
  EXPECT_NE(put.message().find(key), std::string::npos) << put.ToString();
  EXPECT_NE(put.message().find("KMS is not configured"), std::string::npos) << put.ToString();
  EXPECT_LT(took, std::chrono::seconds(5));
  EXPECT_EQ(server.seen().size(), 1u) << "not retried";

  // The same answer without SSE headers sent stays a retried server error (not blamed on SSE).
  StorageConfig plain = S3Config(server.endpoint());
  plain.retry_timeout = std::chrono::milliseconds(1000);
  auto plain_store = OpenStore(plain);
  ASSERT_TRUE(plain_store.ok());
  Status again = (*plain_store)->Put(key, "{}");
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.subject(), "storage.s3.sse") << again.ToString();
  EXPECT_TRUE(again.IsRetryable()) << again.ToString();
}

TEST(S3UploadHeadersTest, ARefusedStorageClassNamesTheKey) {
  StandInServer server([](const SeenRequest& r) {
    if (HasName(r, "x-amz-storage-class")) {
      return Answer{.status = 400,
                    .body =
                        "<Error><Code>InvalidStorageClass</Code><Message>The storage class "
                        "you specified is not valid</Message></Error>"};
    }
    return AcceptingS3(r);
  });
  StorageConfig cfg = S3Config(server.endpoint());
  cfg.s3.storage_class = "GLACIER_IR";
  auto store = OpenStore(cfg);
  ASSERT_TRUE(store.ok());
  const layout::Keys keys(cfg.prefix);
  EXPECT_TRUE((*store)->Put(keys.TopicMetadata("t"), "{}").ok());  // no class: accepted
  Status put = (*store)->Put(keys.Segment("t", 0, 0, 9), "x");
  ASSERT_FALSE(put.ok());
  EXPECT_EQ(put.subject(), "storage.s3.storage_class") << put.ToString();
  EXPECT_NE(put.message().find("GLACIER_IR"), std::string::npos) << put.ToString();
  EXPECT_EQ(server.seen().size(), 2u);
}

}  // namespace
}  // namespace kb::storage
