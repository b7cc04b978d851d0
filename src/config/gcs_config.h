// Parsing of the storage.gcs section (GcsStoreConfig, config/config.h), kept apart from config.cc
// so that each storage backend's keys live in a file of their own. Internal to kb_config.
//
// Thread-safety: reentrant. Failure contract: InvalidArgument naming the storage.gcs.<key> at
// fault; never echoes a credential (the section holds only a key file's path, never a key).
#pragma once

#include "common/status.h"
#include "config/config.h"
#include "config/env_expand.h"
#include "config/yaml_reader.h"

namespace kb {

// Reads `r` (the storage.gcs map) into `out`, with the defaults of GcsStoreConfig resolved from
// `env` (STORAGE_EMULATOR_HOST, GOOGLE_APPLICATION_CREDENTIALS, GCE_METADATA_HOST).
Status ParseGcs(YamlMapReader& r, const EnvLookup& env, GcsStoreConfig* out);

}  // namespace kb
