#include "plugins/common/json_object.h"

#include <doctest/doctest.h>

#include <cstring>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "agent/core/buffer_pool.h"
#include "plugins/parsers/parser_test_support.h"

using namespace logagent;
using logagent::plugins::json::kMaxDepth;
using logagent::plugins::json::make_json_parser;
using logagent::testing::fields_json;
using logagent::testing::LineBatch;
using logagent::testing::run_parser;

namespace {

// Parses one line; returns its fields as JSON, or "error: <_error>" when it failed.
std::string parse_one(const std::string& line) {
  LineBatch lb({line});
  auto parser = make_json_parser();
  run_parser(*parser, lb.batch);
  const std::string fields = fields_json(lb.batch, 0);
  if (lb.batch.events[0].flags & kEventParseError) return "error: " + fields;
  return fields;
}

bool views(std::string_view outer, std::string_view inner) {
  return !std::less<const char*>()(inner.data(), outer.data()) &&
         !std::less<const char*>()(outer.data() + outer.size(), inner.data() + inner.size());
}

}  // namespace

TEST_CASE("json: a flat object's members become fields in order") {
  CHECK(parse_one(R"({"level":"info","msg":"hello world","n":12,"f":-1.5e3,"t":true,)"
                  R"("no":false,"z":null,"e":""})") ==
        R"({"level":"info","msg":"hello world","n":12,"f":-1.5e3,"t":true,"no":false,)"
        R"("z":null,"e":""})");
}

TEST_CASE("json: strings and keys without escapes view the line itself, not a copy") {
  LineBatch lb({R"({"level":"info","n":42})"});
  auto parser = make_json_parser();
  run_parser(*parser, lb.batch);
  const auto fields = fields_of(lb.batch, 0);
  REQUIRE(fields.size() == 2);
  const std::string_view line = lb.batch.events[0].message;
  CHECK(views(line, fields[0].key));
  CHECK(views(line, fields[0].value));
  CHECK(views(line, fields[1].value));
  CHECK(fields[1].type == FieldType::kNumber);
}

TEST_CASE("json: strings and keys of every length up to 40 are read exactly, escaped or not") {
  auto parser = make_json_parser();
  for (size_t len = 0; len <= 40; ++len) {
    const std::string plain(len, 'x');
    // Plain: viewed in place. With an escape at each position: unescaped.
    std::vector<std::pair<std::string, std::string>> cases = {{plain, plain}};
    for (size_t at = 0; at < len; ++at) {
      std::string escaped = plain;
      escaped.replace(at, 1, "\\\"");
      std::string unescaped = plain;
      unescaped[at] = '"';
      cases.emplace_back(escaped, unescaped);
    }
    for (const auto& [text, want] : cases) {
      const std::string line = "{\"" + text + "\" :\"" + text + "\"\t,\"n\":1}";
      LineBatch lb({line});
      REQUIRE(run_parser(*parser, lb.batch).ok == 1);
      const auto fields = fields_of(lb.batch, 0);
      REQUIRE(fields.size() == 2);
      CHECK(fields[0].key == want);
      CHECK(fields[0].value == want);
      CHECK(fields[1].key == "n");
      if (text == want) {
        CHECK(views(lb.batch.events[0].message, fields[0].key));
        CHECK(views(lb.batch.events[0].message, fields[0].value));
      }
    }
  }
}

TEST_CASE("json: keys holding ':' or spaces, with whitespace before the colon, are exact") {
  CHECK(parse_one(R"({"a:b" : "c:d" , "" :"", " k " :1,"x\\":2})") ==
        R"({"a:b":"c:d","":""," k ":1,"x\\":2})");
}

TEST_CASE("json: nested objects and arrays are kept as minified raw JSON") {
  LineBatch lb({R"({"ctx": { "a" : 1, "b" : [ 1 , 2.5 , {"c":"d\"e"} ] }, "arr": [ ], "o": {}})"});
  auto parser = make_json_parser();
  run_parser(*parser, lb.batch);
  CHECK(fields_json(lb.batch, 0) == R"({"ctx":{"a":1,"b":[1,2.5,{"c":"d\"e"}]},"arr":[],"o":{}})");
  CHECK(fields_of(lb.batch, 0)[0].type == FieldType::kRaw);
}

TEST_CASE("json: escaped strings and keys are unescaped") {
  LineBatch lb({R"({"m":"a\"b\\c\nd\u00e9\ud83d\ude00\/","k\u0041y":"v"})"});
  auto parser = make_json_parser();
  run_parser(*parser, lb.batch);
  const auto fields = fields_of(lb.batch, 0);
  REQUIRE(fields.size() == 2);
  CHECK(fields[0].value == "a\"b\\c\nd\xC3\xA9\xF0\x9F\x98\x80/");
  CHECK(fields[1].key == "kAy");
}

TEST_CASE("json: whitespace around the object, including a CR, is accepted") {
  CHECK(parse_one(" \t{\"a\" : 1 , \"b\" : \"x\" }  \r") == R"({"a":1,"b":"x"})");
}

TEST_CASE("json: duplicate keys are all kept, in order") {
  CHECK(parse_one(R"({"a":1,"a":2})") == R"({"a":1,"a":2})");
}

TEST_CASE("json: texts that are not one valid JSON object are parse errors") {
  CHECK(parse_one("[1,2]") == R"(error: {"_error":"json: not a JSON object"})");
  CHECK(parse_one("42") == R"(error: {"_error":"json: not a JSON object"})");
  CHECK(parse_one(R"("str")") == R"(error: {"_error":"json: not a JSON object"})");
  CHECK(parse_one("plain text").starts_with("error: "));
  CHECK(parse_one("") == R"(error: {"_error":"json: empty"})");
  CHECK(parse_one(R"({"a":1}})") == R"(error: {"_error":"json: characters after the object"})");
  CHECK(parse_one(R"({"a":1} x)").starts_with("error: "));
  CHECK(parse_one(R"({"a":1,})").starts_with("error: "));
  CHECK(parse_one(R"({"a" 1})").starts_with("error: "));
  CHECK(parse_one(R"({"a":1)").starts_with("error: "));
  CHECK(parse_one(R"({"a":"unclosed})").starts_with("error: "));
}

TEST_CASE("json: invalid numbers and literals are parse errors, at any depth") {
  CHECK(parse_one(R"({"a":12abc})") == R"(error: {"_error":"json: invalid number"})");
  CHECK(parse_one(R"({"a":01})") == R"(error: {"_error":"json: invalid number"})");
  CHECK(parse_one(R"({"a":1.})") == R"(error: {"_error":"json: invalid number"})");
  CHECK(parse_one(R"({"a":-})") == R"(error: {"_error":"json: invalid number"})");
  CHECK(parse_one(R"({"a":tru})") == R"(error: {"_error":"json: invalid literal"})");
  CHECK(parse_one(R"({"a":nul})") == R"(error: {"_error":"json: invalid literal"})");
  CHECK(parse_one(R"({"a":{"b":[1,2,,]}})").starts_with("error: "));
  CHECK(parse_one(R"({"a":[tru]})") == R"(error: {"_error":"json: invalid literal"})");
  CHECK(parse_one(R"({"a":{"b":1e}})") == R"(error: {"_error":"json: invalid number"})");
  CHECK(parse_one(R"({"a":{"b":"\x"}})").starts_with("error: "));
  CHECK(parse_one(R"({"a":"\x"})").starts_with("error: "));
}

TEST_CASE("json: invalid UTF-8 or raw control bytes inside strings are parse errors") {
  CHECK(parse_one("{\"a\":\"caf\xE9\"}") == R"(error: {"_error":"json: invalid UTF-8"})");
  CHECK(parse_one("{\"a\":\"x\x01y\"}") ==
        R"(error: {"_error":"json: unescaped control character in a string"})");
}

TEST_CASE("json: nesting deeper than the limit is a parse error") {
  auto nest = [](int depth) {
    return "{\"a\":" + std::string(static_cast<size_t>(depth), '[') + "1" +
           std::string(static_cast<size_t>(depth), ']') + "}";
  };
  CHECK_FALSE(parse_one(nest(kMaxDepth)).starts_with("error: "));
  CHECK(parse_one(nest(kMaxDepth + 1)).starts_with("error: "));
}

TEST_CASE("json: on_error drop drops failing events and keeps the others") {
  LineBatch lb({"not json", R"({"a":1})"});
  auto parser = make_json_parser();
  const ParseCounts c = run_parser(*parser, lb.batch, OnError::kDrop);
  CHECK(c.ok == 1);
  CHECK(c.error == 1);
  CHECK((lb.batch.events[0].flags & kEventDropped) != 0);
  CHECK(lb.batch.live_events() == 1);
  CHECK(fields_json(lb.batch, 1) == R"({"a":1})");
}

TEST_CASE("json: a line flush with the end of its chunk is parsed without reading past it") {
  BufferPool pool(64 * 1024, 4096);
  auto parser = make_json_parser();
  for (size_t len : {size_t{8}, size_t{40}, size_t{63}, size_t{64}, size_t{65}, size_t{1000}}) {
    ChunkRef chunk = pool.try_acquire(4096);
    REQUIRE(chunk);
    // {"k":"xxx...x"} of exactly `len` bytes, ending at the chunk's last byte.
    const std::string line = "{\"k\":\"" + std::string(len - 8, 'x') + "\"}";
    REQUIRE(line.size() == len);
    char* at = chunk->data() + chunk->capacity() - len;
    std::memcpy(at, line.data(), len);
    Batch b;
    b.chunks.push_back(chunk);
    b.events.push_back({std::string_view(at, len), 0, 0, 0});
    const ParseCounts c = run_parser(*parser, b);
    CHECK(c.ok == 1);
    REQUIRE(fields_of(b, 0).size() == 1);
    CHECK(fields_of(b, 0)[0].value == std::string(len - 8, 'x'));
    CHECK(views(b.events[0].message, fields_of(b, 0)[0].value));
  }
}

TEST_CASE("json: a 1 MiB line with a huge string and many members parses") {
  std::string line = "{\"big\":\"" + std::string(1 << 20, 'b') + "\"";
  for (int i = 0; i < 20000; ++i) line += ",\"k" + std::to_string(i) + "\":" + std::to_string(i);
  line += ",\"esc\":\"" + std::string(1000, 'e') + "\\n\"}";
  LineBatch lb({line});
  auto parser = make_json_parser();
  CHECK(run_parser(*parser, lb.batch).ok == 1);
  const auto fields = fields_of(lb.batch, 0);
  REQUIRE(fields.size() == 20002);
  CHECK(fields[0].value.size() == size_t{1} << 20);
  CHECK(fields[20000].key == "k19999");
  CHECK(fields[20000].value == "19999");
  CHECK(fields[20001].value == std::string(1000, 'e') + "\n");
}
