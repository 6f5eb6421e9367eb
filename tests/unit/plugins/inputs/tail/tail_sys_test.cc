#include "plugins/inputs/tail/tail_sys.h"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

using namespace logagent::plugins::tail;
namespace fs = std::filesystem;

namespace {

struct Dir {
  Dir() {
    static int n = 0;
    path = fs::temp_directory_path() /
           ("logagent-tail-sys-" + std::to_string(::getpid()) + "-" + std::to_string(n++));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~Dir() { fs::remove_all(path); }
  fs::path path;
};

}  // namespace

TEST_CASE("tail sys: the real calls open, read at an offset, stat, duplicate and close") {
  Dir dir;
  const fs::path file = dir.path / "a.log";
  { std::ofstream(file) << "hello world\n"; }
  TailSys& sys = real_tail_sys();
  const int fd = sys.open(file.c_str(), O_RDONLY | O_CLOEXEC);
  REQUIRE(fd >= 0);
  char buf[5] = {};
  CHECK(sys.pread(fd, buf, sizeof buf, 6) == 5);
  CHECK(std::string(buf, 5) == "world");
  struct stat st {};
  REQUIRE(sys.fstat(fd, &st) == 0);
  CHECK(st.st_size == 12);
  struct statx sx {};
  CHECK(sys.fstatx(fd, STATX_INO, &sx) == 0);
  CHECK(sx.stx_ino == st.st_ino);
  const int copy = sys.dup_cloexec(fd);
  REQUIRE(copy >= 0);
  CHECK(copy != fd);
  CHECK((::fcntl(copy, F_GETFD) & FD_CLOEXEC) != 0);
  CHECK(sys.close(copy) == 0);
  CHECK(sys.close(fd) == 0);
}

TEST_CASE("tail sys: failures come back as the calls report them, with errno") {
  Dir dir;
  TailSys& sys = real_tail_sys();
  errno = 0;
  CHECK(sys.open((dir.path / "missing").c_str(), O_RDONLY) == -1);
  CHECK(errno == ENOENT);
  struct stat st {};
  CHECK(sys.fstat(-1, &st) == -1);
  CHECK(errno == EBADF);
  std::vector<DirEntry> entries;
  CHECK(sys.list_dir((dir.path / "nope").string(), &entries) == -1);
  char resolved[PATH_MAX];
  CHECK(sys.realpath((dir.path / "missing").c_str(), resolved) == nullptr);
}

TEST_CASE("tail sys: a directory's entries come with their inode numbers") {
  Dir dir;
  { std::ofstream(dir.path / "x.log") << "x\n"; }
  fs::create_symlink(dir.path / "x.log", dir.path / "link.log");
  std::vector<DirEntry> entries;
  REQUIRE(real_tail_sys().list_dir(dir.path.string(), &entries) == 0);
  std::vector<std::string> names;
  for (const DirEntry& e : entries) names.push_back(e.name);
  std::sort(names.begin(), names.end());
  CHECK(names == std::vector<std::string>{".", "..", "link.log", "x.log"});
  struct stat st {};
  REQUIRE(::lstat((dir.path / "x.log").c_str(), &st) == 0);
  for (const DirEntry& e : entries) {
    if (e.name == "x.log") CHECK(e.ino == st.st_ino);
  }
  char resolved[PATH_MAX];
  REQUIRE(real_tail_sys().realpath((dir.path / "link.log").c_str(), resolved) != nullptr);
  CHECK(fs::path(resolved) == fs::canonical(dir.path / "x.log"));
}

TEST_CASE("tail sys: the clocks move forward and the wall clock is the epoch's") {
  TailSys& sys = real_tail_sys();
  const int64_t a = sys.mono_now_ns();
  const int64_t b = sys.mono_now_ns();
  CHECK(b >= a);
  const int64_t wall = sys.real_now_ns();
  CHECK(wall > int64_t{1'700'000'000} * 1'000'000'000);  // after 2023-11
}
