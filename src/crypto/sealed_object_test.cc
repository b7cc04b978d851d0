#include "crypto/sealed_object.h"

#include <gtest/gtest.h>

#include "crypto/sealing_store.h"
#include "storage/memory/memory_store.h"

namespace kb::crypto {
namespace {

std::shared_ptr<const KeyRing> Ring(std::string current, bool metadata = false) {
  std::array<unsigned char, kKeySize> k1{}, k2{};
  k1.fill(1);
  k2.fill(2);
  return *KeyRing::Make({{"k1", k1}, {"k2", k2}}, std::move(current), metadata);
}

TEST(SealedObjectTest, RoundTripBoundToItsName) {
  auto ring = Ring("k1");
  const std::string json = R"({"g1": 100})";
  auto sealed = SealObject(ring->current(), "orders/0/restore/c/orders", json);
  ASSERT_TRUE(sealed.ok());
  EXPECT_TRUE(LooksSealed(*sealed));
  EXPECT_EQ(sealed->find("g1"), std::string::npos);  // no plaintext left
  std::string id;
  auto opened = OpenObject(ring.get(), "p/orders/0/restore/c/orders", "orders/0/restore/c/orders",
                           *sealed, &id);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(*opened, json);
  EXPECT_EQ(id, "k1");

  // Moved to another key: does not open.
  auto moved = OpenObject(ring.get(), "x", "orders/1/restore/c/orders", *sealed);
  EXPECT_TRUE(moved.status().IsCorruption()) << moved.status().ToString();
}

TEST(SealedObjectTest, MissingOrWrongKeyNamesObjectAndKeyId) {
  auto sealed = *SealObject(Ring("k2")->current(), "n", "{}");
  auto none = OpenObject(nullptr, "obj", "n", sealed);
  EXPECT_TRUE(none.status().code() == Status::Code::kFailedPrecondition);
  EXPECT_EQ(none.status().subject(), "obj");
  EXPECT_NE(none.status().message().find("'k2'"), std::string::npos);

  std::array<unsigned char, kKeySize> only{};
  only.fill(1);
  auto lacks = OpenObject(KeyRing::Make({{"k1", only}}, "k1")->get(), "obj", "n", sealed);
  EXPECT_TRUE(lacks.status().code() == Status::Code::kFailedPrecondition);
  EXPECT_NE(lacks.status().message().find("'k2'"), std::string::npos);

  // Another key under the id k2.
  auto swapped = OpenObject(KeyRing::Make({{"k2", only}}, "k2")->get(), "obj", "n", sealed);
  EXPECT_TRUE(swapped.status().code() == Status::Code::kFailedPrecondition);
  EXPECT_NE(swapped.status().message().find("different key"), std::string::npos);
}

TEST(SealedObjectTest, EveryFlippedByteIsRefused) {
  auto ring = Ring("k1");
  const std::string sealed = *SealObject(ring->current(), "n", R"({"a": 1})");
  for (size_t i = 0; i < sealed.size(); ++i) {
    std::string bad = sealed;
    bad[i] ^= 0x10;
    auto r = OpenObject(ring.get(), "obj", "n", bad);
    EXPECT_FALSE(r.ok()) << "byte " << i;
  }
  EXPECT_TRUE(OpenObject(ring.get(), "obj", "n", sealed.substr(0, 30)).status().IsCorruption());
}

SealPolicy RestoreRecordsOnly(const std::string& key) {
  if (key.starts_with("p/orders/0/restore/")) return {key.substr(2), true};
  return {};
}

TEST(SealingStoreTest, SealsOnlyWhatThePolicySaysAndReadsPlainOldObjects) {
  auto inner = std::make_unique<storage::MemoryStore>();
  storage::MemoryStore* raw = inner.get();
  SealingStore store(std::move(inner), Ring("k1"), RestoreRecordsOnly);
  ASSERT_TRUE(store.Put("p/orders/0/restore/c/orders", R"({"x": 1})").ok());
  ASSERT_TRUE(store.Put("p/orders/0/offset/consumers_offset", R"({"g": 1})").ok());
  EXPECT_TRUE(LooksSealed(*raw->Get("p/orders/0/restore/c/orders")));
  EXPECT_EQ(*raw->Get("p/orders/0/offset/consumers_offset"), R"({"g": 1})");
  EXPECT_EQ(*store.Get("p/orders/0/restore/c/orders"), R"({"x": 1})");

  // Written before encryption was configured: read as it is.
  ASSERT_TRUE(raw->Put("p/orders/0/restore/c/other", R"({"y": 2})").ok());
  EXPECT_EQ(*store.Get("p/orders/0/restore/c/other"), R"({"y": 2})");

  // Without keys, a sealed object is an error naming its key id, never bytes passed on as JSON.
  auto copy = std::make_unique<storage::MemoryStore>();
  ASSERT_TRUE(
      copy->Put("p/orders/0/restore/c/orders", *raw->Get("p/orders/0/restore/c/orders")).ok());
  SealingStore keyless(std::move(copy), nullptr, RestoreRecordsOnly);
  auto r = keyless.Get("p/orders/0/restore/c/orders");
  EXPECT_TRUE(r.status().code() == Status::Code::kFailedPrecondition);
  EXPECT_NE(r.status().message().find("'k1'"), std::string::npos);
}

}  // namespace
}  // namespace kb::crypto
