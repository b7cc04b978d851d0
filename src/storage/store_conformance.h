// StoreConformanceTest: the GoogleTest suite every ObjectStore backend must pass. It checks the
// semantics written down in storage/object_store.h (round trips, overwrite, empty and binary
// objects, awkward keys, key-length limits, NotFound subjects, ranged-read edges, List order /
// prefix / pagination, batch Delete, concurrency, a large object), so that code above the storage
// layer can rely on them whatever the backend.
//
// Instantiating it for a backend takes five lines in the backend's test file (link the test with
// kb_storage_conformance):
//
//   #include "storage/store_conformance.h"
//   KB_INSTANTIATE_STORE_CONFORMANCE(Memory, kb::storage::StoreFactory{
//       .name = "memory",
//       .make = [] { return std::make_unique<kb::storage::MemoryStore>(); },
//   });
//
// Several factories may be passed (comma separated) to run the suite against each. To instantiate
// by hand, use INSTANTIATE_TEST_SUITE_P(Name, kb::storage::StoreConformanceTest,
// ::testing::Values(factory...), kb::storage::StoreFactoryName). The suite is an OBJECT library
// (store_conformance*.cc), so every part of it is linked into each binary that uses it.
//
// Every test works under its own fresh key prefix ("kbconf-<Test>-<pid>-<n>-<salt>/") and deletes
// what it wrote in TearDown, so stores that share one bucket across tests and runs are fine. Keys
// avoid what some real servers cannot hold: "." and ".." components, empty components ("a//b",
// trailing '/'), and an object "a" next to objects "a/...". Components are at most 100 bytes.
//
// Ownership: each test owns the store returned by StoreFactory::make for its duration.
// Thread-safety: the tests themselves call the store from several threads (as the interface
// allows); the factory is called from the main test thread only.
// Failure contract: a backend violating the semantics fails the named test with the offending key,
// Status and expected value in the message.
#pragma once

#include <gtest/gtest.h>

#include <cstddef>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>

#include "storage/object_store.h"

namespace kb::storage {

struct StoreFactory {
  // Suffix of the generated test names: letters, digits and '_' only.
  std::string name;
  // Returns a ready store; called once per test.
  std::function<std::unique_ptr<ObjectStore>()> make;
  // Size of the object in LargeObjectRoundTrip; make it smaller for slow backends, 0 skips it.
  size_t large_object_bytes = size_t{100} << 20;
  // Whether List orders "a.b" (0x2e) and "a-b" before "a/b" (0x2f), as S3 does. Servers that walk
  // a directory tree per directory (versitygw's posix backend) list "a/b" first; set false for
  // them and ListOrderAcrossSlashIsByteOrder is skipped with that reason.
  bool byte_order_across_slash = true;
};

// "memory" etc.: names the instantiated tests (StoreConformanceTest.PutGetRoundTrip/memory).
std::string StoreFactoryName(const ::testing::TestParamInfo<StoreFactory>& info);
// So GoogleTest prints a factory by name rather than as raw bytes.
void PrintTo(const StoreFactory& factory, std::ostream* os);

class StoreConformanceTest : public ::testing::TestWithParam<StoreFactory> {
 protected:
  void SetUp() override;
  void TearDown() override;

  ObjectStore& store() { return *store_; }
  // prefix_ + suffix: a key private to this test.
  std::string Key(std::string_view suffix) const { return prefix_ + std::string(suffix); }

  std::unique_ptr<ObjectStore> store_;
  std::string prefix_;  // ends with '/'
};

}  // namespace kb::storage

// Instantiates StoreConformanceTest once per StoreFactory argument. Use at namespace scope; the
// (GoogleTest-required) unqualified fixture name is brought in by a namespace of its own.
#define KB_INSTANTIATE_STORE_CONFORMANCE(instantiation_name, ...)                              \
  namespace kb_store_conformance_##instantiation_name {                                        \
    using ::kb::storage::StoreConformanceTest;                                                 \
    INSTANTIATE_TEST_SUITE_P(instantiation_name, StoreConformanceTest,                         \
                             ::testing::Values(__VA_ARGS__), ::kb::storage::StoreFactoryName); \
  }                                                                                            \
  static_assert(true, "require a semicolon")
