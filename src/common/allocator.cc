#include "common/allocator.h"

#ifdef __GLIBC__
#include <malloc.h>
#endif

// mimalloc's entry points, declared weak: null unless the binary links mimalloc.
extern "C" {
int mi_version(void) __attribute__((weak));
void mi_collect(bool force) __attribute__((weak));
}

namespace kb {

bool UsingMimalloc() { return mi_version != nullptr; }

std::string AllocatorName() {
  if (UsingMimalloc()) {
    const int v = mi_version();  // e.g. 209 for 2.0.9
    return "mimalloc " + std::to_string(v / 100) + "." + std::to_string(v / 10 % 10) + "." +
           std::to_string(v % 10);
  }
#ifdef __GLIBC__
  return "glibc malloc";
#else
  return "system malloc";
#endif
}

void ReleaseFreeMemory() {
  if (mi_collect != nullptr) {
    mi_collect(false);
    return;
  }
#ifdef __GLIBC__
  malloc_trim(0);
#endif
}

}  // namespace kb
