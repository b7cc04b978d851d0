#include "crypto/sealing_store.h"

#include "crypto/sealed_object.h"

namespace kb::crypto {

Status SealingStore::Put(const std::string& key, std::string_view data) {
  if (ring_ != nullptr) {
    SealPolicy p = policy_(key);
    if (p.seal_on_put && p.bound_name) {
      KB_ASSIGN_OR_RETURN(std::string sealed, SealObject(ring_->current(), *p.bound_name, data));
      return inner_->Put(key, sealed);
    }
  }
  return inner_->Put(key, data);
}

Status SealingStore::PutParts(const std::string& key, std::span<const std::string_view> parts) {
  if (ring_ != nullptr && policy_(key).seal_on_put) return ObjectStore::PutParts(key, parts);
  return inner_->PutParts(key, parts);
}

Result<std::string> SealingStore::Get(const std::string& key) {
  KB_ASSIGN_OR_RETURN(std::string bytes, inner_->Get(key));
  if (!LooksSealed(bytes)) return bytes;
  SealPolicy p = policy_(key);
  if (!p.bound_name) return bytes;  // a segment or other binary object: not an envelope
  return OpenObject(ring_.get(), key, *p.bound_name, std::move(bytes));
}

}  // namespace kb::crypto
