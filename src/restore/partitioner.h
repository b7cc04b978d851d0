// Partitioner: where a reshaping restore (`restore --partitions N`) sends each record.
//
// Keyed records go where Kafka's default partitioner sends them, so that keyed producers and
// consumers of the target agree with the restore: murmur2 (Kafka's Java Utils.murmur2, seed
// 0x9747b28c) of the key bytes, made positive (hash & 0x7fffffff), modulo N. This is also
// librdkafka's "murmur2" / "murmur2_random" partitioner for non-null keys. An empty key is a key
// (hashed like any other); a null key is not.
//
// Null keys are spread round-robin, deterministically and without state: the record at source
// offset o of source partition p goes to (p + o) mod N. Consecutive records of a source partition
// cycle over every target partition, and the same record always lands on the same target
// partition — which a resumed restore relies on.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace kb::restore {

// Kafka's murmur2 of `data` (Java Utils.murmur2: same bytes, same signed 32-bit result).
int32_t Murmur2(std::string_view data);

// The target partition (0 .. partitions-1) of a record with `key` at `source_offset` of
// `source_partition` (see above). `partitions` must be >= 1.
int32_t TargetPartition(const std::optional<std::string_view>& key, int32_t source_partition,
                        int64_t source_offset, int32_t partitions);

}  // namespace kb::restore
