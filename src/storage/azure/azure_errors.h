// The one place Azure Blob Storage errors (HTTP status and x-ms-error-code) become kb::Status
// codes, as common/error_map does for S3: what the caller does next (retry, give up, fix the
// credentials) is decided here for every Azure request. The message passes through RedactSas, so
// a SAS signature in a URL never reaches a Status.
//
// Thread-safety: pure function.
#pragma once

#include <string_view>

#include "common/status.h"

namespace kb::storage::azure {

// `subject`: the blob key (or the container for container requests); `message`: what was asked.
//  - 2xx: OK
//  - 429, 5xx, ServerBusy, OperationTimedOut, InternalError: Retryable
//  - ContainerNotFound: Permanent, naming storage.azure.container (never a NotFound of the key,
//    which the caller would read as "no such object")
//  - 404 (BlobNotFound ...): NotFound
//  - 401, 403 (AuthenticationFailed, AuthorizationFailure, ...): PermissionDenied, with a hint at
//    the credentials to check
//  - 416 (InvalidRange): InvalidArgument
//  - 409, 412: FailedPrecondition
//  - others (400 ...): Permanent
Status FromAzureError(long http_status, std::string_view error_code, std::string_view subject,
                      std::string_view message);

}  // namespace kb::storage::azure
