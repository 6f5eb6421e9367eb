#include "plugins/inputs/tail/line_framer.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace logagent::plugins::tail {

TEST_CASE("frame_lines splits complete lines and leaves the partial line") {
  const std::string data = "one\ntwo\n\nthree";
  std::vector<Event> events;
  const FrameResult r = frame_lines(data.data(), data.size(), 100, 1024, events);
  REQUIRE(events.size() == 3);
  CHECK(events[0].message == "one");
  CHECK(events[0].offset == 100);
  CHECK(events[1].message == "two");
  CHECK(events[1].offset == 104);
  CHECK(events[2].message.empty());
  CHECK(events[2].offset == 108);
  CHECK(r.consumed == 9);
  CHECK(r.truncated == 0);
}

TEST_CASE("frame_lines cuts lines longer than the limit and flags them") {
  const std::string data = std::string(2000, 'x') + "\nok\n";
  std::vector<Event> events;
  const FrameResult r = frame_lines(data.data(), data.size(), 0, 1024, events);
  REQUIRE(events.size() == 2);
  CHECK(events[0].message.size() == 1024);
  CHECK(events[0].flags == kEventTruncated);
  CHECK(events[1].message == "ok");
  CHECK(events[1].flags == 0);
  CHECK(r.consumed == data.size());
  CHECK(r.truncated == 1);
}

TEST_CASE("frame_lines passes NUL bytes and invalid UTF-8 through byte-exact") {
  const std::string line("a\0b\xff\xfe\xc3(", 7);
  const std::string data = line + "\n";
  std::vector<Event> events;
  (void)frame_lines(data.data(), data.size(), 0, 1024, events);
  REQUIRE(events.size() == 1);
  CHECK(std::string(events[0].message) == line);
}

TEST_CASE("frame_lines with no newline consumes nothing") {
  const std::string data = "partial";
  std::vector<Event> events;
  CHECK(frame_lines(data.data(), data.size(), 0, 1024, events).consumed == 0);
  CHECK(events.empty());
}

}  // namespace logagent::plugins::tail
