#include "restore/partitioner.h"

namespace kb::restore {

int32_t Murmur2(std::string_view data) {
  // Unsigned arithmetic: the same bits as Java's wrapping int arithmetic, without UB.
  const uint32_t length = static_cast<uint32_t>(data.size());
  constexpr uint32_t kSeed = 0x9747b28c;
  constexpr uint32_t kM = 0x5bd1e995;
  constexpr int kR = 24;
  const auto byte = [&](size_t i) { return static_cast<uint32_t>(static_cast<uint8_t>(data[i])); };
  uint32_t h = kSeed ^ length;
  const size_t length4 = data.size() / 4;
  for (size_t i = 0; i < length4; ++i) {
    const size_t i4 = i * 4;
    uint32_t k = byte(i4) | (byte(i4 + 1) << 8) | (byte(i4 + 2) << 16) | (byte(i4 + 3) << 24);
    k *= kM;
    k ^= k >> kR;
    k *= kM;
    h *= kM;
    h ^= k;
  }
  const size_t tail = data.size() & ~size_t{3};
  switch (data.size() % 4) {
    case 3:
      h ^= byte(tail + 2) << 16;
      [[fallthrough]];
    case 2:
      h ^= byte(tail + 1) << 8;
      [[fallthrough]];
    case 1:
      h ^= byte(tail);
      h *= kM;
  }
  h ^= h >> 13;
  h *= kM;
  h ^= h >> 15;
  return static_cast<int32_t>(h);
}

int32_t TargetPartition(const std::optional<std::string_view>& key, int32_t source_partition,
                        int64_t source_offset, int32_t partitions) {
  if (key) {
    const uint32_t positive = static_cast<uint32_t>(Murmur2(*key)) & 0x7fffffffu;
    return static_cast<int32_t>(positive % static_cast<uint32_t>(partitions));
  }
  const int64_t n = partitions;
  return static_cast<int32_t>(((source_partition % n) + (source_offset % n)) % n);
}

}  // namespace kb::restore
