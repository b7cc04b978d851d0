// Textfile metrics: gauges of a short-lived command (`verify --metrics-file`, `restore
// --metrics-file`) written as a Prometheus text exposition file for node_exporter's textfile
// collector (--collector.textfile.directory), since a command that exits cannot be scraped.
//
// The file is replaced atomically (written to "<path>.tmp-<pid>", then renamed), so a collector
// never reads half of it. Each write replaces the whole file: a value that must survive a run
// (e.g. the last success time) is read back first with ReadTextfileGauge.
//
// Failure contract: a file that cannot be written or renamed is Permanent naming the flag and path
// (with the OS's reason); nothing else fails. Thread-safety: no shared state; concurrent writers of
// one path leave the last rename's content.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace kb::metrics {

struct TextfileGauge {
  std::string name;  // kafka_backup_...
  std::string help;
  double value = 0;
};

// `flag` names the option in errors ("--metrics-file").
Status WriteTextfile(const std::string& path, const std::vector<TextfileGauge>& gauges,
                     std::string_view flag = "--metrics-file");

// Whether `path` can be written (a temp file next to it is created and removed): for checking the
// flag before a long run rather than after it. Permanent naming the flag and path otherwise.
Status CheckTextfileWritable(const std::string& path, std::string_view flag = "--metrics-file");

// The value of the unlabelled gauge `name` in a file WriteTextfile wrote; nullopt when the file or
// the gauge is absent or unreadable.
std::optional<double> ReadTextfileGauge(const std::string& path, std::string_view name);

}  // namespace kb::metrics
