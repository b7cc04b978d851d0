// Parsing of the storage.azure section (AzureStoreConfig in config/config.h), kept apart from
// config.cc so that each storage backend's keys live in a file of their own.
//
// Failure contract: InvalidArgument naming the storage.azure.<key> at fault (unknown keys too).
// Thread-safety: pure function.
#pragma once

#include "common/status.h"
#include "config/config.h"
#include "config/yaml_reader.h"

namespace kb {

// Reads the keys of storage.azure from `r` (and calls r.Finish()).
Status ParseAzureStoreConfig(YamlMapReader& r, AzureStoreConfig* out);

}  // namespace kb
