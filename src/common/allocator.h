// Allocator: which malloc this process runs on, and handing its free memory back to the kernel.
//
// The kafka-backup binary links mimalloc (cmake/Dependencies.cmake, option KB_MIMALLOC), which
// then serves malloc and free for the whole process, librdkafka included: librdkafka allocates
// every fetched message on its broker thread and the consume thread frees it, and glibc's malloc
// pays for that hand-over with arena locks and wake-ups (docs/benchmarks.md, fifth run: 8% of
// an uncompressed backup's CPU; no change measured with lz4 or zstd). Sanitizer, fuzzing and test
// builds run on the C library's malloc. Which one is in use is found at run time (mimalloc's
// functions are weak references here), so the same code serves both.
//
// Thread-safety: both functions may be called from any thread.
#pragma once

#include <string>

namespace kb {

// "mimalloc 2.0.9", or "glibc malloc" (or "system malloc" off glibc).
std::string AllocatorName();
bool UsingMimalloc();

// Gives memory that is free but still resident back to the kernel (mimalloc: mi_collect;
// glibc: malloc_trim), so that RSS follows what is in use. Cheap enough to call every second.
void ReleaseFreeMemory();

}  // namespace kb
