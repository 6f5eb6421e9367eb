#include "plugins/inputs/tail/path_scanner.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "plugins/inputs/tail/tail_test_support.h"

namespace logagent::plugins::tail {
namespace {

std::vector<std::string> paths_of(const std::vector<ScannedFile>& files) {
  std::vector<std::string> out;
  for (const ScannedFile& f : files) out.push_back(f.path);
  return out;
}

}  // namespace

using testing::TempDir;
using testing::write_file;

TEST_CASE("the scanner expands globs to regular files and applies excludes") {
  TempDir dir;
  write_file(dir / "a.log", "a\n");
  write_file(dir / "b.log", "b\n");
  write_file(dir / "c.gz", "c\n");
  std::filesystem::create_directory(dir / "sub.log");
  PathScanner scanner({dir / "*"}, {"*.gz", dir / "b.log"}, "/");
  CHECK(paths_of(scanner.scan()) == std::vector<std::string>{dir / "a.log"});
}

TEST_CASE("the scanner follows symlinked directories and symlinks to files") {
  TempDir dir;
  std::filesystem::create_directories(dir / "pods/p1");
  write_file(dir / "pods/p1/x.log", "x\n");
  std::filesystem::create_directory(dir / "containers");
  std::filesystem::create_symlink(dir / "pods/p1/x.log", dir / "containers/x.log");
  std::filesystem::create_directory_symlink(dir / "pods/p1", dir / "linked");
  PathScanner links({dir / "containers/*.log"}, {}, "/");
  CHECK(paths_of(links.scan()) == std::vector<std::string>{dir / "containers/x.log"});
  PathScanner linked_dir({dir / "linked/*.log"}, {}, "/");
  CHECK(paths_of(linked_dir.scan()) == std::vector<std::string>{dir / "linked/x.log"});
}

TEST_CASE("the scanner reports a file reached by two matching paths once") {
  TempDir dir;
  write_file(dir / "a.log", "a\n");
  std::filesystem::create_symlink(dir / "a.log", dir / "b.log");
  PathScanner scanner({dir / "*.log"}, {}, "/");
  CHECK(scanner.scan().size() == 1);
}

TEST_CASE("the scanner resolves relative patterns against the working directory") {
  TempDir dir;
  write_file(dir / "a.log", "a\n");
  PathScanner scanner({"*.log"}, {}, dir.path());
  CHECK(paths_of(scanner.scan()) == std::vector<std::string>{dir / "a.log"});
}

TEST_CASE("the scanner watches pattern directories, expanding wildcard directories") {
  TempDir dir;
  std::filesystem::create_directories(dir / "apps/one");
  std::filesystem::create_directories(dir / "apps/two");
  PathScanner scanner({dir / "apps/*/*.log", dir / "top.log"}, {}, "/");
  const std::vector<std::string> dirs = scanner.watch_dirs();
  CHECK(dirs == std::vector<std::string>{dir.path(), dir / "apps/one", dir / "apps/two"});
}

TEST_CASE("dir_name and base_name split paths") {
  CHECK(dir_name("/a/b/c.log") == "/a/b");
  CHECK(dir_name("/c.log") == "/");
  CHECK(dir_name("c.log") == ".");
  CHECK(base_name("/a/b/c.log") == "c.log");
}

}  // namespace logagent::plugins::tail
