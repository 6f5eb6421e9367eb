// The "logfmt" parser stage: `key=value key2="quoted value" flag` becomes fields.
//
// Grammar (lenient, as logs are): tokens are separated by spaces and control bytes (<= 0x20).
// - `key=value`: a bare value runs to the next separator and may contain '=' and '"'.
// - `key="value"`: a quoted value ends at the next unescaped '"'; \" \\ \n \r \t are unescaped,
//   any other backslash is kept as written. An unclosed quote takes the rest of the text.
// - `key=`: the empty string.
// - `key` alone (a bare key): the boolean true (FieldType::kBool).
// - `=value` (no key) is skipped.
// Values are strings (no number detection), so the json output writes "status":"200". Duplicate
// keys are all kept, in order. A text without a single key=value pair is a parse error ("logfmt:
// no key=value pair"), so free text is not mistaken for a list of bare keys.
//
// Nothing is allocated per event: keys and values view the text, except quoted values with
// escapes, which are unescaped into the batch's arena.
//
// Threads: a parser (and the stage made of it) serves one lane.
#pragma once

#include <memory>
#include <string_view>

#include "agent/api/plugin.h"
#include "plugins/common/parser_stage.h"
#include "plugins/parsers/logfmt/logfmt_options.h"

namespace logagent::plugins::logfmt {

class LogfmtParser final : public FieldParser {
 public:
  const char* parse(std::string_view text, FieldWriter& out) override;
};

struct LogfmtStage {
  static constexpr std::string_view kName = "logfmt";
  using Options = LogfmtOptions;
  static Result<std::unique_ptr<Stage>> create(const Options& o, const PluginContext& ctx);
};

}  // namespace logagent::plugins::logfmt

namespace logagent {
template <>
struct PluginMetrics<plugins::logfmt::LogfmtStage> {
  static std::vector<MetricDef> defs() { return {kParserEvents}; }
};
}  // namespace logagent
