#include "agent/top/top_model.h"

#include <doctest/doctest.h>

#include <string>

using namespace logagent::top;

namespace {

TopSnapshot snap(const std::string& text) { return snapshot_of(parse_prom_text(text)); }

}  // namespace

TEST_CASE("top model: a counter's rate is its increase over the seconds; a decrease is a reset") {
  CHECK(counter_rate(100, 300, 2) == doctest::Approx(100));
  CHECK(counter_rate(500, 40, 2) == doctest::Approx(20));  // restarted from zero, now 40
  CHECK(counter_rate(5, 5, 1) == 0);
  CHECK(counter_rate(1, 9, 0) == 0);
}

TEST_CASE("top model: a snapshot sums each pipeline's and sink's figures") {
  const auto s = snap(
      "logagent_input_lines_total{pipeline=\"app\"} 10\n"
      "logagent_input_bytes_total{pipeline=\"app\"} 1000\n"
      "logagent_files_open{pipeline=\"app\"} 2\n"
      "logagent_input_bytes_behind{pipeline=\"app\"} 4096\n"
      "logagent_pipeline_oldest_unacked_age_seconds{pipeline=\"app\"} 1.5\n"
      "logagent_input_read_errors_total{pipeline=\"app\"} 1\n"
      "logagent_input_files_lost_total{pipeline=\"app\",reason=\"deleted\"} 2\n"
      "logagent_sink_events_total{pipeline=\"app\",sink=\"kafka\",result=\"ok\"} 8\n"
      "logagent_sink_events_total{pipeline=\"app\",sink=\"kafka\",result=\"error\"} 1\n"
      "logagent_kafka_errors_total{pipeline=\"app\",sink=\"kafka\",reason=\"x\"} 3\n"
      "logagent_sink_bytes_total{pipeline=\"app\",sink=\"kafka\"} 800\n"
      "logagent_buffer_pool_in_use 3\n"
      "logagent_buffer_pool_capacity 64\n"
      "logagent_build_info{version=\"1.2.3\"} 1\n"
      "other_metric{pipeline=\"ignored\"} 1\n");
  CHECK(s.pool_in_use == 3);
  CHECK(s.pool_capacity == 64);
  CHECK(s.version == "1.2.3");
  REQUIRE(s.pipelines.size() == 1);
  const PipelineFigures& p = s.pipelines.at("app");
  CHECK(p.lines_in == 10);
  CHECK(p.bytes_in == 1000);
  CHECK(p.files_open == 2);
  CHECK(p.bytes_behind == 4096);
  CHECK(p.lag_seconds == 1.5);
  CHECK(p.errors == 3);
  REQUIRE(p.sinks.size() == 1);
  CHECK(p.sinks.at("kafka").events_ok == 8);
  CHECK(p.sinks.at("kafka").errors == 4);
  CHECK(p.sinks.at("kafka").bytes == 800);
}

TEST_CASE("top model: NaN and infinite samples count as zero") {
  const auto s = snap(
      "logagent_input_lines_total{pipeline=\"a\"} NaN\n"
      "logagent_input_bytes_total{pipeline=\"a\"} +Inf\n");
  CHECK(s.pipelines.at("a").lines_in == 0);
  CHECK(s.pipelines.at("a").bytes_in == 0);
}

TEST_CASE("top model: rows are pipelines then their sinks; out is the slowest sink's rate") {
  const auto before = snap(
      "logagent_input_lines_total{pipeline=\"app\"} 100\n"
      "logagent_input_bytes_total{pipeline=\"app\"} 0\n"
      "logagent_sink_events_total{pipeline=\"app\",sink=\"a\",result=\"ok\"} 100\n"
      "logagent_sink_events_total{pipeline=\"app\",sink=\"b\",result=\"ok\"} 100\n");
  const auto after = snap(
      "logagent_input_lines_total{pipeline=\"app\"} 300\n"
      "logagent_input_bytes_total{pipeline=\"app\"} 2097152\n"
      "logagent_sink_events_total{pipeline=\"app\",sink=\"a\",result=\"ok\"} 300\n"
      "logagent_sink_events_total{pipeline=\"app\",sink=\"b\",result=\"ok\"} 200\n"
      "logagent_input_lines_total{pipeline=\"new\"} 50\n");
  const TopView v = top_rates(before, after, 2.0);
  REQUIRE(v.rows.size() == 4);
  CHECK(v.rows[0].name == "app");
  CHECK_FALSE(v.rows[0].is_sink);
  CHECK(v.rows[0].events_in_per_s == doctest::Approx(100));
  CHECK(v.rows[0].mib_per_s == doctest::Approx(1));
  CHECK(v.rows[0].events_out_per_s == doctest::Approx(50));
  CHECK(v.rows[1].name == "a");
  CHECK(v.rows[1].is_sink);
  CHECK(v.rows[1].events_out_per_s == doctest::Approx(100));
  CHECK(v.rows[2].events_out_per_s == doctest::Approx(50));
  CHECK(v.rows[3].name == "new");  // not in the first scrape: counted from zero
  CHECK(v.rows[3].events_in_per_s == doctest::Approx(25));
}

TEST_CASE("top model: a pipeline whose counters went down (a restart) gets rates from zero") {
  const auto before = snap("logagent_input_lines_total{pipeline=\"app\"} 1000000\n");
  const auto after = snap("logagent_input_lines_total{pipeline=\"app\"} 30\n");
  const TopView v = top_rates(before, after, 1.0);
  REQUIRE(v.rows.size() == 1);
  CHECK(v.rows[0].events_in_per_s == doctest::Approx(30));
}
