// Fuzz target: the "json" parser stage (plugins/parsers/json) on lines of arbitrary bytes.
//
// Besides the common parser invariants (parser_harness.h), a differential check against
// simdjson's DOM parser: a line the stage parses must be a JSON object for the DOM parser too,
// with as many members, in the same order, and the same unescaped strings; a line the DOM parser
// rejects must be a parse error (one exception: nesting deeper than json::kMaxDepth).
#include <cstddef>
#include <cstdint>
#include <string>

#include "parser_harness.h"
#include "plugins/parsers/json/json_parser.h"

namespace {

using namespace logagent;
namespace json = logagent::plugins::json;

void check_against_dom(const uint8_t* data, size_t size) {
  fuzz::InputBatch in(data, size);
  fuzz::make_stage<json::JsonStage>(json::JsonOptions{})->process(in.batch);
  simdjson::dom::parser dom;
  for (size_t i = 0; i < in.batch.events.size(); ++i) {
    const std::string at = "line " + std::to_string(i) + ": " + std::string(in.lines[i]);
    const bool failed = (in.batch.events[i].flags & kEventParseError) != 0;
    simdjson::dom::element e;
    simdjson::dom::object o;
    const bool dom_ok = fuzz::parse_json(dom, in.lines[i]).get(e) == simdjson::SUCCESS &&
                        e.get_object().get(o) == simdjson::SUCCESS;
    if (!dom_ok) {
      FUZZ_CHECK(failed, "the stage parsed what simdjson's DOM rejects: " + at);
      continue;
    }
    const auto fields = fields_of(in.batch, i);
    if (failed) {
      FUZZ_CHECK(
          fields.back().value == "json: nesting too deep",
          "the stage rejected a valid object (" + std::string(fields.back().value) + "): " + at);
      continue;
    }
    FUZZ_CHECK(fields.size() == o.size(), "member count differs: " + at);
    size_t k = 0;
    for (auto [key, value] : o) {
      const Field& f = fields[k++];
      FUZZ_CHECK(f.key == key, "key differs: " + at);
      std::string_view s;
      if (value.get_string().get(s) == simdjson::SUCCESS) {
        FUZZ_CHECK(f.type == FieldType::kString && f.value == s, "string differs: " + at);
      } else {
        FUZZ_CHECK(f.type != FieldType::kString, "a non-string became a string: " + at);
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::run_parser_stage(data, size, [](OnError on_error) {
    json::JsonOptions o;
    o.on_error = on_error;
    return fuzz::make_stage<json::JsonStage>(o);
  });
  check_against_dom(data, size);
  return 0;
}
