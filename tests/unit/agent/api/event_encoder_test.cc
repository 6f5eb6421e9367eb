#include "agent/api/event_encoder.h"

#include <doctest/doctest.h>

using namespace logagent;

TEST_CASE("json strings escape quotes, backslashes and control bytes") {
  std::string out;
  append_json_string(out, std::string_view("a\"b\\c\n\t\r\x01", 9));
  CHECK(out == "\"a\\\"b\\\\c\\n\\t\\r\\u0001\"");
  out.clear();
  append_json_string(out, std::string_view("x\0y", 3));
  CHECK(out == "\"x\\u0000y\"");
}

TEST_CASE("valid UTF-8 passes through and invalid bytes become U+FFFD") {
  std::string out;
  append_json_string(out, "h\xC3\xA9llo \xE2\x82\xAC \xF0\x9F\x98\x80");
  CHECK(out == "\"h\xC3\xA9llo \xE2\x82\xAC \xF0\x9F\x98\x80\"");
  out.clear();
  append_json_string(out, "bad \xFF \xC3 \xED\xA0\x80 end");  // stray, truncated, surrogate
  CHECK(out == "\"bad \xEF\xBF\xBD \xEF\xBF\xBD \xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD end\"");
}

TEST_CASE("batches encode as raw lines or json objects, skipping dropped events") {
  Batch b;
  auto info = std::make_shared<SourceInfo>();
  info->path = "/var/log/a.log";
  b.source = info;
  b.read_time_ns = 1'700'000'000'123'456'000;
  b.events.push_back({"first", 0, 0, 0});
  b.events.push_back({"dropped", 6, kEventDropped, 0});
  b.events.push_back({"cut", 14, kEventTruncated, 0});
  std::string raw;
  encode_batch(raw, b, EventFormat::kRaw);
  CHECK(raw == "first\ncut\n");
  std::string json;
  encode_batch(json, b, EventFormat::kJson);
  CHECK(json ==
        "{\"time\":\"2023-11-14T22:13:20.123456Z\",\"file\":\"/var/log/a.log\",\"offset\":0,"
        "\"message\":\"first\"}\n"
        "{\"time\":\"2023-11-14T22:13:20.123456Z\",\"file\":\"/var/log/a.log\",\"offset\":14,"
        "\"message\":\"cut\",\"truncated\":true}\n");
}
