#include "agent/codec/event_encoder.h"

#include <doctest/doctest.h>

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

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

namespace {

// The encoding contract written the slow, obvious way: a reference for the fast encoder.
std::string reference_json_string(std::string_view bytes) {
  std::string out = "\"";
  const auto* s = reinterpret_cast<const unsigned char*>(bytes.data());
  const size_t n = bytes.size();
  for (size_t i = 0; i < n;) {
    const unsigned char c = s[i];
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
      ++i;
    } else if (c == '\n') {
      out += "\\n", ++i;
    } else if (c == '\r') {
      out += "\\r", ++i;
    } else if (c == '\t') {
      out += "\\t", ++i;
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
      ++i;
    } else if (c < 0x80) {
      out += static_cast<char>(c);
      ++i;
    } else {
      size_t len = c >= 0xC2 && c <= 0xDF   ? 2
                   : c >= 0xE0 && c <= 0xEF ? 3
                   : c >= 0xF0 && c <= 0xF4 ? 4
                                            : 0;
      uint32_t cp = len == 2 ? c & 0x1Fu : len == 3 ? c & 0x0Fu : c & 0x07u;
      bool ok = len != 0 && i + len <= n;
      for (size_t k = 1; ok && k < len; ++k) {
        ok = (s[i + k] & 0xC0) == 0x80;
        cp = (cp << 6) | (s[i + k] & 0x3Fu);
      }
      const uint32_t min = len == 2 ? 0x80 : len == 3 ? 0x800 : 0x10000;
      ok = ok && cp >= min && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF);
      if (ok) {
        out.append(bytes.substr(i, len));
        i += len;
      } else {
        out += "\xEF\xBF\xBD";
        ++i;
      }
    }
  }
  return out + "\"";
}

std::string encoded(std::string_view bytes) {
  std::string out;
  append_json_string(out, bytes);
  return out;
}

}  // namespace

TEST_CASE("every control byte is escaped, alone and inside 8- and 16-byte blocks") {
  for (int c = 0; c < 0x20; ++c) {
    const std::string one(1, static_cast<char>(c));
    char expected[8];
    std::snprintf(expected, sizeof expected, "\\u%04x", c);
    std::string want = c == '\n' ? "\\n" : c == '\r' ? "\\r" : c == '\t' ? "\\t" : expected;
    CHECK(encoded(one) == "\"" + want + "\"");
    for (size_t pos : {0u, 7u, 8u, 15u, 16u, 17u, 31u}) {
      std::string s(40, 'a');
      s[pos] = static_cast<char>(c);
      CHECK(encoded(s) == reference_json_string(s));
    }
  }
  CHECK(encoded("\x7F") == "\"\x7F\"");  // DEL is not a control byte for JSON
  std::string quotes = "\"";
  for (int i = 0; i < 20; ++i) quotes += "\\\"";
  CHECK(encoded(std::string(20, '"')) == quotes + "\"");
}

TEST_CASE("invalid and truncated UTF-8 at the end of strings and of blocks becomes U+FFFD") {
  const char* const tails[] = {
      "\xC3", "\xE2\x82", "\xF0\x9F\x98", "\xF0\x9F",         "\xFF",
      "\x80", "\xC0\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\xF8\x88\x80\x80"};
  for (const char* tail : tails) {
    for (size_t prefix = 0; prefix < 40; ++prefix) {
      const std::string s = std::string(prefix, 'x') + tail;
      CHECK_MESSAGE(encoded(s) == reference_json_string(s), "prefix ", prefix);
      const std::string mid = s + "tail";
      CHECK(encoded(mid) == reference_json_string(mid));
    }
  }
  CHECK(encoded("ab\xE2\x82") == "\"ab\xEF\xBF\xBD\xEF\xBF\xBD\"");
}

TEST_CASE("4-byte sequences at every offset across block and piece boundaries stay intact") {
  const std::string emoji = "\xF0\x9F\x98\x80";
  for (size_t size : {16u, 24u, 40u, 5000u, 5500u, 11000u, 40000u}) {
    for (size_t at = 0; at + 4 <= size; at += (size > 100 ? 97 : 1)) {
      std::string s(size, 'q');
      s.replace(at, 4, emoji);
      const std::string out = encoded(s);
      REQUIRE(out == reference_json_string(s));
      CHECK(out.find(emoji) == at + 1);
    }
  }
  // Dense multi-byte text across the 32 KiB output buffer and escaping pieces.
  std::string dense;
  while (dense.size() < 100000) dense += "\xF0\x9F\x98\x80\xC3\xA9\xE2\x82\xAC\"\x01";
  CHECK(encoded(dense) == reference_json_string(dense));
}

TEST_CASE("random bytes encode exactly as the reference, at every length") {
  uint64_t x = 0x9E3779B97F4A7C15ull;
  auto next = [&x] {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    return x;
  };
  for (size_t len = 0; len < 300; ++len) {
    for (int round = 0; round < 20; ++round) {
      std::string s(len, '\0');
      const uint64_t mode = next() % 3;  // mostly ASCII, mostly high bytes, anything
      for (char& c : s) {
        const uint64_t r = next();
        c = static_cast<char>(mode == 0   ? (r % 10 == 0 ? r >> 8 : 0x20 + (r >> 8) % 0x5F)
                              : mode == 1 ? 0x80 + (r >> 8) % 0x80
                                          : r >> 8);
      }
      REQUIRE_MESSAGE(encoded(s) == reference_json_string(s), "len ", len);
    }
  }
}

TEST_CASE("json time is the event time a stage set, else the read time, in microseconds") {
  Batch b;
  b.source = std::make_shared<SourceInfo>(SourceInfo{"/l"});
  b.read_time_ns = 1'700'000'000'123'456'789;
  b.events.push_back({"a", 0, 0, 0});
  b.events.push_back({"b", 2, 0, 0});
  b.events.push_back({"c", 4, 0, 0});
  b.events.push_back({"d", 6, 0, 0});
  b.event_times = {1'709'164'800'000'000'999, 0, 951'782'400'999'999'000,
                   1'709'164'800'000'001'000};
  std::string json;
  encode_batch(json, b, EventFormat::kJson);
  CHECK(
      json ==
      "{\"time\":\"2024-02-29T00:00:00.000000Z\",\"file\":\"/l\",\"offset\":0,\"message\":\"a\"}\n"
      "{\"time\":\"2023-11-14T22:13:20.123456Z\",\"file\":\"/l\",\"offset\":2,\"message\":\"b\"}\n"
      "{\"time\":\"2000-02-29T00:00:00.999999Z\",\"file\":\"/l\",\"offset\":4,\"message\":\"c\"}\n"
      "{\"time\":\"2024-02-29T00:00:00.000001Z\",\"file\":\"/"
      "l\",\"offset\":6,\"message\":\"d\"}\n");
  CHECK(format_rfc3339_us(1) == "1970-01-01T00:00:00.000000Z");
  CHECK(format_rfc3339_us(9'223'372'036'854'775'807) == "2262-04-11T23:47:16.854775Z");
  CHECK(format_rfc3339_us(1'735'689'599'999'999'999) == "2024-12-31T23:59:59.999999Z");
}

TEST_CASE("json output of large events, fields and paths spans the encoder's buffer") {
  Batch b;
  const std::string path = "/var/log/" + std::string(5000, 'p') + "\".log";
  b.source = std::make_shared<SourceInfo>(SourceInfo{path});
  b.read_time_ns = 1'700'000'000'000'000'000;
  const std::string big(70000, 'm');
  const std::string big_value = std::string(30000, '\x01') + "end";
  const std::string raw_value = "[" + std::string(40000, '1') + "]";
  b.events.push_back({big, 0, kEventTruncated, 0});
  b.events.push_back({"small", 70001, 0, 0});
  b.fields = {{"k", big_value, FieldType::kString},
              {"n", raw_value, FieldType::kRaw},
              {"", "", FieldType::kNumber}};
  b.spans = {{0, 3}, {0, 0}};
  std::string json;
  encode_batch(json, b, EventFormat::kJson);
  const std::string head =
      "{\"time\":\"2023-11-14T22:13:20.000000Z\",\"file\":" + reference_json_string(path) +
      ",\"offset\":";
  CHECK(json == head + "0,\"message\":" + reference_json_string(big) +
                    ",\"truncated\":true,\"k\":" + reference_json_string(big_value) + ",\"n\":" +
                    raw_value + ",\"\":null}\n" + head + "70001,\"message\":\"small\"}\n");
}

TEST_CASE("json output writes each key once: the last value of a repeated key wins") {
  Batch b;
  b.source = std::make_shared<SourceInfo>(SourceInfo{"/l"});
  b.read_time_ns = 1'700'000'000'000'000'000;
  b.events.push_back({"line", 0, 0, 0});
  b.events.push_back({"two", 5, 0, 0});
  b.events.push_back({"three", 9, 0, 0});
  b.fields = {// event 0: a repeated key, and "message" beside "_message"
              {"a", "1", FieldType::kNumber},
              {"message", "parsed", FieldType::kString},
              {"b", "x", FieldType::kString},
              {"a", "2", FieldType::kNumber},
              {"_message", "own", FieldType::kString},
              // event 1: "_message" first, then "message": the latter wins
              {"_message", "first", FieldType::kString},
              {"message", "second", FieldType::kString},
              // event 2: keys that differ only in invalid UTF-8 bytes are written alike
              {"k\xFF", "1", FieldType::kNumber},
              {"k\xFE", "2", FieldType::kNumber},
              {"k\xEF\xBF\xBD", "3", FieldType::kNumber},
              {"k", "4", FieldType::kNumber}};
  b.spans = {{0, 5}, {5, 2}, {7, 4}};
  std::string json;
  encode_batch(json, b, EventFormat::kJson);
  const std::string head = R"({"time":"2023-11-14T22:13:20.000000Z","file":"/l","offset":)";
  CHECK(json == head + R"(0,"message":"line","b":"x","a":2,"_message":"own"})" + "\n" + head +
                    R"(5,"message":"two","_message":"second"})" + "\n" + head +
                    "9,\"message\":\"three\",\"k\xEF\xBF\xBD\":3,\"k\":4}\n");
}

TEST_CASE("json output keeps every field of distinct keys, however many, in order") {
  Batch b;
  b.source = std::make_shared<SourceInfo>(SourceInfo{"/l"});
  b.events.push_back({"m", 0, 0, 0});
  std::vector<std::string> keys;
  for (int i = 0; i < 300; ++i) keys.push_back("key" + std::to_string(i));
  std::string want;
  for (const std::string& k : keys) {
    b.fields.push_back({k, "v", FieldType::kString});
    want += ",\"" + k + "\":\"v\"";
  }
  b.spans = {{0, static_cast<uint32_t>(b.fields.size())}};
  std::string json;
  encode_batch(json, b, EventFormat::kJson);
  CHECK(json.ends_with(R"("message":"m")" + want + "}\n"));
}

TEST_CASE("a repeated key among fields larger than the encoder's buffer is written once too") {
  Batch b;
  b.source = std::make_shared<SourceInfo>(SourceInfo{"/l"});
  b.read_time_ns = 1'700'000'000'000'000'000;
  b.events.push_back({"first", 0, 0, 0});
  b.events.push_back({"second", 6, 0, 0});
  const std::string big_a(30000, 'a');
  const std::string big_b(20000, 'b');
  b.fields = {{"a", big_a, FieldType::kString},
              {"b", big_b, FieldType::kString},
              {"a", "last", FieldType::kString},
              {"c", "1", FieldType::kNumber}};
  b.spans = {{0, 4}, {3, 1}};
  std::string json = "kept";
  encode_batch(json, b, EventFormat::kJson);
  const std::string head = R"({"time":"2023-11-14T22:13:20.000000Z","file":"/l","offset":)";
  CHECK(json == "kept" + head + R"(0,"message":"first","b":")" + big_b + R"(","a":"last","c":1})" +
                    "\n" + head + R"(6,"message":"second","c":1})" + "\n");
}

TEST_CASE("json: source fields follow the message on every event; the event's own field wins") {
  Batch b;
  b.source = std::make_shared<SourceInfo>(
      "/l", std::vector<SourceField>{{"k8s.namespace", "ns\"1", FieldType::kString},
                                     {"k8s.restart_count", "2", FieldType::kNumber},
                                     {"file", "meta", FieldType::kString}});
  b.read_time_ns = 0;
  b.events = {{"a", 0, 0, 0}, {"b", 2, 0, 0}, {"c", 4, kEventDropped, 0}};
  b.fields = {{"k8s.restart_count", "7", FieldType::kNumber}, {"x", "y", FieldType::kString}};
  b.spans = {{0, 0}, {0, 2}, {0, 0}};
  std::string json;
  encode_batch(json, b, EventFormat::kJson);
  CHECK(json ==
        "{\"time\":\"1970-01-01T00:00:00.000000Z\",\"file\":\"/l\",\"offset\":0,\"message\":\"a\","
        "\"k8s.namespace\":\"ns\\\"1\",\"k8s.restart_count\":2,\"_file\":\"meta\"}\n"
        "{\"time\":\"1970-01-01T00:00:00.000000Z\",\"file\":\"/l\",\"offset\":2,\"message\":\"b\","
        "\"k8s.namespace\":\"ns\\\"1\",\"_file\":\"meta\",\"k8s.restart_count\":7,\"x\":\"y\"}\n");
}

TEST_CASE("json: a source without fields encodes as before") {
  Batch b;
  b.source = std::make_shared<SourceInfo>("/l");
  b.events = {{"a", 0, 0, 0}};
  std::string json;
  encode_batch(json, b, EventFormat::kJson);
  CHECK(json ==
        "{\"time\":\"1970-01-01T00:00:00.000000Z\",\"file\":\"/l\",\"offset\":0,\"message\":\"a\"}"
        "\n");
}
