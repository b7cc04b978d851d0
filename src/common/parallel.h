// ParallelFor: the one small worker pool of the operator commands. Runs fn(0) ... fn(n - 1) on up
// to `parallelism` threads (the caller's thread included) and returns when every call returned.
// Indices are handed out in increasing order to whichever thread is free, so with parallelism 1
// the calls run in order on the caller's thread.
//
// Ownership: nothing outlives the call; the helper threads are joined before it returns.
// Failure contract: `fn` reports failures through its own state (e.g. a Status per index) and must
// not throw. Thread-safety: `fn` is called concurrently for distinct indices.
#pragma once

#include <cstddef>
#include <functional>

namespace kb {

void ParallelFor(size_t n, size_t parallelism, const std::function<void(size_t)>& fn);

}  // namespace kb
