#include "catalog/store_problem.h"

#include <algorithm>

namespace kb::catalog {

std::string FormatProblem(const StoreProblem& p) {
  std::string line = p.key;
  if (p.start >= 0) line += " offsets " + std::to_string(p.start) + ".." + std::to_string(p.end);
  return line + ": " + p.message;
}

StoreProblem ProblemFromStatus(const std::string& key, int64_t start, int64_t end,
                               const Status& s) {
  std::string message = s.message();
  if (!s.IsCorruption()) message = std::string(Status::CodeName(s.code())) + ": " + message;
  return StoreProblem{key, start, end, std::move(message)};
}

bool IsDataProblem(const Status& s) {
  return s.IsCorruption() || s.IsNotFound() || s.code() == Status::Code::kNotImplemented;
}

Status AddProblemOrFail(const std::string& key, int64_t start, int64_t end, const Status& s,
                        std::vector<StoreProblem>* problems) {
  if (s.ok()) return s;
  if (!IsDataProblem(s)) return s;
  problems->push_back(ProblemFromStatus(key, start, end, s));
  return Status::OK();
}

void SortProblems(std::vector<StoreProblem>* problems) {
  std::sort(problems->begin(), problems->end());
  problems->erase(std::unique(problems->begin(), problems->end()), problems->end());
}

}  // namespace kb::catalog
