// Store URLs: a store named on the command line (`--store URL`, `copy --from URL --to URL`)
// instead of the config file's `storage:` section.
//
//   file:///var/backups/kafka[?prefix=P]          a local directory (an absolute path)
//   s3://bucket[/prefix][?region=R&endpoint=URL&path_style=true&profile=P&ca_bundle=FILE]
//   az://account/container[/prefix][?endpoint=URL&auth=shared_key|sas|...&ca_bundle=FILE]
//   gs://bucket[/prefix][?endpoint=URL&auth=service_account|metadata|none&credentials_file=F
//                        &ca_bundle=FILE]
//
// A URL replaces the section's store (type, prefix and that backend's keys); the encryption
// keys and retry timeout of `base` (the config file's) are kept. Credentials are never part of
// a URL: each backend takes them from the environment as its cloud's own CLI does (S3: the AWS
// variables, profile, web identity, instance metadata; Azure: AZURE_STORAGE_KEY,
// AZURE_STORAGE_SAS_TOKEN, AZURE_STORAGE_CONNECTION_STRING, workload identity; GCS:
// GOOGLE_APPLICATION_CREDENTIALS, STORAGE_EMULATOR_HOST, the metadata server;
// docs/configuration.md). Query values and path segments are percent-decoded.
//
// Failure contract: InvalidArgument naming `flag` and the part at fault (scheme, bucket,
// parameter); a URL with user information ("user:secret@") is refused without repeating it.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"
#include "config/config.h"
#include "config/env_expand.h"

namespace kb {

Result<StorageConfig> ParseStoreUrl(std::string_view url, std::string_view flag,
                                    const StorageConfig& base, const EnvLookup& env);

// The URL of a store config (secrets left out): "file:///x", "s3://bucket/prefix?region=...".
std::string StoreUrlOf(const StorageConfig& storage);

}  // namespace kb
