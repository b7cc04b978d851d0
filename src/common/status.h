// Status and Result<T>: how every fallible operation in Kafka Backup reports failure.
//
// A Status is either OK or carries a Code, a human-readable message and the *subject* at fault: the
// object key, config key, topic/partition or file path the error is about. Operator-facing messages
// are built by ToString() as "<code>: <subject>: <message>", so every error names the thing at
// fault.
//
// Codes are chosen by what a caller does next:
//   kNotFound          the thing does not exist (object, topic, file)
//   kRetryable         transient (timeouts, 5xx, throttling, connection resets): retry with backoff
//   kPermanent         will fail again the same way (4xx other than the above, I/O errors)
//   kPermissionDenied  credentials or ACLs: retrying cannot help, the operator must act
//   kCorruption        bytes read back are not what was written; never retried
//   kInvalidArgument   bad input from the user (config, flags) or caller
//   kFailedPrecondition the world is not in the state the operation requires
//   kAlreadyExists, kNotImplemented, kCancelled
//
// Thread-safety: a Status is a value; distinct objects may be used from different threads.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace kb {

class Status {
 public:
  enum class Code {
    kOk = 0,
    kNotFound,
    kRetryable,
    kPermanent,
    kPermissionDenied,
    kCorruption,
    kInvalidArgument,
    kFailedPrecondition,
    kAlreadyExists,
    kNotImplemented,
    kCancelled,
  };

  Status() = default;  // OK

  static Status OK() { return Status(); }
  static Status NotFound(std::string_view subject, std::string_view msg) {
    return Status(Code::kNotFound, subject, msg);
  }
  static Status Retryable(std::string_view subject, std::string_view msg) {
    return Status(Code::kRetryable, subject, msg);
  }
  static Status Permanent(std::string_view subject, std::string_view msg) {
    return Status(Code::kPermanent, subject, msg);
  }
  static Status PermissionDenied(std::string_view subject, std::string_view msg) {
    return Status(Code::kPermissionDenied, subject, msg);
  }
  static Status Corruption(std::string_view subject, std::string_view msg) {
    return Status(Code::kCorruption, subject, msg);
  }
  static Status InvalidArgument(std::string_view subject, std::string_view msg) {
    return Status(Code::kInvalidArgument, subject, msg);
  }
  static Status FailedPrecondition(std::string_view subject, std::string_view msg) {
    return Status(Code::kFailedPrecondition, subject, msg);
  }
  static Status AlreadyExists(std::string_view subject, std::string_view msg) {
    return Status(Code::kAlreadyExists, subject, msg);
  }
  static Status NotImplemented(std::string_view subject, std::string_view msg) {
    return Status(Code::kNotImplemented, subject, msg);
  }
  static Status Cancelled(std::string_view subject, std::string_view msg) {
    return Status(Code::kCancelled, subject, msg);
  }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  bool IsNotFound() const { return code_ == Code::kNotFound; }
  bool IsRetryable() const { return code_ == Code::kRetryable; }
  bool IsCorruption() const { return code_ == Code::kCorruption; }
  bool IsInvalidArgument() const { return code_ == Code::kInvalidArgument; }
  bool IsPermissionDenied() const { return code_ == Code::kPermissionDenied; }

  // The object key, config key, topic/partition ... the error is about; may be empty.
  const std::string& subject() const { return subject_; }
  const std::string& message() const { return message_; }

  // "Corruption: backups/t/0/000..: bad block checksum at byte 4096"; "OK" when ok().
  std::string ToString() const;

  // Returns a copy whose message is prefixed with `context` ("while restoring t/3: ...").
  Status WithContext(std::string_view context) const;

  static std::string_view CodeName(Code code);

  friend bool operator==(const Status& a, const Status& b) = default;

 private:
  Status(Code code, std::string_view subject, std::string_view msg)
      : code_(code), subject_(subject), message_(msg) {}

  Code code_ = Code::kOk;
  std::string subject_;
  std::string message_;
};

// Either a value or a non-OK Status. Modeled on absl::StatusOr, minus the bells.
template <typename T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}        // NOLINT(google-explicit-constructor)
  Result(Status status) : v_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    assert(!std::get<Status>(v_).ok() && "Result constructed from an OK Status");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace kb

// Early-return helpers. KB_RETURN_IF_ERROR(expr) returns the Status of `expr` if it is not OK.
#define KB_RETURN_IF_ERROR(expr)                     \
  do {                                               \
    ::kb::Status kb_status_tmp_ = (expr);            \
    if (!kb_status_tmp_.ok()) return kb_status_tmp_; \
  } while (0)

#define KB_CONCAT_INNER_(a, b) a##b
#define KB_CONCAT_(a, b) KB_CONCAT_INNER_(a, b)
// KB_ASSIGN_OR_RETURN(auto x, MakeX()): binds the value or returns the error.
#define KB_ASSIGN_OR_RETURN(lhs, rexpr) \
  KB_ASSIGN_OR_RETURN_IMPL_(KB_CONCAT_(kb_result_, __LINE__), lhs, rexpr)
#define KB_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, rexpr) \
  auto tmp = (rexpr);                              \
  if (!tmp.ok()) return tmp.status();              \
  lhs = std::move(tmp).value()
