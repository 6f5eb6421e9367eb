// Fuzz target: the "logfmt" parser stage (plugins/parsers/logfmt) on lines of arbitrary bytes.
//
// Besides the common parser invariants (parser_harness.h): a line that parses has at least one
// field, every bare key is the boolean true, and a field value that is not a view of the line
// (an unescaped quoted value) is no longer than the line.
#include <cstddef>
#include <cstdint>
#include <string>

#include "parser_harness.h"
#include "plugins/parsers/logfmt/logfmt_parser.h"

namespace {

using namespace logagent;
namespace logfmt = logagent::plugins::logfmt;

void check_fields_shape(const uint8_t* data, size_t size) {
  fuzz::InputBatch in(data, size);
  fuzz::make_stage<logfmt::LogfmtStage>(logfmt::LogfmtOptions{})->process(in.batch);
  for (size_t i = 0; i < in.batch.events.size(); ++i) {
    if (in.batch.events[i].flags & kEventParseError) continue;
    const std::string at = "line " + std::to_string(i) + ": " + std::string(in.lines[i]);
    const auto fields = fields_of(in.batch, i);
    FUZZ_CHECK(!fields.empty(), "parsed without a field: " + at);
    for (const Field& f : fields) {
      FUZZ_CHECK(!f.key.empty(), "empty key: " + at);
      FUZZ_CHECK(in.in_input(f.key), "key not a view of the line: " + at);
      if (f.type == FieldType::kBool) {
        FUZZ_CHECK(f.value == "true", "bare key not true: " + at);
        continue;
      }
      FUZZ_CHECK(f.type == FieldType::kString, "logfmt makes strings and bare keys: " + at);
      FUZZ_CHECK(f.value.size() <= in.lines[i].size(), "value longer than its line: " + at);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::run_parser_stage(data, size, [](OnError on_error) {
    logfmt::LogfmtOptions o;
    o.on_error = on_error;
    return fuzz::make_stage<logfmt::LogfmtStage>(o);
  });
  check_fields_shape(data, size);
  return 0;
}
