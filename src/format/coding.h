// Byte-level encoding primitives of the segment format (docs/format.md, "Encodings"): fixed-width
// little-endian integers and LEB128 varints, with zigzag for signed values. Internal to src/format.
//
// Encoders write into caller-provided memory that is large enough (callers size it first with
// VarintLength). Decoders never read at or past `limit` and report malformed input by returning
// nullptr, so hostile bytes cannot make them read out of bounds.
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <utility>

namespace kb::format::coding {

inline constexpr size_t kMaxVarint64Bytes = 10;

inline void EncodeFixed16(char* p, uint16_t v) {
  p[0] = static_cast<char>(v);
  p[1] = static_cast<char>(v >> 8);
}

inline void EncodeFixed32(char* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<char>(v >> (8 * i));
}

inline void EncodeFixed64(char* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<char>(v >> (8 * i));
}

// The shift-and-or loops compile to single loads on little-endian hosts.
inline uint16_t DecodeFixed16(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return static_cast<uint16_t>(u[0] | (u[1] << 8));
}

inline uint32_t DecodeFixed32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(u[i]) << (8 * i);
  return v;
}

inline uint64_t DecodeFixed64(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(u[i]) << (8 * i);
  return v;
}

inline uint64_t ZigZagEncode(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}

inline int64_t ZigZagDecode(uint64_t v) {
  return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
}

inline size_t VarintLength(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

// Writes `v` at `dst` and returns the byte after it.
inline char* EncodeVarint64(char* dst, uint64_t v) {
  auto* p = reinterpret_cast<unsigned char*>(dst);
  while (v >= 0x80) {
    *p++ = static_cast<unsigned char>(v | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<unsigned char>(v);
  return reinterpret_cast<char*>(p);
}

// Reads a varint from [p, limit). Returns the byte after it, or nullptr when the varint runs past
// `limit`, is longer than 10 bytes, or does not fit in 64 bits.
inline const char* DecodeVarint64(const char* p, const char* limit, uint64_t* v) {
  if (p < limit && static_cast<unsigned char>(*p) < 0x80) {  // fast path: one byte
    *v = static_cast<unsigned char>(*p);
    return p + 1;
  }
  uint64_t result = 0;
  for (unsigned shift = 0; shift < 64 && p < limit; shift += 7) {
    const uint64_t byte = static_cast<unsigned char>(*p++);
    if (shift == 63 && byte > 1) return nullptr;  // 10th byte may only carry bit 63
    result |= (byte & 0x7f) << shift;
    if (byte < 0x80) {
      *v = result;
      return p;
    }
  }
  return nullptr;
}

// A growable byte buffer that, unlike std::string::resize, does not zero-fill what it hands out.
class Buffer {
 public:
  char* data() { return data_.get(); }
  const char* data() const { return data_.get(); }
  size_t size() const { return size_; }
  void clear() { size_ = 0; }
  // Makes room for at least `n` bytes in total; keeps the contents.
  void reserve(size_t n) {
    if (n <= capacity_) return;
    const size_t capacity = n > 2 * capacity_ ? n : 2 * capacity_;
    auto bigger = std::make_unique_for_overwrite<char[]>(capacity);
    if (size_ > 0) std::memcpy(bigger.get(), data_.get(), size_);
    data_ = std::move(bigger);
    capacity_ = capacity;
  }
  // Grows the contents by `n` uninitialized bytes and returns where they start.
  char* Extend(size_t n) {
    reserve(size_ + n);
    char* p = data_.get() + size_;
    size_ += n;
    return p;
  }

 private:
  std::unique_ptr<char[]> data_;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

// Builds a std::string by appending, without zero-filling each append: the string grows in large
// steps and the used length is tracked separately. Release() trims it and hands it over.
class StringBuilder {
 public:
  size_t size() const { return size_; }
  char* data() { return s_.data(); }
  // Grows the contents by `n` uninitialized bytes and returns where they start.
  char* Extend(size_t n) {
    if (n > s_.size() - size_) Grow(n);
    char* p = s_.data() + size_;
    size_ += n;
    return p;
  }
  // Drops everything after the first `n` bytes (n <= size()).
  void Truncate(size_t n) { size_ = n; }
  // Makes room for `n` bytes in total without growing again.
  void Reserve(size_t n) {
    if (n > s_.size()) s_.resize(n);
  }
  // Takes over `storage` as the buffer to build in (its size() is the usable space, its contents
  // are dropped): lets a caller recycle buffers instead of growing a fresh one each time.
  void Adopt(std::string storage) {
    s_ = std::move(storage);
    size_ = 0;
  }
  // Hands over the whole buffer (size() is the usable space; the first size() bytes of this
  // builder are the contents) and leaves the builder empty.
  std::string TakeStorage() {
    std::string out = std::move(s_);
    s_ = std::string();
    size_ = 0;
    return out;
  }
  bool has_storage() const { return !s_.empty(); }
  // Bytes the contents may reach before the buffer must grow.
  size_t capacity() const { return s_.size(); }
  std::string Release() {
    s_.resize(size_);
    std::string out = std::move(s_);
    s_ = std::string();
    size_ = 0;
    return out;
  }

 private:
  void Grow(size_t n) {
    size_t target = s_.size() * 2;
    if (target < size_ + n) target = size_ + n;
    if (target < 4096) target = 4096;
    s_.resize(target);
  }

  std::string s_;
  size_t size_ = 0;
};

}  // namespace kb::format::coding
