// Allocator: test binaries do not link mimalloc, so they run on the C library's malloc; the
// kafka-backup binary's use of mimalloc is checked on the installed package
// (scripts/package-test.sh: --version names it, and a backup and restore run on it).
#include "common/allocator.h"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

namespace kb {
namespace {

TEST(AllocatorTest, TestBinariesRunOnTheCLibrarysMalloc) {
  EXPECT_FALSE(UsingMimalloc());
#ifdef __GLIBC__
  EXPECT_EQ(AllocatorName(), "glibc malloc");
#endif
}

TEST(AllocatorTest, ReleasingFreeMemoryKeepsWhatIsInUse) {
  std::vector<std::unique_ptr<char[]>> blocks;
  for (int i = 0; i < 64; ++i) {
    blocks.push_back(std::make_unique<char[]>(64 << 10));
    blocks.back()[0] = static_cast<char>(i);
  }
  blocks.erase(blocks.begin(), blocks.begin() + 32);
  ReleaseFreeMemory();
  for (int i = 0; i < 32; ++i) EXPECT_EQ(blocks[i][0], static_cast<char>(32 + i));
}

}  // namespace
}  // namespace kb
