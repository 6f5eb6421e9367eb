#include "plugins/inputs/tail/scan_cache.h"

#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <tuple>
#include <vector>

#include "plugins/inputs/tail/inotify_watcher.h"
#include "plugins/inputs/tail/tail_test_support.h"

namespace logagent::plugins::tail {
namespace {

using testing::append_file;
using testing::TempDir;
using testing::write_file;

// Paths and identities: what the tracker follows files by.
std::vector<std::tuple<std::string, dev_t, ino_t>> keys(const std::vector<ScannedFile>& files) {
  std::vector<std::tuple<std::string, dev_t, ino_t>> out;
  for (const ScannedFile& f : files) out.emplace_back(f.path, f.st.st_dev, f.st.st_ino);
  return out;
}

// A cache over `scanner` whose directories are covered by watch `id` (0: none), fed the events of
// a real inotify watch of `dirs`.
struct Fixture {
  Fixture(std::vector<std::string> patterns, const std::vector<std::string>& dirs,
          std::vector<std::string> excludes = {})
      : scanner(patterns, std::move(excludes), "/"), cache(scanner) {
    for (const std::string& d : dirs) watcher.watch(d);
  }
  ScanCache::Refresh refresh() {
    watcher.wait(std::chrono::milliseconds(0), [this](std::string_view path, uint32_t mask,
                                                      uint32_t) { cache.event(path, mask); });
    return cache.refresh([this](const std::string&, const struct stat&) { return id; });
  }
  // Refreshes and checks the result against a full scan.
  ScanCache::Refresh refresh_checked() {
    ScanCache::Refresh r = refresh();
    CHECK(keys(cache.files()) == keys(scanner.scan()));
    return r;
  }

  PathScanner scanner;
  ScanCache cache;
  InotifyWatcher watcher;
  uint64_t id = 7;
};

}  // namespace

TEST_CASE("a rescan of a watched directory nobody touched lists and stats nothing") {
  TempDir dir;
  write_file(dir / "a.log", "a\n");
  write_file(dir / "b.log", "b\n");
  write_file(dir / "x.txt", "x\n");
  Fixture f({dir / "*.log"}, {dir.path()});
  const ScanCache::Refresh first = f.refresh_checked();
  CHECK(first.changed);
  CHECK(first.listed == 1);
  CHECK(first.statted == 2);
  CHECK_FALSE(first.uncovered);
  const ScanCache::Refresh second = f.refresh_checked();
  CHECK_FALSE(second.changed);
  CHECK(second.listed == 0);
  CHECK(second.statted == 0);
}

TEST_CASE("a write is stat'ed again alone; a file created, renamed or deleted lists again") {
  TempDir dir;
  write_file(dir / "a.log", "a\n");
  write_file(dir / "b.log", "b\n");
  Fixture f({dir / "*.log"}, {dir.path()});
  f.refresh_checked();

  append_file(dir / "a.log", "more\n");
  ScanCache::Refresh r = f.refresh_checked();
  CHECK(r.listed == 0);
  CHECK(r.statted == 1);
  CHECK_FALSE(r.changed);  // the same files behind the same names
  struct stat st {};
  REQUIRE(::stat((dir / "a.log").c_str(), &st) == 0);
  CHECK(f.cache.files().front().st.st_size == st.st_size);

  write_file(dir / "c.log", "c\n");
  r = f.refresh_checked();
  CHECK(r.listed == 1);
  CHECK(r.statted == 1);
  CHECK(r.changed);

  REQUIRE(::rename((dir / "a.log").c_str(), (dir / "a.log.1").c_str()) == 0);
  write_file(dir / "a.log", "new\n");
  r = f.refresh_checked();
  CHECK(r.listed == 1);
  CHECK(r.changed);  // another file behind a.log

  REQUIRE(::unlink((dir / "b.log").c_str()) == 0);
  r = f.refresh_checked();
  CHECK(r.changed);
  CHECK(f.refresh_checked().statted == 0);
}

TEST_CASE("a directory no watch vouches for is listed and stat'ed at every rescan") {
  TempDir dir;
  write_file(dir / "a.log", "a\n");
  write_file(dir / "b.log", "b\n");
  Fixture f({dir / "*.log"}, {});
  f.id = 0;
  f.refresh_checked();
  const ScanCache::Refresh r = f.refresh_checked();
  CHECK(r.uncovered);
  CHECK(r.listed == 1);
  CHECK(r.statted == 2);
  CHECK_FALSE(r.changed);
}

TEST_CASE("a new watch of a directory makes what was learnt through the old one stale") {
  TempDir dir;
  write_file(dir / "a.log", "a\n");
  Fixture f({dir / "*.log"}, {dir.path()});
  f.refresh_checked();
  f.id = 8;
  const ScanCache::Refresh r = f.refresh_checked();
  CHECK(r.listed == 1);
  CHECK(r.statted == 1);
  CHECK(f.refresh_checked().statted == 0);
}

TEST_CASE("symlinks are stat'ed again at every rescan: their target may change unwatched") {
  TempDir dir;
  std::filesystem::create_directories(dir / "pods");
  std::filesystem::create_directories(dir / "containers");
  write_file(dir / "pods/0.log", "g1\n");
  std::filesystem::create_symlink(dir / "pods/0.log", dir / "containers/x.log");
  Fixture f({dir / "containers/*.log"}, {dir / "containers"});
  f.refresh_checked();
  CHECK(f.refresh_checked().statted == 1);
  // The kubelet rotates the target: the link names another file, and no event came for it.
  REQUIRE(::rename((dir / "pods/0.log").c_str(), (dir / "pods/0.log.1").c_str()) == 0);
  write_file(dir / "pods/0.log", "g2\n");
  const ScanCache::Refresh r = f.refresh_checked();
  CHECK(r.changed);
}

TEST_CASE(
    "wildcard directories, excludes and files reached by two paths come out as the scanner's") {
  TempDir dir;
  for (const char* d : {"pods/b", "pods/a", "pods/a-b", "pods/c"}) {
    std::filesystem::create_directories(dir / d);
  }
  write_file(dir / "pods/a/x.log", "1\n");
  write_file(dir / "pods/a/y.log", "2\n");
  write_file(dir / "pods/a-b/x.log", "3\n");
  write_file(dir / "pods/b/x.log", "4\n");
  write_file(dir / "pods/b/skip.log", "5\n");
  std::filesystem::create_symlink(dir / "pods/a/x.log", dir / "pods/c/x.log");
  Fixture f({dir / "pods/*/*.log", dir / "pods/a/x.log"},
            {dir / "pods/a", dir / "pods/b", dir / "pods/a-b", dir / "pods/c"}, {"skip.log"});
  CHECK(f.refresh_checked().changed);
  CHECK(f.cache.files().size() == 4);
  CHECK_FALSE(f.refresh_checked().changed);
  // A directory appears under the wildcard, another goes.
  std::filesystem::create_directories(dir / "pods/d");
  write_file(dir / "pods/d/z.log", "6\n");
  std::filesystem::remove_all(dir / "pods/b");
  CHECK(f.refresh_checked().changed);
  CHECK(f.cache.files().size() == 4);
}

TEST_CASE("forget_all lists and stats everything again") {
  TempDir dir;
  write_file(dir / "a.log", "a\n");
  Fixture f({dir / "*.log"}, {dir.path()});
  f.refresh_checked();
  f.cache.forget_all();
  const ScanCache::Refresh r = f.refresh_checked();
  CHECK(r.listed == 1);
  CHECK(r.statted == 1);
}

TEST_CASE("the first refresh, and the first after forget_all, report a change finding nothing") {
  // What the caller knew came from elsewhere (the tracker's start-up scan, the files before an
  // inotify overflow): a file renamed out of the glob meanwhile is a change to it.
  TempDir dir;
  write_file(dir / "a.old", "a\n");
  Fixture f({dir / "*.log"}, {dir.path()});
  CHECK(f.refresh_checked().changed);
  CHECK(f.cache.files().empty());
  CHECK_FALSE(f.refresh_checked().changed);
  write_file(dir / "b.log", "b\n");
  CHECK(f.refresh_checked().changed);
  f.cache.forget_all();
  REQUIRE(::rename((dir / "b.log").c_str(), (dir / "b.old").c_str()) == 0);
  CHECK(f.refresh_checked().changed);
  CHECK(f.cache.files().empty());
  CHECK_FALSE(f.refresh_checked().changed);
}

TEST_CASE("glob_escape makes glob match a directory name as itself") {
  CHECK(glob_escape("/var/log/a*b?[c]\\d") == "/var/log/a\\*b\\?\\[c\\]\\\\d");
  TempDir dir;
  std::filesystem::create_directories(dir / "we[ir]d*");
  write_file(dir / "we[ir]d*/a.log", "a\n");
  std::filesystem::create_directories(dir / "weid");  // what the pattern unescaped matches
  write_file(dir / "weid/a.log", "no\n");
  CHECK(expand_glob(glob_escape(dir / "we[ir]d*") + "/*.log") ==
        std::vector<std::string>{dir / "we[ir]d*/a.log"});
}

}  // namespace logagent::plugins::tail
