// What config.cc shares with the other parsers of config/ (store_url.cc): the parser of the
// `storage:` section, from any YAML node (a file's section, or one built from a store URL).
// Internal to config/.
#pragma once

#include "config/config.h"
#include "config/yaml_reader.h"

namespace kb {

// Parses the `storage:` section read by `r` into *out (defaults from `env`: AWS_REGION ...);
// errors name r's path ("storage.s3.bucket").
Status ParseStorage(YamlMapReader& r, const EnvLookup& env, StorageConfig* out);

}  // namespace kb
