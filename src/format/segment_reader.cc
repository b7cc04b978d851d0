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
  if (size < kTrailerSize) {  // no need to read anything
    return ParseTrailer(k, std::string_view(), size).status();
  }
  const uint64_t tail_length =
      std::min<uint64_t>(size, std::max<uint64_t>(tail_read_bytes, kSealedTrailerSize));
  const uint64_t tail_offset = size - tail_length;
  KB_ASSIGN_OR_RETURN(std::string tail, store.GetRange(k, tail_offset, tail_length));
  KB_RETURN_IF_ERROR(CheckReadLength(k, tail_offset, tail_length, tail.size()));
  const std::string_view tail_view(tail);
  KB_ASSIGN_OR_RETURN(FooterLocation loc, ParseTrailer(k, tail_view, size));
  reader.version_ = loc.version;
  std::string footer;
  if (loc.position >= tail_offset) {
    footer.assign(tail_view.substr(loc.position - tail_offset, loc.length));
  } else {
    KB_ASSIGN_OR_RETURN(footer, store.GetRange(k, loc.position, loc.length));
    KB_RETURN_IF_ERROR(CheckReadLength(k, loc.position, loc.length, footer.size()));
  }
  if (loc.seal) reader.keys_ = store.keys();
  KB_ASSIGN_OR_RETURN(OpenedFooter opened,
                      ReadFooter(k, std::move(footer), loc, reader.keys_.get()));
  reader.footer_ = std::move(opened.footer);
  reader.data_key_ = opened.key;
  reader.seal_ = std::move(loc.seal);
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
  if (!seal_) return out->DecodeOwned(key_, entry, std::move(bytes));
  KB_ASSIGN_OR_RETURN(BlockIndexEntry inner,
                      OpenBlock(key_, entry, index, *seal_, *data_key_, &bytes));
  return out->DecodeOwned(key_, inner, std::move(bytes));
}

}  // namespace kb::format
