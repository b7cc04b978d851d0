#include "storage/fault/fault_store.h"

#include <cassert>
#include <numeric>
#include <utility>

namespace kb::storage {
namespace {

Status MakeStatus(Status::Code code, std::string_view subject, std::string_view msg) {
  switch (code) {
    case Status::Code::kNotFound:
      return Status::NotFound(subject, msg);
    case Status::Code::kPermanent:
      return Status::Permanent(subject, msg);
    case Status::Code::kPermissionDenied:
      return Status::PermissionDenied(subject, msg);
    case Status::Code::kCorruption:
      return Status::Corruption(subject, msg);
    case Status::Code::kInvalidArgument:
      return Status::InvalidArgument(subject, msg);
    case Status::Code::kFailedPrecondition:
      return Status::FailedPrecondition(subject, msg);
    case Status::Code::kAlreadyExists:
      return Status::AlreadyExists(subject, msg);
    case Status::Code::kNotImplemented:
      return Status::NotImplemented(subject, msg);
    case Status::Code::kCancelled:
      return Status::Cancelled(subject, msg);
    case Status::Code::kOk:  // a rule must fail; treat a mistaken kOk as the default
    case Status::Code::kRetryable:
      break;
  }
  return Status::Retryable(subject, msg);
}

size_t Index(StoreOp op) { return static_cast<size_t>(op); }

}  // namespace

std::string_view StoreOpName(StoreOp op) {
  switch (op) {
    case StoreOp::kPut:
      return "Put";
    case StoreOp::kGet:
      return "Get";
    case StoreOp::kGetRange:
      return "GetRange";
    case StoreOp::kHead:
      return "Head";
    case StoreOp::kList:
      return "List";
    case StoreOp::kDelete:
      return "Delete";
  }
  return "?";
}

FaultInjectingStore::FaultInjectingStore(ObjectStore* inner, uint64_t seed)
    : inner_(inner), rng_(seed) {
  assert(inner_ != nullptr);
}

FaultInjectingStore::FaultInjectingStore(std::unique_ptr<ObjectStore> inner, uint64_t seed)
    : owned_(std::move(inner)), inner_(owned_.get()), rng_(seed) {
  assert(inner_ != nullptr);
}

std::optional<FaultInjectingStore::Fault> FaultInjectingStore::Decide(
    StoreOp op, const std::vector<std::string_view>& keys, std::string_view subject) {
  std::lock_guard lock(mu_);
  const uint64_t call = ++calls_[Index(op)];
  std::optional<Fault> fault;
  for (auto& active : rules_) {
    const FaultRule& rule = active.rule;
    if (rule.op && *rule.op != op) continue;
    if (!rule.key_prefix.empty()) {
      bool any = false;
      for (auto k : keys) any = any || k.starts_with(rule.key_prefix);
      if (!any) continue;
    }
    const uint64_t n = ++active.matched;  // every matching rule counts the call
    bool fire = rule.nth != 0 && n >= rule.nth && n - rule.nth < rule.times;
    if (rule.probability > 0) {
      // Always draw, so one rule's outcome does not shift another's random sequence.
      const bool lucky = std::uniform_real_distribution<double>(0.0, 1.0)(rng_) < rule.probability;
      fire = fire || lucky;
    }
    if (fire && !fault) {
      fault = Fault{
          MakeStatus(rule.code, subject,
                     rule.message + " (fault rule #" + std::to_string(active.id) + ", " +
                         std::string(StoreOpName(op)) + " call " + std::to_string(call) + ")"),
          rule.timing};
    }
  }
  if (fault) ++injected_[Index(op)];
  return fault;
}

Status FaultInjectingStore::Put(const std::string& key, std::string_view data) {
  auto fault = Decide(StoreOp::kPut, {key}, key);
  if (fault && fault->timing == FaultTiming::kBeforeCall) return fault->status;
  Status s = inner_->Put(key, data);
  return fault ? fault->status : s;
}

Result<std::string> FaultInjectingStore::Get(const std::string& key) {
  auto fault = Decide(StoreOp::kGet, {key}, key);
  if (fault && fault->timing == FaultTiming::kBeforeCall) return fault->status;
  auto r = inner_->Get(key);
  if (fault) return fault->status;
  return r;
}

Result<std::string> FaultInjectingStore::GetRange(const std::string& key, uint64_t offset,
                                                  uint64_t length) {
  auto fault = Decide(StoreOp::kGetRange, {key}, key);
  if (fault && fault->timing == FaultTiming::kBeforeCall) return fault->status;
  auto r = inner_->GetRange(key, offset, length);
  if (fault) return fault->status;
  return r;
}

Result<uint64_t> FaultInjectingStore::Head(const std::string& key) {
  auto fault = Decide(StoreOp::kHead, {key}, key);
  if (fault && fault->timing == FaultTiming::kBeforeCall) return fault->status;
  auto r = inner_->Head(key);
  if (fault) return fault->status;
  return r;
}

Result<std::optional<ObjectLock>> FaultInjectingStore::Lock(const std::string& key) {
  auto fault = Decide(StoreOp::kHead, {key}, key);
  if (fault && fault->timing == FaultTiming::kBeforeCall) return fault->status;
  auto r = inner_->Lock(key);
  if (fault) return fault->status;
  return r;
}

Result<ListPage> FaultInjectingStore::List(const std::string& prefix, const std::string& token,
                                           size_t max_keys) {
  auto fault = Decide(StoreOp::kList, {prefix}, prefix);
  if (fault && fault->timing == FaultTiming::kBeforeCall) return fault->status;
  auto r = inner_->List(prefix, token, max_keys);
  if (fault) return fault->status;
  return r;
}

Status FaultInjectingStore::Delete(const std::vector<std::string>& keys) {
  std::vector<std::string_view> views(keys.begin(), keys.end());
  auto fault = Decide(StoreOp::kDelete, views, keys.empty() ? "<empty batch>" : keys.front());
  if (fault && fault->timing == FaultTiming::kBeforeCall) return fault->status;
  Status s = inner_->Delete(keys);
  return fault ? fault->status : s;
}

std::string FaultInjectingStore::Describe() const { return "fault(" + inner_->Describe() + ")"; }

int FaultInjectingStore::AddRule(FaultRule rule) {
  std::lock_guard lock(mu_);
  const int id = next_id_++;
  rules_.push_back({id, std::move(rule)});
  return id;
}

int FaultInjectingStore::FailNth(StoreOp op, uint64_t n, Status::Code code) {
  return AddRule({.op = op, .nth = n, .code = code});
}

int FaultInjectingStore::FailFraction(double probability, std::optional<StoreOp> op,
                                      Status::Code code) {
  return AddRule({.op = op, .probability = probability, .code = code});
}

int FaultInjectingStore::LoseNthPut(uint64_t n) {
  return AddRule({.op = StoreOp::kPut,
                  .nth = n,
                  .message = "injected crash before the put completed (not stored)",
                  .timing = FaultTiming::kBeforeCall});
}

int FaultInjectingStore::LoseNthPutAck(uint64_t n) {
  return AddRule({.op = StoreOp::kPut,
                  .nth = n,
                  .message = "injected lost acknowledgement (the object was stored)",
                  .timing = FaultTiming::kAfterCall});
}

void FaultInjectingStore::RemoveRule(int id) {
  std::lock_guard lock(mu_);
  std::erase_if(rules_, [id](const ActiveRule& r) { return r.id == id; });
}

void FaultInjectingStore::ClearRules() {
  std::lock_guard lock(mu_);
  rules_.clear();
}

uint64_t FaultInjectingStore::calls(StoreOp op) const {
  std::lock_guard lock(mu_);
  return calls_[Index(op)];
}

uint64_t FaultInjectingStore::injected(StoreOp op) const {
  std::lock_guard lock(mu_);
  return injected_[Index(op)];
}

uint64_t FaultInjectingStore::total_calls() const {
  std::lock_guard lock(mu_);
  return std::accumulate(calls_.begin(), calls_.end(), uint64_t{0});
}

uint64_t FaultInjectingStore::total_injected() const {
  std::lock_guard lock(mu_);
  return std::accumulate(injected_.begin(), injected_.end(), uint64_t{0});
}

void FaultInjectingStore::ResetCounters() {
  std::lock_guard lock(mu_);
  calls_.fill(0);
  injected_.fill(0);
}

}  // namespace kb::storage
