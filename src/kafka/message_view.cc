#include "kafka/message_view.h"

#include <librdkafka/rdkafka.h>

#include <optional>
#include <string_view>

namespace kb::kafka {
namespace {

format::TimestampType ToFormat(RdKafka::MessageTimestamp::MessageTimestampType t) {
  switch (t) {
    case RdKafka::MessageTimestamp::MSG_TIMESTAMP_CREATE_TIME:
      return format::TimestampType::kCreateTime;
    case RdKafka::MessageTimestamp::MSG_TIMESTAMP_LOG_APPEND_TIME:
      return format::TimestampType::kLogAppendTime;
    default:
      return format::TimestampType::kNotAvailable;
  }
}

}  // namespace

format::RecordView ViewOf(RdKafka::Message& msg, std::vector<format::HeaderView>* headers) {
  headers->clear();
  rd_kafka_headers_t* hdrs = nullptr;
  if (rd_kafka_message_headers(msg.c_ptr(), &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR && hdrs) {
    const char* name = nullptr;
    const void* value = nullptr;
    size_t size = 0;
    for (size_t i = 0; !rd_kafka_header_get_all(hdrs, i, &name, &value, &size); ++i) {
      std::optional<std::string_view> v;
      if (value != nullptr) v = std::string_view(static_cast<const char*>(value), size);
      headers->push_back({name, v});
    }
  }
  format::RecordView r;
  r.offset = msg.offset();
  const RdKafka::MessageTimestamp ts = msg.timestamp();
  r.timestamp = ts.timestamp;
  r.timestamp_type = ToFormat(ts.type);
  if (msg.key_pointer() != nullptr) {
    r.key = std::string_view(static_cast<const char*>(msg.key_pointer()), msg.key_len());
  }
  if (msg.payload() != nullptr) {
    r.value = std::string_view(static_cast<const char*>(msg.payload()), msg.len());
  }
  r.headers = *headers;
  return r;
}

}  // namespace kb::kafka
