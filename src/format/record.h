// Kafka records as the segment format keeps them: exactly what the broker returned, with null and
// empty told apart for keys, values and header values.
//
// RecordView / HeaderView borrow their bytes: the writer reads them during SegmentWriter::Add, and
// the decoder hands them out pointing into a DecodedBlock (valid until that block is reused or
// destroyed). Record / Header own their bytes; they are for tests, tools and small batches, not for
// the hot restore path.
//
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace kb::format {

// Kafka's timestamp type; the values are the ones stored in the record attributes byte.
enum class TimestampType : uint8_t { kNotAvailable = 0, kCreateTime = 1, kLogAppendTime = 2 };

std::string_view TimestampTypeName(TimestampType type);

struct HeaderView {
  std::string_view key;                   // Kafka header keys are never null, but may be empty
  std::optional<std::string_view> value;  // nullopt = null value
};

struct RecordView {
  int64_t offset = 0;
  int64_t timestamp = 0;  // milliseconds since the epoch; any value, including 0 and negative
  TimestampType timestamp_type = TimestampType::kNotAvailable;
  std::optional<std::string_view> key;    // nullopt = null key
  std::optional<std::string_view> value;  // nullopt = null value (a tombstone)
  std::span<const HeaderView> headers;    // in order; duplicate keys allowed
};

struct Header {
  std::string key;
  std::optional<std::string> value;
  friend bool operator==(const Header&, const Header&) = default;
};

// Owning counterpart of RecordView.
struct Record {
  int64_t offset = 0;
  int64_t timestamp = 0;
  TimestampType timestamp_type = TimestampType::kNotAvailable;
  std::optional<std::string> key;
  std::optional<std::string> value;
  std::vector<Header> headers;

  static Record FromView(const RecordView& view);
  // A view of this record; `header_storage` receives the header views and must outlive the result.
  RecordView View(std::vector<HeaderView>* header_storage) const;

  friend bool operator==(const Record&, const Record&) = default;
};

// Payload bytes of a record: key + value + header keys + header values (what benchmarks count).
size_t PayloadBytes(const RecordView& record);

}  // namespace kb::format
