// Parsing of the file header, trailer and footer, and block lookups in the index.
#include <xxhash.h>

#include <algorithm>
#include <limits>
#include <string>

#include "crypto/sealed_object.h"
#include "format/decode_util.h"
#include "format/segment_decoder.h"
#include "format/segment_seal.h"

namespace kb::format {
namespace {

using coding::DecodeFixed16;
using coding::DecodeFixed32;
using coding::DecodeFixed64;
using internal::Corrupt;
using internal::Hex;
using internal::HexBytes;
using internal::kVerifyChecksums;
using internal::Num;
using internal::SNum;

Status NewerVersion(std::string_view object, uint16_t version) {
  return Status::NotImplemented(object, "segment format version " + Num(version) +
                                            " is newer than this kafka-backup supports (" +
                                            Num(kFormatVersion) + "); upgrade kafka-backup");
}

// Checks magic and version at `bytes` (12 bytes: 8 magic, 2 version, 2 complement), whose first
// byte is at `magic_at` and version at `version_at` in the object. Used by header and trailer.
Result<uint16_t> CheckMagicAndVersion(std::string_view object, std::string_view magic,
                                      uint64_t magic_at, const char* version_field,
                                      uint64_t version_at, std::string_view where) {
  if (magic != kMagic) {
    return Corrupt(object, magic_at,
                   "bad magic in the " + std::string(where) + " (found " + HexBytes(magic) +
                       ", expected " + HexBytes(kMagic) +
                       "): not a kafka-backup segment, or a "
                       "truncated one");
  }
  const uint16_t version = DecodeFixed16(version_field);
  const uint16_t check = DecodeFixed16(version_field + 2);
  if (static_cast<uint16_t>(~version) != check) {
    return Corrupt(object, version_at,
                   "damaged version field in the " + std::string(where) + " (version " +
                       Num(version) + ", complement " + Num(check) + ")");
  }
  if (version == 0) return Corrupt(object, version_at, "invalid segment format version 0");
  if (version > kFormatVersion) return NewerVersion(object, version);
  return version;
}

}  // namespace

Result<uint16_t> ParseFileHeader(std::string_view object, std::string_view header_bytes) {
  if (header_bytes.size() < kFileHeaderSize) {
    return Corrupt(
        object, header_bytes.size(),
        "object ends inside the " + Num(kFileHeaderSize) + "-byte file header: truncated");
  }
  const char* h = header_bytes.data();
  KB_ASSIGN_OR_RETURN(uint16_t version, CheckMagicAndVersion(object, header_bytes.substr(0, 8), 0,
                                                             h + 8, 8, "file header"));
  if (DecodeFixed32(h + 12) != 0) {
    return Corrupt(object, 12,
                   "reserved file header field is " + Num(DecodeFixed32(h + 12)) + ", must be 0");
  }
  return version;
}

namespace {

// The version 2 trailer's sealing fields (bytes 24..84), checked.
Result<SealInfo> ParseSealInfo(std::string_view object, const char* t, uint64_t at) {
  SealInfo seal;
  seal.segment_id.assign(t + 24, kSegmentIdSize);
  seal.key_check.assign(t + 40, kKeyCheckSize);
  if (static_cast<uint8_t>(t[48]) != 1) {
    return Corrupt(
        object, at + 48,
        "unknown cipher " + Num(static_cast<uint8_t>(t[48])) + " in the trailer (1 = AES-256-GCM)");
  }
  const size_t id_size = static_cast<uint8_t>(t[49]);
  if (id_size == 0 || id_size > crypto::kMaxKeyIdSize) {
    return Corrupt(object, at + 49, "bad key id length " + Num(id_size) + " in the trailer");
  }
  if (t[50] != 0 || t[51] != 0) return Corrupt(object, at + 50, "reserved trailer bytes not zero");
  seal.key_id.assign(t + 52, id_size);
  if (!crypto::ValidateKeyId(object, seal.key_id).ok()) {
    return Corrupt(object, at + 52, "the trailer's key id has characters a key id cannot have");
  }
  for (size_t i = 52 + id_size; i < 84; ++i) {
    if (t[i] != 0) return Corrupt(object, at + i, "key id padding in the trailer is not zero");
  }
  return seal;
}

}  // namespace

Result<FooterLocation> ParseTrailer(std::string_view object, std::string_view tail,
                                    uint64_t object_size) {
  if (object_size == 0)
    return Corrupt(object, 0, "object is empty (0 bytes), so it has no segment trailer");
  if (object_size < kTrailerSize) {
    return Corrupt(object, object_size,
                   "object of " + Num(object_size) + " bytes is too short for the " +
                       Num(kTrailerSize) + "-byte trailer: truncated");
  }
  if (tail.size() < kTrailerSize || tail.size() > object_size) {
    return Status::InvalidArgument(object, "ParseTrailer needs at least the last " +
                                               Num(kTrailerSize) + " bytes of the object, got " +
                                               Num(tail.size()));
  }
  // The last 12 bytes (version, ~version, magic) are the same in every version.
  const char* end = tail.data() + tail.size();
  KB_ASSIGN_OR_RETURN(uint16_t version,
                      CheckMagicAndVersion(object, std::string_view(end - 8, 8), object_size - 8,
                                           end - 12, object_size - 12, "trailer"));
  const bool sealed = IsSealedVersion(version);
  const size_t trailer_size = sealed ? kSealedTrailerSize : kTrailerSize;
  if (object_size < trailer_size) {
    return Corrupt(object, object_size,
                   "object of " + Num(object_size) + " bytes is too short for the " +
                       Num(trailer_size) + "-byte trailer of format version " + Num(version) +
                       ": truncated");
  }
  if (tail.size() < trailer_size) {
    return Status::InvalidArgument(object, "ParseTrailer needs the last " + Num(trailer_size) +
                                               " bytes of a version " + Num(version) +
                                               " segment, got " + Num(tail.size()));
  }
  const uint64_t at = object_size - trailer_size;  // trailer position in the object
  const char* t = end - trailer_size;
  const size_t check_at = trailer_size - 16;  // trailer checksum position
  const uint32_t stored_check = DecodeFixed32(t + check_at);
  const uint32_t computed_check = static_cast<uint32_t>(XXH3_64bits(t, check_at));
  if (kVerifyChecksums && stored_check != computed_check) {
    return Corrupt(object, at + check_at,
                   "trailer checksum mismatch (stored " + Hex(stored_check) + ", computed " +
                       Hex(computed_check) + ")");
  }
  FooterLocation loc;
  loc.position = DecodeFixed64(t);
  loc.length = DecodeFixed64(t + 8);
  loc.checksum = DecodeFixed64(t + 16);
  loc.version = version;
  // Sealed segments wrap every block and the footer in a frame.
  const uint64_t overhead = sealed ? kFrameOverhead : 0;
  const uint64_t min_size = kFileHeaderSize + (kBlockHeaderSize + 1 + overhead) +
                            (kFooterFixedSize + kIndexEntrySize + overhead) + trailer_size;
  if (object_size < min_size) {
    return Corrupt(object, 0,
                   "object is " + Num(object_size) + " bytes, smaller than any segment (" +
                       Num(min_size) + ")");
  }
  if (sealed) {
    KB_ASSIGN_OR_RETURN(loc.seal, ParseSealInfo(object, t, at));
  }
  const uint64_t footer_end = object_size - trailer_size;
  const uint64_t min_length = kFooterFixedSize + kIndexEntrySize + overhead;
  if (loc.length < min_length || loc.length > footer_end ||
      (loc.length - overhead - kFooterFixedSize) % kIndexEntrySize != 0) {
    return Corrupt(
        object, at + 8,
        "bad footer length " + Num(loc.length) + " (object is " + Num(object_size) + " bytes)");
  }
  if (loc.position != footer_end - loc.length ||
      loc.position < kFileHeaderSize + kBlockHeaderSize + 1 + overhead) {
    return Corrupt(object, at,
                   "footer position " + Num(loc.position) + " with length " + Num(loc.length) +
                       " does not end where the trailer starts (" + Num(footer_end) + ")");
  }
  return loc;
}

namespace {

// The footer's bytes were read whole and match the trailer's checksum.
Status CheckFooterBytes(std::string_view object, std::string_view footer_bytes,
                        const FooterLocation& loc) {
  const uint64_t at = loc.position;
  if (footer_bytes.size() != loc.length) {
    return Corrupt(object, at + footer_bytes.size(),
                   "footer is " + Num(footer_bytes.size()) + " bytes, trailer says " +
                       Num(loc.length) + ": truncated");
  }
  const uint64_t computed = XXH3_64bits(footer_bytes.data(), footer_bytes.size());
  if (kVerifyChecksums && computed != loc.checksum) {
    return Corrupt(object, at,
                   "footer checksum mismatch (trailer says " + Hex(loc.checksum) + ", computed " +
                       Hex(computed) + ") for the " + Num(loc.length) + "-byte footer");
  }
  return Status::OK();
}

// The (plaintext) footer at `at` in the object; index lengths include `overhead` bytes of frame.
Result<SegmentFooter> ParseFooterIndex(std::string_view object, std::string_view footer_bytes,
                                       const FooterLocation& loc, uint64_t at, uint64_t overhead) {
  if (footer_bytes.size() < kFooterFixedSize) {
    return Corrupt(object, at, "footer of " + Num(footer_bytes.size()) + " bytes is too short");
  }
  const char* f = footer_bytes.data();
  const uint64_t block_count = DecodeFixed32(f);
  if (block_count == 0 || block_count > kMaxBlockCount ||
      kFooterFixedSize + block_count * kIndexEntrySize != footer_bytes.size()) {
    return Corrupt(object, at,
                   "footer claims " + Num(block_count) + " blocks, which does not fit its " +
                       Num(footer_bytes.size()) + " bytes (1.." + Num(kMaxBlockCount) +
                       " blocks allowed)");
  }
  if (DecodeFixed32(f + 4) != 0) {
    return Corrupt(object, at + 4, "reserved footer field is " + Num(DecodeFixed32(f + 4)));
  }
  SegmentFooter footer;
  footer.first_offset = static_cast<int64_t>(DecodeFixed64(f + 8));
  footer.last_offset = static_cast<int64_t>(DecodeFixed64(f + 16));
  footer.record_count = DecodeFixed64(f + 24);
  footer.min_timestamp = static_cast<int64_t>(DecodeFixed64(f + 32));
  footer.max_timestamp = static_cast<int64_t>(DecodeFixed64(f + 40));

  footer.blocks.resize(block_count);
  uint64_t expected_position = kFileHeaderSize;
  uint64_t total_records = 0;
  int64_t min_ts = std::numeric_limits<int64_t>::max();
  int64_t max_ts = std::numeric_limits<int64_t>::min();
  for (size_t i = 0; i < block_count; ++i) {
    const char* e = f + kFooterFixedSize + i * kIndexEntrySize;
    const uint64_t e_at = at + kFooterFixedSize + i * kIndexEntrySize;
    BlockIndexEntry& b = footer.blocks[i];
    b.first_offset = static_cast<int64_t>(DecodeFixed64(e));
    b.last_offset = static_cast<int64_t>(DecodeFixed64(e + 8));
    b.min_timestamp = static_cast<int64_t>(DecodeFixed64(e + 16));
    b.max_timestamp = static_cast<int64_t>(DecodeFixed64(e + 24));
    b.position = DecodeFixed64(e + 32);
    b.length = DecodeFixed32(e + 40);
    b.record_count = DecodeFixed32(e + 44);
    const std::string entry = "index entry " + Num(i) + ": ";
    if (b.record_count == 0 || b.record_count > kMaxBlockRecords) {
      return Corrupt(object, e_at + 44,
                     entry + "record count " + Num(b.record_count) + " is outside 1.." +
                         Num(kMaxBlockRecords));
    }
    if (b.first_offset < 0 || b.last_offset < b.first_offset ||
        static_cast<uint64_t>(b.last_offset - b.first_offset) < b.record_count - 1) {
      return Corrupt(object, e_at,
                     entry + "offsets " + SNum(b.first_offset) + ".." + SNum(b.last_offset) +
                         " cannot hold " + Num(b.record_count) + " records");
    }
    if (i > 0 && b.first_offset <= footer.blocks[i - 1].last_offset) {
      return Corrupt(object, e_at,
                     entry + "first offset " + SNum(b.first_offset) +
                         " is not after the previous block's last offset " +
                         SNum(footer.blocks[i - 1].last_offset) +
                         " (entries out of order or overlapping)");
    }
    if (b.min_timestamp > b.max_timestamp) {
      return Corrupt(object, e_at + 16,
                     entry + "min timestamp " + SNum(b.min_timestamp) + " > max timestamp " +
                         SNum(b.max_timestamp));
    }
    if (b.position != expected_position) {
      return Corrupt(object, e_at + 32,
                     entry + "block position " + Num(b.position) + " should be " +
                         Num(expected_position) +
                         " (blocks must follow each other from the file header on)");
    }
    if (b.length <= kBlockHeaderSize + overhead ||
        b.length > kBlockHeaderSize + kMaxBlockBytes + overhead ||
        b.length > loc.position - b.position) {
      return Corrupt(object, e_at + 40,
                     entry + "block length " + Num(b.length) + " at position " + Num(b.position) +
                         " is invalid or runs past the footer at " + Num(loc.position));
    }
    expected_position = b.position + b.length;
    total_records += b.record_count;
    min_ts = std::min(min_ts, b.min_timestamp);
    max_ts = std::max(max_ts, b.max_timestamp);
  }
  if (expected_position != loc.position) {
    return Corrupt(object, expected_position,
                   "blocks end at byte " + Num(expected_position) + " but the footer starts at " +
                       Num(loc.position) + "; unindexed bytes");
  }
  if (footer.first_offset != footer.blocks.front().first_offset ||
      footer.last_offset != footer.blocks.back().last_offset ||
      footer.record_count != total_records || footer.min_timestamp != min_ts ||
      footer.max_timestamp != max_ts) {
    return Corrupt(object, at + 8,
                   "segment facts (offsets " + SNum(footer.first_offset) + ".." +
                       SNum(footer.last_offset) + ", " + Num(footer.record_count) +
                       " records, timestamps " + SNum(footer.min_timestamp) + ".." +
                       SNum(footer.max_timestamp) + ") disagree with the block index (" +
                       SNum(footer.blocks.front().first_offset) + ".." +
                       SNum(footer.blocks.back().last_offset) + ", " + Num(total_records) +
                       " records, " + SNum(min_ts) + ".." + SNum(max_ts) + ")");
  }
  return footer;
}

}  // namespace

Result<SegmentFooter> ParseFooter(std::string_view object, std::string_view footer_bytes,
                                  const FooterLocation& loc) {
  if (loc.seal) {
    return Status::InvalidArgument(object, "an encrypted footer is read with ReadFooter");
  }
  KB_RETURN_IF_ERROR(CheckFooterBytes(object, footer_bytes, loc));
  return ParseFooterIndex(object, footer_bytes, loc, loc.position, 0);
}

Result<OpenedFooter> ReadFooter(std::string_view object, std::string footer_bytes,
                                const FooterLocation& loc, const crypto::KeyRing* keys) {
  OpenedFooter out;
  if (!loc.seal) {
    KB_ASSIGN_OR_RETURN(out.footer, ParseFooter(object, footer_bytes, loc));
    return out;
  }
  KB_RETURN_IF_ERROR(CheckFooterBytes(object, footer_bytes, loc));
  const SealInfo& seal = *loc.seal;
  KB_ASSIGN_OR_RETURN(out.key, crypto::FindKey(keys, object, seal.key_id, seal.key_check));
  KB_RETURN_IF_ERROR(OpenFrame(*out.key, object, loc.position,
                               FooterAad(seal.segment_id, seal.key_id, BoundName(object)),
                               footer_bytes.data(), footer_bytes.size(), "footer"));
  const std::string_view plain =
      std::string_view(footer_bytes).substr(kFrameHeaderSize, footer_bytes.size() - kFrameOverhead);
  KB_ASSIGN_OR_RETURN(
      out.footer,
      ParseFooterIndex(object, plain, loc, loc.position + kFrameHeaderSize, kFrameOverhead));
  return out;
}

BlockRange FindBlocksByOffset(const SegmentFooter& footer, int64_t first, int64_t last) {
  const auto& b = footer.blocks;
  auto begin = std::partition_point(
      b.begin(), b.end(), [first](const BlockIndexEntry& e) { return e.last_offset < first; });
  auto end = std::partition_point(
      begin, b.end(), [last](const BlockIndexEntry& e) { return e.first_offset <= last; });
  return BlockRange{static_cast<size_t>(begin - b.begin()), static_cast<size_t>(end - b.begin())};
}

std::vector<size_t> FindBlocksByTime(const SegmentFooter& footer, int64_t from_ms, int64_t to_ms) {
  std::vector<size_t> out;
  for (size_t i = 0; i < footer.blocks.size(); ++i) {
    const BlockIndexEntry& e = footer.blocks[i];
    if (e.max_timestamp >= from_ms && e.min_timestamp <= to_ms) out.push_back(i);
  }
  return out;
}

}  // namespace kb::format
