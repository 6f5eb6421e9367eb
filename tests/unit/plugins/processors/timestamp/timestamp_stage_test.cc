// The timestamp stage over batches: event_times, on_error, remove_field, metrics, options.
#include "plugins/processors/timestamp/timestamp_stage.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "agent/api/registry.h"
#include "agent/codec/event_encoder.h"
#include "agent/config/config.h"
#include "plugins/builtin_plugins.h"
#include "plugins/processors/processor_test_support.h"

using namespace logagent;
using namespace logagent::plugins::timestamp;
using logagent::testing::fields_text;
using logagent::testing::MetricsFixture;
using logagent::testing::ProcBatch;

namespace {

constexpr int64_t kS = 1'000'000'000;
constexpr int64_t kReadTime = 1729382400 * kS;  // 2024-10-20T00:00:00Z

std::unique_ptr<Stage> make(const TimestampOptions& o, const PluginContext& ctx = {}) {
  auto s = TimestampPlugin::create(o, ctx);
  REQUIRE_MESSAGE(s, s.message());
  return std::move(s.value());
}

}  // namespace

TEST_CASE("timestamp sets event_times from the field and leaves the rest at the read time") {
  MetricsFixture m;
  TimestampOptions o;  // field "time", rfc3339
  auto stage = make(o, m.ctx);
  ProcBatch b({"a", "b", "c", "d"});
  b.batch.read_time_ns = kReadTime;
  b.set_fields(0, {{"time", "2024-05-01T12:34:56.5Z"}, {"level", "info"}});
  b.set_fields(1, {{"level", "info"}});  // no time: missing
  b.set_fields(2, {{"time", "not a time"}});
  b.set_fields(3, {{"time", "2024-05-01T14:34:56+02:00"}});
  stage->process(b.batch);
  REQUIRE(b.batch.event_times.size() == 4);
  CHECK(event_time_ns(b.batch, 0) == 1714566896 * kS + 500'000'000);
  CHECK(event_time_ns(b.batch, 1) == kReadTime);
  CHECK(event_time_ns(b.batch, 2) == kReadTime);
  CHECK(event_time_ns(b.batch, 3) == 1714566896 * kS);
  CHECK((b.batch.events[2].flags & kEventParseError) != 0);
  CHECK((b.batch.events[0].flags & kEventParseError) == 0);
  CHECK(fields_text(b.batch, 2) == "time=not a time,_error=timestamp: does not match the format");
  CHECK(fields_text(b.batch, 0) == "time=2024-05-01T12:34:56.5Z,level=info");
  CHECK(
      m.has(R"(logagent_timestamp_events_total{pipeline="app",result="ok",stage="timestamp"} 2)"));
  CHECK(m.has(
      R"(logagent_timestamp_events_total{pipeline="app",result="error",stage="timestamp"} 1)"));
  CHECK(m.has(
      R"(logagent_timestamp_events_total{pipeline="app",result="missing",stage="timestamp"} 1)"));
}

TEST_CASE("timestamp on_error drop drops what does not parse; dropped events are skipped") {
  TimestampOptions o;
  o.format = "epoch_ms";
  o.on_error = OnError::kDrop;
  auto stage = make(o);
  ProcBatch b({"a", "b", "c"});
  b.batch.read_time_ns = kReadTime;
  b.set_fields(0, {{"time", "1700000000123"}});
  b.set_fields(1, {{"time", "garbage"}});
  b.set_fields(2, {{"time", "1700000000456"}});
  b.batch.events[2].flags |= kEventDropped;  // an earlier stage dropped it
  stage->process(b.batch);
  CHECK(event_time_ns(b.batch, 0) == 1700000000123 * 1'000'000);
  CHECK(b.dropped(1));
  CHECK((b.batch.events[1].flags & kEventParseError) == 0);
  CHECK(fields_text(b.batch, 1) == "time=garbage");
  CHECK(b.batch.event_times[2] == 0);
}

TEST_CASE("timestamp takes JSON numbers for epochs and rejects other field types") {
  TimestampOptions o;
  o.field = "ts";
  o.format = "epoch_s";
  auto stage = make(o);
  ProcBatch b({"a", "b"});
  b.batch.read_time_ns = kReadTime;
  b.set_fields(0, {{"ts", "1700000000.25"}});
  b.set_fields(1, {{"ts", "true"}});
  b.batch.fields[0].type = FieldType::kNumber;
  b.batch.fields[1].type = FieldType::kBool;
  stage->process(b.batch);
  CHECK(event_time_ns(b.batch, 0) == 1700000000 * kS + 250'000'000);
  CHECK(event_time_ns(b.batch, 1) == kReadTime);
  CHECK(fields_text(b.batch, 1) ==
        "ts=true,_error=timestamp: the field is neither a string nor a number");
}

TEST_CASE("timestamp remove_field removes the field only where the time was taken") {
  TimestampOptions o;
  o.field = "when";
  o.format = "%d/%b/%Y:%H:%M:%S %z";
  o.remove_field = true;
  auto stage = make(o);
  ProcBatch b({"a", "b"});
  b.batch.read_time_ns = kReadTime;
  b.set_fields(0, {{"host", "x"}, {"when", "10/Oct/2000:13:55:36 -0700"}, {"status", "200"}});
  b.set_fields(1, {{"when", "10/Oct/2000"}});
  stage->process(b.batch);
  CHECK(event_time_ns(b.batch, 0) == 971211336 * kS);
  CHECK(fields_text(b.batch, 0) == "host=x,status=200");
  CHECK(fields_text(b.batch, 1).find("when=10/Oct/2000,_error=") == 0);
}

TEST_CASE("timestamp can parse the whole message, with the timezone for syslog times") {
  TimestampOptions o;
  o.field = "message";
  o.format = "%b %e %H:%M:%S";
  o.timezone = "+02:00";
  auto stage = make(o);
  ProcBatch b({"Oct 11 22:14:15", "Oct 11 22:14:15 trailing text"});
  b.batch.read_time_ns = kReadTime;
  stage->process(b.batch);
  CHECK(event_time_ns(b.batch, 0) == (1728684855 - 7200) * kS);
  CHECK(event_time_ns(b.batch, 1) == kReadTime);
  CHECK((b.batch.events[1].flags & kEventParseError) != 0);
}

TEST_CASE("the json encoding writes the time a timestamp stage set") {
  TimestampOptions o;
  auto stage = make(o);
  ProcBatch b({"x", "y"}, "/l");
  b.batch.read_time_ns = kReadTime;
  b.set_fields(0, {{"time", "2024-05-01T12:34:56.123456789Z"}});
  stage->process(b.batch);
  std::string out;
  encode_batch(out, b.batch, EventFormat::kJson);
  CHECK(out ==
        "{\"time\":\"2024-05-01T12:34:56.123456Z\",\"file\":\"/l\",\"offset\":100,\"message\":"
        "\"x\",\"_time\":\"2024-05-01T12:34:56.123456789Z\"}\n"
        "{\"time\":\"2024-10-20T00:00:00.000000Z\",\"file\":\"/l\",\"offset\":102,\"message\":"
        "\"y\"}\n");
}

TEST_CASE("timestamp options are checked when the config is loaded, with positions") {
  auto errors = [](const std::string& stages) {
    Registry registry;
    plugins::register_builtin_plugins(registry);
    Diagnostics diag;
    load_config_text(
        "pipelines:\n"
        "  - name: app\n"
        "    input: {type: tail, paths: [\"/tmp/x.log\"]}\n"
        "    stages:\n" +
            stages + "    sinks: [{type: \"null\"}]\n",
        "test.yaml", registry, diag);
    return diag.errors();
  };
  CHECK(errors("      - {type: timestamp}\n"
               "      - {type: timestamp, field: ts, format: epoch_ms, on_error: drop}\n"
               "      - {type: timestamp, format: '%b %e %H:%M:%S', timezone: '-07:00', "
               "remove_field: true}\n")
            .empty());
  auto e = errors("      - {type: timestamp, format: '%Y-%m-%d %Q'}\n");
  REQUIRE(e.size() == 1);
  CHECK(e[0].starts_with("test.yaml:5:"));
  CHECK(e[0].find("unknown directive '%Q' at offset 9") != std::string::npos);
  e = errors("      - {type: timestamp, timezone: Europe/Paris}\n");
  REQUIRE(e.size() == 1);
  CHECK(e[0].find("timezone 'Europe/Paris' is not UTC or a fixed offset") != std::string::npos);
  e = errors("      - {type: timestamp, on_error: ignore}\n");
  REQUIRE(e.size() == 1);
  e = errors("      - {type: timestamp, field: message, remove_field: true}\n");
  REQUIRE(e.size() == 1);
  CHECK(e[0].find("'message' cannot be removed") != std::string::npos);
  e = errors("      - {type: timestamp, formt: rfc3339}\n");
  REQUIRE(e.size() == 1);
  CHECK(e[0].find("did you mean 'format'") != std::string::npos);
}
