// TmpfsMount: a small tmpfs mounted at a directory for the life of the object, to give a local
// store a disk that fills up or turns read-only (fault tests). Needs root (CAP_SYS_ADMIN); Mount
// says why when it cannot, so a test can skip with that reason. Unmounted (lazily, so a process
// still using it cannot keep it) on destruction, also after a failed assertion.
// Test-only. Thread-safety: none (one owner).
#pragma once

#include <sys/mount.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>

namespace kb::testing {

class TmpfsMount {
 public:
  // Mounts a tmpfs of `size` (mount's syntax: "8m") at `dir` (which must exist). Null with
  // `*why` set when it cannot (not root, no CAP_SYS_ADMIN ...).
  static std::unique_ptr<TmpfsMount> Mount(const std::string& dir, const std::string& size,
                                           std::string* why) {
    const std::string opts = "size=" + size + ",mode=0755";
    if (::mount("tmpfs", dir.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, opts.c_str()) != 0) {
      *why = "mount -t tmpfs -o " + opts + " at " + dir + ": " + std::strerror(errno) +
             " (needs root or CAP_SYS_ADMIN)";
      return nullptr;
    }
    return std::unique_ptr<TmpfsMount>(new TmpfsMount(dir));
  }
  ~TmpfsMount() { ::umount2(dir_.c_str(), MNT_DETACH); }
  TmpfsMount(const TmpfsMount&) = delete;
  TmpfsMount& operator=(const TmpfsMount&) = delete;

  // mount -o remount,ro / remount,rw,size=<size>. Empty on success, else why; read-only fails
  // with "Device or resource busy" while a file is open for writing (callers retry).
  std::string RemountReadOnly() { return Remount(MS_RDONLY, ""); }
  std::string RemountWritable(const std::string& size) { return Remount(0, "size=" + size); }

  const std::string& dir() const { return dir_; }

 private:
  explicit TmpfsMount(std::string dir) : dir_(std::move(dir)) {}
  std::string Remount(unsigned long flags, const std::string& opts) {
    if (::mount("tmpfs", dir_.c_str(), "tmpfs", MS_REMOUNT | MS_NOSUID | MS_NODEV | flags,
                opts.empty() ? nullptr : opts.c_str()) != 0) {
      return "remount " + dir_ + ((flags & MS_RDONLY) != 0 ? " read-only" : " writable") + ": " +
             std::strerror(errno);
    }
    return "";
  }
  const std::string dir_;
};

}  // namespace kb::testing
