// StoreProblem: one thing wrong with a backup store, as `ls` and `verify` report it: the object at
// fault, the offsets concerned, and what is wrong. Every problem names an object key, so an
// operator can find the object, and a report lists every problem rather than the first.
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"

namespace kb::catalog {

struct StoreProblem {
  // The object at fault; for offsets that no object covers (a hole), the object after them.
  std::string key;
  int64_t start = -1;  // offsets concerned, inclusive; -1 when the problem is not about offsets
  int64_t end = -1;
  std::string message;
  friend auto operator<=>(const StoreProblem&, const StoreProblem&) = default;
};

// "<key> offsets <start>..<end>: <message>" (no offsets part when start < 0).
std::string FormatProblem(const StoreProblem& problem);

// A problem from the error of reading or checking the object `key`: the message of `s`, with its
// code named unless it is Corruption.
StoreProblem ProblemFromStatus(const std::string& key, int64_t start, int64_t end, const Status& s);

// Whether an error met while reading or checking an object is a finding about the store's data
// (Corruption; NotImplemented: a newer format; NotFound: listed, then gone) rather than a failure
// to read the store at all (credentials, network), which stops a command.
bool IsDataProblem(const Status& s);

// Sorts out an error met while reading or checking the object `key` (offsets start..end): a data
// problem is appended to *problems and OK returned; any other error is returned.
Status AddProblemOrFail(const std::string& key, int64_t start, int64_t end, const Status& s,
                        std::vector<StoreProblem>* problems);

// Sorts by key, then offsets, and drops exact duplicates.
void SortProblems(std::vector<StoreProblem>* problems);

}  // namespace kb::catalog
