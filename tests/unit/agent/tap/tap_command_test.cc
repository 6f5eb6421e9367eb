#include "agent/tap/tap_command.h"

#include <doctest/doctest.h>

using namespace logagent::tap;

TEST_CASE("the tap request path percent-encodes the pipeline and carries the options") {
  TapOptions o;
  o.pipeline = "web front/1";
  CHECK(tap_path(o) == "/tap?pipeline=web%20front%2F1&rate=100");
  o.stage = 0;
  o.limit = 5;
  o.rate = 2.5;
  CHECK(tap_path(o) == "/tap?pipeline=web%20front%2F1&stage=0&limit=5&rate=2.5");
}

TEST_CASE("tap stream lines are told apart: events, start, end, keep-alive") {
  CHECK(classify_tap_line("{\"time\":\"x\",\"message\":\"{\\\"tap_end\\\":1}\"}") ==
        TapLineKind::kEvent);
  CHECK(classify_tap_line("{\"tap_start\":{\"pipeline\":\"app\"}}") == TapLineKind::kStart);
  CHECK(classify_tap_line("{\"tap_end\":{\"reason\":\"limit reached\"}}") == TapLineKind::kEnd);
  CHECK(classify_tap_line("") == TapLineKind::kEmpty);
}

TEST_CASE("values are read from the tap's start and end lines") {
  const std::string end =
      "{\"tap_end\":{\"reason\":\"pipeline \\\"x\\\" stopped\",\"seen\":10,\"sent\":4,"
      "\"skipped\":6,\"dropped\":0}}";
  CHECK(tap_line_value(end, "reason") == "pipeline \"x\" stopped");
  CHECK(tap_line_value(end, "skipped") == "6");
  CHECK(tap_line_value(end, "dropped") == "0");
  CHECK(tap_line_value(end, "absent").empty());
}
