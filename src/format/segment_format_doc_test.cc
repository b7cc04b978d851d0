// docs/format.md is the normative spec: its worked example must be exactly what the writer produces
// and what the decoder reads.
#include <gtest/gtest.h>

#include <cctype>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "format/segment_decoder.h"
#include "format/segment_writer.h"

#ifndef KB_DOCS_DIR
#error "KB_DOCS_DIR must name the docs/ directory"
#endif

namespace kb::format {
namespace {

// The bytes of the annotated hex dump between the golden-segment markers: on each line, the
// leading two-hex-digit tokens; lines starting with "--" are section titles.
std::string GoldenSegmentFromDoc() {
  std::ifstream in(std::string(KB_DOCS_DIR) + "/format.md");
  EXPECT_TRUE(in.good()) << "cannot open docs/format.md";
  std::string line;
  bool inside = false;
  std::string bytes;
  while (std::getline(in, line)) {
    if (line.find("<!-- golden-segment:begin -->") != std::string::npos) inside = true;
    if (line.find("<!-- golden-segment:end -->") != std::string::npos) break;
    if (!inside || line.rfind("--", 0) == 0 || line.rfind("```", 0) == 0) continue;
    std::istringstream tokens(line);
    std::string t;
    while (tokens >> t && t.size() == 2 && std::isxdigit(static_cast<unsigned char>(t[0])) &&
           std::isxdigit(static_cast<unsigned char>(t[1]))) {
      bytes += static_cast<char>(std::stoi(t, nullptr, 16));
    }
  }
  return bytes;
}

std::vector<Record> ExampleRecords() {
  return {
      Record{42, 1700000000000, TimestampType::kCreateTime, "k1", "hello", {{"trace", "ab"}}},
      Record{44,
             1699999999990,
             TimestampType::kLogAppendTime,
             std::nullopt,
             "",
             {{"trace", std::nullopt}}},
  };
}

TEST(SegmentFormatDocTest, WorkedExampleIsWhatTheWriterProduces) {
  const std::string golden = GoldenSegmentFromDoc();
  ASSERT_EQ(golden.size(), 229u);
  auto writer = SegmentWriter::Create({.zstd_level = 0});
  ASSERT_TRUE(writer.ok());
  for (const Record& r : ExampleRecords()) ASSERT_TRUE(writer->Add(r).ok());
  auto bytes = writer->Finish();
  ASSERT_TRUE(bytes.ok());
  ASSERT_EQ(bytes->size(), golden.size());
  for (size_t i = 0; i < golden.size(); ++i) {
    ASSERT_EQ(static_cast<unsigned char>((*bytes)[i]), static_cast<unsigned char>(golden[i]))
        << "byte " << i;
  }
}

TEST(SegmentFormatDocTest, WorkedExampleDecodes) {
  auto segment = DecodeSegment("example", GoldenSegmentFromDoc());
  ASSERT_TRUE(segment.ok()) << segment.status().ToString();
  EXPECT_EQ(segment->ToRecords(), ExampleRecords());
  EXPECT_EQ(segment->version, 1);
}

TEST(SegmentFormatDocTest, ConstantsMatchTheDocument) {
  EXPECT_EQ(kMagic, std::string_view("\x89\x4B\x42\x53\x45\x47\x0D\x0A", 8));
  EXPECT_EQ(kFormatVersion, 4);
  EXPECT_EQ(kPlainFormatVersion, 1);
  EXPECT_EQ(kSealedFormatVersion, 2);
  EXPECT_EQ(kPlainLz4FormatVersion, 3);
  EXPECT_EQ(kSealedLz4FormatVersion, 4);
  EXPECT_EQ(static_cast<int>(Compression::kNone), 0);
  EXPECT_EQ(static_cast<int>(Compression::kZstd), 1);
  EXPECT_EQ(static_cast<int>(Compression::kLz4), 2);
  EXPECT_EQ(kMaxLz4Expansion, 255u);
  EXPECT_EQ(kSealedTrailerSize, 100u);
  EXPECT_EQ(kFrameOverhead, 40u);
  EXPECT_EQ(kFileHeaderSize, 16u);
  EXPECT_EQ(kBlockHeaderSize, 40u);
  EXPECT_EQ(kFooterFixedSize, 48u);
  EXPECT_EQ(kIndexEntrySize, 48u);
  EXPECT_EQ(kTrailerSize, 40u);
  EXPECT_EQ(kMaxBlockBytes, 67108864u);
  EXPECT_EQ(kMaxBlockRecords, 1u << 20);
  EXPECT_EQ(kMaxBlockHeaders, 1u << 20);
  EXPECT_EQ(kMaxBlockCount, 1u << 20);
  EXPECT_EQ(kMinRecordBytes, 7u);
  EXPECT_EQ(kMaxZstdExpansion, 43691u);
  EXPECT_EQ(kMinSegmentBytes, 193u);
}

}  // namespace
}  // namespace kb::format
