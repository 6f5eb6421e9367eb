// The dead-letter file: created on first use (with its directory), appended to, never truncated.
#include "plugins/sinks/kafka/dead_letter_file.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

using namespace logagent::plugins::kafka;

namespace {

std::string read_all(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::filesystem::path fresh_dir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() /
             ("logagent_dlq_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  return dir;
}

}  // namespace

TEST_CASE("dead-letter file: created with its directory on first append, then appended to") {
  const auto dir = fresh_dir("append");
  const auto path = dir / "sub" / "app.kafka.deadletter.ndjson";
  {
    DeadLetterFile f(path.string());
    CHECK(f.path() == path.string());
    CHECK_FALSE(std::filesystem::exists(path));  // opened on first use only
    REQUIRE(f.append("{\"a\":1}\n").is_ok());
    REQUIRE(f.append("{\"b\":2}\n{\"c\":3}\n").is_ok());
  }
  CHECK(read_all(path) == "{\"a\":1}\n{\"b\":2}\n{\"c\":3}\n");
  DeadLetterFile again(path.string());  // a restart appends, it never truncates
  REQUIRE(again.append("{\"d\":4}\n").is_ok());
  CHECK(read_all(path) == "{\"a\":1}\n{\"b\":2}\n{\"c\":3}\n{\"d\":4}\n");
  std::filesystem::remove_all(dir);
}

TEST_CASE("dead-letter file: a path that cannot be opened is an error naming it") {
  const auto dir = fresh_dir("error");
  std::filesystem::create_directories(dir);
  const auto link = dir / "link.ndjson";
  std::filesystem::create_symlink(dir / "target.ndjson", link);  // O_NOFOLLOW refuses it
  DeadLetterFile f(link.string());
  const auto st = f.append("x\n");
  CHECK_FALSE(st.is_ok());
  CHECK(st.message().find("cannot open " + link.string()) == 0);
  CHECK_FALSE(std::filesystem::exists(dir / "target.ndjson"));
  std::filesystem::remove_all(dir);
}
