#include "format/segment_reader.h"

#include <algorithm>
#include <string_view>
#include <utility>

namespace kb::format {
namespace {

// The store clips ranged reads at the object's end; fewer bytes than asked means the object is
// shorter than its listed size.
Status CheckReadLength(const std::string& key, uint64_t offset, uint64_t want, size_t got) {
  if (got == want) return Status::OK();
  return Status::Corruption(key, "read of " + std::to_string(want) + " bytes returned " +
                                     std::to_string(got) + ": object truncated at byte " +
                                     std::to_string(offset + got));
}

}  // namespace

Result<SegmentReader> SegmentReader::Open(storage::ObjectStore& store, std::string key,
                                          uint64_t size, size_t tail_read_bytes) {
  SegmentReader reader(&store, std::move(key), size);
  const std::string& k = reader.key_;
  if (size < kMinSegmentBytes) {  // no need to read anything
    if (size < kTrailerSize) return ParseTrailer(k, std::string_view(), size).status();
    return Status::Corruption(k, "object of " + std::to_string(size) +
                                     " bytes is smaller than any segment: truncated at byte " +
                                     std::to_string(size));
  }
  const uint64_t tail_length =
      std::min<uint64_t>(size, std::max<uint64_t>(tail_read_bytes, kTrailerSize));
  const uint64_t tail_offset = size - tail_length;
  KB_ASSIGN_OR_RETURN(std::string tail, store.GetRange(k, tail_offset, tail_length));
  KB_RETURN_IF_ERROR(CheckReadLength(k, tail_offset, tail_length, tail.size()));
  const std::string_view tail_view(tail);
  KB_ASSIGN_OR_RETURN(FooterLocation loc,
                      ParseTrailer(k, tail_view.substr(tail_length - kTrailerSize), size));
  reader.version_ = loc.version;
  if (loc.position >= tail_offset) {
    KB_ASSIGN_OR_RETURN(
        reader.footer_,
        ParseFooter(k, tail_view.substr(loc.position - tail_offset, loc.length), loc));
  } else {
    KB_ASSIGN_OR_RETURN(std::string footer, store.GetRange(k, loc.position, loc.length));
    KB_RETURN_IF_ERROR(CheckReadLength(k, loc.position, loc.length, footer.size()));
    KB_ASSIGN_OR_RETURN(reader.footer_, ParseFooter(k, footer, loc));
  }
  return reader;
}

Status SegmentReader::ReadBlock(size_t index, DecodedBlock* out) const {
  if (index >= footer_.blocks.size()) {
    return Status::InvalidArgument(key_, "block " + std::to_string(index) + " of " +
                                             std::to_string(footer_.blocks.size()) + " requested");
  }
  const BlockIndexEntry& entry = footer_.blocks[index];
  KB_ASSIGN_OR_RETURN(std::string bytes, store_->GetRange(key_, entry.position, entry.length));
  KB_RETURN_IF_ERROR(CheckReadLength(key_, entry.position, entry.length, bytes.size()));
  return out->DecodeOwned(key_, entry, std::move(bytes));
}

}  // namespace kb::format
