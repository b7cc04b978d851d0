// Block and whole-segment decoding.
#include "format/segment_decoder.h"

#include <lz4.h>
#include <xxhash.h>
#include <zstd.h>

#include <algorithm>
#include <limits>
#include <memory>
#include <string>
#include <utility>

#include "crypto/sealed_object.h"
#include "format/decode_util.h"
#include "format/segment_seal.h"

namespace kb::format {
namespace {

using coding::DecodeFixed32;
using coding::DecodeFixed64;
using coding::DecodeVarint64;
using internal::Corrupt;
using internal::Hex;
using internal::kVerifyChecksums;
using internal::Num;
using internal::SNum;

// Per-thread zstd decompression context, created on first use.
ZSTD_DCtx* ThreadDecompressionContext() {
  struct Deleter {
    void operator()(ZSTD_DCtx* d) const { ZSTD_freeDCtx(d); }
  };
  thread_local std::unique_ptr<ZSTD_DCtx, Deleter> dctx(ZSTD_createDCtx());
  return dctx.get();
}

}  // namespace

Status DecodedBlock::DecodeOwned(std::string_view object, const BlockIndexEntry& entry,
                                 std::string block_bytes) {
  owned_ = std::move(block_bytes);
  return Decode(object, entry, owned_);
}

Status DecodedBlock::Decode(std::string_view object, const BlockIndexEntry& entry,
                            std::string_view bytes) {
  records_.clear();
  headers_.clear();
  header_counts_.clear();
  const uint64_t at = entry.position;
  if (bytes.size() != entry.length || bytes.size() <= kBlockHeaderSize) {
    return Corrupt(object, at + std::min<uint64_t>(bytes.size(), entry.length),
                   "block is " + Num(bytes.size()) + " bytes, its index entry says " +
                       Num(entry.length) + ": truncated");
  }
  const char* h = bytes.data();
  const uint64_t stored_checksum = DecodeFixed64(h);
  const uint64_t computed_checksum = XXH3_64bits(h + 8, bytes.size() - 8);
  if (kVerifyChecksums && stored_checksum != computed_checksum) {
    return Corrupt(object, at,
                   "block checksum mismatch (stored " + Hex(stored_checksum) + ", computed " +
                       Hex(computed_checksum) + ") in the " + Num(bytes.size()) + "-byte block");
  }
  const uint32_t stored_size = DecodeFixed32(h + 8);
  const uint32_t raw_size = DecodeFixed32(h + 12);
  const uint32_t record_count = DecodeFixed32(h + 16);
  const auto compression = static_cast<uint8_t>(h[20]);
  const int64_t base_offset = static_cast<int64_t>(DecodeFixed64(h + 24));
  const int64_t base_timestamp = static_cast<int64_t>(DecodeFixed64(h + 32));
  if (uint64_t{stored_size} + kBlockHeaderSize != bytes.size()) {
    return Corrupt(object, at + 8,
                   "block stored size " + Num(stored_size) + " disagrees with its length " +
                       Num(bytes.size()));
  }
  if (raw_size > kMaxBlockBytes) {
    return Corrupt(
        object, at + 12,
        "block uncompressed size " + Num(raw_size) + " exceeds the limit " + Num(kMaxBlockBytes));
  }
  if (record_count != entry.record_count || record_count == 0 ||
      record_count > raw_size / kMinRecordBytes || record_count > kMaxBlockRecords) {
    return Corrupt(object, at + 16,
                   "block record count " + Num(record_count) + " (index says " +
                       Num(entry.record_count) + ") impossible for " + Num(raw_size) + " bytes");
  }
  if (compression > static_cast<uint8_t>(Compression::kLz4)) {
    return Corrupt(object, at + 20, "unknown block compression " + Num(compression));
  }
  if (h[21] != 0 || h[22] != 0 || h[23] != 0) {
    return Corrupt(object, at + 21, "reserved block header bytes are not zero");
  }
  if (base_offset != entry.first_offset) {
    return Corrupt(
        object, at + 24,
        "block base offset " + SNum(base_offset) + " but index says " + SNum(entry.first_offset));
  }

  std::string_view payload;
  const char* src = h + kBlockHeaderSize;
  if (compression == static_cast<uint8_t>(Compression::kNone)) {
    if (stored_size != raw_size) {
      return Corrupt(
          object, at + 12,
          "uncompressed block stores " + Num(stored_size) + " bytes but claims " + Num(raw_size));
    }
    payload = std::string_view(src, stored_size);
  } else if (compression == static_cast<uint8_t>(Compression::kLz4)) {
    const uint64_t payload_at = at + kBlockHeaderSize;
    // No LZ4 block expands more than kMaxLz4Expansion times: a tiny hostile block cannot make us
    // allocate 64 MiB. The output buffer is the checked uncompressed size, never more.
    if (uint64_t{raw_size} > uint64_t{stored_size} * kMaxLz4Expansion) {
      return Corrupt(object, payload_at,
                     "an LZ4 block of " + Num(stored_size) + " bytes cannot decompress to " +
                         Num(raw_size) + " bytes");
    }
    payload_.clear();
    payload_.reserve(raw_size);
    // Both sizes are at most 64 MiB, so they fit in an int. LZ4_decompress_safe never reads past
    // `src + stored_size` nor writes past `raw_size` bytes, and fails unless the input ends
    // exactly with the block's last sequence.
    const int n = LZ4_decompress_safe(src, payload_.data(), static_cast<int>(stored_size),
                                      static_cast<int>(raw_size));
    if (n < 0) {
      return Corrupt(object, payload_at,
                     "LZ4 cannot decompress the block (malformed or truncated LZ4 data, or it "
                     "decompresses to more than the block header's " +
                         Num(raw_size) + " bytes)");
    }
    if (static_cast<uint64_t>(n) != raw_size) {
      return Corrupt(object, payload_at,
                     "LZ4 block decompressed to " + Num(static_cast<uint64_t>(n)) +
                         " bytes, block header says " + Num(raw_size));
    }
    payload = std::string_view(payload_.data(), raw_size);
  } else {
    const uint64_t payload_at = at + kBlockHeaderSize;
    const unsigned long long content = ZSTD_getFrameContentSize(src, stored_size);
    if (content == ZSTD_CONTENTSIZE_ERROR || content == ZSTD_CONTENTSIZE_UNKNOWN) {
      return Corrupt(object, payload_at,
                     "zstd frame header is damaged or does not declare its content size");
    }
    if (content != raw_size) {
      return Corrupt(object, payload_at,
                     "zstd frame declares " + Num(content) + " bytes but the block header says " +
                         Num(raw_size));
    }
    // Every zstd block has a 3-byte header and yields at most 128 KiB, so no frame expands more
    // than kMaxZstdExpansion times: a tiny hostile frame cannot make us allocate 64 MiB.
    if (raw_size / kMaxZstdExpansion > stored_size) {
      return Corrupt(object, payload_at,
                     "a zstd frame of " + Num(stored_size) + " bytes cannot decompress to " +
                         Num(raw_size) + " bytes");
    }
    const size_t frame_size = ZSTD_findFrameCompressedSize(src, stored_size);
    if (ZSTD_isError(frame_size) || frame_size != stored_size) {
      return Corrupt(
          object, payload_at,
          "block payload is not exactly one zstd frame of " + Num(stored_size) + " bytes");
    }
    ZSTD_DCtx* dctx = ThreadDecompressionContext();
    if (dctx == nullptr) {
      return Status::Permanent(object, "cannot allocate a zstd decompression context");
    }
    payload_.clear();
    payload_.reserve(raw_size);
    const size_t n = ZSTD_decompressDCtx(dctx, payload_.data(), raw_size, src, stored_size);
    if (ZSTD_isError(n)) {
      return Corrupt(
          object, payload_at,
          std::string("zstd cannot decompress the block (") + ZSTD_getErrorName(n) + ")");
    }
    if (n != raw_size) {
      return Corrupt(
          object, payload_at,
          "zstd frame decompressed to " + Num(n) + " bytes, block header says " + Num(raw_size));
    }
    payload = std::string_view(payload_.data(), raw_size);
  }
  Status s = DecodeRecords(object, entry, base_timestamp, payload);
  if (!s.ok()) {
    records_.clear();
    headers_.clear();
  }
  return s;
}

namespace {

// Error inside the decompressed payload: names the record and its position in the payload, and the
// block's position in the object.
[[gnu::noinline]] Status RecordCorrupt(std::string_view object, uint64_t block_at, size_t index,
                                       size_t payload_pos, const char* what) {
  return Corrupt(object, block_at,
                 "record " + Num(index) + " (uncompressed byte " + Num(payload_pos) + "): " + what +
                     ", in the block");
}

}  // namespace

Status DecodedBlock::DecodeRecords(std::string_view object, const BlockIndexEntry& entry,
                                   int64_t base_timestamp, std::string_view payload) {
  const char* const begin = payload.data();
  const char* const end = begin + payload.size();
  const uint32_t count = entry.record_count;
  records_.reserve(count);
  header_counts_.reserve(count);
  const char* p = begin;
  int64_t offset = entry.first_offset;
  int64_t min_ts = std::numeric_limits<int64_t>::max();
  int64_t max_ts = std::numeric_limits<int64_t>::min();
  for (uint32_t i = 0; i < count; ++i) {
    auto bad = [&](const char* at, const char* what) {
      return RecordCorrupt(object, entry.position, i, static_cast<size_t>(at - begin), what);
    };
    uint64_t v;
    const char* q = DecodeVarint64(p, end, &v);
    if (q == nullptr) return bad(p, "truncated or malformed record length");
    if (v > static_cast<uint64_t>(end - q)) return bad(p, "record length runs past the block end");
    if (v == 0) return bad(p, "empty record");
    const char* const rend = q + v;
    p = q;
    const auto attributes = static_cast<uint8_t>(*p++);
    if ((attributes & ~kTimestampTypeMask) != 0 || (attributes & kTimestampTypeMask) == 3) {
      return bad(p - 1, "bad attributes byte");
    }
    RecordView& r = records_.emplace_back();
    r.timestamp_type = static_cast<TimestampType>(attributes);

    uint64_t offset_delta;
    q = DecodeVarint64(p, rend, &offset_delta);
    if (q == nullptr) return bad(p, "malformed offset delta");
    if (i == 0 ? offset_delta != 0 : offset_delta == 0) {
      return bad(p, "offset delta must be 0 for the first record and positive after it");
    }
    if (offset_delta > static_cast<uint64_t>(std::numeric_limits<int64_t>::max() - offset)) {
      return bad(p, "offset overflows");
    }
    p = q;
    offset += static_cast<int64_t>(offset_delta);
    r.offset = offset;

    uint64_t timestamp_delta;
    q = DecodeVarint64(p, rend, &timestamp_delta);
    if (q == nullptr) return bad(p, "malformed timestamp delta");
    if (i == 0 && timestamp_delta != 0) return bad(p, "first record's timestamp delta is not 0");
    p = q;
    r.timestamp =
        static_cast<int64_t>(static_cast<uint64_t>(base_timestamp) +
                             static_cast<uint64_t>(coding::ZigZagDecode(timestamp_delta)));
    min_ts = std::min(min_ts, r.timestamp);
    max_ts = std::max(max_ts, r.timestamp);

    // Key and value: length + 1, 0 = null.
    q = DecodeVarint64(p, rend, &v);
    if (q == nullptr) return bad(p, "malformed key length");
    if (v > 0) {
      if (v - 1 > static_cast<uint64_t>(rend - q)) return bad(p, "key length runs past the record");
      r.key = std::string_view(q, v - 1);
      q += v - 1;
    }
    p = q;
    q = DecodeVarint64(p, rend, &v);
    if (q == nullptr) return bad(p, "malformed value length");
    if (v > 0) {
      if (v - 1 > static_cast<uint64_t>(rend - q)) {
        return bad(p, "value length runs past the record");
      }
      r.value = std::string_view(q, v - 1);
      q += v - 1;
    }
    p = q;

    uint64_t header_count;
    q = DecodeVarint64(p, rend, &header_count);
    if (q == nullptr) return bad(p, "malformed header count");
    // Every header takes at least two bytes (key length, value length).
    if (header_count > static_cast<uint64_t>(rend - q) / 2 ||
        headers_.size() + header_count > kMaxBlockHeaders) {
      return bad(p, "header count too large for the record");
    }
    p = q;
    for (uint64_t k = 0; k < header_count; ++k) {
      HeaderView& hv = headers_.emplace_back();
      q = DecodeVarint64(p, rend, &v);
      if (q == nullptr) return bad(p, "malformed header key length");
      if (v > static_cast<uint64_t>(rend - q)) return bad(p, "header key runs past the record");
      hv.key = std::string_view(q, v);
      p = q + v;
      q = DecodeVarint64(p, rend, &v);
      if (q == nullptr) return bad(p, "malformed header value length");
      if (v > 0) {
        if (v - 1 > static_cast<uint64_t>(rend - q)) {
          return bad(p, "header value runs past the record");
        }
        hv.value = std::string_view(q, v - 1);
        q += v - 1;
      }
      p = q;
    }
    if (p != rend) return bad(p, "record has bytes after its last field");
    header_counts_.push_back(static_cast<uint32_t>(header_count));
  }
  if (p != end) {
    return Corrupt(object, entry.position,
                   Num(static_cast<uint64_t>(end - p)) + " bytes after the last of " + Num(count) +
                       " records (uncompressed byte " + Num(p - begin) + "), in the block");
  }
  if (offset != entry.last_offset || min_ts != entry.min_timestamp ||
      max_ts != entry.max_timestamp) {
    return Corrupt(object, entry.position,
                   "block holds offsets " + SNum(entry.first_offset) + ".." + SNum(offset) +
                       " and timestamps " + SNum(min_ts) + ".." + SNum(max_ts) +
                       " but its index entry says " + SNum(entry.first_offset) + ".." +
                       SNum(entry.last_offset) + " and " + SNum(entry.min_timestamp) + ".." +
                       SNum(entry.max_timestamp) + ", for the block");
  }
  // headers_ no longer grows: point each record at its headers.
  const HeaderView* next = headers_.data();
  for (size_t i = 0; i < records_.size(); ++i) {
    records_[i].headers = std::span<const HeaderView>(next, header_counts_[i]);
    next += header_counts_[i];
  }
  return Status::OK();
}

size_t DecodedBlock::LowerBound(int64_t offset) const {
  auto it = std::lower_bound(records_.begin(), records_.end(), offset,
                             [](const RecordView& r, int64_t o) { return r.offset < o; });
  return static_cast<size_t>(it - records_.begin());
}

size_t DecodedBlock::payload_bytes() const {
  size_t n = 0;
  for (const RecordView& r : records_) n += PayloadBytes(r);
  return n;
}

std::vector<Record> DecodedSegment::ToRecords() const {
  std::vector<Record> out;
  out.reserve(footer.record_count);
  for (const DecodedBlock& b : blocks) {
    for (const RecordView& r : b.records()) out.push_back(Record::FromView(r));
  }
  return out;
}

namespace {

// The checks DecodeSegment and VerifySegment share; calls `block_fn(segment, entry, bytes)` per
// block with the (opened) version-1 block bytes.
template <typename BlockFn>
Result<DecodedSegment> WalkSegment(std::string_view object, std::string_view bytes,
                                   const crypto::KeyRing* keys, BlockFn&& block_fn) {
  KB_ASSIGN_OR_RETURN(FooterLocation loc, ParseTrailer(object, bytes, bytes.size()));
  KB_ASSIGN_OR_RETURN(uint16_t version, ParseFileHeader(object, bytes));
  if (version != loc.version) {
    return Corrupt(
        object, 8,
        "file header says format version " + Num(version) + ", trailer says " + Num(loc.version));
  }
  DecodedSegment segment;
  segment.version = version;
  KB_ASSIGN_OR_RETURN(
      OpenedFooter opened,
      ReadFooter(object, std::string(bytes.substr(loc.position, loc.length)), loc, keys));
  segment.footer = std::move(opened.footer);
  std::string frame;
  for (size_t i = 0; i < segment.footer.blocks.size(); ++i) {
    const BlockIndexEntry& entry = segment.footer.blocks[i];
    const std::string_view block = bytes.substr(entry.position, entry.length);
    if (!loc.seal) {
      KB_RETURN_IF_ERROR(block_fn(segment, entry, block));
      continue;
    }
    frame.assign(block);
    KB_ASSIGN_OR_RETURN(BlockIndexEntry inner,
                        OpenBlock(object, entry, i, *loc.seal, *opened.key, &frame));
    KB_RETURN_IF_ERROR(block_fn(segment, inner, frame));
  }
  return segment;
}

}  // namespace

Result<BlockIndexEntry> OpenBlock(std::string_view object, const BlockIndexEntry& entry,
                                  size_t index, const SealInfo& seal, const crypto::Key& key,
                                  std::string* bytes) {
  if (bytes->size() != entry.length) {
    return Corrupt(object, entry.position + std::min<uint64_t>(bytes->size(), entry.length),
                   "block frame is " + Num(bytes->size()) + " bytes, its index entry says " +
                       Num(entry.length) + ": truncated");
  }
  KB_RETURN_IF_ERROR(OpenFrame(key, object, entry.position,
                               BlockAad(seal.segment_id, static_cast<uint32_t>(index)),
                               bytes->data(), bytes->size(), ("block " + Num(index)).c_str()));
  bytes->resize(bytes->size() - (kFrameOverhead - kFrameHeaderSize));  // drop the tag
  bytes->erase(0, kFrameHeaderSize);
  BlockIndexEntry inner = entry;
  inner.position = entry.position + kFrameHeaderSize;
  inner.length = static_cast<uint32_t>(entry.length - kFrameOverhead);
  return inner;
}

Result<DecodedSegment> DecodeSegment(std::string_view object, std::string_view bytes,
                                     const crypto::KeyRing* keys) {
  return WalkSegment(object, bytes, keys,
                     [object](DecodedSegment& segment, const BlockIndexEntry& entry,
                              std::string_view block_bytes) {
                       // Copies the block so the result does not depend on `bytes`.
                       return segment.blocks.emplace_back().DecodeOwned(object, entry,
                                                                        std::string(block_bytes));
                     });
}

Status VerifySegment(std::string_view object, std::string_view bytes, const crypto::KeyRing* keys) {
  DecodedBlock block;
  return WalkSegment(object, bytes, keys,
                     [object, &block](DecodedSegment&, const BlockIndexEntry& entry,
                                      std::string_view block_bytes) {
                       return block.Decode(object, entry, block_bytes);
                     })
      .status();
}

bool LooksEncrypted(std::string_view tail) {
  if (tail.size() < 12 || tail.substr(tail.size() - 8) != kMagic) return false;
  const char* v = tail.data() + tail.size() - 12;
  const uint16_t version = coding::DecodeFixed16(v);
  return static_cast<uint16_t>(~version) == coding::DecodeFixed16(v + 2) &&
         IsSealedVersion(version);
}

Result<bool> VerifySegmentStructure(std::string_view object, std::string_view bytes) {
  KB_ASSIGN_OR_RETURN(FooterLocation loc, ParseTrailer(object, bytes, bytes.size()));
  if (!loc.seal) {
    KB_RETURN_IF_ERROR(VerifySegment(object, bytes));
    return false;
  }
  KB_ASSIGN_OR_RETURN(uint16_t version, ParseFileHeader(object, bytes));
  if (version != loc.version) {
    return Corrupt(
        object, 8,
        "file header says format version " + Num(version) + ", trailer says " + Num(loc.version));
  }
  const std::string_view footer = bytes.substr(loc.position, loc.length);
  const uint64_t computed = XXH3_64bits(footer.data(), footer.size());
  if (internal::kVerifyChecksums && computed != loc.checksum) {
    return Corrupt(object, loc.position,
                   "footer checksum mismatch (trailer says " + Hex(loc.checksum) + ", computed " +
                       Hex(computed) + ")");
  }
  KB_RETURN_IF_ERROR(CheckFrame(object, loc.position, footer, "footer"));
  uint64_t at = kFileHeaderSize;
  for (size_t i = 0; at < loc.position; ++i) {
    if (loc.position - at < kFrameOverhead + kBlockHeaderSize + 1) {
      return Corrupt(object, at, "bytes before the footer do not form a block frame");
    }
    const uint64_t n = DecodeFixed32(bytes.data() + at + 8);
    const uint64_t length = n + kFrameOverhead;
    if (n <= kBlockHeaderSize || n > kBlockHeaderSize + kMaxBlockBytes ||
        length > loc.position - at) {
      return Corrupt(object, at + 8,
                     "block frame " + Num(i) + " claims " + Num(n) +
                         " bytes of ciphertext, invalid or past the footer at " +
                         Num(loc.position));
    }
    KB_RETURN_IF_ERROR(CheckFrame(object, at, bytes.substr(at, length), "block"));
    at += length;
  }
  return true;
}

}  // namespace kb::format
