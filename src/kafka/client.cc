#include "kafka/client.h"

#include <spdlog/spdlog.h>

#include <mutex>

namespace kb::kafka {
namespace {

std::mutex g_last_error_mu;
std::string* g_last_error = new std::string();  // never destroyed: librdkafka threads may log late

void OnLog(const rd_kafka_t* rk, int level, const char* facility, const char* line) {
  if (level <= 3) {  // LOG_ERR and worse
    std::lock_guard lock(g_last_error_mu);
    *g_last_error = line;
  }
  spdlog::debug("librdkafka {} {}: {}", rk != nullptr ? rd_kafka_name(rk) : "-", facility, line);
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

Result<std::unique_ptr<RdKafka::Conf>> MakeConf(const Properties& props,
                                                const Properties& overrides) {
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  RouteLogsToSpdlog(conf->c_ptr_global());
  KB_RETURN_IF_ERROR(SetAll(conf.get(), props));
  KB_RETURN_IF_ERROR(SetAll(conf.get(), overrides));
  return conf;
}

void RouteLogsToSpdlog(rd_kafka_conf_t* conf) { rd_kafka_conf_set_log_cb(conf, &OnLog); }

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
