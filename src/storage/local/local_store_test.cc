#include "storage/local/local_store.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "storage/store_conformance.h"
#include "testing/test_env.h"
#include "testing/tmpfs_mount.h"

namespace kb::storage {
namespace {

namespace fs = std::filesystem;

// One directory for every conformance test's store, removed when the test binary exits.
kb::testing::TempDir& SuiteDir() {
  static kb::testing::TempDir dir;
  return dir;
}

std::unique_ptr<ObjectStore> MakeLocalStore() {
  auto store = LocalStore::Open(SuiteDir().path() + "/" + kb::testing::UniqueName("store"));
  if (!store.ok()) {
    ADD_FAILURE() << store.status().ToString();
    return nullptr;
  }
  return std::move(store).value();
}

KB_INSTANTIATE_STORE_CONFORMANCE(Local, StoreFactory{.name = "local", .make = MakeLocalStore});

void WriteFile(const std::string& path, std::string_view data) {
  std::ofstream(path, std::ios::binary) << data;
}

class LocalStoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<LocalStore> Open(const std::string& root, LocalStoreOptions options = {}) {
    auto store = LocalStore::Open(root, options);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(store).value() : nullptr;
  }
  // The relative path of `key`'s file under the root.
  std::string RelPath(LocalStore& store, const std::string& key) {
    auto path = store.PathForKey(key);
    EXPECT_TRUE(path.ok()) << path.status().ToString();
    return path.ok() ? path->substr(store.root().size() + 1) : "";
  }

  kb::testing::TempDir tmp_;
};

TEST_F(LocalStoreTest, RootIsCreatedWithParents) {
  const std::string root = tmp_.path() + "/a/b/c";
  auto store = Open(root);
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(fs::is_directory(root));
  EXPECT_EQ(store->root(), root);
  EXPECT_EQ(store->Describe(), "file://" + root);
  ASSERT_TRUE(store->Put("k", "v").ok());
  EXPECT_TRUE(fs::is_regular_file(root + "/k"));
}

TEST_F(LocalStoreTest, RelativeRootIsMadeAbsolute) {
  const fs::path old_cwd = fs::current_path();
  fs::current_path(tmp_.path());
  auto store = LocalStore::Open("rel/dir/");
  fs::current_path(old_cwd);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ((*store)->root(), tmp_.path() + "/rel/dir");
  EXPECT_TRUE(fs::is_directory(tmp_.path() + "/rel/dir"));
}

TEST_F(LocalStoreTest, RootUnderARegularFileFailsClearly) {
  const std::string file = tmp_.path() + "/file";
  WriteFile(file, "x");
  for (const std::string& root : {file + "/sub/dir", file}) {
    auto store = LocalStore::Open(root);
    ASSERT_FALSE(store.ok()) << root;
    const std::string text = store.status().ToString();
    EXPECT_EQ(store.status().subject(), root);
    EXPECT_NE(text.find(file + " exists and is not a directory"), std::string::npos) << text;
  }
  EXPECT_FALSE(LocalStore::Open("").ok());
}

TEST_F(LocalStoreTest, UnwritableRootIsPermissionDenied) {
  const std::string root = tmp_.path() + "/ro";
  auto store = Open(root);
  ASSERT_NE(store, nullptr);
  // Tests usually run as root, which ignores mode bits; an immutable directory (chattr +i) denies
  // even root. Without CAP_LINUX_IMMUTABLE or on a file system without the flag, only the
  // mode-bit case can be checked, and only when not root.
  bool immutable = false;
  int fd = ::open(root.c_str(), O_RDONLY | O_DIRECTORY);
  ASSERT_GE(fd, 0);
  int flags = 0;
  if (::ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0) {
    flags |= FS_IMMUTABLE_FL;
    immutable = ::ioctl(fd, FS_IOC_SETFLAGS, &flags) == 0;
  }
  if (!immutable) {
    if (::geteuid() == 0) {
      ::close(fd);
      GTEST_SKIP() << "running as root without the immutable flag: nothing denies a write here";
    }
    ASSERT_EQ(::chmod(root.c_str(), 0555), 0);
  }
  const Status s = store->Put("dir/k", "v");
  const Status s2 = store->Put("k", "v");
  if (immutable) {
    flags &= ~FS_IMMUTABLE_FL;
    EXPECT_EQ(::ioctl(fd, FS_IOC_SETFLAGS, &flags), 0);
  } else {
    ::chmod(root.c_str(), 0755);
  }
  ::close(fd);
  for (const Status& status : {s, s2}) {
    EXPECT_TRUE(status.IsPermissionDenied()) << status.ToString();
    EXPECT_NE(status.message().find(root), std::string::npos) << status.ToString();
  }
  EXPECT_EQ(s.subject(), "dir/k");
}

TEST_F(LocalStoreTest, ReopenSeesPriorObjects) {
  const std::string root = tmp_.path() + "/store";
  {
    auto store = Open(root);
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->Put("t/0/seg-1", "one").ok());
    ASSERT_TRUE(store->Put("t/0/seg-2", "two").ok());
    ASSERT_TRUE(store->Put("odd key ~%", "three").ok());
  }
  auto store = Open(root);
  ASSERT_NE(store, nullptr);
  auto got = store->Get("t/0/seg-2");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, "two");
  auto all = ListAll(*store, "");
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_EQ(*all, (std::vector<ObjectInfo>{{"odd key ~%", 5}, {"t/0/seg-1", 3}, {"t/0/seg-2", 3}}));
}

TEST_F(LocalStoreTest, LeftoverTempFilesAreInvisibleAndCleanedUp) {
  auto store = Open(tmp_.path() + "/s");
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Put("a/b", "complete").ok());
  // A Put of "a/c" that crashed after writing part of its temp file, and a stale one at the root.
  const std::string crashed = store->root() + "/a/.~kbtmp-0123456789abcdef";
  const std::string stale = store->root() + "/.~kbtmp-fedcba9876543210";
  WriteFile(crashed, "half of a");
  WriteFile(stale, "old");
  const timeval hour_ago[2] = {{::time(nullptr) - 3600, 0}, {::time(nullptr) - 3600, 0}};
  ASSERT_EQ(::utimes(stale.c_str(), hour_ago), 0);

  auto all = ListAll(*store, "");
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_EQ(*all, (std::vector<ObjectInfo>{{"a/b", 8}}));
  EXPECT_TRUE(store->Get("a/c").status().IsNotFound());
  // The key spelled like the temp file maps to another file name ('~' is escaped).
  EXPECT_TRUE(store->Get("a/.~kbtmp-0123456789abcdef").status().IsNotFound());
  EXPECT_EQ(RelPath(*store, "a/.~kbtmp-0123456789abcdef"), "a/.%7Ekbtmp-0123456789abcdef");

  auto removed = store->CleanupTempFiles(std::chrono::seconds(60));
  ASSERT_TRUE(removed.ok()) << removed.status().ToString();
  EXPECT_EQ(*removed, 1u);  // only the stale one; the recent one may belong to a running Put
  EXPECT_FALSE(fs::exists(stale));
  EXPECT_TRUE(fs::exists(crashed));
  removed = store->CleanupTempFiles(std::chrono::seconds(0));
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(*removed, 1u);
  EXPECT_FALSE(fs::exists(crashed));
  EXPECT_TRUE(fs::exists(store->root() + "/a/b"));
}

TEST_F(LocalStoreTest, PutLeavesNoTempFileBehind) {
  auto store = Open(tmp_.path() + "/s");
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Put("d/k", "v1").ok());
  ASSERT_TRUE(store->Put("d/k", "v2").ok());
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(store->root() + "/d")) {
    names.push_back(e.path().filename());
  }
  EXPECT_EQ(names, std::vector<std::string>{"k"});
}

// Temp files (".~kbtmp-...") anywhere under `root`.
std::vector<std::string> TempFilesUnder(const std::string& root) {
  std::vector<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (e.path().filename().string().find("~kbtmp") != std::string::npos) out.push_back(e.path());
  }
  return out;
}

// A full or read-only file system (a 1 MiB tmpfs): Put is Retryable naming the file and the
// cause, leaves no object and no partial file, and succeeds once there is room (writable) again.
TEST_F(LocalStoreTest, FullOrReadOnlyFileSystemIsRetryableAndLeavesNoPartialFile) {
  const std::string mnt = tmp_.path() + "/mnt";
  ASSERT_TRUE(fs::create_directory(mnt));
  std::string why;
  auto mount = kb::testing::TmpfsMount::Mount(mnt, "1m", &why);
  if (mount == nullptr) GTEST_SKIP() << why;
  auto store = Open(mnt + "/s");
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Put("a/small", "x").ok());

  const std::string big(4 << 20, 'b');
  Status full = store->Put("a/big", big);
  EXPECT_TRUE(full.IsRetryable()) << full.ToString();
  EXPECT_EQ(full.subject(), "a/big");
  EXPECT_NE(full.message().find("No space left on device"), std::string::npos) << full.ToString();
  EXPECT_NE(full.message().find(store->root() + "/a/.~kbtmp-"), std::string::npos)
      << full.ToString();
  EXPECT_TRUE(store->Get("a/big").status().IsNotFound());
  auto all = ListAll(*store, "");
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_EQ(*all, (std::vector<ObjectInfo>{{"a/small", 1}}));
  EXPECT_EQ(TempFilesUnder(store->root()), std::vector<std::string>{});
  // The failed Put gave its space back: a smaller object fits.
  ASSERT_TRUE(store->Put("a/medium", std::string(256 << 10, 'm')).ok());

  ASSERT_EQ(mount->RemountReadOnly(), "");
  Status ro = store->Put("a/c", "v");
  EXPECT_TRUE(ro.IsRetryable()) << ro.ToString();
  EXPECT_NE(ro.message().find("Read-only file system"), std::string::npos) << ro.ToString();
  EXPECT_NE(ro.message().find(store->root() + "/a/"), std::string::npos) << ro.ToString();
  EXPECT_TRUE(store->Delete({"a/small"}).IsRetryable());
  auto small = store->Get("a/small");  // reads go on
  ASSERT_TRUE(small.ok()) << small.status().ToString();
  EXPECT_EQ(*small, "x");

  ASSERT_EQ(mount->RemountWritable("1m"), "");
  ASSERT_TRUE(store->Put("a/c", "v").ok());
  all = ListAll(*store, "");
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_EQ(all->size(), 3u);
  EXPECT_EQ(TempFilesUnder(store->root()), std::vector<std::string>{});
}

TEST_F(LocalStoreTest, KeysMapToReadablePathsAndRoundTrip) {
  auto store = Open(tmp_.path() + "/s");
  ASSERT_NE(store, nullptr);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"plain/key.txt", "plain/key.txt"},
      {"with space/donn\xc3\xa9"
       "es/\xe6\x97\xa5\xe6\x9c\xac/\xc3\xbc",
       "with space/donn\xc3\xa9"
       "es/\xe6\x97\xa5\xe6\x9c\xac/\xc3\xbc"},
      {"a+b=c&d?e#f:g@h!i'j(k)l*m", "a+b=c&d?e#f:g@h!i'j(k)l*m"},
      {"100%", "100%25"},
      {"%25", "%2525"},
      {"home~user", "home%7Euser"},
      {"tab\there", "tab%09here"},
      {"ctl\x01\x1f\x7f", "ctl%01%1F%7F"},
      {"./x", "%2E/x"},
      {"a/../b", "a/%2E%2E/b"},
      {".../.hidden", ".../.hidden"},
      {"a//b", "a/%/b"},
      {"/lead", "%/lead"},
      {"trail/", "trail/%"},
      {"/", "%/%"},
  };
  std::vector<std::string> keys;
  for (const auto& [key, rel] : cases) {
    EXPECT_EQ(RelPath(*store, key), rel) << key;
    ASSERT_TRUE(store->Put(key, "value:" + key).ok()) << key;
    EXPECT_TRUE(fs::is_regular_file(store->root() + "/" + rel)) << rel;
    keys.push_back(key);
  }
  for (const auto& key : keys) {
    auto got = store->Get(key);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_EQ(*got, "value:" + key);
  }
  std::sort(keys.begin(), keys.end());
  auto all = ListAll(*store, "", 4);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  std::vector<std::string> listed;
  for (const auto& o : *all) listed.push_back(o.key);
  EXPECT_EQ(listed, keys);
  ASSERT_TRUE(store->Delete(keys).ok());
  EXPECT_TRUE(fs::is_empty(store->root()));
}

TEST_F(LocalStoreTest, OverlongComponentIsInvalidArgumentNamingTheKey) {
  auto store = Open(tmp_.path() + "/s");
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(store->Put("d/" + std::string(255, 'n'), "ok").ok());
  for (const std::string& key : {"d/" + std::string(256, 'n'), std::string(86, '~')}) {
    const Status s = store->Put(key, "x");
    EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
    EXPECT_EQ(s.subject(), key);
    EXPECT_TRUE(store->Get(key).status().IsInvalidArgument());
  }
}

TEST_F(LocalStoreTest, ObjectAndDirectoryOfTheSameNameConflict) {
  auto store = Open(tmp_.path() + "/s");
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Put("a", "object a").ok());
  Status s = store->Put("a/b", "x");
  EXPECT_EQ(s.code(), Status::Code::kFailedPrecondition) << s.ToString();
  EXPECT_EQ(s.subject(), "a/b");
  EXPECT_NE(s.message().find("\"a\""), std::string::npos) << s.ToString();

  ASSERT_TRUE(store->Put("x/y/z", "deep").ok());
  for (const std::string key : {"x", "x/y"}) {
    s = store->Put(key, "x");
    EXPECT_EQ(s.code(), Status::Code::kFailedPrecondition) << s.ToString();
    EXPECT_EQ(s.subject(), key);
    EXPECT_NE(s.message().find("\"" + key + "\""), std::string::npos) << s.ToString();
  }
  s = store->Put("x/y/z/w", "x");  // deeper than an object
  EXPECT_EQ(s.code(), Status::Code::kFailedPrecondition) << s.ToString();
  EXPECT_NE(s.message().find("\"x/y/z\""), std::string::npos) << s.ToString();
  // Nothing was damaged.
  EXPECT_EQ(store->Get("a").value(), "object a");
  EXPECT_EQ(store->Get("x/y/z").value(), "deep");
  auto all = ListAll(*store, "");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 2u);
}

TEST_F(LocalStoreTest, PutSyncsFileAndDirectories) {
  auto store = Open(tmp_.path() + "/s");
  ASSERT_NE(store, nullptr);
  const auto before = store->sync_stats();
  ASSERT_TRUE(store->Put("n1/n2/n3/obj", "v").ok());
  auto after = store->sync_stats();
  EXPECT_EQ(after.file_syncs - before.file_syncs, 1u);
  // The object's directory, plus the parent of each of the 3 directories created.
  EXPECT_EQ(after.dir_syncs - before.dir_syncs, 4u);
  ASSERT_TRUE(store->Put("n1/n2/n3/obj2", "v").ok());
  EXPECT_EQ(store->sync_stats().dir_syncs - after.dir_syncs, 1u);

  auto unsynced = Open(tmp_.path() + "/u", LocalStoreOptions{.sync = false});
  ASSERT_NE(unsynced, nullptr);
  ASSERT_TRUE(unsynced->Put("a/b", "v").ok());
  EXPECT_EQ(unsynced->sync_stats().file_syncs, 0u);
  EXPECT_EQ(unsynced->sync_stats().dir_syncs, 0u);
}

TEST_F(LocalStoreTest, DeletePrunesEmptyDirectoriesButNeverTheRoot) {
  auto store = Open(tmp_.path() + "/s");
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Put("p/q/r", "1").ok());
  ASSERT_TRUE(store->Put("p/s", "2").ok());
  ASSERT_TRUE(store->Delete({"p/q/r"}).ok());
  EXPECT_FALSE(fs::exists(store->root() + "/p/q"));
  EXPECT_TRUE(fs::exists(store->root() + "/p/s"));
  ASSERT_TRUE(store->Delete({"p/s", "p/q/r"}).ok());
  EXPECT_FALSE(fs::exists(store->root() + "/p"));
  EXPECT_TRUE(fs::is_directory(store->root()));
  // Deleting a "directory" key is a no-op, not an error, and removes nothing.
  ASSERT_TRUE(store->Put("d/e", "3").ok());
  ASSERT_TRUE(store->Delete({"d"}).ok());
  EXPECT_EQ(store->Get("d/e").value(), "3");
}

TEST_F(LocalStoreTest, ForeignEntriesAreNotListed) {
  auto store = Open(tmp_.path() + "/s");
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Put("k", "v").ok());
  WriteFile(store->root() + "/%41", "non-canonical escape of A");
  WriteFile(store->root() + "/bad%zz", "not an escape");
  fs::create_symlink(store->root() + "/k", store->root() + "/link");
  ::mkfifo((store->root() + "/fifo").c_str(), 0644);
  auto all = ListAll(*store, "");
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_EQ(*all, (std::vector<ObjectInfo>{{"k", 1}}));
}

TEST_F(LocalStoreTest, PrefixThroughAnObjectListsNothing) {
  auto store = Open(tmp_.path() + "/s");
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Put("a", "v").ok());
  for (const std::string prefix : {"a/", "a/b", "a/b/c"}) {
    auto page = store->List(prefix, "", 10);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    EXPECT_TRUE(page->objects.empty());
  }
  EXPECT_TRUE(store->List("", "", 0).status().IsInvalidArgument());
}

TEST_F(LocalStoreTest, PutRacingDeleteOfItsDirectoryNeverFails) {
  auto store = Open(tmp_.path() + "/s", LocalStoreOptions{.sync = false});
  ASSERT_NE(store, nullptr);
  std::atomic<bool> stop{false};
  std::thread deleter([&] {
    while (!stop) ASSERT_TRUE(store->Delete({"race/d/k", "race/d/other"}).ok());
  });
  for (int i = 0; i < 2000; ++i) {
    const Status s = store->Put(i % 2 ? "race/d/k" : "race/d/other", "v");
    ASSERT_TRUE(s.ok()) << "put " << i << ": " << s.ToString();
  }
  stop = true;
  deleter.join();
}

TEST_F(LocalStoreTest, ListDuringDeletesSeesNoErrors) {
  auto store = Open(tmp_.path() + "/s", LocalStoreOptions{.sync = false});
  ASSERT_NE(store, nullptr);
  std::vector<std::string> keys;
  for (int i = 0; i < 300; ++i)
    keys.push_back("l/" + std::to_string(i % 30) + "/" + std::to_string(i));
  for (const auto& k : keys) ASSERT_TRUE(store->Put(k, "v").ok());
  std::thread deleter([&] {
    for (const auto& k : keys) ASSERT_TRUE(store->Delete({k}).ok());
  });
  for (int round = 0; round < 50; ++round) {
    auto all = ListAll(*store, "l/", 7);
    ASSERT_TRUE(all.ok()) << all.status().ToString();
    EXPECT_TRUE(
        std::is_sorted(all->begin(), all->end(),
                       [](const ObjectInfo& a, const ObjectInfo& b) { return a.key < b.key; }));
  }
  deleter.join();
  auto all = ListAll(*store, "");
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(all->empty());
}

}  // namespace
}  // namespace kb::storage
