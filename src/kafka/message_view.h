// ViewOf: a consumed librdkafka message as a format::RecordView, without copying: key, value and
// header values point into the message (null stays null, empty stays empty; headers keep their
// order, duplicates and null values, read through the C API). The backup engine and restore's
// read-back of the target both see records this way.
//
// Two forms: the C message (MessageBatch's events) and the C++ one (consume()); the C++ `msg` is
// non-const only because rdkafkacpp.h's c_ptr() is; neither is modified.
// Ownership: the view borrows from `msg` and from `*headers` (which ViewOf fills); both must
// outlive the view. Thread-safety: pure. Never fails (a message without headers has none).
#pragma once

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafkacpp.h>

#include <vector>

#include "format/record.h"

namespace kb::kafka {

format::RecordView ViewOf(const rd_kafka_message_t& msg, std::vector<format::HeaderView>* headers);
format::RecordView ViewOf(RdKafka::Message& msg, std::vector<format::HeaderView>* headers);

}  // namespace kb::kafka
