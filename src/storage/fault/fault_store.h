// FaultInjectingStore: an ObjectStore wrapper that makes chosen calls fail, for testing how code
// above the storage layer (retries, backup resume, restore) copes with an unreliable store.
//
// Faults are described by rules (FaultRule): which operation and keys they apply to, which
// matching calls fail (the n-th and the following `times - 1`, and/or each with a probability
// drawn from a seeded RNG, so runs are reproducible), the Status code returned (Retryable by
// default) and when the failure strikes:
//   * kBeforeCall: the call never reaches the wrapped store. For Put this is "the process crashed
//     before the put completed": nothing is stored and an older object under the key is intact.
//   * kAfterCall: the call is carried out, then its result is replaced by the error. For Put this
//     is "the acknowledgement was lost": the object IS stored, the caller sees a failure.
// Calls that no rule fails are passed through unchanged. Counters record calls and injected
// failures per operation.
//
// Ownership: either borrows the wrapped store (raw-pointer constructor; it must outlive the
// wrapper) or owns it (unique_ptr constructor).
// Thread-safety: every method may be called concurrently; rules, counters and the RNG are guarded
// by one mutex that is never held while the wrapped store runs. With several threads the order in
// which calls are counted (and so which one is "the n-th") is the order they reach the wrapper.
// Failure contract: injected errors carry the key as subject (List: the prefix; Delete: the first
// key of the batch) and a message naming the rule; all other errors come from the wrapped store.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "storage/object_store.h"

namespace kb::storage {

enum class StoreOp { kPut, kGet, kGetRange, kHead, kList, kDelete };
inline constexpr size_t kStoreOpCount = 6;
std::string_view StoreOpName(StoreOp op);

enum class FaultTiming { kBeforeCall, kAfterCall };

inline constexpr uint64_t kForever = UINT64_MAX;

struct FaultRule {
  std::optional<StoreOp> op;  // the operation it applies to; nullopt: every operation
  std::string key_prefix;     // only keys with this prefix (List: the prefix; Delete: any key)
  uint64_t nth = 0;           // 1-based index among matching calls of the first to fail; 0: none
  uint64_t times = 1;         // how many consecutive matching calls fail from the nth (kForever)
  double probability = 0.0;   // in addition, each matching call fails with this probability
  Status::Code code = Status::Code::kRetryable;  // must not be kOk
  std::string message = "injected fault";
  FaultTiming timing = FaultTiming::kBeforeCall;
};

class FaultInjectingStore : public ObjectStore {
 public:
  // Borrows `inner`, which must outlive this object.
  explicit FaultInjectingStore(ObjectStore* inner, uint64_t seed = 42);
  // Owns `inner`.
  explicit FaultInjectingStore(std::unique_ptr<ObjectStore> inner, uint64_t seed = 42);

  Status Put(const std::string& key, std::string_view data) override;
  Result<std::string> Get(const std::string& key) override;
  Result<std::string> GetRange(const std::string& key, uint64_t offset, uint64_t length) override;
  Result<uint64_t> Head(const std::string& key) override;
  // Faults as a kHead (S3 answers it with one HEAD).
  Result<std::optional<ObjectLock>> Lock(const std::string& key) override;
  Result<ListPage> List(const std::string& prefix, const std::string& token,
                        size_t max_keys) override;
  Status Delete(const std::vector<std::string>& keys) override;
  // "fault(<inner description>)"
  std::string Describe() const override;
  std::shared_ptr<const crypto::KeyRing> keys() const override { return inner_->keys(); }

  // Adds a rule (checked after the existing ones); returns its id for RemoveRule.
  int AddRule(FaultRule rule);
  // Shorthands for AddRule.
  int FailNth(StoreOp op, uint64_t n, Status::Code code = Status::Code::kRetryable);
  int FailFraction(double probability, std::optional<StoreOp> op = std::nullopt,
                   Status::Code code = Status::Code::kRetryable);
  int LoseNthPut(uint64_t n);     // the n-th Put fails and stores nothing (crash before commit)
  int LoseNthPutAck(uint64_t n);  // the n-th Put is stored but reported failed
  void RemoveRule(int id);
  void ClearRules();

  uint64_t calls(StoreOp op) const;     // calls made, failed ones included
  uint64_t injected(StoreOp op) const;  // failures injected
  uint64_t total_calls() const;
  uint64_t total_injected() const;
  void ResetCounters();

  ObjectStore& inner() { return *inner_; }

 private:
  struct ActiveRule {
    int id;
    FaultRule rule;
    uint64_t matched = 0;  // matching calls seen so far
  };
  // Counts the call; returns the fault to inject, if any.
  struct Fault {
    Status status;
    FaultTiming timing;
  };
  std::optional<Fault> Decide(StoreOp op, const std::vector<std::string_view>& keys,
                              std::string_view subject);

  std::unique_ptr<ObjectStore> owned_;
  ObjectStore* inner_;
  mutable std::mutex mu_;
  std::vector<ActiveRule> rules_;                   // guarded by mu_
  int next_id_ = 1;                                 // guarded by mu_
  std::mt19937_64 rng_;                             // guarded by mu_
  std::array<uint64_t, kStoreOpCount> calls_{};     // guarded by mu_
  std::array<uint64_t, kStoreOpCount> injected_{};  // guarded by mu_
};

}  // namespace kb::storage
