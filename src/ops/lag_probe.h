// ReadFirstTimestamps: the timestamp of the first record at or after a given offset, for many
// partitions at once, so that `kafka-backup status` can tell how old the oldest record not yet
// backed up is.
//
// One short-lived KafkaConsumer is assigned every partition at its offset (assign only: it never
// joins the group it names and commits nothing; auto.offset.reset=earliest, so an offset that
// retention removed meanwhile reads from the new log start). The first record of each partition
// is kept and the partition paused; the call returns when every partition answered or `timeout`
// passed. Fetches start small (64 KiB per partition) to read little more than one record each.
//
// Failure contract: a consumer the properties cannot build is InvalidArgument naming the
// property; a failed assign is mapped by common/error_map, and so is an authorization error of a
// partition (PermissionDenied naming the READ ACL on its topic: the call ends at once). Partitions
// that give no record in time (or only other errors) are simply missing from the result; a record
// without a timestamp maps to -1.
// Thread-safety: reentrant; each call uses its own consumer.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>

#include "common/status.h"
#include "kafka/admin.h"
#include "kafka/client.h"

namespace kb::ops {

// The group.id the probe's consumer carries (librdkafka's KafkaConsumer needs one; nothing is
// ever committed under it).
inline constexpr char kProbeGroupId[] = "kafka-backup-status";

Result<std::map<kafka::TopicPartition, int64_t>> ReadFirstTimestamps(
    const kafka::Properties& props, const std::map<kafka::TopicPartition, int64_t>& offsets,
    std::chrono::milliseconds timeout);

}  // namespace kb::ops
