#include "kafka/message_view.h"

#include <librdkafka/rdkafka.h>

#include <optional>
#include <string_view>

namespace kb::kafka {
namespace {

format::TimestampType ToFormat(rd_kafka_timestamp_type_t t) {
  switch (t) {
    case RD_KAFKA_TIMESTAMP_CREATE_TIME:
      return format::TimestampType::kCreateTime;
    case RD_KAFKA_TIMESTAMP_LOG_APPEND_TIME:
      return format::TimestampType::kLogAppendTime;
    default:
      return format::TimestampType::kNotAvailable;
  }
}

}  // namespace

format::RecordView ViewOf(const rd_kafka_message_t& msg, std::vector<format::HeaderView>* headers) {
  headers->clear();
  rd_kafka_headers_t* hdrs = nullptr;
  // const_cast: the C API takes a non-const message; it only parses the headers lazily.
  auto* m = const_cast<rd_kafka_message_t*>(&msg);
  if (rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR && hdrs) {
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
  r.offset = msg.offset;
  rd_kafka_timestamp_type_t type = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE;
  r.timestamp = rd_kafka_message_timestamp(&msg, &type);
  r.timestamp_type = ToFormat(type);
  if (msg.key != nullptr) r.key = std::string_view(static_cast<const char*>(msg.key), msg.key_len);
  if (msg.payload != nullptr) {
    r.value = std::string_view(static_cast<const char*>(msg.payload), msg.len);
  }
  r.headers = *headers;
  return r;
}

format::RecordView ViewOf(RdKafka::Message& msg, std::vector<format::HeaderView>* headers) {
  return ViewOf(*msg.c_ptr(), headers);
}

}  // namespace kb::kafka
