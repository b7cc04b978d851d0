#include "storage/azure/azure_errors.h"

#include <string>

#include "storage/azure/azure_auth.h"

namespace kb::storage::azure {

Status FromAzureError(long http_status, std::string_view error_code, std::string_view subject,
                      std::string_view message) {
  if (http_status >= 200 && http_status < 300) return Status::OK();
  std::string msg = "HTTP " + std::to_string(http_status);
  if (!error_code.empty()) msg += " " + std::string(error_code);
  if (!message.empty()) msg += ": " + RedactSas(message);
  if (http_status == 429 || http_status >= 500 || error_code == "ServerBusy" ||
      error_code == "OperationTimedOut" || error_code == "InternalError") {
    return Status::Retryable(subject, msg);
  }
  if (error_code == "ContainerNotFound") {
    return Status::Permanent(subject, msg +
                                          " (the container storage.azure.container names does "
                                          "not exist: create it first)");
  }
  if (http_status == 404) return Status::NotFound(subject, msg);
  if (http_status == 401 || http_status == 403) {
    // A bad signature is AuthenticationFailed on Azure, AuthorizationFailure on Azurite.
    if (error_code == "AuthenticationFailed" ||
        (error_code == "AuthorizationFailure" &&
         message.find("authenticate") != std::string_view::npos)) {
      msg +=
          " (check the Azure credentials: storage.azure.key / AZURE_STORAGE_KEY, the SAS "
          "token's signature and expiry, or the Azure AD identity)";
    } else if (error_code.starts_with("Authorization")) {
      msg +=
          " (the identity lacks a role on the container, e.g. Storage Blob Data Contributor, "
          "or the SAS token lacks a permission)";
    }
    return Status::PermissionDenied(subject, msg);
  }
  if (http_status == 416) return Status::InvalidArgument(subject, msg);
  if (http_status == 409 || http_status == 412) return Status::FailedPrecondition(subject, msg);
  return Status::Permanent(subject, msg);
}

}  // namespace kb::storage::azure
