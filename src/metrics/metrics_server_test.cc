#include "metrics/metrics_server.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <prometheus/counter.h>
#include <prometheus/registry.h>

#include <atomic>
#include <chrono>
#include <future>
#include <stdexcept>
#include <thread>

#include "metrics/backup_metrics.h"
#include "metrics/metrics_test_util.h"

namespace kb::metrics {
namespace {

using ::testing::HasSubstr;
using testing::HttpRequest;
using ::testing::Not;
using testing::SeriesValue;

std::shared_ptr<prometheus::Registry> RegistryWithCounter(double value) {
  auto registry = std::make_shared<prometheus::Registry>();
  prometheus::BuildCounter()
      .Name("test_requests_total")
      .Help("A counter for the test.")
      .Register(*registry)
      .Add({{"path", "/x"}})
      .Increment(value);
  return registry;
}

std::unique_ptr<MetricsServer> MustStart(MetricsServer::Options options) {
  auto server = MetricsServer::Start(std::move(options));
  if (!server.ok()) {
    ADD_FAILURE() << server.status().ToString();
    return nullptr;
  }
  return std::move(server).value();
}

TEST(ParseListenAddressTest, AcceptsIpv4LocalhostAndEmptyHost) {
  EXPECT_EQ(*ParseListenAddress("127.0.0.1:9308"), (ListenAddress{"127.0.0.1", 9308}));
  EXPECT_EQ(*ParseListenAddress("0.0.0.0:0"), (ListenAddress{"0.0.0.0", 0}));
  EXPECT_EQ(*ParseListenAddress("localhost:65535"), (ListenAddress{"127.0.0.1", 65535}));
  EXPECT_EQ(*ParseListenAddress(":9308"), (ListenAddress{"0.0.0.0", 9308}));
}

TEST(ParseListenAddressTest, RejectsWithTheConfigKeyAndTheValue) {
  for (const char* bad :
       {"9308", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:-1", "127.0.0.1:9x", "127.0.0.1:9308s",
        "999.1.1.1:80", "example.com:80", "[::1]:9308", "::1:9308", "127.0.0.1:0000009308"}) {
    SCOPED_TRACE(bad);
    auto parsed = ParseListenAddress(bad);
    ASSERT_FALSE(parsed.ok());
    EXPECT_TRUE(parsed.status().IsInvalidArgument());
    EXPECT_EQ(parsed.status().subject(), "metrics.listen");
    EXPECT_THAT(parsed.status().message(), HasSubstr(bad));
  }
}

// Found by cli_args_fuzz: inet_pton read the host as a C string, so "127.0.0.1<NUL>junk:9308"
// was accepted with the NUL and the junk in ListenAddress::host.
TEST(ParseListenAddressTest, RejectsAHostWithANulByte) {
  for (std::string bad :
       {std::string("127.0.0.1\0:9308", 15), std::string("127.0.0.1\0x:80", 14)}) {
    auto parsed = ParseListenAddress(bad);
    ASSERT_FALSE(parsed.ok()) << parsed->host.size();
    EXPECT_TRUE(parsed.status().IsInvalidArgument());
    EXPECT_EQ(parsed.status().subject(), "metrics.listen");
  }
}

TEST(MetricsServerTest, ServesMetricsAndHealthOnAFreePort) {
  auto server = MustStart({.listen = "127.0.0.1:0", .registry = RegistryWithCounter(3)});
  ASSERT_NE(server, nullptr);
  EXPECT_GT(server->port(), 0);
  EXPECT_EQ(server->address(), "127.0.0.1:" + std::to_string(server->port()));

  auto metrics = HttpRequest(server->address(), "/metrics");
  ASSERT_EQ(metrics.status, 200) << metrics.error;
  EXPECT_EQ(metrics.content_type, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_THAT(metrics.body, HasSubstr("# TYPE test_requests_total counter"));
  EXPECT_EQ(SeriesValue(metrics.body, R"(test_requests_total{path="/x"})"), 3);

  auto health = HttpRequest(server->address(), "/healthz");
  EXPECT_EQ(health.status, 200) << health.error;
  EXPECT_EQ(health.body, "ok\n");
}

TEST(MetricsServerTest, FailingHealthCheckGives503WithTheReason) {
  std::atomic<bool> healthy{true};
  auto server = MustStart(
      {.listen = "127.0.0.1:0", .registry = RegistryWithCounter(1), .health = [&]() -> Status {
         if (healthy) return Status::OK();
         return Status::Retryable("s3://bucket", "store unreachable for 120 s");
       }});
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(HttpRequest(server->address(), "/healthz").status, 200);

  healthy = false;
  auto health = HttpRequest(server->address(), "/healthz");
  EXPECT_EQ(health.status, 503) << health.error;
  EXPECT_EQ(health.body, "Transient error: s3://bucket: store unreachable for 120 s\n");
  // /metrics keeps working while unhealthy: that is when it matters most.
  EXPECT_EQ(HttpRequest(server->address(), "/metrics").status, 200);
}

TEST(MetricsServerTest, ThrowingCallbackGives500AndTheServerKeepsServing) {
  auto server = MustStart({.listen = "127.0.0.1:0",
                           .registry = RegistryWithCounter(1),
                           .health = []() -> Status { throw std::runtime_error("boom"); }});
  ASSERT_NE(server, nullptr);
  auto health = HttpRequest(server->address(), "/healthz");
  EXPECT_EQ(health.status, 500);
  EXPECT_THAT(health.body, HasSubstr("boom"));
  EXPECT_EQ(HttpRequest(server->address(), "/metrics").status, 200);
}

TEST(MetricsServerTest, OtherPathsAndMethods) {
  auto server = MustStart({.listen = "127.0.0.1:0", .registry = RegistryWithCounter(1)});
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(HttpRequest(server->address(), "/").status, 404);
  EXPECT_EQ(HttpRequest(server->address(), "/metrics/extra").status, 404);
  EXPECT_EQ(HttpRequest(server->address(), "/metricsx").status, 404);
  EXPECT_EQ(HttpRequest(server->address(), "/metrics", "POST").status, 405);
  auto head = HttpRequest(server->address(), "/metrics", "HEAD");
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.body, "");
  auto query = HttpRequest(server->address(), "/metrics?name[]=x");
  EXPECT_EQ(query.status, 200);
}

TEST(MetricsServerTest, SecondServerOnTheSamePortFailsNamingTheAddress) {
  auto first = MustStart({.listen = "127.0.0.1:0", .registry = RegistryWithCounter(1)});
  ASSERT_NE(first, nullptr);
  const std::string address = first->address();

  auto second = MetricsServer::Start({.listen = address, .registry = RegistryWithCounter(1)});
  ASSERT_FALSE(second.ok());
  const Status& status = second.status();
  EXPECT_EQ(status.code(), Status::Code::kFailedPrecondition);
  EXPECT_EQ(status.subject(), "metrics.listen");
  EXPECT_THAT(status.ToString(), HasSubstr(address));
  EXPECT_THAT(status.message(), HasSubstr("Address already in use"));
  // The first server is unaffected.
  EXPECT_EQ(HttpRequest(address, "/healthz").status, 200);
}

TEST(MetricsServerTest, AddressNotOnThisHostFails) {
  // 192.0.2.0/24 is TEST-NET-1 (RFC 5737): never assigned to a real interface.
  auto server = MetricsServer::Start({.listen = "192.0.2.1:0", .registry = RegistryWithCounter(1)});
  if (server.ok()) GTEST_SKIP() << "this host binds non-local addresses (ip_nonlocal_bind)";
  EXPECT_EQ(server.status().subject(), "metrics.listen");
  EXPECT_THAT(server.status().message(), HasSubstr("192.0.2.1:0"));
}

TEST(MetricsServerTest, InvalidOptionsAreRejectedBeforeBinding) {
  auto bad = MetricsServer::Start({.listen = "nonsense", .registry = RegistryWithCounter(1)});
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(bad.status().IsInvalidArgument());
  EXPECT_EQ(bad.status().subject(), "metrics.listen");

  auto no_registry = MetricsServer::Start({.listen = "127.0.0.1:0"});
  ASSERT_FALSE(no_registry.ok());
  EXPECT_TRUE(no_registry.status().IsInvalidArgument());
}

TEST(MetricsServerTest, ExposesBackupMetricsAndRefreshesLagBeforeEachScrape) {
  auto registry = std::make_shared<prometheus::Registry>();
  std::atomic<int64_t> now_s{1000};
  BackupMetrics metrics(registry, [&] {
    return BackupMetrics::Clock::time_point(std::chrono::seconds(now_s.load()));
  });
  auto server = MustStart({.listen = "127.0.0.1:0", .registry = registry, .before_scrape = [&] {
                             metrics.RefreshLagSeconds();
                           }});
  ASSERT_NE(server, nullptr);

  metrics.SetHighWatermark("orders", 3, 100);
  metrics.SetDurableOffset("orders", 3, 40);
  metrics.SetOldestPending("orders", 3,
                           BackupMetrics::Clock::time_point(std::chrono::seconds(990)));
  const std::string labels = R"({partition="3",topic="orders"})";

  auto scrape = HttpRequest(server->address(), "/metrics");
  ASSERT_EQ(scrape.status, 200) << scrape.error;
  EXPECT_EQ(SeriesValue(scrape.body, "kafka_backup_lag_records" + labels), 60);
  EXPECT_EQ(SeriesValue(scrape.body, "kafka_backup_durable_offset" + labels), 40);
  EXPECT_EQ(SeriesValue(scrape.body, "kafka_backup_lag_seconds" + labels), 10);

  now_s = 1030;  // the engine is stuck: nothing updated, yet the age grows
  scrape = HttpRequest(server->address(), "/metrics");
  EXPECT_EQ(SeriesValue(scrape.body, "kafka_backup_lag_seconds" + labels), 40);

  metrics.RemovePartition("orders", 3);
  scrape = HttpRequest(server->address(), "/metrics");
  EXPECT_EQ(scrape.status, 200);
  EXPECT_EQ(scrape.body.find(labels), std::string::npos);
}

TEST(MetricsServerTest, DestructorWaitsForCallbacksInFlightAndClosesThePort) {
  std::promise<void> entered;
  std::atomic<bool> release{false};
  std::atomic<bool> returned{false};
  auto server = MustStart(
      {.listen = "127.0.0.1:0", .registry = RegistryWithCounter(1), .health = [&]() -> Status {
         entered.set_value();
         while (!release) {
           std::this_thread::sleep_for(std::chrono::milliseconds(5));
         }
         returned = true;
         return Status::OK();
       }});
  ASSERT_NE(server, nullptr);
  const std::string address = server->address();
  auto request = std::async(std::launch::async, [&] { return HttpRequest(address, "/healthz"); });
  entered.get_future().wait();
  std::thread releaser([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    release = true;
  });
  server.reset();  // blocks until the health check above has returned
  EXPECT_TRUE(returned);
  releaser.join();
  (void)request.get();  // its answer may be dropped: civetweb writes nothing while stopping
  EXPECT_EQ(HttpRequest(address, "/healthz").status, 0);
}

TEST(MetricsServerTest, StopsPromptly) {
  auto server = MustStart({.listen = "127.0.0.1:0", .registry = RegistryWithCounter(1)});
  ASSERT_NE(server, nullptr);
  ASSERT_EQ(HttpRequest(server->address(), "/metrics").status, 200);
  const auto start = std::chrono::steady_clock::now();
  server.reset();
  // civetweb alone needs up to 2 s (its accept loop polls in 2 s quanta).
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(1500));
}

}  // namespace
}  // namespace kb::metrics
