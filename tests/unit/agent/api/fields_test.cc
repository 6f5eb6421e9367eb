#include "agent/api/fields.h"

#include <doctest/doctest.h>
#include <simdjson.h>

#include <cstring>
#include <string>
#include <vector>

#include "agent/api/batch.h"
#include "agent/codec/event_encoder.h"
#include "plugins/common/field_edit.h"
#include "plugins/common/parser_stage.h"
#include "plugins/parsers/parser_test_support.h"

using namespace logagent;
using logagent::testing::fields_json;
using logagent::testing::LineBatch;
using logagent::testing::run_parser;

namespace {

// Splits "a b c" into fields a=1.. (numbers); "fail" anywhere fails after adding some fields.
class WordParser final : public FieldParser {
 public:
  const char* parse(std::string_view text, FieldWriter& out) override {
    size_t i = 0;
    while (i < text.size()) {
      size_t j = text.find(' ', i);
      if (j == std::string_view::npos) j = text.size();
      const std::string_view word = text.substr(i, j - i);
      if (word == "fail") return "words: failed";
      out.add(word, "1", FieldType::kNumber);
      i = j + 1;
    }
    return nullptr;
  }
};

// A simple check that `text` is one valid JSON document per line.
bool valid_json_lines(const std::string& text) {
  simdjson::dom::parser parser;
  size_t start = 0;
  while (start < text.size()) {
    const size_t nl = text.find('\n', start);
    if (nl == std::string::npos) return false;
    simdjson::padded_string line(text.data() + start, nl - start);
    simdjson::dom::element doc;
    if (parser.parse(line).get(doc) != simdjson::SUCCESS) return false;
    start = nl + 1;
  }
  return true;
}

}  // namespace

TEST_CASE("arena copies stay valid across many allocations and large requests") {
  Arena arena;
  CHECK(arena.reserved_bytes() == 0);
  std::vector<std::string_view> views;
  std::vector<std::string> expected;
  for (int i = 0; i < 20000; ++i) {
    std::string s(static_cast<size_t>(i % 97), static_cast<char>('a' + i % 26));
    if (i % 1000 == 0) s.assign(Arena::kLargeBytes + static_cast<size_t>(i), 'L');
    expected.push_back(s);
    views.push_back(arena.copy(s));
  }
  for (size_t i = 0; i < views.size(); ++i) REQUIRE(views[i] == expected[i]);
  CHECK(arena.reserved_bytes() > Arena::kBlockBytes);
  arena.clear();
  CHECK(arena.reserved_bytes() == Arena::kBlockBytes);
  const std::string_view again = arena.copy("after clear");
  CHECK(again == "after clear");
  CHECK(arena.copy("").empty());
}

TEST_CASE("fields_of is empty until a stage parses the batch") {
  LineBatch lb({"a b", "c"});
  CHECK(fields_of(lb.batch, 0).empty());
  WordParser parser;
  const ParseCounts c = run_parser(parser, lb.batch);
  CHECK(c.ok == 2);
  CHECK(c.error == 0);
  REQUIRE(lb.batch.spans.size() == 2);
  CHECK(fields_json(lb.batch, 0) == R"({"a":1,"b":1})");
  CHECK(fields_json(lb.batch, 1) == R"({"c":1})");
  CHECK(fields_of(lb.batch, 7).empty());
}

TEST_CASE("a parse error keeps the event with an _error field and no partial fields") {
  LineBatch lb({"a fail", "b"});
  WordParser parser;
  const ParseCounts c = run_parser(parser, lb.batch, OnError::kKeep);
  CHECK(c.ok == 1);
  CHECK(c.error == 1);
  CHECK((lb.batch.events[0].flags & kEventParseError) != 0);
  CHECK((lb.batch.events[0].flags & kEventDropped) == 0);
  CHECK(fields_json(lb.batch, 0) == R"({"_error":"words: failed"})");
  CHECK(fields_json(lb.batch, 1) == R"({"b":1})");
}

TEST_CASE("a parse error with on_error drop drops the event and skips dropped events later") {
  LineBatch lb({"fail", "b"});
  WordParser parser;
  run_parser(parser, lb.batch, OnError::kDrop);
  CHECK((lb.batch.events[0].flags & kEventDropped) != 0);
  CHECK(fields_of(lb.batch, 0).empty());
  CHECK(lb.batch.live_events() == 1);
  const ParseCounts again = run_parser(parser, lb.batch, OnError::kDrop);
  CHECK(again.ok == 1);  // the dropped event is not parsed again
  CHECK(again.error == 0);
}

TEST_CASE("a second stage parsing a field appends to the event's fields, keeping them together") {
  LineBatch lb({"x", "y"});
  // First stage: every event gets inner="p q" (a string field).
  class Inner final : public FieldParser {
   public:
    const char* parse(std::string_view, FieldWriter& out) override {
      out.add("inner", "p q", FieldType::kString);
      return nullptr;
    }
  } inner;
  run_parser(inner, lb.batch);
  WordParser words;
  const ParseCounts c = run_parser(words, lb.batch, OnError::kKeep, "inner");
  CHECK(c.ok == 2);
  CHECK(fields_json(lb.batch, 0) == R"({"inner":"p q","p":1,"q":1})");
  CHECK(fields_json(lb.batch, 1) == R"({"inner":"p q","p":1,"q":1})");
  // Events without the source field pass through uncounted.
  const ParseCounts none = run_parser(words, lb.batch, OnError::kKeep, "absent");
  CHECK(none.ok + none.error == 0);
}

TEST_CASE("a parser's new message replaces the event's only when parsing succeeds") {
  LineBatch lb({"keep: tail", "fail: tail"});
  // Sets the message to what follows ": ", then fails on "fail".
  class Narrow final : public FieldParser {
   public:
    const char* parse(std::string_view text, FieldWriter& out) override {
      out.set_message(text.substr(text.find(": ") + 2));
      return text.starts_with("fail") ? "narrow: failed" : nullptr;
    }
  } narrow;
  const ParseCounts c = run_parser(narrow, lb.batch);
  CHECK(c.ok == 1);
  CHECK(lb.batch.events[0].message == "tail");
  CHECK(lb.batch.events[1].message == "fail: tail");
}

TEST_CASE("append_event_field adds to an event's fields, keeping them contiguous") {
  LineBatch lb({"a b", "c"});
  WordParser words;
  run_parser(words, lb.batch);
  append_event_field(lb.batch, 0, Field{"extra", "true", FieldType::kBool});
  CHECK(fields_json(lb.batch, 0) == R"({"a":1,"b":1,"extra":true})");
  CHECK(fields_json(lb.batch, 1) == R"({"c":1})");
  LineBatch fresh({"x"});  // no stage has parsed it yet
  append_event_field(fresh.batch, 0, Field{"k", "v", FieldType::kString});
  CHECK(fields_json(fresh.batch, 0) == R"({"k":"v"})");
}

TEST_CASE("json output writes fields as top-level keys after the metadata, prefixing collisions") {
  Batch b;
  auto info = std::make_shared<SourceInfo>();
  info->path = "/var/log/a.log";
  b.source = info;
  b.read_time_ns = 1'700'000'000'123'456'000;
  b.events.push_back({"line one", 0, 0, 0});
  b.events.push_back({"line two", 9, kEventTruncated, 0});
  b.events.push_back({"plain", 18, 0, 0});
  b.fields = {{"level", "info", FieldType::kString},
              {"latency", "12.5", FieldType::kNumber},
              {"ok", "true", FieldType::kBool},
              {"none", "null", FieldType::kNull},
              {"ctx", R"({"a":[1,"x"]})", FieldType::kRaw},
              {"time", "yesterday", FieldType::kString},
              {"quote\"d", "tab\there \xFF", FieldType::kString},
              {"message", "inner", FieldType::kString}};
  b.spans = {{0, 6}, {6, 2}, {0, 0}};
  std::string json;
  encode_batch(json, b, EventFormat::kJson);
  const std::string head = R"({"time":"2023-11-14T22:13:20.123456Z","file":"/var/log/a.log",)";
  CHECK(json == head +
                    R"("offset":0,"message":"line one","level":"info","latency":12.5,"ok":true,)"
                    R"("none":null,"ctx":{"a":[1,"x"]},"_time":"yesterday"})"
                    "\n" +
                    head +
                    R"("offset":9,"message":"line two","truncated":true,"quote\"d":)"
                    "\"tab\\there \xEF\xBF\xBD\",\"_message\":\"inner\"}\n" +
                    head +
                    R"("offset":18,"message":"plain"})"
                    "\n");
  CHECK(valid_json_lines(json));
}
