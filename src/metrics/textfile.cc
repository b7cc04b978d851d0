#include "metrics/textfile.h"

#include <prometheus/gauge.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

namespace kb::metrics {

Status WriteTextfile(const std::string& path, const std::vector<TextfileGauge>& gauges,
                     std::string_view flag) {
  prometheus::Registry registry;
  for (const TextfileGauge& g : gauges) {
    prometheus::BuildGauge().Name(g.name).Help(g.help).Register(registry).Add({}).Set(g.value);
  }
  const std::string text = prometheus::TextSerializer().Serialize(registry.Collect());
  const std::string tmp = path + ".tmp-" + std::to_string(::getpid());
  const std::string subject = std::string(flag) + " " + path;
  FILE* f = std::fopen(tmp.c_str(), "w");
  if (f == nullptr) {
    return Status::Permanent(subject, "cannot write " + tmp + ": " + std::strerror(errno));
  }
  const bool written = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  const int write_errno = errno;
  if (std::fclose(f) != 0 || !written) {
    std::remove(tmp.c_str());
    return Status::Permanent(subject, "cannot write " + tmp + ": " + std::strerror(write_errno));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const int rename_errno = errno;
    std::remove(tmp.c_str());
    return Status::Permanent(
        subject, std::string("cannot rename into place: ") + std::strerror(rename_errno));
  }
  return Status::OK();
}

Status CheckTextfileWritable(const std::string& path, std::string_view flag) {
  const std::string tmp = path + ".tmp-" + std::to_string(::getpid());
  FILE* f = std::fopen(tmp.c_str(), "w");
  if (f == nullptr) {
    return Status::Permanent(std::string(flag) + " " + path,
                             "cannot write " + tmp + ": " + std::strerror(errno));
  }
  std::fclose(f);
  std::remove(tmp.c_str());
  return Status::OK();
}

std::optional<double> ReadTextfileGauge(const std::string& path, std::string_view name) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.size() > name.size() && line.compare(0, name.size(), name) == 0 &&
        line[name.size()] == ' ') {
      try {
        return std::stod(line.substr(name.size() + 1));
      } catch (const std::exception&) {
        return std::nullopt;
      }
    }
  }
  return std::nullopt;
}

}  // namespace kb::metrics
