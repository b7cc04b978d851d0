// SealingStore: an ObjectStore decorator that stores small whole objects (JSON restore records,
// and with encrypt_metadata the group offsets and topic.json) in the sealed-object envelope
// (sealed_object.h): Put seals them with the ring's current key, Get opens them with the key they
// name. Objects of those kinds written before encryption was turned on (plain JSON) are returned as
// they are. Every other key (segments, which format/ seals block by block; gaps; retention state)
// passes through untouched.
//
// Which keys are sealed, and the name each is bound to, is the `policy`'s (the store factory builds
// it from the key layout, so this class knows no key names).
//
// Ownership: owns the wrapped store; shares the key ring (null: encryption not configured, then
// nothing is sealed and a sealed object read is a FailedPrecondition naming its key id).
// Thread-safety: as thread-safe as the wrapped store; the ring and policy are immutable.
// Failure contract: the wrapped store's errors pass through; opening errors as OpenObject's.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "crypto/key_ring.h"
#include "storage/object_store.h"

namespace kb::crypto {

struct SealPolicy {
  // The object's bound name when its kind may be stored sealed (nullopt: never sealed).
  std::optional<std::string> bound_name;
  // Whether a Put of it is sealed (given a ring).
  bool seal_on_put = false;
};
using SealPolicyFn = std::function<SealPolicy(const std::string& key)>;

class SealingStore : public storage::ObjectStore {
 public:
  SealingStore(std::unique_ptr<storage::ObjectStore> inner, std::shared_ptr<const KeyRing> ring,
               SealPolicyFn policy)
      : inner_(std::move(inner)), ring_(std::move(ring)), policy_(std::move(policy)) {}

  Status Put(const std::string& key, std::string_view data) override;
  Status PutParts(const std::string& key, std::span<const std::string_view> parts) override;
  Result<std::string> Get(const std::string& key) override;
  Result<std::string> GetRange(const std::string& key, uint64_t offset, uint64_t length) override {
    return inner_->GetRange(key, offset, length);
  }
  Result<uint64_t> Head(const std::string& key) override { return inner_->Head(key); }
  Result<std::optional<storage::ObjectLock>> Lock(const std::string& key) override {
    return inner_->Lock(key);
  }
  Result<storage::ListPage> List(const std::string& prefix, const std::string& token,
                                 size_t max_keys) override {
    return inner_->List(prefix, token, max_keys);
  }
  Status Delete(const std::vector<std::string>& keys) override { return inner_->Delete(keys); }
  std::string Describe() const override { return inner_->Describe(); }
  std::shared_ptr<const KeyRing> keys() const override { return ring_; }

 private:
  std::unique_ptr<storage::ObjectStore> inner_;
  std::shared_ptr<const KeyRing> ring_;
  SealPolicyFn policy_;
};

}  // namespace kb::crypto
