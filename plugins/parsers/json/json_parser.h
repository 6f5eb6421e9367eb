// The "json" parser stage: each line (or string field) holding a JSON object becomes fields,
// read by the JSON object reader of plugins/common/json_object.h (which says what is accepted).
//
// Threads: a stage instance serves one lane.
#pragma once

#include <memory>
#include <string_view>

#include "agent/api/plugin.h"
#include "plugins/common/json_object.h"
#include "plugins/common/parser_stage.h"
#include "plugins/parsers/json/json_options.h"

namespace logagent::plugins::json {

struct JsonStage {
  static constexpr std::string_view kName = "json";
  using Options = JsonOptions;
  static Result<std::unique_ptr<Stage>> create(const Options& o, const PluginContext& ctx);
};

}  // namespace logagent::plugins::json

namespace logagent {
template <>
struct PluginMetrics<plugins::json::JsonStage> {
  static std::vector<MetricDef> defs() { return {kParserEvents}; }
};
}  // namespace logagent
