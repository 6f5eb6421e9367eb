#include "plugins/inputs/tail/inotify_watcher.h"

#include <doctest/doctest.h>

#include <stdio.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "plugins/inputs/tail/tail_test_support.h"

namespace logagent::plugins::tail {

using namespace testing;  // NOLINT
using std::chrono::milliseconds;

TEST_CASE("the watcher reports new files as a rescan and writes as changes") {
  TempDir dir;
  InotifyWatcher watcher;
  REQUIRE_FALSE(watcher.polling());
  watcher.watch(dir.path());
  std::vector<std::string> changed;
  const InotifyWatcher::OnChange on_change = [&](std::string_view p, uint32_t, uint32_t) {
    changed.emplace_back(p);
  };
  write_file(dir / "a.log", "x\n");
  CHECK(watcher.wait(milliseconds(1000), on_change));
  changed.clear();
  append_file(dir / "a.log", "y\n");
  CHECK_FALSE(watcher.wait(milliseconds(1000), on_change));
  REQUIRE_FALSE(changed.empty());
  CHECK(changed.front() == dir / "a.log");
}

TEST_CASE("wake() ends a wait at once") {
  InotifyWatcher watcher;
  std::thread waker([&] {
    std::this_thread::sleep_for(milliseconds(20));
    watcher.wake();
  });
  const auto t0 = std::chrono::steady_clock::now();
  CHECK_FALSE(watcher.wait(milliseconds(5000), nullptr));
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(2));
  waker.join();
}

TEST_CASE("a watcher without inotify polls and a wait is a plain timeout") {
  InotifyWatcher watcher(/*use_inotify=*/false);
  CHECK(watcher.polling());
  watcher.watch("/tmp");
  CHECK(watcher.watched_dirs() == 0);
  CHECK_FALSE(watcher.wait(milliseconds(1), nullptr));
}

namespace {

struct stat stat_of(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st;
}

// /tmp on ext4 or tmpfs, as on the machines the tests run on: inotify reports all of its changes.
bool local_tmp() {
  struct statfs fs {};
  return ::statfs("/tmp", &fs) == 0 && (fs.f_type == 0xEF53 || fs.f_type == 0x01021994 ||
                                        fs.f_type == 0x58465342 || fs.f_type == 0x9123683E);
}

}  // namespace

TEST_CASE("a watched directory is vouched for under its first name only, by a number of its own") {
  if (!local_tmp()) return;  // NOLINT: /tmp on another file system is never vouched for
  TempDir dir;
  std::filesystem::create_directories(dir / "a");
  std::filesystem::create_directories(dir / "b");
  std::filesystem::create_directory_symlink(dir / "a", dir / "alias");
  InotifyWatcher watcher;
  CHECK(watcher.verify(dir / "a", stat_of(dir / "a")) == 0);  // not watched yet
  watcher.watch(dir / "a");
  watcher.watch(dir / "b");
  watcher.watch(dir / "alias");
  const uint64_t a = watcher.verify(dir / "a", stat_of(dir / "a"));
  const uint64_t b = watcher.verify(dir / "b", stat_of(dir / "b"));
  CHECK(a != 0);
  CHECK(b != 0);
  CHECK(a != b);
  // Its events carry the first name: the second is not vouched for.
  CHECK(watcher.verify(dir / "alias", stat_of(dir / "alias")) == 0);
}

TEST_CASE(
    "a directory renamed away loses its watch, and the one made under its name gets a new one") {
  if (!local_tmp()) return;  // NOLINT
  TempDir dir;
  std::filesystem::create_directories(dir / "logs");
  InotifyWatcher watcher;
  watcher.watch(dir / "logs");
  const uint64_t first = watcher.verify(dir / "logs", stat_of(dir / "logs"));
  REQUIRE(first != 0);
  REQUIRE(::rename((dir / "logs").c_str(), (dir / "logs.old").c_str()) == 0);
  std::filesystem::create_directories(dir / "logs");
  // Not read yet (IN_MOVE_SELF is queued): the name holds another directory, which says so.
  CHECK(watcher.verify(dir / "logs", stat_of(dir / "logs")) == 0);
  watcher.wait(milliseconds(0), nullptr);  // what the old watch queued: of a watch dropped
  watcher.watch(dir / "logs");
  const uint64_t second = watcher.verify(dir / "logs", stat_of(dir / "logs"));
  CHECK(second != 0);
  CHECK(second != first);
  // Changes of the new directory come under the name; none of the old one do.
  std::vector<std::string> changed;
  write_file(dir / "logs.old/x.log", "x\n");
  write_file(dir / "logs/y.log", "y\n");
  watcher.wait(milliseconds(1000),
               [&](std::string_view p, uint32_t, uint32_t) { changed.emplace_back(p); });
  REQUIRE_FALSE(changed.empty());
  for (const std::string& p : changed) CHECK(p == dir / "logs/y.log");
}

TEST_CASE("a directory renamed away is dropped when its IN_MOVE_SELF is read") {
  if (!local_tmp()) return;  // NOLINT
  TempDir dir;
  std::filesystem::create_directories(dir / "logs");
  InotifyWatcher watcher;
  watcher.watch(dir / "logs");
  REQUIRE(watcher.watched_dirs() == 1);
  REQUIRE(::rename((dir / "logs").c_str(), (dir / "moved").c_str()) == 0);
  CHECK(watcher.wait(milliseconds(1000), nullptr));
  CHECK(watcher.watched_dirs() == 0);
  CHECK(watcher.verify(dir / "logs", stat_of(dir / "moved")) == 0);
}

}  // namespace logagent::plugins::tail
