// SegmentReader reads one backup segment from an ObjectStore with ranged reads, so that a restore
// of an offset range or a time window fetches only the bytes it needs:
//
//   Open       one GetRange of the object's last tail_read_bytes (trailer + footer in the common
//              case); a second GetRange only when the footer is larger than that.
//   ReadBlock  one GetRange per block, exactly the block's bytes.
//
// Ownership: the reader keeps a pointer to the store, which must outlive it, and owns the parsed
// footer. Records decoded by ReadBlock live in the caller's DecodedBlock.
//
// Failure contract: errors of the store pass through unchanged (NotFound, Retryable, ...); bytes
// that are not a valid segment are Corruption (or NotImplemented for a newer format version), with
// the object key as subject and the byte position in the message (see segment_decoder.h). A store
// returning fewer bytes than asked for (object shorter than `size`) is Corruption too.
//
// Thread-safety: after Open, footer() and ReadBlock may be called from several threads at once,
// each thread with its own DecodedBlock (ObjectStore methods are thread-safe).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "format/segment_decoder.h"
#include "format/segment_layout.h"
#include "storage/object_store.h"

namespace kb::format {

class SegmentReader {
 public:
  static constexpr size_t kDefaultTailReadBytes = size_t{64} << 10;

  // `size` is the object's size from a listing or Head. An encrypted segment is opened with the
  // store's keys (ObjectStore::keys()), which the reader shares.
  static Result<SegmentReader> Open(storage::ObjectStore& store, std::string key, uint64_t size,
                                    size_t tail_read_bytes = kDefaultTailReadBytes);

  const std::string& key() const { return key_; }
  uint64_t size() const { return size_; }
  uint16_t version() const { return version_; }
  // The id of the key an encrypted segment is sealed with; "" for a plain one.
  std::string_view key_id() const { return seal_ ? std::string_view(seal_->key_id) : ""; }
  const SegmentFooter& footer() const { return footer_; }
  size_t block_count() const { return footer_.blocks.size(); }

  // Reads and decodes block `index` (< block_count()) into *out.
  Status ReadBlock(size_t index, DecodedBlock* out) const;

  // Blocks that may hold offsets in [first, last]; blocks overlapping [from_ms, to_ms].
  BlockRange BlocksForOffsets(int64_t first, int64_t last) const {
    return FindBlocksByOffset(footer_, first, last);
  }
  std::vector<size_t> BlocksForTimes(int64_t from_ms, int64_t to_ms) const {
    return FindBlocksByTime(footer_, from_ms, to_ms);
  }

 private:
  SegmentReader(storage::ObjectStore* store, std::string key, uint64_t size)
      : store_(store), key_(std::move(key)), size_(size) {}

  storage::ObjectStore* store_;
  std::string key_;
  uint64_t size_;
  uint16_t version_ = 0;
  SegmentFooter footer_;
  std::optional<SealInfo> seal_;                 // encrypted segments
  std::shared_ptr<const crypto::KeyRing> keys_;  // the store's, kept alive for data_key_
  const crypto::Key* data_key_ = nullptr;        // their key (owned by keys_)
};

}  // namespace kb::format
