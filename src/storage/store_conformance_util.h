// Helpers shared by the files of the store conformance suite (store_conformance*.cc): assertion
// macros that print the failing expression and the Status, deterministic byte patterns, byte-exact
// comparisons that do not dump megabytes, and a parallel Put. Test-only; not for production code.
//
// Thread-safety: the functions are pure or call the (thread-safe) store.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "storage/object_store.h"
#include "storage/store_conformance.h"

// Assertion helpers: they print the failing expression and the Status.
#define KB_CONF_ASSERT_OK(expr)                                                       \
  do {                                                                                \
    const ::kb::Status kb_conf_status_ = (expr);                                      \
    ASSERT_TRUE(kb_conf_status_.ok()) << #expr << ": " << kb_conf_status_.ToString(); \
  } while (0)
#define KB_CONF_ASSIGN_OR_FAIL(lhs, rexpr) \
  KB_CONF_ASSIGN_OR_FAIL_IMPL_(KB_CONCAT_(kb_conf_result_, __LINE__), lhs, rexpr)
#define KB_CONF_ASSIGN_OR_FAIL_IMPL_(tmp, lhs, rexpr)                 \
  auto tmp = (rexpr);                                                 \
  ASSERT_TRUE(tmp.ok()) << #rexpr << ": " << tmp.status().ToString(); \
  lhs = std::move(tmp).value()

namespace kb::storage::conformance {

// Deterministic pseudo-random bytes (all 256 values occur, NUL included).
inline std::string Pattern(size_t n, uint64_t seed) {
  std::string out(n, '\0');
  uint64_t x = seed * 0x9E3779B97F4A7C15ULL + 1;
  for (size_t i = 0; i < n; i += 8) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    for (size_t j = 0; j < 8 && i + j < n; ++j) out[i + j] = static_cast<char>(x >> (8 * j));
  }
  return out;
}

inline std::string Pad(size_t i) {
  std::string s = std::to_string(i);
  return std::string(s.size() < 5 ? 5 - s.size() : 0, '0') + s;
}

// Compares without dumping megabytes: reports sizes and the first differing offset.
inline ::testing::AssertionResult SameBytes(std::string_view actual, std::string_view expected) {
  if (actual == expected) return ::testing::AssertionSuccess();
  size_t i = 0;
  while (i < actual.size() && i < expected.size() && actual[i] == expected[i]) ++i;
  auto result = ::testing::AssertionFailure()
                << "got " << actual.size() << " bytes, expected " << expected.size()
                << "; first difference at offset " << i;
  if (expected.size() <= 64 && actual.size() <= 64) {
    result << " (got \"" << ::testing::PrintToString(std::string(actual)) << "\", expected "
           << ::testing::PrintToString(std::string(expected)) << ")";
  }
  return result;
}

inline ::testing::AssertionResult HasContent(ObjectStore& store, const std::string& key,
                                             std::string_view expected) {
  auto got = store.Get(key);
  if (!got.ok()) {
    return ::testing::AssertionFailure() << "Get(" << key << "): " << got.status().ToString();
  }
  auto same = SameBytes(*got, expected);
  if (!same) return ::testing::AssertionFailure() << "Get(" << key << "): " << same.message();
  auto size = store.Head(key);
  if (!size.ok()) {
    return ::testing::AssertionFailure() << "Head(" << key << "): " << size.status().ToString();
  }
  if (*size != expected.size()) {
    return ::testing::AssertionFailure()
           << "Head(" << key << ") = " << *size << ", expected " << expected.size();
  }
  return ::testing::AssertionSuccess();
}

inline ::testing::AssertionResult IsCode(const Status& s, Status::Code code,
                                         const std::string& subject) {
  if (s.code() != code) {
    return ::testing::AssertionFailure() << "expected " << Status::CodeName(code) << " about \""
                                         << subject << "\", got " << s.ToString();
  }
  if (!subject.empty() && s.subject() != subject) {
    return ::testing::AssertionFailure()
           << "expected the subject to be the key \"" << subject << "\", got \"" << s.subject()
           << "\" (" << s.ToString() << ")";
  }
  return ::testing::AssertionSuccess();
}

// Puts value(i) under keys[i] from 4 threads (slow remote stores are latency-bound).
inline ::testing::AssertionResult PutAll(ObjectStore& store, const std::vector<std::string>& keys,
                                         const std::function<std::string(size_t)>& value) {
  std::atomic<size_t> next{0};
  std::mutex mu;
  Status first_error;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (size_t i = next++; i < keys.size(); i = next++) {
        Status s = store.Put(keys[i], value(i));
        if (!s.ok()) {
          std::lock_guard lock(mu);
          if (first_error.ok()) first_error = s;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  if (!first_error.ok()) return ::testing::AssertionFailure() << "Put: " << first_error.ToString();
  return ::testing::AssertionSuccess();
}

inline std::vector<std::string> KeysOf(const std::vector<ObjectInfo>& objects) {
  std::vector<std::string> keys;
  for (const auto& o : objects) keys.push_back(o.key);
  return keys;
}

inline std::vector<std::string> Sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());  // std::string compares bytes as unsigned char
  return v;
}

// A key of exactly `total` bytes under `prefix` with a '/' every 100 bytes.
inline std::string KeyOfLength(const std::string& prefix, size_t total) {
  std::string key = prefix;
  char letter = 'a';
  while (total - key.size() > 100) {
    key += std::string(99, letter) + "/";
    letter = letter == 'z' ? 'a' : static_cast<char>(letter + 1);
  }
  key += std::string(total - key.size(), 'Z');
  return key;
}

}  // namespace kb::storage::conformance
