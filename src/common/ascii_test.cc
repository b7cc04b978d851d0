#include "common/ascii.h"

#include <gtest/gtest.h>

namespace kb {
namespace {

TEST(AsciiLowerTest, MapsOnlyAsciiCapitals) {
  EXPECT_EQ(AsciiLower("Content-Type: X-Ms-Blob"), "content-type: x-ms-blob");
  EXPECT_EQ(AsciiLower(""), "");
  EXPECT_EQ(AsciiLower("az09@[`{"), "az09@[`{");          // the neighbours of A-Z and a-z stay
  EXPECT_EQ(AsciiLower("\xC3\x84pfel"), "\xC3\x84pfel");  // UTF-8 bytes pass through
  EXPECT_EQ(AsciiLower(std::string_view("A\0B", 3)), std::string("a\0b", 3));
}

}  // namespace
}  // namespace kb
