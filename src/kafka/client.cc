#include "kafka/client.h"

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <ctime>
#include <mutex>

#include "common/error_map.h"

namespace kb::kafka {
namespace {

std::mutex g_last_error_mu;
std::string* g_last_error = new std::string();  // never destroyed: librdkafka threads may log late
// Guarded by g_last_error_mu; never destroyed, as above.
std::optional<Status>* g_connection_failure = new std::optional<Status>();
std::chrono::steady_clock::time_point g_connection_failure_at;  // guarded by g_last_error_mu

void RecordLocked(std::optional<Status> failure) {
  if (!failure) return;
  *g_connection_failure = std::move(failure);
  g_connection_failure_at = std::chrono::steady_clock::now();
}

void OnLog(const rd_kafka_t* rk, int level, const char* facility, const char* line) {
  // Some refusals are logged below LOG_ERR (e.g. a plaintext client on a TLS listener, at debug
  // level): every line is classified (the classifier matches only refusals).
  std::optional<Status> failure = ClassifyKafkaConnectionLog(line);
  // LOG_ERR and worse, a refusal, or a line that hints at the cause (some are logged at debug
  // level).
  if (level <= 3 || failure || !KafkaConnectionHint(line).empty()) {
    std::lock_guard lock(g_last_error_mu);
    *g_last_error = line;
    RecordLocked(std::move(failure));
  }
  spdlog::debug("librdkafka {} {}: {}", rk != nullptr ? rd_kafka_name(rk) : "-", facility, line);
}

void OnError(rd_kafka_t* rk, int err, const char* reason, void* /*opaque*/) {
  const std::string text = reason != nullptr ? reason : "";
  spdlog::debug("librdkafka {} error {}: {}", rk != nullptr ? rd_kafka_name(rk) : "-",
                rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(err)), text);
  std::optional<Status> failure = ClassifyKafkaConnectionError(err, text);
  std::lock_guard lock(g_last_error_mu);
  *g_last_error = text;
  RecordLocked(std::move(failure));
}

// An expired or not yet valid client certificate, named by its config key; OK when the file
// cannot be read as a PEM certificate (librdkafka then says why when the client is created).
Status CheckClientCertificate(const Properties& props) {
  const auto it = props.find("ssl.certificate.location");
  if (it == props.end() || it->second.empty()) return Status::OK();
  struct stat st {};
  if (::stat(it->second.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > (1 << 20)) {
    return Status::OK();  // not a certificate file: librdkafka names the problem
  }
  BIO* bio = BIO_new_file(it->second.c_str(), "r");
  if (bio == nullptr) return Status::OK();
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (cert == nullptr) return Status::OK();
  const auto when = [](const ASN1_TIME* t) {
    std::tm tm{};
    char buf[32] = "?";
    if (ASN1_TIME_to_tm(t, &tm) == 1) std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S UTC", &tm);
    return std::string(buf);
  };
  Status s;
  if (X509_cmp_current_time(X509_get0_notAfter(cert)) < 0) {
    s = Status::InvalidArgument(
        "kafka.ssl.certificate.location",
        "the client certificate " + it->second + " expired on " + when(X509_get0_notAfter(cert)));
  } else if (X509_cmp_current_time(X509_get0_notBefore(cert)) > 0) {
    s = Status::InvalidArgument("kafka.ssl.certificate.location",
                                "the client certificate " + it->second + " is not valid before " +
                                    when(X509_get0_notBefore(cert)));
  }
  X509_free(cert);
  return s;
}

Status SetAll(RdKafka::Conf* conf, const Properties& props) {
  std::string err;
  for (const auto& [k, v] : props) {
    if (conf->set(k, v, err) != RdKafka::Conf::CONF_OK) {
      return Status::InvalidArgument("kafka." + k, err);
    }
  }
  return Status::OK();
}

}  // namespace

const Properties& ClientDefaults() {
  static const Properties* defaults = new Properties{{"enable.metrics.push", "false"}};
  return *defaults;
}

Result<std::unique_ptr<RdKafka::Conf>> MakeConf(const Properties& props,
                                                const Properties& overrides) {
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  RouteLogsToSpdlog(conf->c_ptr_global());
  Properties with_defaults = ClientDefaults();
  for (const auto& [key, value] : props) with_defaults[key] = value;
  KB_RETURN_IF_ERROR(SetAll(conf.get(), with_defaults));
  KB_RETURN_IF_ERROR(SetAll(conf.get(), overrides));
  KB_RETURN_IF_ERROR(CheckClientCertificate(props));
  return conf;
}

void RouteLogsToSpdlog(rd_kafka_conf_t* conf) {
  rd_kafka_conf_set_log_cb(conf, &OnLog);
  rd_kafka_conf_set_error_cb(conf, &OnError);
}

std::optional<Status> ConnectionFailure(std::chrono::steady_clock::time_point wait_start) {
  std::lock_guard lock(g_last_error_mu);
  if (!g_connection_failure->has_value() ||
      g_connection_failure_at < wait_start - std::chrono::seconds(10)) {
    return std::nullopt;
  }
  return *g_connection_failure;
}

std::string LastLibrdkafkaError() {
  std::lock_guard lock(g_last_error_mu);
  return *g_last_error;
}

std::string LibrdkafkaVersion() { return RdKafka::version_str(); }

Status ValidateProperties(const Properties& props) { return MakeConf(props).status(); }

void ConsumerCloser::operator()(RdKafka::KafkaConsumer* c) const {
  if (c == nullptr) return;
  c->close();
  delete c;
}

Result<std::unique_ptr<RdKafka::Producer>> MakeProducer(const Properties& props,
                                                        const Properties& overrides) {
  KB_ASSIGN_OR_RETURN(auto conf, MakeConf(props, overrides));
  std::string err;
  std::unique_ptr<RdKafka::Producer> p(RdKafka::Producer::create(conf.get(), err));
  if (!p) return Status::InvalidArgument("kafka", "cannot create producer: " + err);
  return p;
}

Result<ConsumerPtr> MakeConsumer(const Properties& props, const Properties& overrides) {
  KB_ASSIGN_OR_RETURN(auto conf, MakeConf(props, overrides));
  std::string err;
  ConsumerPtr c(RdKafka::KafkaConsumer::create(conf.get(), err));
  if (!c) return Status::InvalidArgument("kafka", "cannot create consumer: " + err);
  return c;
}

}  // namespace kb::kafka
