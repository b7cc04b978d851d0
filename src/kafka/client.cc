#include "kafka/client.h"

namespace kb::kafka {
namespace {

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
  KB_RETURN_IF_ERROR(SetAll(conf.get(), props));
  KB_RETURN_IF_ERROR(SetAll(conf.get(), overrides));
  return conf;
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
