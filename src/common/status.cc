#include "common/status.h"

namespace kb {

std::string_view Status::CodeName(Code code) {
  switch (code) {
    case Code::kOk:
      return "OK";
    case Code::kNotFound:
      return "Not found";
    case Code::kRetryable:
      return "Transient error";
    case Code::kPermanent:
      return "Error";
    case Code::kPermissionDenied:
      return "Permission denied";
    case Code::kCorruption:
      return "Corruption";
    case Code::kInvalidArgument:
      return "Invalid argument";
    case Code::kFailedPrecondition:
      return "Failed precondition";
    case Code::kAlreadyExists:
      return "Already exists";
    case Code::kNotImplemented:
      return "Not implemented";
    case Code::kCancelled:
      return "Cancelled";
  }
  return "Unknown";
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  std::string out(CodeName(code_));
  out += ": ";
  if (!subject_.empty()) {
    out += subject_;
    out += ": ";
  }
  out += message_;
  return out;
}

Status Status::WithContext(std::string_view context) const {
  if (ok()) return *this;
  std::string msg(context);
  msg += ": ";
  msg += message_;
  return Status(code_, subject_, msg);
}

}  // namespace kb
