// RefusedLines: the lines Kafka refused inside an aborted exactly-once transaction, remembered
// across sinks (a file) until a committed transaction dead-lettered them.
#include "plugins/sinks/kafka/refused_lines.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

using namespace logagent;
using namespace logagent::plugins::kafka;

namespace {

std::string fresh_path(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() /
             ("logagent_refused_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  return (dir / "app.kafka.refused").string();
}

Event line(std::string_view text, uint64_t offset) { return Event{text, offset, 0, 0}; }

}  // namespace

TEST_CASE("refused lines: a remembered line is found by offset and content, in a new instance") {
  const std::string path = fresh_path("found");
  {
    RefusedLines first(path);
    REQUIRE(first.load());
    CHECK(first.size() == 0);
    REQUIRE(first.add(line("big line", 100), RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE));
  }
  RefusedLines second(path);  // the restarted pipeline's sink
  REQUIRE(second.load());
  CHECK(second.size() == 1);
  CHECK(second.find(line("big line", 100)) == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE);
  // Another line at that offset (the file was rewritten) or the same text elsewhere: not it.
  CHECK(second.find(line("big lime", 100)) == RD_KAFKA_RESP_ERR_NO_ERROR);
  CHECK(second.find(line("big line", 101)) == RD_KAFKA_RESP_ERR_NO_ERROR);
}

TEST_CASE("refused lines: a commit forgets only the lines found since the last one") {
  const std::string path = fresh_path("commit");
  RefusedLines r(path);
  REQUIRE(r.add(line("one", 0), RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE));
  REQUIRE(r.add(line("two", 10), RD_KAFKA_RESP_ERR_POLICY_VIOLATION));
  REQUIRE(r.committed());  // nothing found yet: both kept
  CHECK(r.size() == 2);
  CHECK(r.find(line("one", 0)) == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE);
  REQUIRE(r.committed());
  CHECK(r.size() == 1);
  RefusedLines reloaded(path);
  REQUIRE(reloaded.load());
  CHECK(reloaded.size() == 1);
  CHECK(reloaded.find(line("one", 0)) == RD_KAFKA_RESP_ERR_NO_ERROR);
  CHECK(reloaded.find(line("two", 10)) == RD_KAFKA_RESP_ERR_POLICY_VIOLATION);
}

TEST_CASE("refused lines: a damaged file is an error naming it") {
  const std::string path = fresh_path("damaged");
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path) << "not a line\n";
  RefusedLines r(path);
  const Status st = r.load();
  CHECK_FALSE(st);
  CHECK(st.message().find(path) != std::string::npos);
}
