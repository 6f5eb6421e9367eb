// The OTLP encodings, byte for byte on small batches. (The official definitions decode what the
// agent writes in tests/e2e/test_kafka_otlp.py; these pin the bytes and the mapping rules.)
#include "agent/codec/otlp_encoder.h"

#include <doctest/doctest.h>

#include <memory>
#include <string>

using namespace logagent;
using namespace std::string_literals;

namespace {

// A batch of `events` from "/a", read at 1 ns (Batch cannot be moved: filled in place).
void fill(Batch& b, std::initializer_list<Event> events) {
  auto info = std::make_shared<SourceInfo>();
  info->path = "/a";
  b.source = info;
  b.read_time_ns = 1;
  b.events = events;
}

}  // namespace

TEST_CASE("otlp proto: one event is one ResourceLogs, ScopeLogs and LogRecord, byte for byte") {
  Batch b;
  fill(b, {{"hi", 0, 0, 0}, {"gone", 3, kEventDropped, 0}});
  std::string out;
  encode_otlp_proto(out, b, 0, 2, "h");
  const std::string record =
      "\x2A\x04\x0A\x02hi"s                               // body
      "\x32\x15\x0A\x0Dlog.file.path\x12\x04\x0A\x02/a"s  // attribute
      "\x59\x01\x00\x00\x00\x00\x00\x00\x00"s;            // observed
  REQUIRE(record.size() == 38);
  const std::string want =
      "\x0A\x4A"s                                            // resource_logs
      "\x0A\x12\x0A\x10\x0A\x09host.name\x12\x03\x0A\x01h"s  // resource
      "\x12\x34"s                                            // scope_logs
      "\x0A\x0A\x0A\x08logagent"s                            // scope
      "\x12\x26"s +                                          // log_records
      record;
  CHECK(out == want);
}

TEST_CASE("otlp json: fields keep their types; level sets the severity; bytes become valid") {
  Batch b;
  fill(b, {{"line \xFF", 0, kEventTruncated, 0}});
  b.event_times = {5};
  b.fields = {{"level", "Warning", FieldType::kString}, {"n", "-7", FieldType::kNumber},
              {"x", "1.5e3", FieldType::kNumber},       {"ok", "true", FieldType::kBool},
              {"nil", "null", FieldType::kNull},        {"o", "{\"a\":1}", FieldType::kRaw}};
  b.spans = {{0, 6}};
  std::string out;
  encode_otlp_json(out, b, 0, 1, "host");
  CHECK(
      out ==
      R"({"resourceLogs":[{"resource":{"attributes":[{"key":"host.name","value":{"stringValue":"host"}}]},)"
      R"("scopeLogs":[{"scope":{"name":"logagent"},"logRecords":[{"timeUnixNano":"5",)"
      R"("observedTimeUnixNano":"1","severityNumber":13,"severityText":"Warning",)"
      "\"body\":{\"stringValue\":\"line \xEF\xBF\xBD\"},"
      R"("attributes":[{"key":"log.file.path","value":{"stringValue":"/a"}},)"
      R"({"key":"level","value":{"stringValue":"Warning"}},{"key":"n","value":{"intValue":"-7"}},)"
      R"({"key":"x","value":{"doubleValue":1.5e3}},{"key":"ok","value":{"boolValue":true}},)"
      R"({"key":"nil","value":{}},{"key":"o","value":{"stringValue":"{\"a\":1}"}},)"
      R"({"key":"logagent.truncated","value":{"boolValue":true}}]}]}]}]})");
}

TEST_CASE("otlp proto: invalid UTF-8 in a body becomes U+FFFD (protobuf strings are UTF-8)") {
  Batch b;
  fill(b, {{"a\xFF", 0, 0, 0}});
  std::string out;
  encode_otlp_proto(out, b, 0, 1, "h");
  CHECK(out.find("\x2A\x06\x0A\x04"
                 "a\xEF\xBF\xBD") != std::string::npos);
  CHECK(out.find("\xFF") == std::string::npos);
}

TEST_CASE("otlp severity numbers follow the level's name, case-insensitively") {
  CHECK(otlp_severity_number("TRACE") == 1);
  CHECK(otlp_severity_number("debug") == 5);
  CHECK(otlp_severity_number("Info") == 9);
  CHECK(otlp_severity_number("notice") == 9);
  CHECK(otlp_severity_number("warn") == 13);
  CHECK(otlp_severity_number("ERR") == 17);
  CHECK(otlp_severity_number("critical") == 21);
  CHECK(otlp_severity_number("panic") == 21);
  CHECK(otlp_severity_number("verbose") == 0);
  CHECK(otlp_severity_number("") == 0);
}

TEST_CASE("otlp json: source fields are attributes after the path, unless the event has one") {
  Batch b;
  fill(b, {{"a", 0, 0, 0}, {"b", 2, 0, 0}});
  b.source = std::make_shared<SourceInfo>(
      "/a", std::vector<SourceField>{{"k8s.pod", "web-0", FieldType::kString},
                                     {"k8s.restart_count", "3", FieldType::kNumber}});
  b.fields = {{"k8s.pod", "own", FieldType::kString}};
  b.spans = {{0, 0}, {0, 1}};
  std::string out;
  encode_otlp_json(out, b, 0, 2, "h");
  CHECK(out.find(R"("attributes":[{"key":"log.file.path","value":{"stringValue":"/a"}},)"
                 R"({"key":"k8s.pod","value":{"stringValue":"web-0"}},)"
                 R"({"key":"k8s.restart_count","value":{"intValue":"3"}}])") != std::string::npos);
  CHECK(out.find(R"({"key":"log.file.path","value":{"stringValue":"/a"}},)"
                 R"({"key":"k8s.restart_count","value":{"intValue":"3"}},)"
                 R"({"key":"k8s.pod","value":{"stringValue":"own"}}])") != std::string::npos);
}

TEST_CASE("otlp proto: a source field is one more attribute") {
  Batch b;
  fill(b, {{"hi", 0, 0, 0}});
  std::string plain;
  encode_otlp_proto(plain, b, 0, 1, "h");
  b.source =
      std::make_shared<SourceInfo>("/a", std::vector<SourceField>{{"k", "v", FieldType::kString}});
  std::string with;
  encode_otlp_proto(with, b, 0, 1, "h");
  // attributes (6): KeyValue{key "k", value AnyValue{string_value "v"}}, after log.file.path.
  const std::string attribute = "\x32\x08\x0A\x01k\x12\x03\x0A\x01v"s;
  CHECK(with.size() == plain.size() + attribute.size());
  CHECK(with.find("\x12\x04\x0A\x02/a"s + attribute) != std::string::npos);
}
