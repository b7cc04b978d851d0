// Thin POSIX helpers for LocalStore: an owning file descriptor, full writes and reads that survive
// EINTR and short transfers, directory reading and random temp-file suffixes.
//
// The helpers return 0 or an errno value rather than a Status: the caller knows the key and path
// the error is about and maps it with FromErrno (common/error_map.h).
//
// Thread-safety: functions are reentrant; a UniqueFd is owned by one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kb::storage::local {

// Owns a file descriptor; closes it on destruction unless released.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd();
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release();
  // Closes now and returns 0 or the errno of close(2) (which can report a failed write-back).
  int Close();

 private:
  int fd_ = -1;
};

// Writes all of `data` to `fd`; 0 or errno.
int WriteAll(int fd, std::string_view data);

// Reads up to `n` bytes at `offset` into `buf`, stopping early only at end of file; the count read
// goes to *done. 0 or errno.
int PreadAll(int fd, char* buf, size_t n, uint64_t offset, size_t* done);

struct DirEntry {
  enum class Type { kFile, kDirectory, kOther };
  std::string name;
  Type type = Type::kOther;
};

// The entries of directory `path` except "." and ".." (symbolic links are kOther); 0 or errno.
int ReadDirectory(const std::string& path, std::vector<DirEntry>* out);

// Opens `path` as a directory and fsyncs it; 0 or errno.
int FsyncDirectory(const std::string& path);

// `n` random lower-case hex digits, from a per-thread generator seeded by the OS.
std::string RandomHex(size_t n);

}  // namespace kb::storage::local
