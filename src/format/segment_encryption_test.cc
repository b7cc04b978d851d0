// Encrypted segments (format version 2, and 4 with LZ4 blocks): round trips through both writer
// modes and the ranged reader, and every way a wrong key, a missing key or altered/moved bytes must
// fail.
#include <gtest/gtest.h>
#include <zstd.h>

#include "crypto/key_ring.h"
#include "crypto/sealing_store.h"
#include "format/format_testing.h"
#include "format/segment_decoder.h"
#include "format/segment_reader.h"
#include "format/segment_seal.h"
#include "format/segment_writer.h"
#include "storage/memory/memory_store.h"

namespace kb::format {
namespace {

constexpr char kKey[] = "backups/orders/3/00000000000000000000-00000000000000000199";

std::array<unsigned char, crypto::kKeySize> Bytes(unsigned char fill) {
  std::array<unsigned char, crypto::kKeySize> k{};
  k.fill(fill);
  return k;
}

std::shared_ptr<const crypto::KeyRing> Ring(std::string current) {
  return *crypto::KeyRing::Make({{"k1", Bytes(1)}, {"k2", Bytes(2)}}, std::move(current));
}

Result<std::string> Sealed(const std::vector<Record>& records,
                           std::shared_ptr<const crypto::KeyRing> ring, size_t block_bytes = 4096,
                           int level = 3, std::string_view key = kKey,
                           Compression codec = Compression::kZstd) {
  KB_ASSIGN_OR_RETURN(SegmentWriter w, SegmentWriter::Create({.zstd_level = level,
                                                              .block_bytes = block_bytes,
                                                              .keys = std::move(ring),
                                                              .codec = codec}));
  for (const Record& r : records) KB_RETURN_IF_ERROR(w.Add(r));
  return w.Finish(key);
}

crypto::SealPolicy NoEnvelopes(const std::string&) { return {}; }

bool IsFailedPrecondition(const Status& s) { return s.code() == Status::Code::kFailedPrecondition; }

TEST(SegmentEncryptionTest, RoundTripsAtEveryLevelAndHidesThePlaintext) {
  const auto records = testing::RandomRecords(7, 300, 3000);
  for (int level : {0, 1, 3}) {
    auto bytes = Sealed(records, Ring("k1"), 4096, level);
    ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
    auto segment = DecodeSegment(kKey, *bytes, Ring("k2").get());
    ASSERT_TRUE(segment.ok()) << segment.status().ToString();
    EXPECT_EQ(segment->version, kSealedFormatVersion);
    EXPECT_EQ(segment->ToRecords(), records) << level;
    EXPECT_GT(segment->footer.blocks.size(), 10u);
    EXPECT_TRUE(VerifySegment(kKey, *bytes, Ring("k1").get()).ok());
    EXPECT_TRUE(LooksEncrypted(*bytes));
  }
  // A long recognisable value must not appear in the object, compressed or not.
  std::vector<Record> plain(1);
  plain[0].offset = 5;
  plain[0].value = std::string(500, 'Z') + "secret-record-value";
  auto bytes = Sealed(plain, Ring("k1"), 4096, 0);
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(bytes->find("secret-record-value"), std::string::npos);
  EXPECT_EQ(bytes->find("ZZZZZZZZ"), std::string::npos);
}

TEST(SegmentEncryptionTest, Lz4SegmentsAreVersion4AndRoundTrip) {
  const auto records = testing::JsonLikeRecords(5, 600, 400);
  auto bytes = Sealed(records, Ring("k1"), 4096, 0, kKey, Compression::kLz4);
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  EXPECT_TRUE(LooksEncrypted(*bytes));
  auto loc = ParseTrailer(kKey, *bytes, bytes->size());
  ASSERT_TRUE(loc.ok()) << loc.status().ToString();
  EXPECT_EQ(loc->version, kSealedLz4FormatVersion);
  ASSERT_TRUE(loc->seal);
  auto segment = DecodeSegment(kKey, *bytes, Ring("k2").get());
  ASSERT_TRUE(segment.ok()) << segment.status().ToString();
  EXPECT_EQ(segment->version, kSealedLz4FormatVersion);
  EXPECT_EQ(segment->ToRecords(), records);
  EXPECT_TRUE(VerifySegment(kKey, *bytes, Ring("k1").get()).ok());
  auto structure = VerifySegmentStructure(kKey, *bytes);
  ASSERT_TRUE(structure.ok()) << structure.status().ToString();
  EXPECT_TRUE(*structure);
  // Smaller than the same records stored uncompressed: the blocks really are LZ4.
  auto stored = Sealed(records, Ring("k1"), 4096, 0, kKey, Compression::kNone);
  ASSERT_TRUE(stored.ok());
  EXPECT_LT(bytes->size(), stored->size() * 3 / 4);
  // The ranged reader opens and decodes them too.
  crypto::SealingStore store(std::make_unique<storage::MemoryStore>(), Ring("k2"), NoEnvelopes);
  ASSERT_TRUE(store.Put(kKey, *bytes).ok());
  auto reader = SegmentReader::Open(store, kKey, bytes->size());
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  std::vector<Record> got;
  DecodedBlock block;
  for (size_t i = 0; i < reader->block_count(); ++i) {
    ASSERT_TRUE(reader->ReadBlock(i, &block).ok()) << i;
    for (const RecordView& r : block.records()) got.push_back(Record::FromView(r));
  }
  EXPECT_EQ(got, records);
  // A flipped ciphertext byte is still caught by the tag.
  std::string bad = *bytes;
  bad[kFileHeaderSize + kFrameHeaderSize + 50] ^= 1;
  EXPECT_TRUE(VerifySegment(kKey, bad, Ring("k1").get()).IsCorruption());
}

TEST(SegmentEncryptionTest, RangedReaderOpensBlocksWithTheKeyTheSegmentNames) {
  const auto records = testing::JsonLikeRecords(3, 2000, 200);
  auto bytes = Sealed(records, Ring("k1"));
  ASSERT_TRUE(bytes.ok());
  // rotated: k2 is current, k1 still there for old segments
  crypto::SealingStore store(std::make_unique<storage::MemoryStore>(), Ring("k2"), NoEnvelopes);
  ASSERT_TRUE(store.Put(kKey, *bytes).ok());
  auto reader = SegmentReader::Open(store, kKey, bytes->size());
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  EXPECT_EQ(reader->key_id(), "k1");
  EXPECT_EQ(reader->footer().record_count, records.size());
  std::vector<Record> got;
  DecodedBlock block;
  for (size_t i = 0; i < reader->block_count(); ++i) {
    ASSERT_TRUE(reader->ReadBlock(i, &block).ok()) << i;
    for (const RecordView& r : block.records()) got.push_back(Record::FromView(r));
  }
  EXPECT_EQ(got, records);
}

TEST(SegmentEncryptionTest, NewSegmentsUseTheCurrentKey) {
  const auto records = testing::RandomRecords(1, 20);
  auto with_k2 = Sealed(records, Ring("k2"));
  ASSERT_TRUE(with_k2.ok());
  auto loc = ParseTrailer(kKey, *with_k2, with_k2->size());
  ASSERT_TRUE(loc.ok());
  ASSERT_TRUE(loc->seal);
  EXPECT_EQ(loc->seal->key_id, "k2");
  EXPECT_EQ(loc->version, kSealedFormatVersion);
}

TEST(SegmentEncryptionTest, MissingOrWrongKeyFailsNamingObjectAndKeyId) {
  const auto records = testing::RandomRecords(2, 50);
  auto bytes = Sealed(records, Ring("k2"));
  ASSERT_TRUE(bytes.ok());
  // No encryption configured.
  Status none = DecodeSegment(kKey, *bytes).status();
  EXPECT_TRUE(IsFailedPrecondition(none)) << none.ToString();
  EXPECT_EQ(none.subject(), kKey);
  EXPECT_NE(none.message().find("'k2'"), std::string::npos);
  // A ring without k2.
  auto only_k1 = *crypto::KeyRing::Make({{"k1", Bytes(1)}}, "k1");
  Status missing = VerifySegment(kKey, *bytes, only_k1.get());
  EXPECT_TRUE(IsFailedPrecondition(missing)) << missing.ToString();
  EXPECT_NE(missing.message().find("'k2'"), std::string::npos);
  // Another key under the id k2.
  auto wrong = *crypto::KeyRing::Make({{"k2", Bytes(9)}}, "k2");
  Status wrong_key = DecodeSegment(kKey, *bytes, wrong.get()).status();
  EXPECT_TRUE(IsFailedPrecondition(wrong_key)) << wrong_key.ToString();
  EXPECT_NE(wrong_key.message().find("different key"), std::string::npos);
  // The ranged reader says the same at Open.
  storage::MemoryStore store;
  ASSERT_TRUE(store.Put(kKey, *bytes).ok());
  auto reader = SegmentReader::Open(store, kKey, bytes->size());
  EXPECT_TRUE(IsFailedPrecondition(reader.status()));
  EXPECT_EQ(reader.status().subject(), kKey);
}

TEST(SegmentEncryptionTest, AMovedSegmentOrSwappedBlocksDoNotOpen) {
  auto ring = Ring("k1");
  const auto records = testing::RandomRecords(4, 100, 500);
  auto a = Sealed(records, ring, 1024);
  auto b = Sealed(records, ring, 1024);  // same records, same offsets, another segment id
  ASSERT_TRUE(a.ok() && b.ok());
  // Under another key (another partition): the footer is bound to its name.
  const char* other = "backups/orders/4/00000000000000000000-00000000000000000199";
  Status moved = VerifySegment(other, *a, ring.get());
  EXPECT_TRUE(moved.IsCorruption()) << moved.ToString();
  // The same name under another prefix or in an archived generation still opens.
  EXPECT_TRUE(
      VerifySegment("orders/3/00000000000000000000-00000000000000000199", *a, ring.get()).ok());
  EXPECT_TRUE(VerifySegment("p/@generations/17/orders/3/00000000000000000000-00000000000000000199",
                            *a, ring.get())
                  .ok());
  // Block 1 of b put in place of block 1 of a (same size, same offsets): its tag fails.
  auto loc = ParseTrailer(kKey, *a, a->size());
  auto fa = ReadFooter(kKey, a->substr(loc->position, loc->length), *loc, ring.get());
  auto locb = ParseTrailer(kKey, *b, b->size());
  auto fb = ReadFooter(kKey, b->substr(locb->position, locb->length), *locb, ring.get());
  ASSERT_TRUE(fa.ok() && fb.ok());
  const BlockIndexEntry& ea = fa->footer.blocks[1];
  const BlockIndexEntry& eb = fb->footer.blocks[1];
  ASSERT_EQ(ea.length, eb.length);
  std::string spliced = *a;
  spliced.replace(ea.position, ea.length, b->substr(eb.position, eb.length));
  Status swapped = VerifySegment(kKey, spliced, ring.get());
  EXPECT_TRUE(swapped.IsCorruption()) << swapped.ToString();
  EXPECT_NE(swapped.message().find("block 1"), std::string::npos) << swapped.ToString();
  // Two blocks of a exchanged: their indexes are bound.
  const BlockIndexEntry& e2 = fa->footer.blocks[2];
  if (e2.length == ea.length) {
    std::string exchanged = *a;
    exchanged.replace(ea.position, ea.length, a->substr(e2.position, e2.length));
    exchanged.replace(e2.position, e2.length, a->substr(ea.position, ea.length));
    EXPECT_TRUE(VerifySegment(kKey, exchanged, ring.get()).IsCorruption());
  }
}

TEST(SegmentEncryptionTest, EveryFlippedBitIsReportedNeverDecoded) {
  auto ring = Ring("k1");
  std::vector<Record> records = testing::RandomRecords(5, 3, 20);
  auto bytes = Sealed(records, ring, 64, 0);
  ASSERT_TRUE(bytes.ok());
  for (size_t i = 0; i < bytes->size(); ++i) {
    for (int bit = 0; bit < 8; bit += 3) {
      std::string bad = *bytes;
      bad[i] ^= static_cast<char>(1 << bit);
      Status s = VerifySegment(kKey, bad, ring.get());
      EXPECT_FALSE(s.ok()) << "byte " << i << " bit " << bit;
    }
  }
}

TEST(SegmentEncryptionTest, StructureIsCheckedWithoutTheKey) {
  auto bytes = Sealed(testing::RandomRecords(6, 200, 400), Ring("k1"), 2048);
  ASSERT_TRUE(bytes.ok());
  auto structure = VerifySegmentStructure(kKey, *bytes);
  ASSERT_TRUE(structure.ok()) << structure.status().ToString();
  EXPECT_TRUE(*structure);
  // A flipped byte inside a block frame is found by its checksum, without the key.
  std::string bad = *bytes;
  bad[kFileHeaderSize + 100] ^= 1;
  auto found = VerifySegmentStructure(kKey, bad);
  EXPECT_TRUE(found.status().IsCorruption()) << found.status().ToString();
  // A plain segment: checked fully, and reported as not encrypted.
  auto plain = testing::BuildSegment(testing::RandomRecords(6, 20));
  ASSERT_TRUE(plain.ok());
  auto p = VerifySegmentStructure(kKey, *plain);
  ASSERT_TRUE(p.ok());
  EXPECT_FALSE(*p);
  EXPECT_FALSE(LooksEncrypted(*plain));
}

// The deferred writer (the backup's compression pool) seals on the pool's threads; its segments
// read back the same.
class InlineCompressor : public BlockCompressor {
 public:
  ~InlineCompressor() override { ZSTD_freeCCtx(cctx_); }
  std::string TakeBuffer(size_t min_bytes) override { return std::string(min_bytes, '\0'); }
  void Submit(std::shared_ptr<PendingBlock> block) override {
    block->Done(block->Compress(cctx_, &scratch_));
  }
  void Release(std::string, size_t) override {}

 private:
  ZSTD_CCtx* cctx_ = ZSTD_createCCtx();
  coding::Buffer scratch_;
};

TEST(SegmentEncryptionTest, DeferredWriterSealsTheSame) {
  InlineCompressor compressor;
  auto ring = Ring("k1");
  const auto records = testing::RandomRecords(8, 400, 1000);
  struct Setting {
    Compression codec;
    int level;
  };
  for (const Setting c : {Setting{Compression::kZstd, 0}, Setting{Compression::kZstd, 3},
                          Setting{Compression::kZstd, -5}, Setting{Compression::kLz4, 0}}) {
    const int level = c.level;
    auto w = SegmentWriter::Create({.zstd_level = level,
                                    .block_bytes = 4096,
                                    .compressor = &compressor,
                                    .keys = ring,
                                    .codec = c.codec});
    ASSERT_TRUE(w.ok());
    for (const Record& r : records) ASSERT_TRUE(w->Add(r).ok());
    EXPECT_TRUE(w->FinishPending().status().IsInvalidArgument());  // needs the object key
    auto pending = w->FinishPending(kKey);
    ASSERT_TRUE(pending.ok());
    ASSERT_TRUE(pending->WaitForBlocks().ok());
    const size_t size = pending->object_size();
    auto object = pending->Build();
    ASSERT_TRUE(object.ok());
    EXPECT_EQ(object->size(), size);
    auto segment = DecodeSegment(kKey, *object, ring.get());
    ASSERT_TRUE(segment.ok()) << segment.status().ToString();
    EXPECT_EQ(segment->ToRecords(), records);
    EXPECT_EQ(segment->version,
              c.codec == Compression::kLz4 ? kSealedLz4FormatVersion : kSealedFormatVersion);
  }
}

TEST(SegmentEncryptionTest, BoundNameIsTheKeyBelowAnyPrefix) {
  EXPECT_EQ(BoundName("a/b/orders/3/1-2"), "orders/3/1-2");
  EXPECT_EQ(BoundName("orders/3/1-2"), "orders/3/1-2");
  EXPECT_EQ(BoundName("3/1-2"), "3/1-2");
  EXPECT_EQ(BoundName(""), "");
}

}  // namespace
}  // namespace kb::format
