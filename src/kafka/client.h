// Construction of librdkafka clients from the `kafka:` config section, with RAII ownership.
//
// The user's properties are passed to librdkafka unchanged; the caller may add `overrides` that the
// tool itself needs (e.g. enable.auto.commit=false for the backup consumer), which win over the
// user's. A property librdkafka rejects is an InvalidArgument naming "kafka.<key>".
//
// Ownership: returned clients are owned by the caller (unique_ptr); destroying a KafkaConsumer
// handle without close() is avoided by the ConsumerCloser deleter.
// Thread-safety: librdkafka handles are thread-safe as documented by librdkafka.
#pragma once

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafkacpp.h>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "common/status.h"

namespace kb::kafka {

using Properties = std::map<std::string, std::string>;

// librdkafka's own log lines ("%3|...|FAIL|...", CONFWARN, ...) and error events go to spdlog's
// debug level, named by client and facility: the tool reports what matters as its own errors. An
// error event that no retry fixes (ClassifyKafkaConnectionError: refused credentials or
// certificates, another protocol) is kept for ConnectionFailure(). Set on every conf that MakeConf
// builds; a client built from a C conf elsewhere calls it too.
void RouteLogsToSpdlog(rd_kafka_conf_t* conf);
// The latest connection error that no retry fixes (see RouteLogsToSpdlog), naming the config key at
// fault, if librdkafka reported it within 10 s before `wait_start` or later; nullopt otherwise (a
// refusal long ago, e.g. during a certificate rotation, does not fail today's requests). Code that
// waits for the cluster checks it with the time its wait began, so that such a failure ends the
// command at once instead of after its timeout. Thread-safe.
std::optional<Status> ConnectionFailure(std::chrono::steady_clock::time_point wait_start);
// The last line librdkafka logged at error level or worse (e.g. why a broker connection failed),
// "" if none: added to an error about an unreachable cluster. Thread-safe.
std::string LastLibrdkafkaError();

// Properties every client of ours gets unless the user's `kafka:` section sets them:
// enable.metrics.push=false — KIP-714 client telemetry is of no use to a backup tool, and with it
// on (librdkafka >= 2.5 against a Kafka >= 3.7 broker) destroying each client waits up to 1 s for
// the telemetry to terminate, which made every short command (a `backup --once`, `restore`) end a
// second or more after its work.
const Properties& ClientDefaults();

// Builds a global conf from ClientDefaults(), then `props`, then `overrides`; errors name the
// offending key. A client certificate (ssl.certificate.location) that has expired or is not yet
// valid is an error naming that key (the broker would only say "certificate unknown").
Result<std::unique_ptr<RdKafka::Conf>> MakeConf(const Properties& props,
                                                const Properties& overrides = {});

// The version of the librdkafka linked in, e.g. "2.8.0".
std::string LibrdkafkaVersion();

// Checks that librdkafka accepts every property (used when loading a config file).
Status ValidateProperties(const Properties& props);

struct ConsumerCloser {
  void operator()(RdKafka::KafkaConsumer* c) const;
};
using ConsumerPtr = std::unique_ptr<RdKafka::KafkaConsumer, ConsumerCloser>;

Result<std::unique_ptr<RdKafka::Producer>> MakeProducer(const Properties& props,
                                                        const Properties& overrides = {});
Result<ConsumerPtr> MakeConsumer(const Properties& props, const Properties& overrides = {});

}  // namespace kb::kafka
