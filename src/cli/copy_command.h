// `kafka-backup copy --to URL [--from URL] [--topic T]... [--parallel N] [--output json]`: copies a
// backup between stores (ops/copy.h), byte for byte, verified and resumable. The source is
// --from, else the config's store (or --store); both are store URLs (config/store_url.h) whose
// credentials come from the environment.
//
// Failure contract: InvalidArgument for a bad URL or a destination that is the source; an error
// for a failed listing; Permanent naming the count when objects failed (each printed).
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "common/status.h"
#include "config/config.h"

namespace kb::cli {

struct CopyArgs {
  std::string from, to;  // store URLs; from "" = the config's store
  std::vector<std::string> topics;
  std::optional<int> parallel;  // default 4
  bool json = false;
};

Status RunCopy(const Config& cfg, const CopyArgs& args, std::ostream& out);

}  // namespace kb::cli
