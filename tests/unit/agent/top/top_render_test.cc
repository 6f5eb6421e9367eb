#include "agent/top/top_render.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace logagent::top;

namespace {

TopView sample_view() {
  TopView v;
  TopRow p;
  p.name = "app";
  p.events_in_per_s = 12345;
  p.events_out_per_s = 12000;
  p.mib_per_s = 2.5;
  p.lag_seconds = 0.25;
  p.bytes_behind = 3 * 1024 * 1024;
  p.files_open = 4;
  p.errors = 2;
  v.rows.push_back(p);
  TopRow k;
  k.name = "kafka";
  k.is_sink = true;
  k.events_out_per_s = 12000;
  k.mib_per_s = 2.4;
  v.rows.push_back(k);
  return v;
}

}  // namespace

TEST_CASE("top render: the table at 80 columns, byte for byte") {
  const std::vector<std::string> want = {
      "logagent top  status",
      "PIPELINE / SINK             IN/S    OUT/S   MIB/S     LAG   BEHIND FILES  ERRORS",
      "app                        12.3k    12.0k     2.5    0.2s   3.00Mi     4       2",
      "  kafka                             12.0k     2.4                              0",
  };
  const auto got = render_table(sample_view(), "logagent top  status", 80);
  CHECK(got == want);
  CHECK(got[1].size() == 80);  // the name column takes what the figures leave
}

TEST_CASE("top render: a long name is cut with '~' and no line passes the width") {
  TopView v = sample_view();
  v.rows[0].name = std::string(60, 'n');
  const auto got = render_table(v, std::string(200, 's'), 80);
  CHECK(got[0].size() == 80);
  CHECK(got[2].substr(0, 24) == std::string(22, 'n') + "~ ");  // the 23-column name
  for (const auto& line : got) CHECK(line.size() <= 80);
  for (const auto& line : render_table(v, "s", 40)) CHECK(line.size() <= 40);
}

TEST_CASE("top render: control characters and non-ASCII bytes in names are shown as '?'") {
  TopView v = sample_view();
  v.rows[0].name = "a\x1b[2Jb\xc3\xa9";
  const auto got = render_table(v, "s", 80);
  CHECK(got[2].substr(0, 9) == "a?[2Jb?? ");
}

TEST_CASE("top render: an agent without pipelines says so") {
  const auto got = render_table(TopView{}, "s", 80);
  REQUIRE(got.size() == 3);
  CHECK(got[2] == "(no pipeline reports metrics yet)");
}

TEST_CASE("top render: compact figures keep to their columns") {
  CHECK(compact_count(0) == "0");
  CHECK(compact_count(0.5) == "0.5");
  CHECK(compact_count(987) == "987");
  CHECK(compact_count(12345) == "12.3k");
  CHECK(compact_count(4560000) == "4.56M");
  CHECK(compact_count(-3) == "0");
  CHECK(compact_bytes(512) == "512");
  CHECK(compact_bytes(1536) == "1.50Ki");
  CHECK(compact_bytes(20.0 * 1024 * 1024) == "20.0Mi");
  CHECK(compact_bytes(1e30).size() <= 8);
}
