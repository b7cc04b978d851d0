// ReadTargetRange: reads back the records a target partition holds in [from, end) — what a resumed
// restore does with the records that reached the target after its last checkpoint, to check them
// against the backup before it continues (never guessing, never producing them twice).
//
// One consumer with assign() (no group membership, no commits), isolation.level=read_uncommitted
// so that every record physically there is seen. Transaction markers take offsets without being
// records: the callback sees only records, each with its own offset.
//
// Failure contract: consumer errors are mapped by common/error_map naming "topic/partition"; not
// reaching `end` within `timeout` is Retryable; an error returned by the callback stops the read
// and is returned. Ownership: nothing outlives the call. Thread-safety: reentrant.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "common/status.h"
#include "format/record.h"
#include "kafka/client.h"

namespace kb::restore {

Status ReadTargetRange(const kafka::Properties& props, const std::string& topic, int32_t partition,
                       int64_t from, int64_t end,
                       const std::function<Status(const format::RecordView&)>& fn,
                       std::chrono::milliseconds timeout);

// Whether a record read back from the target is the restored copy of `source`: same key, value,
// headers and — unless the target record carries a LogAppendTime timestamp (the broker set it) or
// the source timestamp is 0 (librdkafka sends "now" for 0) — the same timestamp. On a difference,
// *why says which field differs.
bool SameRecord(const format::RecordView& target, const format::RecordView& source,
                std::string* why);

}  // namespace kb::restore
