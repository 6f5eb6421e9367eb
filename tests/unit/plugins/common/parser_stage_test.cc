// parse_batch: the batch loop every parser shares -- source field, on_error, and target.
#include "plugins/common/parser_stage.h"

#include <doctest/doctest.h>

#include <deque>
#include <memory>
#include <string>

#include "agent/api/batch.h"
#include "agent/codec/event_encoder.h"
#include "plugins/parsers/parser_test_support.h"

using namespace logagent;
using logagent::testing::fields_json;
using logagent::testing::LineBatch;

namespace {

// "ok ..." parses into a string (with characters JSON escapes), a number and a bool; anything
// else is an error.
class FakeParser final : public FieldParser {
 public:
  const char* parse(std::string_view text, FieldWriter& out) override {
    if (!text.starts_with("ok")) return "fake: not ok";
    out.add("s", "a\"b\n", FieldType::kString);
    out.add("n", "12", FieldType::kNumber);
    out.add("b", "true", FieldType::kBool);
    return nullptr;
  }
};

ParseCounts run(Batch& batch, const std::string& target, OnError on_error = OnError::kKeep) {
  // The settings die before the batch is read: nothing may view them.
  auto settings = std::make_unique<ParseSettings>();
  settings->target = target;
  settings->on_error = on_error;
  FakeParser parser;
  double hint = 8;
  const ParseCounts counts = parse_batch(batch, *settings, parser, hint);
  settings.reset();
  return counts;
}

// Writes `count` fields named k0, k1, ... k<keys-1>, k0, ...: each key repeated; the value is
// the field's position.
class RepeatingParser final : public FieldParser {
 public:
  RepeatingParser(size_t count, size_t keys) : count_(count), keys_(keys) {}
  const char* parse(std::string_view, FieldWriter& out) override {
    for (size_t i = 0; i < count_; ++i) {
      names_.emplace_back(1, 'k');  // appends, not "k" + ...: g++ 12 -O3 -Wrestrict
      names_.back() += std::to_string(i % keys_);
      values_.push_back(std::to_string(i));
    }
    for (size_t i = 0; i < count_; ++i) out.add(names_[i], values_[i], FieldType::kNumber);
    return nullptr;
  }

 private:
  size_t count_, keys_;
  std::deque<std::string> names_, values_;  // stable addresses: fields view them
};

// The nested object of a line parsed by RepeatingParser(count, keys).
std::string nested(size_t count, size_t keys) {
  LineBatch lb({"x"});
  ParseSettings settings;
  settings.target = "p";
  RepeatingParser parser(count, keys);
  double hint = 8;
  parse_batch(lb.batch, settings, parser, hint);
  return fields_json(lb.batch, 0);
}

// {"p":{...}} the slow way: each field written unless a later one has its key (the winners in
// the order of their fields).
std::string expected(size_t count, size_t keys) {
  std::string out = "{\"p\":{";
  bool first = true;
  for (size_t i = 0; i < count; ++i) {
    if (i + keys < count) continue;  // field i + keys has the same key
    if (!first) out += ',';
    first = false;
    out += "\"k";
    out += std::to_string(i % keys);
    out += "\":";
    out += std::to_string(i);
  }
  return out + "}}";
}

}  // namespace

TEST_CASE("parse_batch: a target keeps the last value of a repeated key, few fields or many") {
  CHECK(nested(6, 3) == R"({"p":{"k0":3,"k1":4,"k2":5}})");
  CHECK(nested(6, 3) == expected(6, 3));
  CHECK(nested(10, 10) == expected(10, 10));        // no repeat
  CHECK(nested(2000, 700) == expected(2000, 700));  // many: the hashed path
  CHECK(nested(20000, 1) == R"({"p":{"k0":19999}})");
}

TEST_CASE("parse_batch: without a target, fields go to the top level; errors keep or drop") {
  LineBatch lb({"ok 1", "bad", "ok 2"});
  const ParseCounts c = run(lb.batch, "");
  CHECK(c.ok == 2);
  CHECK(c.error == 1);
  CHECK(fields_json(lb.batch, 0) == R"({"s":"a\"b\n","n":12,"b":true})");
  CHECK(fields_json(lb.batch, 1) == R"({"_error":"fake: not ok"})");
  CHECK((lb.batch.events[1].flags & kEventParseError) != 0);

  LineBatch dropped({"bad", "ok"});
  CHECK(run(dropped.batch, "", OnError::kDrop).error == 1);
  CHECK((dropped.batch.events[0].flags & kEventDropped) != 0);
  CHECK(fields_json(dropped.batch, 0) == "{}");
}

TEST_CASE("parse_batch: a target nests the parsed fields as one JSON object field") {
  LineBatch lb({"ok 1", "bad"});
  // A field an earlier stage added stays beside the target, at the top level.
  lb.batch.spans.assign(2, FieldSpan{});
  lb.batch.fields.push_back(Field{"host", "h1", FieldType::kString});
  lb.batch.spans[0] = {0, 1};
  const ParseCounts c = run(lb.batch, "parsed");
  CHECK(c.ok == 1);
  CHECK(c.error == 1);
  const auto fields = fields_of(lb.batch, 0);
  REQUIRE(fields.size() == 2);
  CHECK(fields[1].key == "parsed");
  CHECK(fields[1].type == FieldType::kRaw);
  CHECK(fields_json(lb.batch, 0) == R"({"host":"h1","parsed":{"s":"a\"b\n","n":12,"b":true}})");
  // A parse error is not nested: `_error` stays where every consumer looks for it.
  CHECK(fields_json(lb.batch, 1) == R"({"_error":"fake: not ok"})");

  std::string out;
  encode_batch(out, lb.batch, EventFormat::kJson);
  CHECK(out.find(R"("message":"ok 1","host":"h1","parsed":{"s":"a\"b\n","n":12,"b":true}})") !=
        std::string::npos);
}

TEST_CASE("parser options: target is bound, and the line's and the error's names are refused") {
  ParserOptions o;
  o.target = "parsed";
  CHECK(to_settings(o).target == "parsed");
  CHECK_FALSE(check_parser_options(o).has_value());
  o.target = "message";
  REQUIRE(check_parser_options(o).has_value());
  CHECK(check_parser_options(o)->find("target 'message' is taken") != std::string::npos);
  o.target = "_error";
  CHECK(check_parser_options(o).has_value());
}

TEST_CASE("parse_batch: a target object holds each key once, the last value of a repeated one") {
  class RepeatingParser final : public FieldParser {
   public:
    const char* parse(std::string_view, FieldWriter& out) override {
      out.add("a", "1", FieldType::kNumber);
      out.add("b", "x", FieldType::kString);
      out.add("a", "2", FieldType::kNumber);
      return nullptr;
    }
  };
  LineBatch lb({"line"});
  ParseSettings settings;
  settings.target = "parsed";
  RepeatingParser parser;
  double hint = 8;
  CHECK(parse_batch(lb.batch, settings, parser, hint).ok == 1);
  CHECK(fields_json(lb.batch, 0) == R"({"parsed":{"b":"x","a":2}})");
}
