#include "agent/top/prom_text.h"

#include <doctest/doctest.h>

#include <cmath>

using namespace logagent::top;

TEST_CASE("prom text: samples with and without labels, comments and blank lines") {
  const auto s = parse_prom_text(
      "# HELP logagent_files_open Files open\n"
      "# TYPE logagent_files_open gauge\n"
      "logagent_files_open{pipeline=\"app\"} 3\n"
      "\n"
      "logagent_buffer_pool_in_use 7 1700000000000\n"
      "  logagent_x{a=\"1\",b=\"2\",} 1.5e3\r\n");
  CHECK(s.malformed_lines == 0);
  REQUIRE(s.samples.size() == 3);
  CHECK(s.samples[0].name == "logagent_files_open");
  CHECK(s.samples[0].label("pipeline") == "app");
  CHECK(s.samples[0].value == 3);
  CHECK(s.samples[1].labels.empty());
  CHECK(s.samples[1].value == 7);  // the timestamp is not the value
  CHECK(s.samples[2].label("b") == "2");
  CHECK(s.samples[2].value == 1500);
  CHECK(s.samples[2].label("absent").empty());
}

TEST_CASE("prom text: label values are unescaped (backslash, quote, newline)") {
  const auto s = parse_prom_text(R"(m{path="C:\\logs",msg="say \"hi\"\n",c="a,b}"} 1)");
  REQUIRE(s.samples.size() == 1);
  CHECK(s.samples[0].label("path") == "C:\\logs");
  CHECK(s.samples[0].label("msg") == "say \"hi\"\n");
  CHECK(s.samples[0].label("c") == "a,b}");
}

TEST_CASE("prom text: NaN, +Inf and -Inf are values") {
  const auto s = parse_prom_text("a NaN\nb +Inf\nc -Inf\n");
  REQUIRE(s.samples.size() == 3);
  CHECK(std::isnan(s.samples[0].value));
  CHECK(std::isinf(s.samples[1].value));
  CHECK(s.samples[1].value > 0);
  CHECK(s.samples[2].value < 0);
}

TEST_CASE("prom text: histogram and summary series are skipped, the rest kept") {
  const auto s = parse_prom_text(
      "# TYPE lat histogram\n"
      "lat_bucket{le=\"0.1\"} 2\n"
      "lat_bucket{le=\"+Inf\"} 3\n"
      "lat_sum 0.4\n"
      "lat_count 3\n"
      "# TYPE rpc summary\n"
      "rpc{quantile=\"0.5\"} 0.2\n"
      "rpc_sum 1\n"
      "rpc_count 5\n"
      "# TYPE lat_other counter\n"
      "lat_other_total 9\n");
  REQUIRE(s.samples.size() == 1);
  CHECK(s.samples[0].name == "lat_other_total");
}

TEST_CASE("prom text: a malformed line is counted and skipped, the next ones still parse") {
  const auto s = parse_prom_text(
      "good 1\n"
      "m{unterminated=\"x} 2\n"
      "m{=\"x\"} 2\n"
      "novalue\n"
      "bad 12abc\n"
      "{a=\"b\"} 3\n"
      "after 4\n");
  CHECK(s.malformed_lines == 5);
  REQUIRE(s.samples.size() == 2);
  CHECK(s.samples[1].name == "after");
}
