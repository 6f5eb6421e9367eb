#include "agent/supervisor/data_dir_lock.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

using namespace logagent;
namespace fs = std::filesystem;

namespace {

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/logagent-lock-test-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path); }
};

std::string read_file(const std::string& path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

}  // namespace

TEST_CASE("the lock creates data_dir and a lock file holding the holder's pid") {
  TempDir dir;
  const std::string data_dir = dir.path + "/a/b";
  DataDirLock lock;
  REQUIRE(lock.acquire(data_dir));
  CHECK(fs::is_directory(data_dir));
  CHECK(read_file(data_dir + "/logagent.lock") == std::to_string(::getpid()) + "\n");
}

TEST_CASE("a second lock on one data_dir is refused naming the first one's pid, until it goes") {
  TempDir dir;
  std::optional<DataDirLock> first(std::in_place);
  REQUIRE(first->acquire(dir.path));
  DataDirLock second;
  const Status refused = second.acquire(dir.path);
  REQUIRE_FALSE(refused);
  CHECK(refused.message().find("data_dir " + dir.path + " is in use by another logagent (pid " +
                               std::to_string(::getpid()) + ")") != std::string::npos);
  first.reset();  // the holder goes: its lock goes with it
  DataDirLock third;
  CHECK(third.acquire(dir.path));
  DataDirLock other;
  CHECK(other.acquire(dir.path + "/elsewhere"));  // another data_dir is another lock
}

TEST_CASE("a lock file that cannot be created is a warning, not an error") {
  DataDirLock lock;
  CHECK(lock.acquire("/proc/self/logagent-no-such-dir"));
}
